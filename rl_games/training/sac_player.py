"""``--play`` for SAC: deterministic actions are ``tanh(mu)`` rescaled per dim to the Box.

The game loop, the per-game ``reward: x steps: y`` lines, the final ``av reward: x av steps: y``
line and rl_games' player API (``get_action`` & co.) are :class:`BasePlayer`'s; only the model
and the restore differ.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from rl_games.training.checkpoint import CheckpointError, load_checkpoint
from rl_games.training.player_base import BasePlayer
from rl_games.training.state_match import load_module_state

log = logging.getLogger(__name__)


class SACPlayer(BasePlayer):
    """Plays a SAC actor; ``model.act`` returns actions in [-1, 1], rescaled to the Box."""

    def build_model(self) -> torch.nn.Module:
        from rl_games.algos.sac.agent import box_bounds, build_sac_model

        model = build_sac_model(self.params, self.env, self.device)
        self.set_action_box(*box_bounds(self.env.action_space, self.device))
        return model

    def restore(self, path: str | Path) -> None:
        """Loads ``actor`` (strict), ``critic``/``critic_target`` and ``running_mean_std``."""
        state = load_checkpoint(path, map_location=self.device)
        if "actor" not in state:
            raise CheckpointError(
                f"checkpoint '{path}' has no 'actor' entry (keys: {sorted(state)}); "
                "is it a SAC checkpoint?"
            )
        net = self.model.sac_network
        load_module_state(net.actor, state["actor"], path, "actor")
        if "critic" in state and hasattr(net, "critic"):
            load_module_state(net.critic, state["critic"], path, "critic")
            target = state.get("critic_target", state["critic"])
            load_module_state(net.critic_target, target, path, "critic_target")
        if self.model.normalize_input:
            if "running_mean_std" in state:
                self.model.running_mean_std.load_state_dict(state["running_mean_std"])
            else:
                log.warning("normalize_input is on but the checkpoint has no running_mean_std")
        log.info("=> loaded checkpoint '%s'", path)

    def set_sigma(self, sigma: float) -> None:
        log.warning("--sigma does not apply to sac (state-dependent std); ignored")
