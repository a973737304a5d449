"""GymnasiumVecEnv, the env registries and env_status on real gymnasium envs."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from rl_games.envs import (
    ENV_CONFIGURATIONS,
    VECENV_TYPES,
    EnvCreationError,
    IVecEnv,
    create_vec_env,
    env_status,
    register_env,
    register_vecenv,
)
from rl_games.registry import RegistryError


def test_cartpole_same_step_autoreset_and_final_observation() -> None:
    env = create_vec_env("CartPole-v1", 3, seed=1)
    info = env.get_env_info()
    assert info["autoreset_mode"] == "same_step"
    assert info["action_space"].n == 2 and info["observation_space"].shape == (4,)
    obs = env.reset()
    assert obs.shape == (3, 4) and obs.dtype == np.float32
    for _ in range(100):
        prev = obs
        obs, rewards, dones, infos = env.step(np.ones(3, dtype=np.int64))
        final = infos["final_observation"]
        assert final.shape == (3, 4)
        np.testing.assert_array_equal(final[~dones], obs[~dones])
        if dones.any():
            break
    assert dones.any() and not infos["time_outs"].any()
    assert rewards.dtype == np.float32 and dones.dtype == np.bool_
    i = int(np.flatnonzero(dones)[0])
    # The finished episode's last obs continues the pole falling; obs is the fresh start.
    assert abs(final[i, 2]) > 0.2 and abs(obs[i, 2]) < 0.06
    assert not np.array_equal(final[i], prev[i])
    env.close()


def test_pendulum_via_generic_name_times_out_at_200() -> None:
    env = create_vec_env("gymnasium", 2, env_name="Pendulum-v1", seed=0)
    assert env.get_env_info()["action_space"].shape == (1,)
    env.reset()
    for t in range(1, 201):
        obs, rewards, dones, infos = env.step(np.zeros((2, 1), dtype=np.float64))
        if t < 200:
            assert not dones.any()
    assert dones.all() and infos["time_outs"].all()
    assert rewards.dtype == np.float32 and obs.dtype == np.float32
    assert not np.array_equal(infos["final_observation"], obs)
    env.close()


def test_seeding_is_reproducible() -> None:
    first = [create_vec_env("CartPole-v1", 3, seed=7).reset() for _ in range(2)]
    np.testing.assert_array_equal(first[0], first[1])
    assert not np.array_equal(first[0][0], first[0][1])  # env i gets seed + i
    other = create_vec_env("CartPole-v1", 3, seed=8).reset()
    np.testing.assert_array_equal(other[0], first[0][1])


def test_legacy_names(caplog: pytest.LogCaptureFixture) -> None:
    from rl_games.envs import registry

    registry._legacy_warned.discard("Pendulum-v0")
    env = create_vec_env("openai_gym", 2, name="CartPole-v1")
    assert env.reset().shape == (2, 4)
    with caplog.at_level(logging.WARNING, logger="rl_games.envs.registry"):
        legacy = create_vec_env("Pendulum-v0", 2)
        create_vec_env("Pendulum-v0", 2)
    assert legacy.env_id == "Pendulum-v1"
    assert sum("Pendulum-v1" in r.getMessage() for r in caplog.records) == 1


def test_async_and_wrap_env() -> None:
    import gymnasium

    env = create_vec_env(
        "gymnasium",
        2,
        env_name="CartPole-v1",
        use_async=True,
        wrap_env=lambda e: gymnasium.wrappers.TimeLimit(e, max_episode_steps=5),
    )
    env.reset()
    for _ in range(5):
        _, _, dones, infos = env.step(np.zeros(2, dtype=np.int64))
    assert dones.all() and infos["time_outs"].all()
    env.close()


def test_make_single_env() -> None:
    from rl_games.envs.gymnasium_env import make_single_env

    env = make_single_env("Pendulum-v1", seed=0)
    obs, _ = env.reset()
    assert obs.shape == (3,)
    assert make_single_env("gymnasium", env_name="CartPole-v1").action_space.n == 2


def test_unknown_env_name_lists_registered_names() -> None:
    with pytest.raises(RegistryError) as err:
        create_vec_env("CartPol-v1", 2)
    message = str(err.value)
    assert "CartPole-v1" in message and "envpool" in message and "Pendulum-v1" in message


def test_missing_box2d_is_reported_with_hint() -> None:
    from rl_games.envs.registry import module_available

    if module_available("Box2D"):
        pytest.skip("Box2D is installed")
    assert "gymnasium[box2d]" in env_status("LunarLander-v3", {})
    with pytest.raises(EnvCreationError, match=r"gymnasium\[box2d\]"):
        create_vec_env("LunarLander-v3", 1)


def test_env_status() -> None:
    assert env_status("CartPole-v1", {}) is None
    assert env_status("gymnasium", {"env_name": "Acrobot-v1"}) is None
    assert "env_name" in env_status("gymnasium", {})
    assert "CartPole-v1" in env_status("gymnasium", {"env_name": "CartPole-v0x"})
    unregistered = env_status("MyIsaacTask", {})
    assert "MyIsaacTask" in unregistered and "register_env" in unregistered


def _needs_missing_package(config_name: str, num_actors: int, **env_config: object) -> IVecEnv:
    import rl_games_test_missing_simulator  # noqa: F401  (really not installed)

    raise AssertionError("unreachable")


def test_missing_package_type() -> None:
    """A vecenv type whose backend module is not installed: warned, and creation explains it."""
    register_vecenv(
        "FAKE_SIM", _needs_missing_package, requires=("rl_games_test_missing_simulator",)
    )
    register_env("fake_sim_task", {"vecenv_type": "FAKE_SIM"})
    register_env("fake_unknown_type", {"vecenv_type": "NOT_A_TYPE"})
    try:
        warning = env_status("fake_sim_task", {})
        assert "rl_games_test_missing_simulator" in warning and "pip install" in warning
        with pytest.raises(EnvCreationError, match="rl_games_test_missing_simulator"):
            create_vec_env("fake_sim_task", 2)
        assert "NOT_A_TYPE" in env_status("fake_unknown_type", {})
        register_vecenv("FAKE_SIM", _needs_missing_package)  # no declared requirement
        with pytest.raises(EnvCreationError, match="pip install rl_games_test_missing_simulator"):
            create_vec_env("fake_sim_task", 2)
    finally:
        ENV_CONFIGURATIONS.unregister("fake_sim_task")
        ENV_CONFIGURATIONS.unregister("fake_unknown_type")
        VECENV_TYPES.unregister("FAKE_SIM")


def _dict_obs(env: Any) -> Any:
    import gymnasium

    box = env.observation_space
    space = gymnasium.spaces.Dict({"obs": box, "states": box})
    return gymnasium.wrappers.TransformObservation(
        env, lambda o: {"obs": o, "states": 2 * o}, space
    )


def test_dict_obs_final_observation() -> None:
    env = create_vec_env("gymnasium", 2, env_name="CartPole-v1", wrap_env=_dict_obs, seed=0)
    obs = env.reset()
    assert set(obs) == {"obs", "states"} and obs["obs"].shape == (2, 4)
    for _ in range(100):
        obs, _, dones, infos = env.step(np.ones(2, dtype=np.int64))
        if dones.any():
            break
    final = infos["final_observation"]
    i = int(np.flatnonzero(dones)[0])
    np.testing.assert_allclose(final["states"][i], 2 * final["obs"][i])
    assert not np.array_equal(final["obs"][i], obs["obs"][i])
    np.testing.assert_array_equal(final["obs"][~dones], obs["obs"][~dones])
