"""rl_games import paths: the facade modules reach our registries and classes."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import gymnasium
import numpy as np
import pytest
import torch
from torch import nn

import rl_games.builders
import rl_games.envs
from rl_games.algos_torch import model_builder, network_builder
from rl_games.common import algo_observer, env_configurations, ivecenv, vecenv
from rl_games.config import parse_params
from rl_games.envs.base import IVecEnv, make_env_info
from rl_games.registry import RegistryError

FACADE_NAMES = {
    "rl_games.torch_runner": ["Runner"],
    "rl_games.common.env_configurations": ["configurations", "register"],
    "rl_games.common.vecenv": ["register", "IVecEnv", "vecenv_config", "create_vec_env"],
    "rl_games.common.ivecenv": ["IVecEnv"],
    "rl_games.training.observers": ["AlgoObserver", "DefaultAlgoObserver", "IsaacAlgoObserver"],
    "rl_games.algos_torch.model_builder": [
        "register_network",
        "register_model",
        "NetworkBuilder",
        "ModelBuilder",
    ],
    "rl_games.algos_torch.network_builder": ["NetworkBuilder", "A2CBuilder"],
    "rl_games.algos_torch.models": [
        "BaseModel",
        "ModelA2C",
        "ModelA2CContinuous",
        "ModelA2CContinuousLogStd",
        "ModelA2CMultiDiscrete",
        "ModelCentralValue",
        "ModelSACContinuous",
    ],
    "rl_games.algos_torch.players": [
        "BasePlayer",
        "PpoPlayerContinuous",
        "PpoPlayerDiscrete",
        "SACPlayer",
    ],
    "rl_games.common.player": ["BasePlayer"],
    "rl_games.algos_torch.a2c_continuous": ["A2CAgent"],
    "rl_games.algos_torch.a2c_discrete": ["DiscreteA2CAgent"],
    "rl_games.algos_torch.central_value": ["CentralValueTrain"],
    "rl_games.algos_torch.running_mean_std": ["RunningMeanStd", "RunningMeanStdObs"],
    "rl_games.common.a2c_common": [
        "A2CBase",
        "ContinuousA2CBase",
        "DiscreteA2CBase",
        "swap_and_flatten01",
    ],
    "rl_games.common.datasets": ["PPODataset"],
    "rl_games.common.experience": ["ExperienceBuffer"],
    "rl_games.common.object_factory": ["ObjectFactory"],
    "rl_games.algos_torch.sac_agent": ["SACAgent"],
    "rl_games.algos_torch.torch_ext": [
        "load_checkpoint",
        "save_checkpoint",
        "safe_filesystem_op",
        "safe_save",
        "safe_load",
        "mean_list",
        "shape_whc_to_cwh",
        "policy_kl",
        "apply_masks",
        "explained_variance",
        "AverageMeter",
    ],
}


@pytest.mark.parametrize("module", sorted(FACADE_NAMES))
def test_facade_module_exports(module: str) -> None:
    mod = importlib.import_module(module)
    for name in FACADE_NAMES[module]:
        assert hasattr(mod, name), f"{module}.{name}"


def test_facade_names_are_our_objects() -> None:
    from rl_games.networks.actor_critic import A2CBuilder
    from rl_games.runner import Runner
    from rl_games.torch_runner import Runner as FacadeRunner

    assert FacadeRunner is Runner
    assert vecenv.IVecEnv is IVecEnv and ivecenv.IVecEnv is IVecEnv
    assert network_builder.A2CBuilder is A2CBuilder
    assert vecenv.create_vec_env is rl_games.envs.create_vec_env


def test_package_inits_have_no_import_side_effects() -> None:
    code = (
        "import sys, rl_games.common, rl_games.algos_torch; "
        "print(sorted(m for m in sys.modules if m in "
        "('torch', 'rl_games.envs', 'rl_games.builders', 'rl_games.common.vecenv')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- a user vecenv, rl_games style
class CounterEnv:
    """``num_envs`` counters; an episode lasts ``length`` steps and the reward is the action."""

    def __init__(self, num_envs: int, length: int, seed: int | None = None) -> None:
        self.num_envs = num_envs
        self.length = length
        self.t = np.zeros(num_envs, dtype=np.int64)
        self.observation_space = gymnasium.spaces.Box(0.0, float(length), (1,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(2)

    def obs(self) -> np.ndarray:
        return self.t[:, None].astype(np.float32)


class CounterVecEnv(IVecEnv):
    """Built the way Isaac Lab's wrapper is: the env comes from the registered ``env_creator``."""

    def __init__(self, config_name: str, num_actors: int, **kwargs: Any) -> None:
        creator = env_configurations.configurations[config_name]["env_creator"]
        self.env: CounterEnv = creator(num_envs=num_actors, **kwargs)
        self.config_name = config_name

    def reset(self) -> np.ndarray:
        self.env.t[:] = 0
        return self.env.obs()

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any]:
        env = self.env
        env.t += 1
        rewards = np.asarray(actions, dtype=np.float32)
        dones = env.t >= env.length
        env.t[dones] = 0
        infos: dict[str, Any] = {"time_outs": dones.copy(), "level": 0.25}  # Isaac Lab-like
        if dones.any():
            infos["episode"] = {"ep_len": np.full(int(dones.sum()), float(env.length))}
        return env.obs(), rewards, dones, infos

    def get_env_info(self) -> dict[str, Any]:
        return make_env_info(self.env.observation_space, self.env.action_space)


