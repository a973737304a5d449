"""Collect one epoch of experience on the training device (no host sync per step).

:class:`RolloutMixin` holds PPO's env I/O and acting hooks under rl_games' names (``env_reset``,
``env_step``, ``preprocess_actions``, ``get_action_values``, ``get_values``, ``play_steps``,
``discount_values``); a subclass overrides any of them, or :meth:`RolloutMixin.update_step_data`
to store its own per-step fields from the env's ``infos``.

Observations are rl_games' dict everywhere a subclass sees them: ``self.obs``, what
``env_reset`` / ``env_step`` return and what ``get_action_values`` / ``get_values`` take is
``{'obs': actor observation, 'states': critic states (central value envs)}``
(:meth:`RolloutMixin.obs_to_tensors`); wrapping the env's tensor in a dict copies nothing.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from rl_games.algos.gae import compute_gae
from rl_games.networks.rnn import zero_states
from rl_games.storage.rollout import flatten_env_major


def shape_rewards(
    r: torch.Tensor, scale: float, shift: float, lo: float, hi: float, log_val: bool
) -> torch.Tensor:
    """rl_games' reward shaper: clamp((r + shift) * scale, lo, hi), then log if asked.

    Identity steps (shift 0, scale 1, no bounds) are skipped, so the result may be ``r`` itself.
    """
    out = r + shift if shift != 0.0 else r
    out = out * scale if scale != 1.0 else out
    if lo != float("-inf") or hi != float("inf"):
        out = out.clamp(lo, hi)
    return torch.log(out) if log_val else out


def game_dones(infos: Any, dones: torch.Tensor) -> torch.Tensor:
    """Where a whole game ended: ``infos['game_dones']`` (Atari with lives) or ``dones``."""
    if isinstance(infos, dict) and "game_dones" in infos:
        return torch.as_tensor(infos["game_dones"], dtype=torch.bool).to(dones.device)
    return dones


def is_obs_envelope(obs: Any, obs_space: Any) -> bool:
    """Whether ``obs`` is rl_games' ``{'obs': ..., 'states': ...}`` dict. With a ``Dict``
    observation space that has its own ``obs`` key, only a dict whose ``obs`` is itself a
    dict is the envelope (the actor's dict has a tensor there)."""
    if not isinstance(obs, dict) or "obs" not in obs:
        return False
    own_keys = getattr(obs_space, "spaces", None)
    if isinstance(own_keys, dict) and "obs" in own_keys:
        return isinstance(obs["obs"], dict)
    return True


def as_inference(obs: Any) -> Any:
    """Inference-mode copies of normal tensors (also inside a dict obs). Every obs returned by a
    step inside ``play_steps`` is an inference tensor; a reset obs copied once per run makes the
    first ``act`` call match them, so a compiled ``act`` is traced once, not twice."""
    if isinstance(obs, dict):
        return {k: as_inference(v) for k, v in obs.items()}
    if isinstance(obs, torch.Tensor) and not obs.is_inference():
        with torch.inference_mode():
            return obs.clone()
    return obs


class RolloutMixin:
    """PPO's rollout verbs; the state they use is set up by ``PPOAgent.__init__``."""

    cfg: Any
    env: Any
    model: Any
    experience_buffer: Any
    central_value_net: Any

    # ------------------------------------------------------------------ observations
    def cast_obs(self, obs: Any) -> torch.Tensor:
        """One observation array as a tensor on the training device (uint8 kept, other
        numpy dtypes float32); a tensor is returned as it is and sets ``is_tensor_obses``."""
        if isinstance(obs, torch.Tensor):
            self.is_tensor_obses = True
            return obs
        arr = np.asarray(obs)
        dtype = torch.uint8 if arr.dtype == np.uint8 else torch.float32
        return torch.as_tensor(arr, dtype=dtype, device=self.device)

    def _obs_to_tensors_internal(self, obs: Any) -> Any:
        if isinstance(obs, dict):
            return {k: self._obs_to_tensors_internal(v) for k, v in obs.items()}
        return self.cast_obs(obs)

    def obs_to_tensors(self, obs: Any) -> dict[str, Any]:
        """rl_games' observation dict: an env's ``{'obs', 'states'}`` kept as it is, anything
        else (a tensor, a ``Dict`` space's dict) wrapped as ``{'obs': obs}``; leaves through
        :meth:`cast_obs` (tensors from our env adapter pass untouched)."""
        out = self._obs_to_tensors_internal(obs)
        return out if is_obs_envelope(out, self.obs_space) else {"obs": out}

    def _preproc_obs(self, obs_batch: Any) -> Any:
        """rl_games' model-input step: uint8 observations as float / 255 (per key for dicts)."""
        if isinstance(obs_batch, dict):
            return {k: self._preproc_obs(v) for k, v in obs_batch.items()}
        if obs_batch.dtype == torch.uint8:
            return obs_batch.float() / 255.0
        return obs_batch

    def _critic_obs(self, obs: dict[str, Any]) -> Any:
        """What the central value reads from an observation dict: its ``states`` (the actor's
        observation when the env gives none)."""
        return obs if "states" in obs else obs["obs"]

    # ------------------------------------------------------------------ env I/O
    def env_reset(self) -> dict[str, Any]:
        """Reset every env; the observation as rl_games' dict (:meth:`obs_to_tensors`)."""
        return self.obs_to_tensors(self.env.reset())

    def env_step(
        self, actions: torch.Tensor
    ) -> tuple[dict[str, Any], torch.Tensor, torch.Tensor, Any]:
        """Step every env with the policy's ``actions`` (mapped by :meth:`preprocess_actions`):
        ``(obs dict, rewards [N, V] float32, dones bool [N], infos)``; the env's time-outs
        (truncations, ``[N]`` bool) are kept in ``self.time_outs`` for the value bootstrap."""
        obs, rewards, dones, self.time_outs, infos = self.env.step(self.preprocess_actions(actions))
        return self.obs_to_tensors(obs), rewards, dones, infos

    def preprocess_actions(self, actions: torch.Tensor) -> torch.Tensor:
        """Policy actions -> env actions: clamp to [-1, 1] and map onto the env's box
        (``clip_actions``, continuous only): a = clamp(u, -1, 1) * (high - low) / 2 + (high + low) / 2."""
        if self.is_continuous and self.cfg.clip_actions:
            return actions.clamp(-1.0, 1.0) * self.action_scale + self.action_bias
        return actions

    # ------------------------------------------------------------------ acting
    def _policy_input(self, obs: dict[str, Any], masks: torch.Tensor | None) -> dict[str, Any]:
        """The model's act() input for an observation dict; recurrent policies also get the
        current RNN states."""
        obs = obs["obs"]
        if self.is_rnn:
            return {"obs": obs, "action_masks": masks, "rnn_states": self.rnn_states}
        return {"obs": obs, "action_masks": masks}

    def get_masked_action_values(
        self, obs: dict[str, Any], masks: torch.Tensor | None
    ) -> dict[str, Any]:
        """``{actions, neglogpacs, values, mus, sigmas (continuous), rnn_states}`` for the
        observation dict ``obs``; with a central value ``values`` are the critic's (of the
        carried ``self.states``), one row per agent."""
        res = self.model.act(self._policy_input(obs, masks))
        if self.central_value_net is not None:
            res["values"] = self.central_value_net.get_value(self.states)
        return res

    def get_action_values(self, obs: dict[str, Any]) -> dict[str, Any]:
        """rl_games' name: :meth:`get_masked_action_values` with the env's current masks."""
        return self.get_masked_action_values(obs, self.action_masks())

    def get_values(self, obs: dict[str, Any]) -> torch.Tensor:
        """De-normalized values ``[N, V]`` of the observation dict ``obs`` (the central
        value's of ``self.states`` when set)."""
        if self.central_value_net is not None:
            return self.central_value_net.last_values(self.states)
        return self.model.act(self._policy_input(obs, self.action_masks()))["values"]

    # ------------------------------------------------------------------ per step
    def _record_policy_step(
        self, n: int, masks: torch.Tensor | None, res: dict[str, Any], valid: Any
    ) -> None:
        """Store what the policy saw and did at step ``n`` (before the env steps)."""
        buf = self.experience_buffer
        buf.update_data("obses", n, self.obs["obs"])
        if masks is not None:
            buf.update_data("action_masks", n, masks)
        for key in self.update_list:
            buf.update_data(key, n, res[key])
        buf.update_data("dones", n, self.dones)
        if valid is not None:
            buf.update_data("valid", n, valid)

    def _record_rewards(
        self, n: int, rewards: torch.Tensor, time_outs: torch.Tensor, values: torch.Tensor
    ) -> torch.Tensor:
        """Shape the env rewards into storage at step ``n``; returns the shaped rewards."""
        cfg, out = self.cfg, self.experience_buffer["rewards"][n]
        rs = cfg.reward_shaper
        shaped = shape_rewards(
            rewards, rs.scale_value, rs.shift_value, rs.min_val, rs.max_val, rs.log_val
        )
        if not cfg.value_bootstrap:
            out.copy_(shaped)
            return shaped
        # time-out bootstrap: r + gamma * V(s_t) * time_out, written straight into storage
        timed_out = time_outs.unsqueeze(-1).to(shaped.dtype)
        return torch.addcmul(shaped, values, timed_out, value=cfg.gamma, out=out)

    def _advance_rnn_states(self, states: tuple, dones: torch.Tensor) -> None:
        """RNN states after an env step, zeroed where an episode ended (``zero_rnn_on_done``);
        under next-step autoreset also after the reset row (it carried the last episode's obs)."""
        if self.cfg.zero_rnn_on_done:
            reset = dones | (self.dones > 0) if self.next_step_reset else dones
            states = zero_states(states, reset)
        self.rnn_states = states

    def update_step_data(self, n: int, infos: Any) -> None:
        """Hook: store a subclass's own per-step fields (e.g. ``infos['amp_obs']``) at step ``n``
        with ``self.experience_buffer.update_data``. Runs under ``torch.inference_mode``."""

    def play_step(self, n: int) -> float:
        """Act, step the envs and store step ``n``; returns the seconds spent in the env."""
        cv, next_step = self.central_value_net, self.next_step_reset
        masks = self.action_masks()
        if self.is_rnn and n % self.seq_length == 0:
            self.experience_buffer.store_rnn_states(n // self.seq_length, self.rnn_states)
        if cv is not None:
            cv.pre_step(n, self.states)
        res = self.get_masked_action_values(self.obs, masks)
        valid = 1.0 - self.dones if next_step else None
        self._record_policy_step(n, masks, res, valid)
        ts = time.perf_counter()
        self.obs, rewards, dones, infos = self.env_step(res["actions"])
        step_time = time.perf_counter() - ts
        self.hooks.step(infos, dones, self.env.host_dones)
        if self.is_rnn:
            self._advance_rnn_states(res["rnn_states"], dones)
        if cv is not None:
            obs = self._critic_obs(self.obs)
            self.states = cv.observe(obs, dones, self.dones if next_step else None)
        shaped = self._record_rewards(n, rewards, self.time_outs, res["values"])
        self.update_step_data(n, infos)
        self.dones = dones.to(torch.float32)
        self.episodes.step(n, rewards, shaped, game_dones(infos, dones), valid)
        return step_time

    # ------------------------------------------------------------------ epoch
    @torch.inference_mode()
    def collect_steps(self) -> dict[str, float]:
        """Fill the experience buffer with ``horizon_length`` steps and compute the bootstrap
        values (``self.last_values``). Returns timing (seconds)."""
        self.set_eval()
        self.obs = as_inference(self.obs_to_tensors(self.obs))  # a bare obs set from outside
        step_time = 0.0
        t0 = time.perf_counter()
        for n in range(self.horizon_length):
            step_time += self.play_step(n)
        self.last_values = self.get_values(self.obs)
        return {"step_time": step_time, "play_time": time.perf_counter() - t0}

    def discount_values(
        self,
        fdones: torch.Tensor,
        last_extrinsic_values: torch.Tensor,
        mb_fdones: torch.Tensor,
        mb_extrinsic_values: torch.Tensor,
        mb_rewards: torch.Tensor,
    ) -> torch.Tensor:
        """GAE advantages ``[T, N, V]`` (:func:`rl_games.algos.gae.compute_gae`):
        delta_t = r_t + gamma * V_{t+1} * (1 - d_{t+1}) - V_t, A_t = delta_t + gamma * tau *
        (1 - d_{t+1}) * A_{t+1}; ``mb_fdones[t]`` is 1 when obs t starts an episode, ``fdones``
        the same for the obs after the last step."""
        cfg = self.cfg
        return compute_gae(
            mb_rewards,
            mb_extrinsic_values,
            mb_fdones,
            last_extrinsic_values,
            fdones,
            cfg.gamma,
            cfg.tau,
        )

    def compute_batch_dict(self, timing: dict[str, float] | None = None) -> dict[str, Any]:
        """The filled experience buffer as rl_games' ``batch_dict``: the env-major flattened
        fields of ``tensor_list`` plus ``returns``, ``advantages`` (GAE, ``[B, V]``),
        ``rnn_states`` (recurrent), ``played_frames`` and the ``timing`` entries."""
        buf = self.experience_buffer
        with torch.no_grad():
            mb_values = buf["values"]
            mb_advs = self.discount_values(
                self.dones, self.last_values, buf["dones"], mb_values, buf["rewards"]
            )
            mb_returns = mb_advs + mb_values
            batch = buf.get_transformed_list(flatten_env_major, self.tensor_list)
            batch["returns"] = flatten_env_major(mb_returns)
            batch["advantages"] = flatten_env_major(mb_advs)
            if self.is_rnn:
                batch["rnn_states"] = buf.flat_rnn_states()
        batch["played_frames"] = self.batch_size
        batch.update(timing or {})
        return batch

    def play_steps(self) -> dict[str, Any]:
        """One epoch of experience (:meth:`collect_steps`) as a ``batch_dict``
        (:meth:`compute_batch_dict`) with ``step_time`` and ``play_time``."""
        return self.compute_batch_dict(self.collect_steps())

    def play_steps_rnn(self) -> dict[str, Any]:
        """rl_games' recurrent rollout: :meth:`play_steps` handles both."""
        return self.play_steps()
