"""SAC checkpoint verbs (rl_games' names): ``get_weights`` / ``set_weights`` for the networks
and the input normalizer, ``get_full_state_weights`` / ``set_full_state_weights`` for everything
a resume needs. ``save`` / ``restore`` are the trainer's (:class:`TrainerBase`) and call these."""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from rl_games.config.schema import SACConfig
    from rl_games.envs import TorchVecEnv
    from rl_games.networks.sac import SACModel
    from rl_games.storage.replay import ReplayBuffer

log = logging.getLogger(__name__)

OPTIMIZER_KEYS = ("actor_optimizer", "critic_optimizer", "log_alpha_optimizer")


class SACWeightsMixin:
    """Checkpoint state of :class:`rl_games.algos.sac.agent.SACAgent` (which sets this state)."""

    cfg: SACConfig
    model: SACModel
    env: TorchVecEnv
    replay_buffer: ReplayBuffer
    log_alpha: torch.Tensor
    actor_optimizer: torch.optim.Optimizer
    critic_optimizer: torch.optim.Optimizer
    log_alpha_optimizer: torch.optim.Optimizer
    epoch_num: int
    frame: int
    num_updates: int
    best_reward: float
    batch_size: int

    def get_weights(self) -> dict[str, Any]:
        """``actor``, ``critic``, ``critic_target`` (and ``running_mean_std``) state dicts."""
        m = self.model
        state: dict[str, Any] = {
            "actor": m.actor.state_dict(),
            "critic": m.critic.state_dict(),
            "critic_target": m.critic_target.state_dict(),
        }
        if m.normalize_input:
            state["running_mean_std"] = m.running_mean_std.state_dict()
        return state

    def set_weights(self, weights: dict[str, Any]) -> None:
        """Load what :meth:`get_weights` returns (``critic_target`` defaults to ``critic``)."""
        m = self.model
        m.actor.load_state_dict(weights["actor"])
        m.critic.load_state_dict(weights["critic"])
        m.critic_target.load_state_dict(weights.get("critic_target", weights["critic"]))
        if m.normalize_input and "running_mean_std" in weights:
            m.running_mean_std.load_state_dict(weights["running_mean_std"])

    def get_full_state_weights(self) -> dict[str, Any]:
        """rl_games' SAC checkpoint: weights, temperature, optimizers, counters, env state,
        and (``save_replay_buffer``) the replay buffer."""
        state = self.get_weights()
        state["log_alpha"] = self.log_alpha.detach().clone()
        for key in OPTIMIZER_KEYS:
            state[key] = getattr(self, key).state_dict()
        state.update(
            epoch=self.epoch_num,
            frame=self.frame,
            last_mean_rewards=np.float32(self.best_reward),
            env_state=self.env.get_env_state(),
            num_updates=self.num_updates,
        )
        if self.cfg.save_replay_buffer:
            state["replay_buffer"] = self.replay_buffer.state_dict()
            state["replay_rows_offered"] = self.replay_buffer.rows_offered  # the update gate
        if self.cfg.capability_manifest is not None:
            state["capability_manifest"] = self.cfg.capability_manifest
        return state

    def set_full_state_weights(self, weights: dict[str, Any], set_epoch: bool = True) -> None:
        """Load what :meth:`get_full_state_weights` returns (rl_games' checkpoints too);
        ``set_epoch=False`` keeps this run's epoch and frame counters."""
        self.set_weights(weights)
        if "log_alpha" in weights:
            with torch.no_grad():
                self.log_alpha.copy_(torch.as_tensor(weights["log_alpha"]).reshape(()))
        else:
            log.warning("checkpoint has no log_alpha (rl_games < 1.6.5): keeping init_alpha")
        for key in OPTIMIZER_KEYS:
            if key in weights:
                getattr(self, key).load_state_dict(weights[key])
        if set_epoch:
            self.epoch_num = int(weights.get("epoch", 0))
            self.frame = int(weights.get("frame", 0))
        self.num_updates = int(weights.get("num_updates", 0))
        self.best_reward = float(weights.get("last_mean_rewards", -math.inf))
        if weights.get("env_state") is not None:
            self.env.set_env_state(weights["env_state"])
        self._set_replay_state(weights)

    def _set_replay_state(self, weights: dict[str, Any]) -> None:
        if "replay_buffer" in weights:
            self.replay_buffer.load_state_dict(weights["replay_buffer"])
            rows = weights.get("replay_rows_offered", len(self.replay_buffer))
            self.replay_buffer.rows_offered = int(rows)
            return
        log.warning(
            "resume: the checkpoint holds no replay buffer (save_replay_buffer: False), so "
            "training restarts from an empty buffer: no update runs until batch_size (%d) "
            "new transitions are stored, and the first updates sample only fresh data. The "
            "run is not the continuation of the saved one; set save_replay_buffer: True for "
            "an exact resume (docs/sac.md)",
            self.batch_size,
        )