ENV_NAME = "test_facade_counter"
VECENV_TYPE = "TEST_FACADE_COUNTER"


@pytest.fixture
def counter_env() -> Iterator[str]:
    vecenv.register(
        VECENV_TYPE,
        lambda config_name, num_actors, **kwargs: CounterVecEnv(config_name, num_actors, **kwargs),
    )
    env_configurations.register(
        ENV_NAME,
        {
            "vecenv_type": VECENV_TYPE,
            "env_creator": lambda **kwargs: CounterEnv(**kwargs),
            "default_env_config": {"length": 3},
        },
    )
    yield ENV_NAME
    del env_configurations.configurations[ENV_NAME]
    del vecenv.vecenv_config[VECENV_TYPE]


def test_user_vecenv_is_built_through_our_registry(counter_env: str) -> None:
    env = rl_games.envs.create_vec_env(counter_env, 4)
    assert isinstance(env, CounterVecEnv) and env.config_name == counter_env
    assert env.env.length == 3  # default_env_config reached the creator
    obs = env.reset()
    assert obs.shape == (4, 1)
    for step in range(1, 4):
        obs, rewards, dones, infos = env.step(np.array([1, 0, 1, 0]))
        np.testing.assert_array_equal(rewards, [1, 0, 1, 0])
        assert dones.all() == (step == 3)
    assert env.get_env_info()["action_space"].n == 2


def test_env_config_overrides_the_registered_defaults(counter_env: str) -> None:
    env = vecenv.create_vec_env(counter_env, 2, length=5)
    assert env.env.length == 5 and env.env.num_envs == 2


def test_registry_views_behave_like_rl_games_dicts(counter_env: str) -> None:
    configurations = env_configurations.configurations
    assert counter_env in configurations
    assert counter_env in configurations.keys()
    assert configurations[counter_env]["vecenv_type"] == VECENV_TYPE
    assert configurations.get("no_such_env") is None
    assert "CartPole-v1" in configurations and len(configurations) > 1
    assert VECENV_TYPE in vecenv.vecenv_config
    assert callable(vecenv.vecenv_config[VECENV_TYPE])
    assert dict(vecenv.vecenv_config.items())[VECENV_TYPE] is vecenv.vecenv_config[VECENV_TYPE]
    with pytest.raises(KeyError) as info:
        configurations["test_facade_countr"]
    assert isinstance(info.value, RegistryError)
    assert f"did you mean '{counter_env}'?" in str(info.value)


