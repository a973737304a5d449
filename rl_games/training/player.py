"""The PPO player (``--play`` for ``a2c_continuous`` / ``a2c_discrete``) and rl_games' names for it.

The game loop and rl_games' player API are :class:`rl_games.training.player_base.BasePlayer`'s;
this module builds the PPO policy and restores it from a checkpoint's ``model`` entry.
``PpoPlayerContinuous`` and ``PpoPlayerDiscrete`` (``rl_games.algos_torch.players``) are this
player under rl_games' names, registered in :data:`rl_games.builders.PLAYERS`; like every player
they take our typed ``Params`` or rl_games' raw ``params`` dict.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from rl_games.config.schema import Params
from rl_games.training.checkpoint import CheckpointError, load_checkpoint
from rl_games.training.player_base import (
    MAX_PLAY_STEPS,
    BasePlayer,
    average_games,
    make_player_env,
)
from rl_games.training.state_match import mismatch_message

log = logging.getLogger(__name__)

__all__ = [
    "MAX_PLAY_STEPS",
    "BasePlayer",
    "PPOPlayer",
    "PpoPlayerContinuous",
    "PpoPlayerDiscrete",
    "average_games",
    "make_player",
    "make_player_env",
]


class PPOPlayer(BasePlayer):
    """Plays a PPO policy (continuous, discrete or multi-discrete: only the head differs)."""

    def _build_net_config(self) -> dict[str, Any]:
        """The model's build config: the dict view of the env's ``ModelSpec`` (as the agent's,
        without the training-only batch geometry); a subclass adds its own keys."""
        from rl_games.config.plan import EnvSpaces, model_spec

        return model_spec(self.params, EnvSpaces.of(self.env)).as_dict()

    def build_model(self) -> torch.nn.Module:
        from rl_games.builders import build_model
        from rl_games.config.plan import action_spec

        model = build_model(self.params, self._build_net_config()).to(self.device)
        space = self.env.action_space
        kind = action_spec(space)
        if kind is not None and kind[0] == "continuous":
            low = torch.as_tensor(space.low, dtype=torch.float32, device=self.device)
            high = torch.as_tensor(space.high, dtype=torch.float32, device=self.device)
            self.set_action_box(low, high)
        return model

    def restore(self, path: str | Path) -> None:
        """Loads ``model`` (strict) and ``running_mean_std``; the env state where one is saved."""
        state = load_checkpoint(path, map_location=self.device)
        if "model" not in state:
            raise CheckpointError(
                f"checkpoint '{path}' has no 'model' entry (keys: {sorted(state)})"
            )
        try:
            self.model.load_state_dict(state["model"])
            if "running_mean_std" in state and hasattr(self.model, "running_mean_std"):
                self.model.running_mean_std.load_state_dict(state["running_mean_std"])
        except RuntimeError as exc:  # names the first mismatching tensor and both shapes
            message = mismatch_message(path, {"model": self.model}, state, exc)
            raise CheckpointError(message) from None
        if state.get("env_state") is not None:
            self.env.set_env_state(state["env_state"])
        log.info("=> loaded checkpoint '%s'", path)

    def set_sigma(self, sigma: float) -> None:
        net = self.model.a2c_network
        if isinstance(getattr(net, "sigma", None), torch.nn.Parameter):
            with torch.no_grad():
                net.sigma.fill_(float(sigma))
        else:
            log.warning("--sigma needs a network with fixed_sigma: True; ignored")


class PpoPlayerContinuous(PPOPlayer):
    """rl_games' continuous PPO player (``a2c_continuous``); subclass it to extend play."""


class PpoPlayerDiscrete(PPOPlayer):
    """rl_games' discrete PPO player (``a2c_discrete``); ``get_masked_action`` takes masks."""


def make_player(params: Params, **kwargs: Any) -> PPOPlayer:
    return PPOPlayer(params, **kwargs)
