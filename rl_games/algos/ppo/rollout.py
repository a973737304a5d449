"""Collect one epoch of experience on the training device (no host sync per step)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import torch

from rl_games.networks.rnn import zero_states

if TYPE_CHECKING:
    from rl_games.algos.ppo.agent import PPOAgent


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


def policy_input(agent: PPOAgent, obs: Any, masks: torch.Tensor | None) -> dict[str, Any]:
    """The model's act() input; recurrent policies also get the current RNN states."""
    if agent.is_rnn:
        return {"obs": obs, "action_masks": masks, "rnn_states": agent.rnn_states}
    return {"obs": obs, "action_masks": masks}


def advance_rnn_states(agent: PPOAgent, states: tuple, dones: torch.Tensor) -> None:
    """RNN states after an env step, zeroed where an episode ended (``zero_rnn_on_done``); under
    next-step autoreset also after the reset row, which carried the finished episode's last obs."""
    if agent.cfg.zero_rnn_on_done:
        reset = dones | (agent.dones > 0) if agent.next_step_reset else dones
        states = zero_states(states, reset)
    agent.rnn_states = states


def game_dones(infos: Any, dones: torch.Tensor) -> torch.Tensor:
    """Where a whole game ended: ``infos['game_dones']`` (Atari with lives) or ``dones``."""
    if isinstance(infos, dict) and "game_dones" in infos:
        return torch.as_tensor(infos["game_dones"], dtype=torch.bool).to(dones.device)
    return dones


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


def _record_policy_step(
    agent: PPOAgent,
    t: int,
    masks: torch.Tensor | None,
    res: dict[str, torch.Tensor],
    valid: torch.Tensor | None,
) -> None:
    """Store what the policy saw and did at step ``t`` (before the env steps)."""
    s = agent.storage
    s.put("obs", t, agent.obs)
    if masks is not None:
        s["action_masks"][t] = masks
    s["actions"][t] = res["actions"]
    s["neglogpacs"][t] = res["neglogpacs"]
    s["values"][t] = res["values"]
    s["dones"][t] = agent.dones
    if valid is not None:
        s["valid"][t] = valid
    for key in agent.extra_fields:
        s[key][t] = res[key]


def _record_rewards(
    agent: PPOAgent,
    t: int,
    rewards: torch.Tensor,
    time_outs: torch.Tensor,
    values: torch.Tensor,
) -> torch.Tensor:
    """Shape the env rewards into storage at step ``t``; returns the shaped rewards."""
    cfg, out = agent.cfg, agent.storage["rewards"][t]
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


@torch.inference_mode()
def play_steps(agent: PPOAgent) -> dict[str, float]:
    """Fill ``agent.storage`` with ``horizon_length`` steps. Returns timing (seconds)."""
    s, cfg, env = agent.storage, agent.cfg, agent.env
    cv = agent.central_value_net
    next_step = agent.next_step_reset
    agent.model.eval()
    agent.obs = as_inference(agent.obs)
    step_time = 0.0
    t0 = time.perf_counter()
    for t in range(cfg.horizon_length):
        masks = agent.action_masks()
        if agent.is_rnn and t % agent.seq_length == 0:
            s.store_rnn_states(t // agent.seq_length, agent.rnn_states)
        res = agent.model.act(policy_input(agent, agent.obs, masks))
        if cv is not None:  # central value: the values of the env states, repeated per agent
            res["values"] = cv.rollout_values(t, agent.states)
        valid = 1.0 - agent.dones if next_step else None
        _record_policy_step(agent, t, masks, res, valid)
        env_actions = agent.env_actions(res["actions"])
        ts = time.perf_counter()
        obs, rewards, dones, time_outs, infos = env.step(env_actions)
        step_time += time.perf_counter() - ts
        agent.hooks.step(infos, dones, env.host_dones)
        if agent.is_rnn:
            advance_rnn_states(agent, res["rnn_states"], dones)
        agent.obs = agent.actor_obs(obs)
        if cv is not None:
            agent.states = cv.observe(obs, dones, agent.dones if next_step else None)
        shaped = _record_rewards(agent, t, rewards, time_outs, res["values"])
        agent.dones = dones.to(torch.float32)
        agent.episodes.step(t, rewards, shaped, game_dones(infos, dones), valid)
    if cv is not None:
        agent.last_values = cv.last_values(agent.states)
    else:
        last = agent.model.act(policy_input(agent, agent.obs, agent.action_masks()))
        agent.last_values = last["values"]
    return {"step_time": step_time, "play_time": time.perf_counter() - t0}
