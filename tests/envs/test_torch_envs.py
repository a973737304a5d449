"""torch-native vectorized envs: gymnasium's dynamics step for step, same-step auto-reset with
final observations, time limits reported as time-outs, seeding, and the trainer's device injection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pytest
import torch
import yaml
from conftest import REPO

from rl_games.config import apply_overrides, parse_params
from rl_games.envs import TorchVecEnv, create_vec_env, register_env
from rl_games.envs.registry import accepts_device
from rl_games.envs.torch_envs import TorchCartPole, TorchPendulum
from rl_games.torch_runner import Runner
from rl_games.training.base import build_env


def _gym_envs(env_id: str, n: int) -> list[gymnasium.Env]:
    envs = [gymnasium.make(env_id) for _ in range(n)]
    for i, env in enumerate(envs):
        env.reset(seed=100 + i)
    return envs


def _sync_state(torch_env: Any, envs: list[gymnasium.Env]) -> None:
    state = np.stack([np.asarray(e.unwrapped.state, dtype=np.float64) for e in envs])
    torch_env.state = torch.as_tensor(state, dtype=torch_env.dtype)


@pytest.mark.parametrize(("dtype", "atol"), [(torch.float64, 1e-6), (torch.float32, 1e-4)])
def test_cartpole_matches_gymnasium_step_for_step(dtype: torch.dtype, atol: float) -> None:
    n = 8
    envs = _gym_envs("CartPole-v1", n)
    env = TorchCartPole(n, seed=0, dtype=dtype)
    env.reset()
    _sync_state(env, envs)
    rng = np.random.default_rng(0)
    alive = np.ones(n, dtype=bool)
    for _ in range(200):
        actions = rng.integers(0, 2, n)
        obs, rewards, dones, infos = env.step(torch.as_tensor(actions))
        for i in np.flatnonzero(alive):
            g_obs, g_rew, g_term, g_trunc, _ = envs[i].step(int(actions[i]))
            assert bool(dones[i]) == (g_term or g_trunc)
            assert float(rewards[i]) == g_rew
            seen = infos["final_observation"][i] if dones[i] else obs[i]
            np.testing.assert_allclose(seen.numpy(), g_obs, atol=atol)
            alive[i] = not dones[i]
        if not alive.any():
            break
    assert not alive.any()  # random actions end every episode well within 200 steps


def test_pendulum_matches_gymnasium_step_for_step_with_time_limit() -> None:
    n = 4
    envs = _gym_envs("Pendulum-v1", n)
    env = TorchPendulum(n, seed=0, dtype=torch.float64)
    env.reset()
    _sync_state(env, envs)
    rng = np.random.default_rng(1)
    for t in range(200):
        actions = rng.uniform(-3.0, 3.0, (n, 1)).astype(np.float32)  # also checks the clipping
        obs, rewards, dones, infos = env.step(torch.as_tensor(actions))
        for i in range(n):
            g_obs, g_rew, g_term, g_trunc, _ = envs[i].step(actions[i])
            seen = infos["final_observation"][i] if dones[i] else obs[i]
            np.testing.assert_allclose(seen.numpy(), g_obs, atol=1e-5)
            np.testing.assert_allclose(float(rewards[i]), g_rew, rtol=1e-5, atol=1e-5)
            assert bool(dones[i]) == (g_term or g_trunc) == (t == 199)
            assert bool(infos["time_outs"][i]) == g_trunc == (t == 199)


def test_time_limits_are_gymnasium_spec_limits() -> None:
    assert TorchCartPole.max_episode_steps == gymnasium.spec("CartPole-v1").max_episode_steps
    assert TorchPendulum.max_episode_steps == gymnasium.spec("Pendulum-v1").max_episode_steps


def test_same_step_autoreset_final_observation_and_time_outs() -> None:
    env = TorchCartPole(6, seed=3, max_episode_steps=30)
    assert env.get_env_info()["autoreset_mode"] == "same_step"
    obs = env.reset()
    pushes = torch.ones(6, dtype=torch.long)
    pushes[3:] = 0  # every env falls over quickly under a constant push
    for _ in range(30):
        obs, rewards, dones, infos = env.step(pushes)
        assert obs.dtype == torch.float32 and rewards.dtype == torch.float32
        assert dones.dtype == torch.bool and infos["time_outs"].dtype == torch.bool
        if dones.any():
            break
    assert dones.any() and not infos["time_outs"].any()  # fell over: terminated, not timed out
    final = infos["final_observation"]
    assert torch.all((final[dones, 0].abs() > 2.4) | (final[dones, 2].abs() > 0.2094))
    assert torch.all(obs[dones].abs() <= 0.05)  # fresh start states in the same step
    assert torch.equal(final[~dones], obs[~dones])
    assert torch.all(env.steps[dones] == 0)
    # a balanced start that cannot fall within 5 steps is cut by the time limit instead
    env = TorchCartPole(2, seed=0, max_episode_steps=5)
    env.reset()
    for t in range(5):
        _, _, dones, infos = env.step(torch.tensor([t % 2, (t + 1) % 2]))
    assert dones.all() and infos["time_outs"].all()


def test_seeded_generator_is_reproducible() -> None:
    a, b, c = (TorchPendulum(5, seed=s) for s in (7, 7, 8))
    assert torch.equal(a.reset(), b.reset()) and not torch.equal(a.reset(), c.reset())
    a.seed(1)
    b.seed(1)
    assert torch.equal(a.reset(), b.reset())


def test_registered_names_run_in_tensor_mode() -> None:
    for name, actions in (
        ("TorchCartPole-v1", torch.zeros(4, dtype=torch.long)),
        ("TorchPendulum-v1", torch.zeros(4, 1)),
    ):
        env = TorchVecEnv(create_vec_env(name, 4, seed=0), device="cpu")
        obs = env.reset()
        assert env.tensor_mode is True and env.num_envs == 4
        obs, rewards, dones, time_outs, infos = env.step(actions)
        assert obs.shape == (4, *env.observation_space.shape) and rewards.shape == (4, 1)
        assert isinstance(infos["final_observation"], torch.Tensor)


def test_trainer_injects_its_device_only_where_accepted() -> None:
    seen: dict[str, Any] = {}

    def creator(num_envs: int, **kwargs: Any) -> TorchCartPole:
        seen.update(kwargs)
        return TorchCartPole(num_envs, seed=kwargs.get("seed"))

    register_env("DeviceProbe-v0", {"vecenv_type": "TORCH", "env_creator": creator})
    doc = yaml.safe_load((REPO / "configs" / "ppo_cartpole_torch.yaml").read_text())
    cfg = parse_params(apply_overrides(doc, ["config.env_name=DeviceProbe-v0"])).params.config
    env = build_env(cfg, 3, torch.device("cpu"))
    assert seen == {"device": "cpu", "seed": 3} and env.tensor_mode is None
    # an explicit env_config device wins over the trainer's
    cfg = parse_params(
        apply_overrides(doc, ["config.env_name=DeviceProbe-v0", "config.env_config={device: meta}"])
    ).params.config
    seen.clear()
    build_env(cfg, None, torch.device("cpu"))
    assert seen == {"device": "meta"}
    # the GYMNASIUM vecenv type takes no device (gymnasium.make would reject the keyword)
    assert not accepts_device("CartPole-v1")
    cfg = parse_params(apply_overrides(doc, ["config.env_name=CartPole-v1"])).params.config
    build_env(cfg, 0, torch.device("cpu")).close()


@pytest.fixture
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)  # the Runner applies the config's torch_threads: 1


def _train(config: str, tmp_path: Path, *sets: str) -> Runner:
    runner = Runner()
    doc = yaml.safe_load((REPO / "configs" / config).read_text())
    runner.load(doc, [f"config.train_dir={tmp_path}", *sets])
    runner.run({"train": True})
    return runner


def test_ppo_cartpole_torch_reaches_475_on_device(tmp_path: Path, one_thread: None) -> None:
    runner = _train("ppo_cartpole_torch.yaml", tmp_path)
    agent, env = runner.agent, runner.agent.env
    assert env.tensor_mode is True and isinstance(env.env, TorchCartPole)  # zero host copies
    assert env.env.device == agent.device == agent.experience_buffer["obses"].device
    assert agent.best_reward >= 475 and agent.frame < 600_000


def test_ppo_pendulum_torch_reaches_minus_250(tmp_path: Path, one_thread: None) -> None:
    sets = ("config.score_to_win=-250", "config.max_frames=600000")
    runner = _train("ppo_pendulum_torch.yaml", tmp_path, *sets)
    assert runner.agent.env.tensor_mode is True and runner.agent.best_reward >= -250


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cartpole_on_cuda_keeps_everything_on_device() -> None:
    env = TorchVecEnv(create_vec_env("TorchCartPole-v1", 64, seed=0, device="cuda"), "cuda")
    obs = env.reset()
    for _ in range(10):
        obs, rewards, dones, time_outs, infos = env.step(torch.ones(64, device="cuda").long())
    tensors = (obs, rewards, dones, time_outs, infos["final_observation"])
    assert all(t.device.type == "cuda" for t in tensors)
