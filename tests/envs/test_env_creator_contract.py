"""IsaacGymEnvs-style client code runs unchanged.

* Env creators get ``seed`` as rl_games' Runner gives it: only when the YAML's ``params.config``
  has an ``env_config`` block (the built-in vecenv types always get it).
* An ``RLGPUEnv``-like vecenv (``step``/``reset``/``get_number_of_agents``/``get_env_info``, no
  ``num_envs``, legacy ``gym`` spaces, torch tensors) trains and plays; its batch size is learnt
  from the first reset, and no extra reset reaches it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

from rl_games.common import env_configurations, vecenv
from rl_games.envs import IVecEnv, TorchVecEnv
from rl_games.envs.registry import env_seed
from rl_games.torch_runner import Runner

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    try:  # IsaacGymEnvs builds its spaces with the legacy gym package
        import gym as space_lib
    except ImportError:
        import gymnasium as space_lib

pytestmark = pytest.mark.usefixtures("one_thread")

NUM_ENVS = 8
EPISODE = 6


class ReachTask:
    """A batched torch task: reward for an action close to ``obs[:, 0]``; episodes of
    ``EPISODE`` steps, staggered across envs. Counts its resets."""

    def __init__(self, seed: int, num_envs: int, with_states: bool) -> None:
        self.seed_used = seed
        self.gen = torch.Generator().manual_seed(seed)
        self.num_envs, self.with_states = num_envs, with_states
        self.observation_space = space_lib.spaces.Box(-1.0, 1.0, (3,))
        self.action_space = space_lib.spaces.Box(-1.0, 1.0, (1,))
        self.state_space = space_lib.spaces.Box(-1.0, 1.0, (4,))
        self.num_states = 4 if with_states else 0
        self.resets = 0
        self.x = torch.zeros(num_envs, 3)
        self.t = torch.arange(num_envs) % EPISODE

    def _obs(self) -> dict[str, torch.Tensor]:
        out = {"obs": self.x.clone()}
        if self.with_states:
            out["states"] = torch.cat([self.x, self.t[:, None].float() / EPISODE], dim=1)
        return out

    def _new(self, n: int) -> torch.Tensor:
        return torch.rand(n, 3, generator=self.gen) * 2 - 1

    def reset(self) -> dict[str, torch.Tensor]:
        self.resets += 1
        self.x = self._new(self.num_envs)
        return self._obs()

    def step(self, actions: torch.Tensor) -> tuple[Any, torch.Tensor, torch.Tensor, dict]:
        assert isinstance(actions, torch.Tensor) and actions.shape == (self.num_envs, 1)
        rewards = 1.0 - (actions[:, 0].clamp(-1, 1) - self.x[:, 0]).abs()
        self.t += 1
        dones = self.t >= EPISODE
        self.t[dones] = 0
        self.x[dones] = self._new(int(dones.sum()))
        return self._obs(), rewards, dones.long(), {"time_outs": dones.clone()}


def make(seed: int, task: str, num_envs: int, with_states: bool = False, **kwargs: Any) -> Any:
    """Shaped like ``isaacgymenvs.make``: ``seed`` first, extra keywords accepted."""
    assert task == "Reach"
    made.append({"seed": seed, **kwargs})
    tasks.append(ReachTask(seed, num_envs, with_states))
    return tasks[-1]


made: list[dict[str, Any]] = []  # the keywords each make() call got
tasks: list[ReachTask] = []


class RLGPULikeEnv(IVecEnv):
    """IsaacGymEnvs' ``RLGPUEnv`` surface: no ``num_envs`` attribute."""

    def __init__(self, config_name: str, num_actors: int, **kwargs: Any) -> None:
        self.env = env_configurations.configurations[config_name]["env_creator"](**kwargs)

    def step(self, actions: torch.Tensor) -> Any:
        return self.env.step(actions)

    def reset(self) -> Any:
        return self.env.reset()

    def get_number_of_agents(self) -> int:
        return 1

    def get_env_info(self) -> dict[str, Any]:
        info = {"action_space": self.env.action_space}
        info["observation_space"] = self.env.observation_space
        if self.env.num_states > 0:
            info["state_space"] = self.env.state_space
        return info


vecenv.register("RLGPU_LIKE", lambda name, num_actors, **kw: RLGPULikeEnv(name, num_actors, **kw))
# IsaacGymEnvs' train.py: the creator passes its own seed positionally
env_configurations.register(
    "rlgpu_like",
    {
        "vecenv_type": "RLGPU_LIKE",
        "env_creator": lambda **kwargs: make(1234, "Reach", NUM_ENVS, **kwargs),
    },
)
# a creator that takes the seed from env_config (rl_games' Runner injects it)
env_configurations.register(
    "rlgpu_seeded",
    {
        "vecenv_type": "RLGPU_LIKE",
        "env_creator": lambda **kwargs: make(task="Reach", num_envs=NUM_ENVS, **kwargs),
    },
)


