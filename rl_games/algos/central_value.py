"""Central-value (asymmetric) critic: ``config.central_value_config``.

The env returns ``{'obs': actor obs, 'states': critic input}``; ``CentralValueTrain`` is a
separate value-only model on ``states`` (per env, ``[num_actors, ...]``) with its own normalizers,
Adam and minibatch loop. PPO uses it as follows:

- rollout: :meth:`CentralValueTrain.pre_step` stores step ``t``'s states in its own
  ``experience_buffer`` (``states``) and :meth:`get_value` returns their de-normalized values,
  repeated for each agent of an env (the values GAE and the time-out bootstrap use);
  :meth:`observe` takes the next states out of an env observation and zeroes the critic's RNN
  states of finished envs.
- update: its ``value_mean_std`` normalizes the PPO batch's values and returns, which the agent
  hands over with :meth:`update_dataset`; the critic trains first (:meth:`train_net`, on each env's
  first agent's targets), then the actor, whose own value head is trained only with
  ``use_experimental_cv``. It never sees the agent: gradients are averaged over ranks by the
  ``grad_reducer`` it was given, and its statistics are returned, not written.
- checkpoints: ``assymetric_vf_nets`` (``state_dict()``: ``model.a2c_network.*``,
  ``model.running_mean_std.*``, ``model.value_mean_std.*``) and ``assymetric_vf_optimizer``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from rl_games.algos import schedulers
from rl_games.algos.ppo import losses as L
from rl_games.algos.ppo.grads import clip_grad_norm, make_adam, rnn_reset_flags
from rl_games.builders import build_model_for
from rl_games.config.errors import ConfigError, Problem
from rl_games.config.plan import CentralValuePlan, ModelSpec
from rl_games.config.schema import CentralValueConfig, PPOConfig
from rl_games.networks.rnn import zero_states
from rl_games.storage.dataset import PPODataset
from rl_games.storage.rollout import ExperienceBuffer, flatten_env_major
from rl_games.training.checkpoint import CheckpointError, load_checkpoint, load_optimizer_state

log = logging.getLogger(__name__)

CHECKPOINT_NETS = "assymetric_vf_nets"  # rl_games' spelling
CHECKPOINT_OPTIMIZER = "assymetric_vf_optimizer"
CV_PATH = "params.config.central_value_config"


def trains_actor_value(cfg: PPOConfig, is_continuous: bool) -> bool:
    """Whether the actor's own value head is trained: always without a central value; with one
    only under ``use_experimental_cv`` (rl_games' default: True continuous, False discrete)."""
    if cfg.central_value_config is None:
        return True
    if cfg.use_experimental_cv is None:
        return is_continuous
    return bool(cfg.use_experimental_cv)


def build_cv_model(cv_cfg: CentralValueConfig, spec: ModelSpec) -> nn.Module:
    """``MODELS[central_value_config.model.name or 'central_value']`` around its network."""
    return build_model_for(cv_cfg.network, cv_cfg.model.name or "central_value", spec)


class CentralValueTrain(nn.Module):
    """The critic, its optimizer, its rollout storage (states per env) and its update loop.

    Its only submodule is ``model``, so ``state_dict()`` has rl_games' ``assymetric_vf_nets`` keys.
    """

    def __init__(
        self,
        cv_cfg: CentralValueConfig,
        cfg: PPOConfig,
        state_space: gym.Space,
        plan: CentralValuePlan,
        spec: ModelSpec,
        device: torch.device,
        next_step_reset: bool = False,
        grad_reducer: Callable[[list[torch.Tensor]], None] | None = None,
    ) -> None:
        """``plan`` and ``spec``: the resolve pass's (:func:`rl_games.config.plan.resolve`)
        critic batch and model spec; ``state_space``: the critic's input (its storage)."""
        super().__init__()
        self.cv_cfg, self.zero_rnn_on_done = cv_cfg, cfg.zero_rnn_on_done
        self.plan = plan
        self.device, self.next_step_reset = device, next_step_reset
        self.grad_reducer = grad_reducer  # e.g. the trainer's all-reduce over ranks
        self.num_actors, self.num_agents = plan.num_actors, plan.num_agents
        self.horizon, self.seq_length = plan.horizon_length, plan.seq_length
        self.batch_size, self.minibatch_size = plan.batch_size, plan.minibatch_size
        self.model = build_cv_model(cv_cfg, spec).to(device)
        self.is_rnn = bool(self.model.is_rnn())
        self.optimizer = make_adam(
            self.model.parameters(), float(cv_cfg.learning_rate), cv_cfg.weight_decay
        )
        self._params = list(self.model.parameters())  # walked once, not per minibatch
        self.last_lr = float(cv_cfg.learning_rate)
        self.scheduler: Any = schedulers.IdentityScheduler()
        if (cv_cfg.lr_schedule or "").lower() == "linear" and cfg.max_epochs > 0:
            self.scheduler = schedulers.LinearScheduler(self.last_lr, max_steps=cfg.max_epochs)
        self.use_bf16 = bool(cv_cfg.mixed_precision and device.type == "cuda")
        self.experience_buffer = ExperienceBuffer(self.horizon, self.num_actors, device)
        dtype = torch.uint8 if state_space.dtype == np.uint8 else torch.float32
        self.experience_buffer.add_field("states", tuple(state_space.shape), dtype)
        self.rnn_states = self.model.get_default_rnn_state() if self.is_rnn else None
        if self.is_rnn:
            self.experience_buffer.add_rnn_states(self.rnn_states, self.seq_length)
        self.dataset = PPODataset(
            self.batch_size, self.minibatch_size, True, self.is_rnn, device, self.seq_length
        )
        self.epoch_num, self.frame = 0, 0

    # ------------------------------------------------------------------ rollout
    def states_of(self, obs: Any) -> torch.Tensor:
        """Per-env states of an env observation: ``obs['states']`` (``obs`` itself when the env
        has no states); per-agent states rows are reduced to each env's first agent."""
        states = obs["states"] if isinstance(obs, dict) and "states" in obs else obs
        if isinstance(states, dict):
            raise ValueError(
                "central value: the env observation needs a 'states' entry "
                f"(got the keys {sorted(states)})"
            )
        if self.num_agents > 1 and states.shape[0] == self.num_actors * self.num_agents:
            states = states[:: self.num_agents]
        return states

    def reset(self, obs: Any) -> torch.Tensor:
        """At an env reset: zero RNN states; returns the states of ``obs``."""
        self.rnn_states = self.model.get_default_rnn_state() if self.is_rnn else None
        return self.states_of(obs)

    def _per_agent(self, values: torch.Tensor) -> torch.Tensor:
        """``[num_actors, V]`` -> ``[num_actors * num_agents, V]`` (an env's agents contiguous)."""
        return values.repeat_interleave(self.num_agents, 0) if self.num_agents > 1 else values

    def _act(self, states: torch.Tensor) -> dict[str, Any]:
        inp: dict[str, Any] = {"obs": states}
        if self.is_rnn:
            inp["rnn_states"] = self.rnn_states
        return self.model.act(inp)

    def pre_step(self, t: int, states: torch.Tensor) -> None:
        """Store step ``t``'s states (and, every ``seq_length`` steps, the RNN states)."""
        if t == 0:
            self.model.eval()
        if self.is_rnn and t % self.seq_length == 0:
            self.experience_buffer.store_rnn_states(t // self.seq_length, self.rnn_states)
        self.experience_buffer.update_data("states", t, states)

    def get_value(self, states: torch.Tensor) -> torch.Tensor:
        """De-normalized values of ``states``, one row per agent; advances the RNN states."""
        res = self._act(states)
        if self.is_rnn:
            self.rnn_states = res["rnn_states"]
        return self._per_agent(res["values"])

    def rollout_values(self, t: int, states: torch.Tensor) -> torch.Tensor:
        """:meth:`pre_step` then :meth:`get_value`."""
        self.pre_step(t, states)
        return self.get_value(states)

    def observe(
        self, obs: Any, dones: torch.Tensor, prev_dones: torch.Tensor | None = None
    ) -> torch.Tensor:
        """After an env step: zero the RNN states of envs whose episode ended (``dones`` per
        agent; ``prev_dones``: also after a next-step reset row); returns the next states."""
        if self.is_rnn and self.zero_rnn_on_done:
            reset = dones[:: self.num_agents]
            if prev_dones is not None:
                reset = reset | (prev_dones[:: self.num_agents] > 0)
            self.rnn_states = zero_states(self.rnn_states, reset)
        return self.states_of(obs)

    def last_values(self, states: torch.Tensor) -> torch.Tensor:
        """Values of the states after the last rollout step (GAE bootstrap), one row per agent."""
        self.model.eval()
        return self._per_agent(self._act(states)["values"])

    # ------------------------------------------------------------------ update
    def first_agent_rows(self, x: torch.Tensor) -> torch.Tensor:
        """Rows of a PPO batch (env-major over ``num_actors * num_agents`` rows) of each env's
        first agent, in the critic's order (``env * horizon + t``)."""
        if self.num_agents == 1:
            return x
        per_env = x.reshape(self.num_actors, self.num_agents, self.horizon, *x.shape[1:])
        return per_env[:, 0].reshape(self.batch_size, *x.shape[1:])

    def update_dataset(
        self,
        old_values: torch.Tensor,
        returns: torch.Tensor,
        mask: torch.Tensor | None,
        dones: torch.Tensor,
    ) -> None:
        """The critic's batch: its stored states, the PPO batch's normalized ``old_values`` and
        ``returns`` (and the valid-row ``mask``), RNN snapshots and reset flags; ``old_values``,
        ``returns`` and ``mask`` are env-major over every agent, ``dones`` is ``[T, N * agents]``."""
        first = self.first_agent_rows
        data: dict[str, Any] = {
            "obs": self.experience_buffer.flat("states"),
            "old_values": first(old_values),
            "returns": first(returns),
            "rnn_masks": None if mask is None else first(mask),
        }
        if self.is_rnn:
            data["rnn_states"] = self.experience_buffer.flat_rnn_states()
            if self.zero_rnn_on_done:
                env_dones = dones[:, :: self.num_agents]
                flags = rnn_reset_flags(env_dones, self.next_step_reset)
                data["dones"] = flatten_env_major(flags)
        self.dataset.update_values_dict(data)

    def calc_gradients(self, input_dict: dict[str, Any]) -> torch.Tensor:
        """Clipped (``clip_value``, range ``e_clip``) value loss of one minibatch: a masked mean
        over valid rows, no 0.5, no ``critic_coef``. Returns the loss (backward not yet run)."""
        cfg, mask = self.cv_cfg, input_dict.get("rnn_masks")
        inp: dict[str, Any] = {"obs": input_dict["obs"], "mask": mask}
        if self.is_rnn:
            inp.update(
                rnn_states=tuple(input_dict["rnn_states"]),
                seq_length=self.seq_length,
                dones=input_dict.get("dones"),
            )
        values = self.model.evaluate(inp)["values"]
        old, returns = input_dict["old_values"], input_dict["returns"]
        return L.masked_mean(L.critic_loss(old, values, returns, cfg.e_clip, cfg.clip_value), mask)

    def train_critic(self, input_dict: dict[str, Any]) -> torch.Tensor:
        """One optimizer step on one minibatch; returns the detached loss."""
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.use_bf16)
        with autocast if self.use_bf16 else contextlib.nullcontext():
            loss = self.calc_gradients(input_dict)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        params = self._params
        if self.grad_reducer is not None:
            self.grad_reducer(params)
        if self.cv_cfg.truncate_grads:
            clip_grad_norm(params, self.cv_cfg.grad_norm)
        self.optimizer.step()
        return loss.detach().float()

    def train_net(self) -> dict[str, float]:
        """``mini_epochs`` passes over :attr:`dataset` (set by :meth:`update_dataset`); returns
        ``{'cval_loss', 'cval_lr'}`` (the agent logs them at this critic's ``frame``). With the
        sub-config's ``freeze_critic`` no update runs, but the critic's epoch/frame counters and
        LR schedule still follow the run."""
        if self.cv_cfg.freeze_critic:
            self.epoch_num += 1
            self.update_lr()
            self.frame += self.batch_size
            return {}
        self.model.train()
        self._params = list(self.model.parameters())
        losses = []
        for _ in range(self.plan.mini_epochs):
            for i in range(len(self.dataset)):
                losses.append(self.train_critic(self.dataset[i]))
        self.model.eval()
        mean_loss = float(torch.stack(losses).mean())
        self.epoch_num += 1
        self.update_lr()
        self.frame += self.batch_size
        return {"cval_loss": mean_loss, "cval_lr": self.last_lr}

    def update_lr(self) -> None:
        """``lr_schedule: linear``: decay over the main config's ``max_epochs`` (critic epochs)."""
        lr, _ = self.scheduler.update(self.last_lr, 0.0, self.epoch_num, self.frame, 0.0)
        if lr != self.last_lr:
            for group in self.optimizer.param_groups:
                group["lr"] = lr
        self.last_lr = float(lr)

    # ------------------------------------------------------------------ checkpoints
    def checkpoint_state(self) -> dict[str, Any]:
        """rl_games' checkpoint entries for the critic."""
        return {
            CHECKPOINT_NETS: self.state_dict(),
            CHECKPOINT_OPTIMIZER: self.optimizer.state_dict(),
        }

    def load_checkpoint_state(self, state: dict[str, Any], epoch: int, frame: int) -> None:
        """Restore :meth:`checkpoint_state` (the optimizer when present: rl_games 1.6.5+). A
        checkpoint without a critic (e.g. a run without central value) leaves it fresh."""
        if CHECKPOINT_NETS not in state:
            log.warning("checkpoint has no '%s': the central value starts fresh", CHECKPOINT_NETS)
            return
        self.load_state_dict(state[CHECKPOINT_NETS])
        self.load_training_state(state, epoch, frame)

    def load_training_state(self, state: dict[str, Any], epoch: int, frame: int) -> None:
        """The optimizer (when saved) and the epoch/frame counters of a checkpoint whose
        ``assymetric_vf_nets`` were already loaded; warns when the checkpoint has no critic."""
        if CHECKPOINT_NETS not in state:
            log.warning("checkpoint has no '%s': the central value starts fresh", CHECKPOINT_NETS)
            return
        if state.get(CHECKPOINT_OPTIMIZER) is not None:
            load_optimizer_state(self.optimizer, state[CHECKPOINT_OPTIMIZER], CHECKPOINT_OPTIMIZER)
            self.last_lr = float(self.optimizer.param_groups[0]["lr"])
        self.epoch_num = epoch
        self.frame = frame // max(self.num_agents, 1)


def load_critic_weights(cv: CentralValueTrain | None, path: str | Path) -> None:
    """``args['load_critic_only']``: only the critic's weights (``assymetric_vf_nets``) from the
    checkpoint at ``path``; the actor, optimizers and counters keep their fresh state."""
    if cv is None:
        problem = Problem(CV_PATH, "load_critic_only needs a central value critic (not configured)")
        raise ConfigError([problem], "config")
    state = load_checkpoint(path, map_location=cv.device)
    if CHECKPOINT_NETS not in state:
        raise CheckpointError(f"checkpoint '{path}' has no '{CHECKPOINT_NETS}' (no central value)")
    try:
        cv.load_state_dict(state[CHECKPOINT_NETS])
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise CheckpointError(f"checkpoint '{path}': critic does not fit: {first}") from None
    log.info("=> loaded the central value critic from '%s'", path)
