"""Collect one epoch of experience on the training device (no host sync per step)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from rl_games.algos.ppo.agent import PPOAgent


def shape_rewards(
    r: torch.Tensor, scale: float, shift: float, lo: float, hi: float, log_val: bool
) -> torch.Tensor:
    """rl_games' reward shaper: clamp((r + shift) * scale, lo, hi), then log if asked."""
    out = (r + shift) * scale
    if lo != float("-inf") or hi != float("inf"):
        out = out.clamp(lo, hi)
    return torch.log(out) if log_val else out


@torch.inference_mode()
def play_steps(agent: PPOAgent) -> dict[str, float]:
    """Fill ``agent.storage`` with ``horizon_length`` steps. Returns timing (seconds)."""
    s, cfg, env = agent.storage, agent.cfg, agent.env
    rs = cfg.reward_shaper
    next_step = agent.next_step_reset
    agent.model.eval()
    step_time = 0.0
    t0 = time.perf_counter()
    for t in range(cfg.horizon_length):
        res = agent.model.act({"obs": agent.obs, "action_masks": agent.action_masks()})
        s["obs"][t] = agent.obs
        s["actions"][t] = res["actions"]
        s["neglogpacs"][t] = res["neglogpacs"]
        s["values"][t] = res["values"]
        s["dones"][t] = agent.dones
        valid = 1.0 - agent.dones if next_step else None
        if valid is not None:
            s["valid"][t] = valid
        for key in agent.extra_fields:
            s[key][t] = res[key]
        env_actions = agent.env_actions(res["actions"])
        ts = time.perf_counter()
        agent.obs, rewards, dones, time_outs, _infos = env.step(env_actions)
        step_time += time.perf_counter() - ts
        shaped = shape_rewards(
            rewards, rs.scale_value, rs.shift_value, rs.min_val, rs.max_val, rs.log_val
        )
        if cfg.value_bootstrap:
            # time-out bootstrap: r += gamma * V(s_t) where the episode was cut by a time limit
            shaped = shaped + cfg.gamma * res["values"] * time_outs.unsqueeze(-1).to(shaped.dtype)
        s["rewards"][t] = shaped
        agent.dones = dones.to(torch.float32)
        agent.episodes.step(t, rewards, shaped, dones, valid)
    with torch.inference_mode():
        agent.last_values = agent.model.act(
            {"obs": agent.obs, "action_masks": agent.action_masks()}
        )["values"]
    return {"step_time": step_time, "play_time": time.perf_counter() - t0}