def test_assigning_into_a_view_registers(counter_env: str) -> None:
    name = "test_facade_assigned"
    env_configurations.configurations[name] = {"vecenv_type": VECENV_TYPE, "env_creator": None}
    try:
        assert name in rl_games.envs.ENV_CONFIGURATIONS
        assert rl_games.envs.env_status(name) is None
    finally:
        del env_configurations.configurations[name]
    assert name not in rl_games.envs.ENV_CONFIGURATIONS
    with pytest.raises(KeyError):
        del env_configurations.configurations[name]
    with pytest.raises(ValueError, match="vecenv_type"):
        env_configurations.register(name, {"env_creator": None})


def test_registered_env_passes_the_runner_check(counter_env: str) -> None:
    from rl_games.torch_runner import Runner

    runner = Runner()
    runner.load(
        {
            "params": {
                "algo": {"name": "a2c_discrete"},
                "model": {"name": "discrete_a2c"},
                "network": {"name": "actor_critic", "space": {"discrete": None}},
                "config": {
                    "name": "counter",
                    "env_name": counter_env,
                    "num_actors": 4,
                    "horizon_length": 6,
                    "minibatch_size": 12,
                },
            }
        }
    )
    assert runner.check_warnings() == []


def test_isaac_lab_style_training_on_a_user_vecenv(counter_env: str, tmp_path: Any) -> None:
    from rl_games.torch_runner import Runner

    runner = Runner(algo_observer.IsaacAlgoObserver())
    runner.load(
        {
            "params": {
                "seed": 1,
                "env": {"clip_actions": 1.0},
                "algo": {"name": "a2c_discrete"},
                "model": {"name": "discrete_a2c"},
                "network": {"name": "actor_critic", "space": {"discrete": None}},
                "load_checkpoint": False,
                "config": {
                    "name": "counter",
                    "env_name": counter_env,
                    "device": "cpu",
                    "num_actors": 4,
                    "horizon_length": 6,
                    "minibatch_size": 12,
                    "max_epochs": 2,
                    "train_dir": str(tmp_path),
                    "full_experiment_name": "run",
                },
            }
        }
    )
    runner.reset()
    runner.run({"train": True, "play": False, "sigma": None})
    assert list((tmp_path / "run" / "nn").glob("*.pth"))
    # the observer kept algo.writer at after_init: the run's real writer, read back here
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tmp_path / "run" / "summaries"))
    acc.Reload()
    episode = acc.Scalars("Episode/ep_len")
    assert [(e.step, e.value) for e in episode] == [(1, 3.0), (2, 3.0)]  # x = epoch
    assert [(e.step, e.value) for e in acc.Scalars("level/iter")] == [(1, 0.25), (2, 0.25)]
    assert [e.step for e in acc.Scalars("level/frame")] == [24, 48]


# ---------------------------------------------------------------- networks and models
class TinyBuilder(network_builder.NetworkBuilder):
    """A user network builder: one linear layer for logits and one for the value."""

    class Network(network_builder.NetworkBuilder.BaseNetwork):
        def __init__(self, params: dict[str, Any], **kwargs: Any) -> None:
            super().__init__()
            inputs = kwargs["input_shape"][0]
            self.logits = nn.Linear(inputs, kwargs["actions_num"])
            self.value = nn.Linear(inputs, kwargs.get("value_size", 1))
            self.scale = float(params.get("scale", 1.0))

        def forward(self, obs_dict: dict[str, Any]) -> tuple:
            obs = obs_dict["obs"] * self.scale
            return self.logits(obs), self.value(obs), None

    def build(self, name: str, **kwargs: Any) -> nn.Module:
        return self.Network(self.params, **kwargs)


@pytest.fixture
def tiny_network() -> Iterator[str]:
    model_builder.register_network("test_facade_tiny", TinyBuilder)
    yield "test_facade_tiny"
    rl_games.builders.NETWORKS.unregister("test_facade_tiny")


def test_register_network_is_visible_to_the_builders(tiny_network: str) -> None:
    assert tiny_network in rl_games.builders.NETWORKS
    builder = rl_games.builders.NETWORKS.get(tiny_network)()
    assert isinstance(builder, TinyBuilder)


