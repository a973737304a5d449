"""User envs: an Isaac-Gym-style vecenv type and env name registered through rl_games' facades
(torch tensors, ``{'obs', 'states'}`` observations) trains; ``Runner.load(cfg, env=...)`` and
rl_games' ``config['vec_env']`` injection train and play on an env object the user already has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from conftest import REPO
from gymnasium import spaces

from rl_games.common import env_configurations, vecenv
from rl_games.envs import IVecEnv, make_env_info
from rl_games.envs.torch_envs import TorchCartPole
from rl_games.torch_runner import Runner

pytestmark = pytest.mark.usefixtures("one_thread")


class GpuSimVecEnv(IVecEnv):
    """Isaac-Gym style: the registered ``env_creator`` builds a batched simulator; observations
    are ``{'obs': actor obs, 'states': critic state}`` torch tensors."""

    def __init__(self, config_name: str, num_actors: int, **kwargs: Any) -> None:
        creator = env_configurations.configurations[config_name]["env_creator"]
        self.sim = creator(num_envs=num_actors, **kwargs)
        self.num_envs = num_actors
        self.resets = 0

    def _obs(self, obs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"obs": obs, "states": torch.cat([obs, obs.square()], dim=-1)}

    def step(self, actions: torch.Tensor) -> tuple[Any, Any, Any, Any]:
        assert isinstance(actions, torch.Tensor)  # tensor mode: no host round trip
        obs, rewards, dones, infos = self.sim.step(actions)
        return self._obs(obs), rewards, dones, {"time_outs": infos["time_outs"]}

    def reset(self) -> dict[str, torch.Tensor]:
        self.resets += 1
        return self._obs(self.sim.reset())

    def get_env_info(self) -> dict[str, Any]:
        state_space = spaces.Box(-float("inf"), float("inf"), (8,))
        return make_env_info(
            self.sim.observation_space, self.sim.action_space, state_space=state_space
        )


def _doc(tmp_path: Path, **config: Any) -> dict:
    doc = yaml.safe_load((REPO / "configs" / "ppo_cartpole_torch.yaml").read_text())
    doc["params"]["config"].update(
        train_dir=str(tmp_path), full_experiment_name="run", save_best_after=1, **config
    )
    return doc


def test_user_registered_torch_vecenv_trains(tmp_path: Path) -> None:
    vecenv.register("GPU_SIM", lambda name, num_actors, **kw: GpuSimVecEnv(name, num_actors, **kw))
    env_configurations.register(
        "gpu_cartpole", {"vecenv_type": "GPU_SIM", "env_creator": TorchCartPole}
    )
    runner = Runner()
    runner.load(_doc(tmp_path, env_name="gpu_cartpole", score_to_win=300))
    reward = runner.run({"train": True})
    assert reward is not None and reward > 300, reward
    agent = runner.agent
    assert agent.env.tensor_mode is True and isinstance(agent.env.env, GpuSimVecEnv)
    assert agent.experience_buffer["obses"].shape == (
        32,
        64,
        4,
    )  # the actor sees 'obs'; 'states' is unused


def test_runner_trains_and_plays_on_an_env_object(tmp_path: Path) -> None:
    env = TorchCartPole(64, seed=0)
    runner = Runner()
    doc = _doc(tmp_path, max_epochs=3)
    del doc["params"]["config"]["env_name"]  # not needed with an env object
    runner.load(doc, env=env)
    runner.run({"train": True})
    assert runner.agent.env.env is env and runner.agent.frame == 3 * 32 * 64
    last = next((tmp_path / "run" / "nn").glob("last_*.pth"))
    runner.load(_doc(tmp_path, player={"games_num": 3}), env=TorchCartPole(4, seed=1))
    result = runner.run({"play": True, "checkpoint": str(last)})
    assert result["games"] >= 3


def test_rl_games_vec_env_injection_with_env_info(tmp_path: Path) -> None:
    env = TorchCartPole(64, seed=0)
    info = env.get_env_info()
    doc = _doc(tmp_path, max_epochs=1, vec_env=env, env_info=info)
    runner = Runner()
    runner.load(doc)
    runner.run({"train": True})
    assert runner.agent.env.env is env and runner.agent.env.env_info == info
    with pytest.raises(ValueError, match="num_actors"):
        runner.load(_doc(tmp_path, max_epochs=1, vec_env=TorchCartPole(8)))
        runner.run({"train": True})
