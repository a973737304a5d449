"""``--play`` for SAC: deterministic actions are ``tanh(mu)`` rescaled per dim to the Box.

The game loop, the per-game ``reward: x steps: y`` lines and the final ``av reward: x av steps:
y`` line are the PPO player's (``PPOPlayer.run``); only the model and the restore differ.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rl_games.config.schema import Params
from rl_games.envs import TorchVecEnv
from rl_games.training.base import build_env, resolve_device
from rl_games.training.checkpoint import CheckpointError, load_checkpoint
from rl_games.training.player import PPOPlayer

log = logging.getLogger(__name__)


class SACPlayer(PPOPlayer):
    """Plays a SAC actor; ``model.act`` returns actions in [-1, 1] that ``run`` rescales."""

    def __init__(self, params: Params, env: TorchVecEnv | None = None) -> None:
        from rl_games.algos.sac.agent import box_bounds, build_sac_model

        self.params, cfg = params, params.config
        self.pcfg = cfg.player
        self.device = resolve_device(self.pcfg.device_name or cfg.device_name or cfg.device)
        num = self.pcfg.num_actors or max(1, min(cfg.num_actors, self.pcfg.games_num))
        self.env = env or build_env(
            cfg, params.seed, self.device, num_actors=num, env_config=self.pcfg.env_config
        )
        self.model = build_sac_model(params, self.env, self.device)
        self.model.eval()
        self.is_continuous = True
        low, high = box_bounds(self.env.action_space, self.device)
        self.scale, self.bias = (high - low) / 2, (high + low) / 2
        self._init_player_api()

    def restore(self, path: str | Path) -> None:
        """Loads ``actor`` (strict), ``critic``/``critic_target`` and ``running_mean_std``."""
        state = load_checkpoint(path, map_location=self.device)
        if "actor" not in state:
            raise CheckpointError(
                f"checkpoint '{path}' has no 'actor' entry (keys: {sorted(state)}); "
                "is it a SAC checkpoint?"
            )
        net = self.model.sac_network
        net.actor.load_state_dict(state["actor"])
        if "critic" in state and hasattr(net, "critic"):
            net.critic.load_state_dict(state["critic"])
            net.critic_target.load_state_dict(state.get("critic_target", state["critic"]))
        if self.model.normalize_input:
            if "running_mean_std" in state:
                self.model.running_mean_std.load_state_dict(state["running_mean_std"])
            else:
                log.warning("normalize_input is on but the checkpoint has no running_mean_std")
        log.info("=> loaded checkpoint '%s'", path)

    def set_sigma(self, sigma: float) -> None:
        log.warning("--sigma does not apply to sac (state-dependent std); ignored")
