"""rl_games' player API as Isaac Lab's play script drives it: ``Runner.create_player``, ``restore``,
``reset``, ``obs_to_torch``, ``get_batch_size``, ``init_rnn`` and a ``get_action`` loop over an env
the script owns (real envpool envs, rl-games 1.6.5 checkpoints)."""

from __future__ import annotations

import envpool
import numpy as np
import pytest
import torch
import yaml
from conftest import DATA, REPO

from rl_games.runner import Runner

RLG = DATA / "rl_games_1.6.5"


def _player(cfg, *sets: str):
    runner = Runner()
    runner.load(yaml.safe_load(cfg.read_text()), ["torch_threads=1", *sets])
    return runner.create_player()


def test_isaac_lab_style_loop_plays_an_rl_games_cartpole_checkpoint_to_500() -> None:
    player = _player(RLG / "ppo_cartpole_envpool.yaml", "config.player.num_actors=1")
    player.restore(RLG / "ppo_cartpole_envpool.pth")
    player.reset()
    env = envpool.make("CartPole-v1", env_type="gymnasium", num_envs=4, seed=5)
    obs, _ = env.reset()
    assert player.get_batch_size(obs, 1) == 4 and player.has_batch_dimension
    assert not player.is_rnn and player.is_deterministic
    returns, first = np.zeros(4), np.full(4, np.nan)
    while np.isnan(first).any():
        actions = player.get_action(player.obs_to_torch(obs), player.is_deterministic)
        assert actions.shape == (4,) and actions.dtype == torch.int64
        obs, r, term, trunc, _ = env.step(actions.numpy())
        returns += r
        done = term | trunc
        first[done & np.isnan(first)] = returns[done & np.isnan(first)]
        returns[done] = 0.0
    assert first.tolist() == [500.0] * 4  # the trained policy balances to the time limit


def test_continuous_actions_come_back_in_env_units() -> None:
    cfg = RLG / "ppo_pendulum_envpool.yaml"
    player = _player(cfg)
    player.restore(RLG / "ppo_pendulum_envpool.pth")
    obs = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -8.0], [-1.0, 0.0, 8.0]], dtype=np.float64)
    player.get_batch_size(obs, 1)
    actions = player.get_action(obs, is_deterministic=True)  # numpy float64 is accepted
    with torch.no_grad():
        mu = player.model.act({"obs": torch.as_tensor(obs).float(), "deterministic": True})
    expected = mu["actions"].clamp(-1.0, 1.0) * 2.0  # Pendulum's Box is [-2, 2]
    torch.testing.assert_close(actions, expected)
    assert actions.abs().max() <= 2.0

    raw = _player(cfg, "config.player.clip_actions=False")
    raw.restore(RLG / "ppo_pendulum_envpool.pth")
    raw.get_batch_size(obs, 1)
    torch.testing.assert_close(raw.get_action(obs, is_deterministic=True), mu["actions"])

    # one observation without a batch dimension gives one action without one
    assert player.get_batch_size(obs[0], 1) == 1 and not player.has_batch_dimension
    single = player.get_action(obs[0], is_deterministic=True)
    assert single.shape == (1,)
    torch.testing.assert_close(single, expected[0])


def test_rnn_states_advance_and_can_be_zeroed_in_place_per_done_env() -> None:
    player = _player(REPO / "configs" / "ppo_cartpole_masked_velocity_rnn.yaml")
    assert player.is_rnn
    obs = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    player.get_batch_size(obs, 1)
    player.init_rnn()
    # separate actor and critic LSTMs: (h, c) for each, as rl_games
    assert [tuple(s.shape) for s in player.states] == [(1, 3, 64)] * 4
    assert all(not s.any() for s in player.states)
    first = player.get_action(obs, is_deterministic=True)
    assert all(s.abs().sum() > 0 for s in player.states)
    after_one = [s.clone() for s in player.states]
    dones = torch.tensor([False, True, False])
    for s in player.states:  # what Isaac Lab's loop does when envs finish (outside no_grad)
        s[:, dones, :] = 0.0
    player.get_action(obs, is_deterministic=True)
    # env 1 restarted from zero states: it repeats its first action's states; the others moved on
    player2 = _player(REPO / "configs" / "ppo_cartpole_masked_velocity_rnn.yaml")
    player2.model.load_state_dict(player.model.state_dict())
    player2.get_batch_size(obs, 1)
    player2.reset()
    assert torch.equal(player2.get_action(obs, is_deterministic=True), first)
    torch.testing.assert_close(player.states[0][:, 1], player2.states[0][:, 1])
    assert not torch.allclose(player.states[0][:, 0], after_one[0][:, 0])


@pytest.mark.parametrize("cfg", ["ppo_cartpole.yaml", "sac_pendulum.yaml"])
def test_create_player_builds_the_configs_player(cfg: str) -> None:
    player = _player(REPO / "configs" / cfg)
    env_obs = player.env.reset()
    player.get_batch_size(env_obs, 1)
    actions = player.get_action(env_obs, player.is_deterministic)
    assert actions.shape[0] == player.env.num_envs
    if cfg.startswith("sac"):
        space = player.env.action_space
        assert (actions >= torch.as_tensor(space.low)).all()
        assert (actions <= torch.as_tensor(space.high)).all()
