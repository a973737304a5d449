"""``--play``: restore a policy and run games, printing each game's reward and steps."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rl_games.config.schema import Params
from rl_games.envs import TorchVecEnv
from rl_games.training.base import build_env, resolve_device
from rl_games.training.checkpoint import CheckpointError, load_checkpoint

log = logging.getLogger(__name__)


class PPOPlayer:
    """Plays a PPO policy on the vectorized env (deterministic unless configured otherwise)."""

    def __init__(self, params: Params, env: TorchVecEnv | None = None) -> None:
        from rl_games.algos.ppo.agent import build_policy

        self.params, cfg = params, params.config
        self.pcfg = cfg.player
        self.device = resolve_device(self.pcfg.device_name or cfg.device_name or cfg.device)
        num = self.pcfg.num_actors or max(1, min(cfg.num_actors, self.pcfg.games_num))
        self.env = env or build_env(
            cfg, params.seed, self.device, num_actors=num, env_config=self.pcfg.env_config
        )
        self.model, (kind, *_rest) = build_policy(params, self.env, self.device)
        self.model.eval()
        self.is_continuous = kind == "continuous"
        if self.is_continuous:
            space = self.env.action_space
            low = torch.as_tensor(space.low, dtype=torch.float32, device=self.device)
            high = torch.as_tensor(space.high, dtype=torch.float32, device=self.device)
            self.scale, self.bias = (high - low) / 2, (high + low) / 2

    def restore(self, path: str | Path) -> None:
        state = load_checkpoint(path, map_location=self.device)
        if "model" not in state:
            raise CheckpointError(
                f"checkpoint '{path}' has no 'model' entry (keys: {sorted(state)})"
            )
        self.model.load_state_dict(state["model"])
        if "running_mean_std" in state and hasattr(self.model, "running_mean_std"):
            self.model.running_mean_std.load_state_dict(state["running_mean_std"])
        log.info("=> loaded checkpoint '%s'", path)

    def set_sigma(self, sigma: float) -> None:
        net = self.model.a2c_network
        if isinstance(getattr(net, "sigma", None), torch.nn.Parameter):
            with torch.no_grad():
                net.sigma.fill_(float(sigma))
        else:
            log.warning("--sigma needs a network with fixed_sigma: True; ignored")

    @torch.inference_mode()
    def run(self) -> dict[str, float]:
        games_num, det = self.pcfg.games_num, self.pcfg.deterministic
        n = self.env.num_envs
        obs = self.env.reset()
        cur_r = torch.zeros(n, device=self.device)
        cur_len = torch.zeros(n, device=self.device)
        valid = torch.ones(n, device=self.device)
        next_step = self.env.autoreset_mode == "next_step"
        rewards: list[float] = []
        lengths: list[float] = []
        steps = 0
        while len(rewards) < games_num and steps < 1_000_000:
            res = self.model.act({"obs": obs, "deterministic": det})
            actions = res["actions"]
            if self.is_continuous:
                actions = actions.clamp(-1.0, 1.0) * self.scale + self.bias
            obs, r, dones, _timeouts, _ = self.env.step(actions)
            if self.pcfg.render:
                self.env.render() if hasattr(self.env, "render") else None
            cur_r += r[:, 0] * valid
            cur_len += valid
            steps += 1
            if dones.any():
                for i in torch.nonzero(dones).flatten().tolist()[:: self.env.num_agents]:
                    if len(rewards) >= games_num:
                        break
                    rewards.append(float(cur_r[i]))
                    lengths.append(float(cur_len[i]))
                    if self.pcfg.print_stats:
                        log.info("reward: %.2f steps: %.1f", rewards[-1], lengths[-1])
                cur_r[dones] = 0.0
                cur_len[dones] = 0.0
            valid = (~dones).float() if next_step else valid
        rewards, lengths = rewards[:games_num], lengths[:games_num]
        av_r = float(np.mean(rewards)) * self.pcfg.n_game_life if rewards else float("nan")
        av_s = float(np.mean(lengths)) * self.pcfg.n_game_life if lengths else float("nan")
        log.info("av reward: %s av steps: %s", _num(av_r), _num(av_s))
        return {"av_reward": av_r, "av_steps": av_s, "games": len(rewards)}


def _num(x: float) -> str:
    return f"{x:.2f}" if np.isfinite(x) else str(x)


def make_player(params: Params, **kwargs: Any) -> PPOPlayer:
    return PPOPlayer(params, **kwargs)
