"""``wrap_env`` recognises gymnasium envs and vector envs, envpool pools, dm_env environments,
torch-tensor vector envs (Isaac Lab style) and IVecEnvs, and each steps through ``TorchVecEnv``."""

from __future__ import annotations

from typing import Any

import dm_env
import envpool
import gymnasium
import numpy as np
import pytest
import torch
from dm_env import specs
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from rl_games.envs import TorchVecEnv
from rl_games.envs.torch_envs import TorchCartPole
from rl_games.envs.wrap import detect_wrapper, wrap_env


class CountdownDm(dm_env.Environment):
    """dm_env episode of 5 steps (a time-out: discount 1); action 1 at step 3 terminates it."""

    def reset(self) -> dm_env.TimeStep:
        self.t = 0
        return dm_env.restart(self._obs())

    def _obs(self) -> dict[str, np.ndarray]:
        return {"t": np.array([self.t], dtype=np.float64), "flag": np.ones(2, dtype=np.float64)}

    def step(self, action: Any) -> dm_env.TimeStep:
        self.t += 1
        if int(action) == 1 and self.t == 3:
            return dm_env.termination(1.0, self._obs())
        if self.t == 5:
            return dm_env.truncation(1.0, self._obs())
        return dm_env.transition(1.0, self._obs())

    def observation_spec(self) -> dict[str, specs.Array]:
        return {"t": specs.Array((1,), np.float64), "flag": specs.Array((2,), np.float64)}

    def action_spec(self) -> specs.DiscreteArray:
        return specs.DiscreteArray(2)


class IsaacLabStyleEnv(gymnasium.Env):
    """A torch vector env with Isaac Lab's surface: ``num_envs``, ``device``, ``policy``/``critic``
    observation groups and the gymnasium 5-tuple ``step`` (stepping a ``TorchCartPole``)."""

    def __init__(self, num_envs: int) -> None:
        self.sim = TorchCartPole(num_envs, seed=0)
        self.num_envs, self.device = num_envs, "cpu"
        box = self.sim.observation_space
        self.single_observation_space = spaces.Dict(
            {"policy": box, "critic": spaces.Box(-np.inf, np.inf, (5,), np.float32)}
        )
        self.single_action_space = self.sim.action_space

    def _obs(self, obs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"policy": obs, "critic": torch.cat([obs, obs[:, :1]], dim=-1)}

    def reset(self, **kwargs: Any) -> tuple[dict[str, torch.Tensor], dict]:
        return self._obs(self.sim.reset()), {}

    def step(self, actions: torch.Tensor) -> tuple:
        obs, rewards, dones, infos = self.sim.step(actions)
        truncated = infos["time_outs"]
        return self._obs(obs), rewards, dones & ~truncated, truncated, {"log": {}}


def _run(env: Any, action: Any, steps: int, **kw: Any) -> tuple[TorchVecEnv, list[tuple]]:
    vec = TorchVecEnv(wrap_env(env, **kw), device="cpu")
    vec.reset()
    out = []
    for _ in range(steps):
        obs, rewards, dones, time_outs, infos = vec.step(action)
        assert rewards.shape == (vec.num_envs, 1) and dones.dtype == torch.bool
        out.append((obs, dones, time_outs, infos))
    return vec, out


def test_gymnasium_env_and_list_of_envs() -> None:
    assert detect_wrapper(gymnasium.make("CartPole-v1")) == "gymnasium"
    envs = [gymnasium.make("CartPole-v1") for _ in range(3)]
    vec, out = _run(envs, torch.ones(3, dtype=torch.long), 40, num_actors=3)
    assert vec.autoreset_mode == "same_step" and vec.tensor_mode is False
    done_steps = [(o, d, i) for o, d, _, i in out if d.any()]
    assert done_steps  # constant pushes end every episode
    obs, dones, infos = done_steps[0]
    final = torch.as_tensor(infos["final_observation"])
    assert torch.all(final[dones, 2].abs() > 0.2) and torch.all(obs[dones].abs() <= 0.05)


def test_gymnasium_vector_envs_keep_their_autoreset_mode() -> None:
    next_step = gymnasium.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync")
    assert detect_wrapper(next_step) == "gymnasium_vector"
    vec, _ = _run(next_step, torch.zeros(2, dtype=torch.long), 3)
    assert vec.autoreset_mode == "next_step"
    same = SyncVectorEnv(
        [lambda: gymnasium.make("Pendulum-v1")] * 2, autoreset_mode=AutoresetMode.SAME_STEP
    )
    vec, out = _run(same, torch.zeros(2, 1), 200)
    _, dones, time_outs, infos = out[-1]
    assert vec.autoreset_mode == "same_step" and dones.all() and time_outs.all()
    assert infos["final_observation"].shape == (2, 3)


def test_envpool_pool() -> None:
    pool = envpool.make_gymnasium("CartPole-v1", num_envs=4, seed=0)
    assert detect_wrapper(pool) == "envpool"  # before the gymnasium VectorEnv it also is
    vec, out = _run(pool, torch.ones(4, dtype=torch.long), 30, num_actors=4)
    assert vec.autoreset_mode == "next_step"
    assert any(d.any() for _, d, _, _ in out) and "scores" in out[-1][3]
    with pytest.raises(ValueError, match="num_actors"):
        wrap_env(pool, num_actors=8)


def test_dm_env_time_outs_and_terminations() -> None:
    envs = [CountdownDm(), CountdownDm()]
    assert detect_wrapper(envs[0]) == "dm_env"
    wrapped = wrap_env(envs)
    assert isinstance(wrapped.observation_space, spaces.Dict)
    assert wrapped.action_space == spaces.Discrete(2)
    vec, out = _run(envs, torch.tensor([0, 1]), 5)
    _, dones, time_outs, infos = out[2]
    assert dones.tolist() == [False, True] and not time_outs.any()  # env 1 terminated at t=3
    assert float(infos["final_observation"]["t"][1, 0]) == 3.0
    obs, dones, time_outs, _ = out[4]
    assert dones.tolist() == [True, False] and time_outs.tolist() == [True, False]
    assert obs["t"].dtype == torch.float32 and obs["t"][:, 0].tolist() == [0.0, 2.0]


def test_isaac_lab_style_torch_env() -> None:
    env = IsaacLabStyleEnv(3)
    assert detect_wrapper(env) == "torch"
    vec, out = _run(env, torch.ones(3, dtype=torch.long), 40)
    assert vec.tensor_mode is True and vec.env_info["state_space"].shape == (5,)
    assert vec.observation_space.shape == (4,)
    obs = out[0][0]
    assert set(obs) == {"obs", "states"} and obs["states"].shape == (3, 5)
    assert any(d.any() for _, d, _, _ in out)


def test_ivecenv_passes_through_and_unknown_objects_fail() -> None:
    env = TorchCartPole(2)
    assert wrap_env(env) is env and detect_wrapper(env) == "ivecenv"
    with pytest.raises(TypeError, match="wrapper="):
        wrap_env(object())
    with pytest.raises(ValueError, match="unknown wrapper"):
        wrap_env(env, wrapper="brax")