def _doc(tmp_path: Path, env_name: str, **config: Any) -> dict:
    return {
        "params": {
            "seed": 5,
            "algo": {"name": "a2c_continuous"},
            "model": {"name": "continuous_a2c_logstd"},
            "network": {
                "name": "actor_critic",
                "separate": False,
                "space": {"continuous": {"fixed_sigma": True}},
                "mlp": {"units": [16], "activation": "elu"},
            },
            "config": {
                "name": "reach",
                "env_name": env_name,
                "device": "cpu",
                "num_actors": NUM_ENVS,
                "horizon_length": 8,
                "minibatch_size": 32,
                "mini_epochs": 2,
                "learning_rate": 1e-3,
                "max_epochs": 2,
                "save_best_after": 1,
                "train_dir": str(tmp_path),
                "full_experiment_name": "run",
                "player": {"games_num": 5, "print_stats": False},
                **config,
            },
        }
    }


def _train(doc: dict) -> Runner:
    made.clear()
    runner = Runner()
    runner.load(doc)
    runner.run({"train": True})
    return runner


def test_creator_with_positional_seed_gets_no_seed_without_env_config(tmp_path: Path) -> None:
    runner = _train(_doc(tmp_path, "rlgpu_like"))
    assert made == [{"seed": 1234}]  # no 'seed' keyword: make() got it once, positionally
    assert runner.agent.epoch_num == 2


def test_env_config_block_brings_the_run_seed(tmp_path: Path) -> None:
    _train(_doc(tmp_path, "rlgpu_seeded", env_config={"with_states": True}))
    assert made == [{"seed": 5}]
    _train(_doc(tmp_path, "rlgpu_seeded", env_config={"seed": 11}))
    assert made == [{"seed": 11}]  # an explicit env seed wins
    with pytest.raises(TypeError, match="seed"):  # as in rl_games: the creator got it twice
        _train(_doc(tmp_path, "rlgpu_like", env_config={}))


def test_env_seed_rule() -> None:
    assert env_seed("TorchCartPole-v1", 3, env_config_given=False) == 3  # ours: always
    assert env_seed("CartPole-v1", 0, env_config_given=False) == 0
    assert env_seed("rlgpu_like", 3, env_config_given=False) is None
    assert env_seed("rlgpu_like", 3, env_config_given=True) == 3
    assert env_seed("rlgpu_like", 0, env_config_given=True) == 0
    assert isinstance(env_seed("rlgpu_like", None, env_config_given=True), int)  # the clock


def test_num_envs_is_learnt_from_the_first_reset_without_an_extra_reset() -> None:
    made.clear()
    vec = RLGPULikeEnv("rlgpu_seeded", 3, seed=0, with_states=True)
    env = TorchVecEnv(vec, "cpu")
    assert not hasattr(vec, "num_envs") and vec.env.resets == 0
    assert env.num_envs == NUM_ENVS and vec.env.resets == 1
    first = env.reset()
    assert vec.env.resets == 1 and set(first) == {"obs", "states"}
    assert torch.equal(first["obs"], vec.env.x)
    assert env.reset()["obs"].shape == (NUM_ENVS, 3) and vec.env.resets == 2
    env.num_envs  # noqa: B018 - known now: no reset
    env.step(torch.zeros(NUM_ENVS, 1))
    assert vec.env.resets == 2


def test_env_with_only_env_info_trains_and_plays(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "rlgpu_seeded", env_config={"with_states": True})
    runner = _train(doc)
    task = runner.agent.env.env.env
    assert task.resets == 1 and runner.agent.env.tensor_mode is True
    checkpoint = next((tmp_path / "run" / "nn").glob("*.pth"))
    made.clear()
    runner = Runner()
    runner.load(_doc(tmp_path, "rlgpu_seeded", env_config={"with_states": True}))
    result = runner.run({"play": True, "checkpoint": str(checkpoint)})
    assert result["games"] >= 5 and len(made) == 1 and tasks[-1].resets == 1
    assert 0.0 < result["av_reward"] <= EPISODE


class GroupedObsEnv(IVecEnv):
    """Isaac Lab's wrapper with ``concate_obs_group=False``: nested dicts of tensors."""

    def reset(self) -> dict[str, dict[str, torch.Tensor]]:
        return {"obs": {"policy": torch.zeros(5, 3)}, "states": {"critic": torch.zeros(5, 4)}}

    def get_env_info(self) -> dict[str, Any]:
        box = space_lib.spaces.Box(-1.0, 1.0, (3,))
        return {"observation_space": space_lib.spaces.Dict({"policy": box}), "action_space": box}


def test_nested_dict_observations_set_tensor_mode_and_num_envs() -> None:
    env = TorchVecEnv(GroupedObsEnv(), "cpu")
    assert env.num_envs == 5 and env.tensor_mode is True
    assert env.reset()["states"]["critic"].shape == (5, 4)
