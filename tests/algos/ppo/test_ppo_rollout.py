"""Rollout details on real envpool envs: reset rows masked, time-out bootstrap, env-major
minibatches, reward shaping, batch geometry errors."""

from __future__ import annotations

import pytest
import torch
import yaml
from conftest import REPO

from rl_games.algos.ppo.agent import PPOAgent
from rl_games.algos.ppo.rollout import shape_rewards
from rl_games.config import ConfigError, apply_overrides, parse_params
from rl_games.storage.rollout import ExperienceBuffer


def _agent(cfg_name: str, *sets: str) -> PPOAgent:
    doc = yaml.safe_load((REPO / "configs" / cfg_name).read_text())
    doc = apply_overrides(doc, ["seed=3", *sets])
    return PPOAgent("run", parse_params(doc).params)


def _start(agent: PPOAgent) -> None:
    agent.obs = agent.env.reset()
    agent.dones = torch.ones(agent.num_envs)


def _batch(agent: PPOAgent) -> dict:
    """The training dataset of the filled experience buffer (GAE, normalizations)."""
    agent.prepare_dataset(agent.compute_batch_dict())
    return agent.dataset.values_dict


def test_envpool_reset_rows_are_masked_and_not_counted() -> None:
    torch.manual_seed(0)
    agent = _agent(
        "ppo_cartpole.yaml",
        "config.num_actors=4",
        "config.horizon_length=128",
        "config.minibatch_size=128",
    )
    _start(agent)
    agent.collect_steps()
    s = agent.experience_buffer
    dones = s["dones"]  # dones[t] = 1: obs t follows a done (first row: initial reset)
    assert torch.equal(s["valid"][1:], 1.0 - dones[1:])
    assert (s["valid"] == 0).sum() > 1  # an untrained policy ends several episodes
    # the reward of a reset row is 0 in envpool; episode lengths exclude reset rows
    assert agent.episodes.flush(128) > 0
    lengths = list(agent.episodes.lengths)
    rewards = [float(r[0]) for r in agent.episodes.rewards]
    assert lengths == rewards  # CartPole: +1 per real step, so length == return exactly
    batch = _batch(agent)
    assert torch.equal(batch["rnn_masks"], s.flat("valid"))
    adv = batch["advantages"][batch["rnn_masks"] > 0]
    assert abs(float(adv.mean())) < 1e-5 and abs(float(adv.std()) - 1.0) < 1e-3
    assert torch.all(batch["advantages"][batch["rnn_masks"] == 0] == 0)


def test_time_out_bootstrap_adds_gamma_value() -> None:
    """Pendulum truncates at 200 steps: r_shaped += gamma * V(s_t) on that row only."""
    agent = _agent(
        "ppo_pendulum.yaml",
        "config.num_actors=2",
        "config.horizon_length=200",
        "config.minibatch_size=400",
        "config.reward_shaper.scale_value=1.0",
    )
    _start(agent)
    agent.collect_steps()
    s = agent.experience_buffer
    t = 199  # the step that hits the time limit (rows 0..199 are the first episode)
    assert torch.all(agent.dones == 1)
    raw_last = s["rewards"][t, :, 0] - agent.cfg.gamma * s["values"][t, :, 0]
    # pendulum rewards are in [-16.3, 0]; without the bootstrap term the value would leak in
    assert torch.all(raw_last <= 0) and torch.all(raw_last >= -16.3)
    assert torch.all(s["rewards"][:t, :, 0] <= 0)


def test_shape_rewards_order() -> None:
    r = torch.tensor([1.0, -3.0, 10.0])
    out = shape_rewards(r, scale=0.5, shift=1.0, lo=-1.0, hi=4.0, log_val=False)
    assert torch.allclose(out, torch.tensor([1.0, -1.0, 4.0]))  # clamp((r + 1) * 0.5)


def test_env_major_flattening() -> None:
    s = ExperienceBuffer(horizon=3, num_envs=2, device=torch.device("cpu"))
    x = s.add_field("x", (), torch.float32)
    x[:] = torch.tensor([[0.0, 10.0], [1.0, 11.0], [2.0, 12.0]])  # [t, env]
    assert s.flat("x").tolist() == [0.0, 1.0, 2.0, 10.0, 11.0, 12.0]  # index = env * T + t


def test_batch_geometry_checked_with_real_agent_count() -> None:
    with pytest.raises(ConfigError, match="not divisible by minibatch_size"):
        doc = yaml.safe_load((REPO / "configs" / "ppo_cartpole.yaml").read_text())
        parse_params(apply_overrides(doc, ["config.minibatch_size=100"]))


@pytest.mark.parametrize("normalize_advantage", [True, False])
def test_advantages_come_from_raw_values_under_value_normalization(
    normalize_advantage: bool,
) -> None:
    """rl_games' prepare_dataset: A = R - V from the stored (raw) values and the GAE returns,
    *then* value normalization of V and R for the value loss; A never sees the normalizer."""
    agent = _agent(
        "ppo_pendulum.yaml",
        "config.num_actors=4",
        "config.horizon_length=32",
        "config.minibatch_size=64",
        "config.normalize_value=True",
        f"config.normalize_advantage={normalize_advantage}",
    )
    _start(agent)
    agent.collect_steps()
    s = agent.experience_buffer
    # V on another scale than the returns, and not constant: normalizing R and V with different
    # statistics is then not an affine map of R - V, so even normalized advantages would differ
    gen = torch.Generator().manual_seed(0)
    s["values"].copy_(50.0 + 20.0 * torch.randn(s["values"].shape, generator=gen))
    agent.last_values = torch.full_like(agent.last_values, 50.0)
    gamma, lam = agent.cfg.gamma, agent.cfg.tau
    r, d, v = s["rewards"][..., 0], s["dones"], s["values"][..., 0]
    expected = torch.zeros_like(r)
    next_adv = torch.zeros(r.shape[1])
    for t in reversed(range(r.shape[0])):  # hand-rolled GAE, the formula of §6.3
        not_done = 1.0 - (agent.dones if t == r.shape[0] - 1 else d[t + 1])
        next_v = agent.last_values[:, 0] if t == r.shape[0] - 1 else v[t + 1]
        delta = r[t] + gamma * next_v * not_done - v[t]
        next_adv = delta + gamma * lam * not_done * next_adv
        expected[t] = next_adv
    expected = expected.t().reshape(-1)  # env-major
    batch = _batch(agent)
    valid = batch["rnn_masks"] > 0  # envpool's reset rows are masked out of the statistics
    if normalize_advantage:
        kept = expected[valid]
        expected = (expected - kept.mean()) / (kept.std() + 1e-8)
    assert torch.allclose(batch["advantages"][valid], expected[valid], atol=1e-4)
    # the value targets themselves are normalized (clamped to +-5), unlike the advantages
    assert float(batch["returns"].abs().max()) <= 5.0
    assert float(expected.abs().max()) > 5.0 or normalize_advantage