def test_registered_network_builds_a_working_model(tiny_network: str) -> None:
    doc = {
        "params": {
            "algo": {"name": "a2c_discrete"},
            "model": {"name": "discrete_a2c"},
            "network": {"name": tiny_network, "scale": 2.0},
            "config": {
                "name": "tiny",
                "env_name": "CartPole-v1",
                "num_actors": 2,
                "horizon_length": 4,
                "minibatch_size": 8,
            },
        }
    }
    params = parse_params(doc).params
    model = rl_games.builders.build_model(
        params, {"input_shape": (3,), "actions_num": 2, "value_size": 1}
    )
    assert model.a2c_network.scale == 2.0  # the raw network block reached load()
    out = model({"obs": torch.zeros(5, 3), "is_train": False})
    assert out["actions"].shape == (5,)
    assert out["values"].shape == (5, 1)


def test_register_model_wraps_the_network_builder(tiny_network: str) -> None:
    class Wrapper:
        def __init__(self, network: Any) -> None:
            self.network_builder = network

    model_builder.register_model("test_facade_model", Wrapper)
    try:
        assert "test_facade_model" in rl_games.builders.MODELS
        builder = TinyBuilder()
        model = rl_games.builders.MODELS.get("test_facade_model")(builder)
        assert isinstance(model, Wrapper) and model.network_builder is builder
    finally:
        rl_games.builders.MODELS.unregister("test_facade_model")


def test_model_builder_loads_a_builtin_model_from_a_params_dict() -> None:
    params = {
        "model": {"name": "discrete_a2c"},
        "network": {"name": "actor_critic", "space": {"discrete": None}, "mlp": {"units": [8]}},
    }
    model = model_builder.ModelBuilder().load(params)
    net = model.build({"input_shape": (4,), "actions_num": 3, "value_size": 1})
    out = net({"obs": torch.zeros(2, 4), "is_train": False})
    assert out["logits"].shape == (2, 3)


def test_network_builder_base_needs_build() -> None:
    builder = network_builder.NetworkBuilder()
    builder.load({"name": "x"})
    assert builder.params == {"name": "x"}
    with pytest.raises(NotImplementedError):
        builder("x")


# ---------------------------------------------------------------- observers
class RecordingWriter:
    def __init__(self) -> None:
        self.scalars: list[tuple[str, float, int]] = []

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        self.scalars.append((tag, value, step))


class Algo:
    def __init__(self) -> None:
        self.writer = RecordingWriter()


def test_algo_observer_hooks_are_no_ops() -> None:
    for observer in (algo_observer.AlgoObserver(), algo_observer.DefaultAlgoObserver()):
        observer.before_init("base", {}, "experiment")
        observer.after_init(Algo())
        observer.process_infos({"episode": {"r": 1.0}}, [0])
        observer.after_steps()
        observer.after_clear_stats()
        observer.after_print_stats(100, 1, 1.5)


def test_isaac_observer_writes_episode_means() -> None:
    algo = Algo()
    observer = algo_observer.IsaacAlgoObserver()
    observer.before_init("base", {}, "experiment")
    observer.after_init(algo)
    assert observer.writer is algo.writer and observer.ep_infos == []
    observer.process_infos({"episode": {"rew": torch.tensor(1.0), "len": np.array([2.0, 4.0])}}, [])
    observer.process_infos({"episode": {"rew": 3.0, "len": torch.tensor([6.0])}}, [])
    observer.process_infos({"episode": {"name": "text", "empty": torch.zeros(0)}}, [])
    observer.process_infos({"other": 1, "gap": torch.tensor(0.5), "per_env": torch.ones(4)}, [])
    observer.process_infos(None, [])  # no infos: the scalars of the last step stay
    assert observer.direct_info.keys() == {"other", "gap"}
    observer.after_print_stats(frame=640, epoch_num=2, total_time=3.0)
    written = {tag: (value, step) for tag, value, step in algo.writer.scalars}
    # the mean over every value of the epoch (len: 2, 4, 6), not of the per-step means; x = epoch
    assert written == {
        "Episode/rew": (2.0, 2),
        "Episode/len": (4.0, 2),
        "other/frame": (1.0, 640),
        "other/iter": (1.0, 2),
        "other/time": (1.0, 3.0),
        "gap/frame": (0.5, 640),
        "gap/iter": (0.5, 2),
        "gap/time": (0.5, 3.0),
    }
    assert observer.ep_infos == []
    algo.writer.scalars.clear()
    observer.after_print_stats(frame=1280, epoch_num=3, total_time=4.0)
    # no new episode infos: no Episode/* tags; the latest scalar infos are written again
    assert {tag for tag, _, _ in algo.writer.scalars} == {
        f"{k}/{x}" for k in ("other", "gap") for x in ("frame", "iter", "time")
    }


