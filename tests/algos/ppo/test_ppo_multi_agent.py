"""Multi-agent PPO (``agents`` > 1 in the env info): rows are ``[num_actors * num_agents]`` with
an env's agents contiguous, the central value's states are per env (its values repeated per
agent, trained on each env's first agent's targets), action masks are per agent and episode
statistics count each env once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from conftest import REPO

from rl_games.algos.ppo.agent import PPOAgent
from rl_games.config import apply_overrides, parse_params
from rl_games.envs.asymmetric_envs import MultiAgentTarget
from rl_games.training.player import PPOPlayer

CONFIG = REPO / "configs" / "ppo_multi_agent_test.yaml"


pytestmark = pytest.mark.usefixtures("one_thread")


def _params(tmp_path: Path, *sets: str) -> Any:
    doc = yaml.safe_load(CONFIG.read_text())
    base = [f"config.train_dir={tmp_path}", "config.full_experiment_name=run"]
    return parse_params(apply_overrides(doc, [*base, *sets])).params


def test_env_rows_are_per_agent_and_states_per_env() -> None:
    env = MultiAgentTarget(3, seed=0, num_agents=2, n=4, action_masks=True)
    obs = env.reset()
    assert obs["obs"].shape == (6, 6) and obs["states"].shape == (3, 5)
    assert torch.equal(obs["obs"][0::2, :4], obs["obs"][1::2, :4])  # both agents see the target
    masks = env.get_action_masks()
    assert masks.shape == (6, 4) and bool(
        masks[torch.arange(6), env.target.repeat_interleave(2)].all()
    )
    actions = env.target.repeat_interleave(2).clone()
    actions[1] = (actions[1] + 1) % 4  # env 0's second agent misses: no reward for env 0
    _, rewards, dones, _ = env.step(actions)
    assert rewards.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0, 1.0] and not dones.any()
    assert env.get_env_info()["agents"] == 2


def test_multi_agent_env_trains_with_per_env_episode_statistics(tmp_path: Path) -> None:
    agent = PPOAgent("run", _params(tmp_path, "config.print_stats=False"))
    assert agent.num_agents == 2 and agent.batch_size == 16 * 32 * 2
    assert agent.experience_buffer["obses"].shape == (16, 64, 6) and agent.use_action_masks
    cv = agent.central_value_net
    assert cv.experience_buffer["states"].shape == (16, 32, 5) and cv.batch_size == 16 * 32
    reward = agent.train()
    assert reward is not None and reward > 14.0, reward  # random play: ~2.8 (masks), best 16
    # 16-step episodes, horizon 16, all envs in step: one game per env per epoch, not per agent
    assert agent.episodes.games == 32 * agent.epoch_num
    assert agent.frame == agent.epoch_num * 16 * 32 * 2
    values = agent.experience_buffer[
        "values"
    ]  # the critic's value of an env, repeated for its agents
    assert torch.equal(values[:, 0::2], values[:, 1::2])

    best = tmp_path / "run" / "nn" / "multi_agent_target.pth"
    player = PPOPlayer(
        _params(tmp_path, "config.player.games_num=8", "config.player.print_stats=False")
    )
    player.restore(best)
    result = player.run()
    assert result["games"] >= 8 and result["av_reward"] > 14.0


def test_critic_targets_are_each_envs_first_agent(tmp_path: Path) -> None:
    cv = PPOAgent("run", _params(tmp_path)).central_value_net
    rows = torch.arange(32 * 2 * 16).reshape(-1, 1)  # PPO batch: (env * 2 + agent) * 16 + t
    picked = cv.first_agent_rows(rows).flatten()
    env, t = torch.arange(32).repeat_interleave(16), torch.arange(16).repeat(32)
    assert torch.equal(picked, env * 2 * 16 + t)


def test_multi_agent_trains_without_a_central_value(tmp_path: Path) -> None:
    doc = yaml.safe_load(CONFIG.read_text())
    del doc["params"]["config"]["central_value_config"]
    sets = [f"config.train_dir={tmp_path}", "config.print_stats=False"]
    agent = PPOAgent("run", parse_params(apply_overrides(doc, sets)).params)
    assert agent.central_value_net is None and agent.has_value_loss
    reward = agent.train()
    assert reward is not None and reward > 14.0, reward
