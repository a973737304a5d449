"""Env snapshots for exact resume: real gymnasium envs continue bit-identically after a
snapshot went through a checkpoint file; envs with native state are reported as not capturable.
Also the RNG state round trip through a weights_only checkpoint."""

from __future__ import annotations

import random
from pathlib import Path

import gymnasium
import numpy as np
import pytest
import torch

from rl_games.envs import TorchVecEnv, create_vec_env
from rl_games.training.checkpoint import load_checkpoint, save_checkpoint
from rl_games.training.env_snapshot import capture_env_snapshot, restore_env_snapshot
from rl_games.training.rng import capture_rng, restore_rng


def _actions(name: str, rng: np.random.Generator, n: int) -> torch.Tensor:
    if name == "CartPole-v1":
        return torch.as_tensor(rng.integers(0, 2, n))
    return torch.as_tensor(rng.uniform(-2, 2, (n, 1)).astype(np.float32))


@pytest.mark.parametrize("name", ["CartPole-v1", "Pendulum-v1"])
def test_snapshot_through_a_file_continues_identically(tmp_path: Path, name: str) -> None:
    rng = np.random.default_rng(0)
    a = TorchVecEnv(create_vec_env(name, 3, seed=1))
    a.reset()
    for _ in range(45):
        a.step(_actions(name, rng, 3))
    snap = capture_env_snapshot(a)
    assert snap is not None
    snap = load_checkpoint(save_checkpoint(tmp_path / "s", {"snap": snap}))["snap"]
    b = TorchVecEnv(create_vec_env(name, 3, seed=99))  # other seed: everything comes from snap
    b.reset()
    assert restore_env_snapshot(b, snap)
    dones = 0
    for _ in range(400):  # long enough for episode ends and seeded resets
        act = _actions(name, rng, 3)
        ra, rb = a.step(act), b.step(act)
        for x, y in zip(ra[:4], rb[:4], strict=True):
            assert torch.equal(x, y)
        dones += int(ra[2].sum())
    assert dones > 0


class _NativeStateEnv(gymnasium.Env):
    """An env holding an object that cannot be written as plain data (like MuJoCo's MjData)."""

    observation_space = gymnasium.spaces.Box(-1, 1, (2,), np.float32)
    action_space = gymnasium.spaces.Discrete(2)

    def __init__(self) -> None:
        self.handle = object()

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        return np.zeros(2, np.float32), {}

    def step(self, action):
        return np.zeros(2, np.float32), 0.0, False, False, {}


def test_native_state_and_envpool_are_not_capturable() -> None:
    env = TorchVecEnv(create_vec_env("gymnasium", 2, env_creator=_NativeStateEnv))
    env.reset()
    assert capture_env_snapshot(env) is None
    pool = TorchVecEnv(create_vec_env("envpool", 2, env_name="CartPole-v1"))
    pool.reset()
    assert capture_env_snapshot(pool) is None


def test_rng_state_round_trip_through_a_file(tmp_path: Path) -> None:
    torch.manual_seed(3)
    np.random.seed(4)
    random.seed(5)
    state = load_checkpoint(save_checkpoint(tmp_path / "r", {"rng": capture_rng()}))["rng"]
    first = (torch.rand(3), np.random.rand(3), random.random())
    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    restore_rng(state)
    second = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(first[0], second[0])
    assert np.array_equal(first[1], second[1]) and first[2] == second[2]