def test_isaac_observer_without_a_writer_is_silent() -> None:
    observer = algo_observer.IsaacAlgoObserver()
    observer.after_init(object())
    observer.process_infos({"episode": {"rew": 1.0}}, [])
    assert observer.episode_means() == {"rew": 1.0}
    observer.after_print_stats(1, 1, 1.0)
    assert observer.episode_means() == {}


def test_ppo_facades_are_our_classes() -> None:
    """rl_games' PPO class names are our one PPO agent, storage and critic (no copies)."""
    from rl_games.algos.central_value import CentralValueTrain
    from rl_games.algos.ppo.agent import PPOAgent
    from rl_games.algos_torch import a2c_continuous, a2c_discrete, central_value
    from rl_games.common import a2c_common, datasets, experience, object_factory
    from rl_games.registry import Registry
    from rl_games.storage.dataset import PPODataset
    from rl_games.storage.rollout import ExperienceBuffer

    agents = (a2c_continuous.A2CAgent, a2c_discrete.DiscreteA2CAgent, a2c_common.A2CBase)
    assert all(cls is PPOAgent for cls in agents)
    assert a2c_common.ContinuousA2CBase is a2c_common.DiscreteA2CBase is PPOAgent
    assert central_value.CentralValueTrain is CentralValueTrain
    assert datasets.PPODataset is PPODataset and experience.ExperienceBuffer is ExperienceBuffer
    factory = object_factory.ObjectFactory()
    assert isinstance(factory, Registry)
    factory.register_builder("x", lambda **kwargs: kwargs)
    assert factory.create("x", a=1) == {"a": 1}


def test_ppo_dataset_minibatches_are_contiguous_views_with_whole_sequences() -> None:
    from rl_games.common.datasets import PPODataset

    data = PPODataset(16, 8, False, True, torch.device("cpu"), 4)
    rows = torch.arange(16.0)
    states = torch.arange(4.0).reshape(1, 1, 4, 1)  # [S, layers, sequences, units]
    data.update_values_dict({"obs": rows, "rnn_states": states, "rnn_masks": None})
    assert len(data) == 2 and "rnn_masks" not in data.values_dict
    mb = data[1]
    assert mb["obs"].tolist() == list(range(8, 16)) and mb["obs"]._base is rows
    assert mb["rnn_states"].flatten().tolist() == [2.0, 3.0]  # sequences 2 and 3, whole


def test_rl_games_import_paths_hold_no_implementation() -> None:
    """``rl_games/common`` and ``rl_games/algos_torch`` are re-exports (design.md section 3):
    a function there is at most a one-statement adapter (rl_games' argument order or name)."""
    import ast
    from pathlib import Path

    root = Path(rl_games.__file__).parent
    too_big = []
    for pkg in ("common", "algos_torch"):
        for path in sorted((root / pkg).glob("*.py")):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    body = [
                        s
                        for s in node.body
                        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
                    ]
                    if len(body) > 1:
                        too_big.append(f"{pkg}/{path.name}:{node.name}")
    assert not too_big, f"implementation in a facade module: {too_big}"
