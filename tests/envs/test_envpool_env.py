"""EnvpoolVecEnv on real envpool tasks."""

from __future__ import annotations

import numpy as np
import pytest

from rl_games.envs import create_vec_env, env_status


def _balance(obs: np.ndarray) -> np.ndarray:
    """A linear CartPole controller that keeps the pole up for 500 steps."""
    score = 0.1 * obs[:, 0] + 0.5 * obs[:, 1] + 10.0 * obs[:, 2] + 2.0 * obs[:, 3]
    return (score > 0).astype(np.int64)


def test_cartpole_shapes_and_env_info() -> None:
    env = create_vec_env("envpool", 4, env_name="CartPole-v1", seed=0)
    info = env.get_env_info()
    assert info["autoreset_mode"] == "next_step"
    assert info["agents"] == 1 and info["value_size"] == 1
    assert info["action_space"].n == 2
    assert info["observation_space"].shape == (4,)
    assert env.get_number_of_agents() == 1 and not env.has_action_masks()
    obs = env.reset()
    assert obs.shape == (4, 4) and obs.dtype == np.float32
    obs, rewards, dones, infos = env.step(np.zeros(4, dtype=np.int64))
    assert obs.shape == (4, 4) and obs.dtype == np.float32
    assert rewards.shape == (4,) and rewards.dtype == np.float32
    assert dones.shape == (4,) and dones.dtype == np.bool_
    assert infos["time_outs"].dtype == np.bool_ and not infos["time_outs"].any()
    np.testing.assert_array_equal(infos["scores"], np.ones(4, dtype=np.float32))
    env.close()


def test_cartpole_done_then_reset_row_and_time_out_at_500() -> None:
    env = create_vec_env("envpool", 4, env_name="CartPole-v1", seed=0)
    obs = env.reset()
    # Pushing right always falls over within a few dozen steps: terminated, not a time-out.
    for _ in range(200):
        obs, rewards, dones, infos = env.step(np.ones(4, dtype=np.int32))
        if dones[0]:
            break
    assert dones[0] and not infos["time_outs"][0]
    final_score = infos["scores"][0]
    obs, rewards, dones, infos = env.step(np.ones(4, dtype=np.int32))
    assert rewards[0] == 0.0  # the next-step reset row
    assert final_score > 5
    # A balancing policy survives until the 500-step limit: done and time-out together.
    obs = env.reset()
    for t in range(1, 501):
        obs, rewards, dones, infos = env.step(_balance(obs))
        if t < 500:
            assert not dones.any()
    assert dones.all() and infos["time_outs"].all()
    np.testing.assert_array_equal(infos["scores"], np.full(4, 500.0, dtype=np.float32))
    env.close()


def test_pendulum_truncates_at_200() -> None:
    env = create_vec_env("envpool", 3, env_name="Pendulum-v1", seed=0)
    info = env.get_env_info()
    assert info["action_space"].shape == (1,)
    env.reset()
    actions = np.zeros((3, 1), dtype=np.float64)  # converted to float32 by the env
    for t in range(1, 201):
        _, rewards, dones, infos = env.step(actions)
        assert rewards.dtype == np.float32
        if t < 200:
            assert not dones.any()
    assert dones.all() and infos["time_outs"].all()
    assert (infos["scores"] < 0).all()
    _, rewards, dones, infos = env.step(actions)
    np.testing.assert_array_equal(rewards, np.zeros(3, dtype=np.float32))
    assert not dones.any()
    env.close()


def test_seeded_pools_are_reproducible() -> None:
    a = create_vec_env("envpool", 2, env_name="Pendulum-v1", seed=3)
    b = create_vec_env("envpool", 2, env_name="Pendulum-v1", seed=3)
    np.testing.assert_array_equal(a.reset(), b.reset())
    a.seed(4)
    assert not np.array_equal(a.reset(), b.reset())


def test_halfcheetah_float64_becomes_float32() -> None:
    try:
        env = create_vec_env("envpool", 2, env_name="HalfCheetah-v5", seed=0)
    except Exception as err:  # envpool built without MuJoCo assets
        pytest.skip(f"envpool MuJoCo unavailable: {err}")
    info = env.get_env_info()
    assert info["observation_space"].dtype == np.float32
    assert info["observation_space"].shape == (17,)
    obs = env.reset()
    assert obs.dtype == np.float32 and obs.shape == (2, 17)
    for _ in range(2):
        obs, rewards, dones, _ = env.step(np.zeros((2, 6), dtype=np.float32))
    assert obs.dtype == np.float32 and rewards.dtype == np.float32 and not dones.any()
    env.close()


def test_flatten_dict_obs_dm_control() -> None:
    try:
        env = create_vec_env("envpool", 2, env_name="CheetahRun-v1", flatten_obs=True, seed=0)
    except Exception as err:
        pytest.skip(f"envpool DM Control unavailable: {err}")
    space = env.get_env_info()["observation_space"]
    assert space.shape == (17,) and space.dtype == np.float32
    obs = env.reset()
    assert obs.shape == (2, 17) and obs.dtype == np.float32
    env.close()


def test_config_errors_and_status() -> None:
    with pytest.raises(ValueError, match="env_name"):
        create_vec_env("envpool", 2)
    with pytest.raises(NotImplementedError, match="use_dict_obs_space"):
        create_vec_env("envpool", 2, env_name="CartPole-v1", use_dict_obs_space=True)
    assert env_status("envpool", {"env_name": "CartPole-v1"}) is None
    assert "env_name" in env_status("envpool", {})
    assert "CartPole-v1" in env_status("envpool", {"env_name": "CartPole-v9"})
