"""TorchVecEnv over numpy vecenvs (envpool, gymnasium) and a torch-native user vecenv."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from gymnasium import spaces

from rl_games.envs import IVecEnv, TorchVecEnv, create_vec_env, make_env_info


@pytest.mark.parametrize(
    ("name", "env_config", "mode"),
    [
        ("envpool", {"env_name": "CartPole-v1"}, "next_step"),
        ("CartPole-v1", {}, "same_step"),
    ],
)
def test_numpy_cartpole(name: str, env_config: dict, mode: str) -> None:
    env = TorchVecEnv(create_vec_env(name, 4, seed=0, **env_config), device="cpu")
    assert env.num_envs == 4 and env.num_agents == 1 and env.value_size == 1
    assert env.autoreset_mode == mode
    assert env.action_space.n == 2 and env.observation_space.shape == (4,)
    assert not env.has_action_masks()
    obs = env.reset()
    assert env.tensor_mode is False
    assert isinstance(obs, torch.Tensor) and obs.dtype == torch.float32 and obs.shape == (4, 4)
    for _ in range(60):
        obs, rewards, dones, time_outs, infos = env.step(torch.ones(4, dtype=torch.long))
        if dones.any():
            break
    assert obs.dtype == torch.float32 and obs.device.type == "cpu"
    assert rewards.shape == (4, 1) and rewards.dtype == torch.float32
    assert dones.dtype == torch.bool and dones.shape == (4,) and dones.any()
    assert time_outs.dtype == torch.bool and not time_outs.any()
    assert isinstance(infos, dict) and "time_outs" in infos
    env.close()


def test_numpy_pendulum_time_outs() -> None:
    env = TorchVecEnv(create_vec_env("envpool", 2, env_name="Pendulum-v1", seed=0))
    env.reset()
    for _ in range(200):
        _, rewards, dones, time_outs, _ = env.step(torch.zeros(2, 1))
    assert dones.all() and time_outs.all() and rewards.shape == (2, 1)


class TorchDictEnv(IVecEnv):
    """A user vecenv that already speaks torch: dict obs, [N] float64 rewards, uint8 dones."""

    def __init__(self, num_envs: int = 3) -> None:
        self.num_envs = num_envs
        self.t = 0
        self.obs = {"obs": torch.zeros(num_envs, 2), "states": torch.zeros(num_envs, 5)}
        self.last_actions: Any = None

    def get_env_info(self) -> dict[str, Any]:
        return make_env_info(
            spaces.Box(-1.0, 1.0, (2,)),
            spaces.Box(-1.0, 1.0, (1,)),
            state_space=spaces.Box(-1.0, 1.0, (5,)),
        )

    def reset(self) -> dict[str, torch.Tensor]:
        return self.obs

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any]:
        self.last_actions = actions
        self.t += 1
        rewards = torch.full((self.num_envs,), 0.5, dtype=torch.float64)
        dones = torch.tensor([1, 0, 0], dtype=torch.uint8)
        infos = {"time_outs": torch.tensor([True, False, False])} if self.t > 1 else {}
        return self.obs, rewards, dones, infos

    def has_action_masks(self) -> bool:
        return True

    def get_action_masks(self) -> np.ndarray:
        return np.array([[1, 0], [1, 1], [0, 1]], dtype=np.uint8)


def test_tensor_mode_passes_through() -> None:
    user_env = TorchDictEnv()
    env = TorchVecEnv(user_env, device="cpu")
    assert env.env_info["state_space"].shape == (5,)
    obs = env.reset()
    assert env.tensor_mode is True and env.num_envs == 3
    assert obs["obs"] is user_env.obs["obs"] and obs["states"] is user_env.obs["states"]
    actions = torch.zeros(3, 1)
    obs, rewards, dones, time_outs, infos = env.step(actions)
    assert user_env.last_actions is actions  # no host round trip
    assert obs["states"] is user_env.obs["states"]
    assert rewards.shape == (3, 1) and rewards.dtype == torch.float32
    assert dones.tolist() == [True, False, False]
    assert time_outs.dtype == torch.bool and not time_outs.any() and infos == {}
    _, _, _, time_outs, infos = env.step(actions)
    assert time_outs.tolist() == [True, False, False] and "time_outs" in infos
    masks = env.get_action_masks()
    assert env.has_action_masks() and masks.dtype == torch.bool and masks.shape == (3, 2)


def test_numpy_obs_conversions() -> None:
    env = TorchVecEnv(TorchDictEnv(), device="cpu", num_envs=3)
    u8 = env.to_device(np.zeros((3, 4, 84, 84), dtype=np.uint8))
    f64 = env.to_device({"obs": np.zeros((3, 2)), "states": np.zeros((3, 5), dtype=np.float32)})
    assert u8.dtype == torch.uint8
    assert f64["obs"].dtype == torch.float32 and f64["states"].dtype == torch.float32
    arr = np.ones((3, 2), dtype=np.float32)
    assert env.to_device(arr).data_ptr() == arr.ctypes.data  # zero-copy on CPU


def test_step_before_reset_is_an_error() -> None:
    env = TorchVecEnv(TorchDictEnv())
    with pytest.raises(RuntimeError, match="reset"):
        env.step(torch.zeros(3, 1))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_numpy_env_on_cuda_uses_pinned_actions() -> None:
    env = TorchVecEnv(create_vec_env("envpool", 4, env_name="Pendulum-v1", seed=0), "cuda")
    obs = env.reset()
    assert obs.device.type == "cuda"
    for _ in range(3):
        obs, rewards, dones, time_outs, _ = env.step(torch.zeros(4, 1, device="cuda"))
    assert env._pinned is not None and env._pinned.is_pinned()
    assert obs.device.type == rewards.device.type == dones.device.type == "cuda"
    assert time_outs.device.type == "cuda"
