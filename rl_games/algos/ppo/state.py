"""PPO's checkpoint hooks under rl_games' names: ``get_full_state_weights`` /
``set_full_state_weights`` (the whole training state), ``get_weights`` / ``set_weights`` (model and
statistics), ``get_stats_weights`` / ``set_stats_weights`` (normalizers and the central value).
A subclass adds its own entries by overriding them and calling ``super()``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rl_games.algos.central_value import CHECKPOINT_NETS, CHECKPOINT_OPTIMIZER, load_critic_weights
from rl_games.training.checkpoint import load_optimizer_state


class StateMixin:
    """Checkpoint entries of the PPO agent (``save``/``restore`` are the trainer's)."""

    model: Any
    optimizer: Any
    central_value_net: Any
    advantage_mean_std: Any
    self_play_manager: Any = None  # rl_games.algos.self_play.SelfPlayManager when configured

    def get_stats_weights(self, model_stats: bool = False) -> dict[str, Any]:
        """The central value's weights (``assymetric_vf_nets``) and the advantage normalizer;
        with ``model_stats`` also the model's normalizers (they are in its ``state_dict``)."""
        cv, adv = self.central_value_net, self.advantage_mean_std
        state: dict[str, Any] = {}
        if cv is not None:
            state[CHECKPOINT_NETS] = cv.state_dict()
        if adv is not None:
            state["advantage_mean_std"] = adv.state_dict()
        if model_stats:
            for name in ("running_mean_std", "value_mean_std"):
                module = getattr(self.model, name, None)
                if isinstance(module, torch.nn.Module):
                    state[name] = module.state_dict()
        return state

    def set_stats_weights(self, weights: dict[str, Any]) -> None:
        """Load what :meth:`get_stats_weights` gave (entries that are absent are left as is)."""
        cv, adv = self.central_value_net, self.advantage_mean_std
        if cv is not None and CHECKPOINT_NETS in weights:
            cv.load_state_dict(weights[CHECKPOINT_NETS])
        if adv is not None and "advantage_mean_std" in weights:
            adv.load_state_dict(weights["advantage_mean_std"])

    def get_weights(self) -> dict[str, Any]:
        """``{'model': model.state_dict(), **get_stats_weights()}``."""
        return {**self.get_stats_weights(), "model": self.model.state_dict()}

    def set_weights(self, weights: dict[str, Any]) -> None:
        self.model.load_state_dict(weights["model"])
        self.set_stats_weights(weights)

    def get_full_state_weights(self) -> dict[str, Any]:
        """rl_games' checkpoint dict: weights, optimizers, counters, schedule, env state."""
        cv, manifest = self.central_value_net, self.cfg.capability_manifest
        state = self.get_weights()
        if cv is not None:
            state[CHECKPOINT_OPTIMIZER] = cv.optimizer.state_dict()
        state.update(
            epoch=self.epoch_num,
            frame=self.frame,
            optimizer=self.optimizer.state_dict(),
            last_mean_rewards=np.float32(self.best_reward),
            env_state=self.env.get_env_state(),
            lr=self.last_lr,
            entropy_coef=self.entropy_coef,
            scheduler=self.scheduler.state_dict(),
        )
        if manifest is not None:
            state["capability_manifest"] = manifest
        if self.self_play_manager is not None:  # the opponent pool (ours)
            state["self_play"] = self.self_play_manager.state_dict()
        return state

    def set_full_state_weights(self, weights: dict[str, Any]) -> None:
        """Load :meth:`get_full_state_weights` (ours or rl_games'; optional keys may be absent)."""
        self.set_weights(weights)
        if "optimizer" in weights:
            load_optimizer_state(self.optimizer, weights["optimizer"])
        self.epoch_num = int(weights.get("epoch", 0))
        self.frame = int(weights.get("frame", 0))
        self.best_reward = float(weights.get("last_mean_rewards", -math.inf))
        self.last_lr = float(weights.get("lr", self.optimizer.param_groups[0]["lr"]))
        self.entropy_coef = float(weights.get("entropy_coef", self.entropy_coef))
        if "scheduler" in weights:
            self.scheduler.load_state_dict(weights["scheduler"])
        if weights.get("env_state") is not None:
            self.env.set_env_state(weights["env_state"])
        if self.central_value_net is not None:
            self.central_value_net.load_training_state(weights, self.epoch_num, self.frame)
        if self.self_play_manager is not None and "self_play" in weights:
            self.self_play_manager.load_state_dict(weights["self_play"])

    def restore_central_value_function(self, fn: str | Path) -> None:
        """rl_games' name (``load_critic_only``): only the critic's weights from ``fn``."""
        load_critic_weights(self.central_value_net, fn)

    @property
    def cv_rnn_states(self) -> tuple | None:
        """The central value's RNN states (carried over epochs; saved for an exact resume)."""
        cv = self.central_value_net
        return None if cv is None else cv.rnn_states

    @cv_rnn_states.setter
    def cv_rnn_states(self, value: tuple | None) -> None:
        if self.central_value_net is not None:
            self.central_value_net.rnn_states = value
