"""An IsaacGymEnvs client, played by us: a ``VecTask``-like torch env built through an
``isaacgymenvs.make``-shaped function (positional ``seed``), its ``RLGPUEnv`` vecenv (no
``num_envs`` attribute: only ``get_env_info``), ``RLGPUAlgoObserver`` / ``MultiObserver`` and the
Hydra + OmegaConf ``train.py`` sequence, calling our package where that script calls rl_games.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import gym
import numpy as np
import torch
from isaaclab_like import CartpoleDirectEnv
from omegaconf import DictConfig, OmegaConf

from rl_games.algos_torch import torch_ext
from rl_games.common import env_configurations, vecenv
from rl_games.torch_runner import Runner
from rl_games.training.observers import AlgoObserver

# IsaacGymEnvs' cfg/config.yaml + cfg/train/CartpolePPO.yaml shape: Hydra interpolations kept
HYDRA_CFG = """
task_name: Cartpole
experiment: ''
num_envs: ''
seed: 42
torch_deterministic: false
max_iterations: ''
test: false
checkpoint: ''
sigma: ''
rl_device: cpu
sim_device: cpu
graphics_device_id: 0
headless: true
multi_gpu: false
capture_video: false
force_render: false
pbt: {enabled: false}
task:
  name: Cartpole
  env:
    numEnvs: ${resolve_default:256,${...num_envs}}
    clipObservations: 5.0
    clipActions: 1.0
train:
  params:
    seed: ${...seed}
    algo: {name: a2c_continuous}
    model: {name: continuous_a2c_logstd}
    network:
      name: actor_critic
      separate: false
      space:
        continuous:
          mu_activation: None
          sigma_activation: None
          mu_init: {name: default}
          sigma_init: {name: const_initializer, val: 0}
          fixed_sigma: true
      mlp:
        units: [32, 32]
        activation: elu
        initializer: {name: default}
        regularizer: {name: None}
    load_checkpoint: ${if:${...checkpoint},True,False}
    load_path: ${...checkpoint}
    config:
      name: ${resolve_default:Cartpole,${....experiment}}
      full_experiment_name: ${.name}
      env_name: rlgpu
      multi_gpu: ${....multi_gpu}
      ppo: true
      mixed_precision: false
      normalize_input: true
      normalize_value: true
      num_actors: ${....task.env.numEnvs}
      reward_shaper: {scale_value: 0.1}
      normalize_advantage: true
      gamma: 0.99
      tau: 0.95
      learning_rate: 3e-4
      lr_schedule: adaptive
      kl_threshold: 0.008
      score_to_win: 20000
      max_epochs: ${resolve_default:100,${....max_iterations}}
      save_best_after: 50
      save_frequency: 25
      grad_norm: 1.0
      entropy_coef: 0.0
      truncate_grads: true
      e_clip: 0.2
      horizon_length: 16
      minibatch_size: 1024
      mini_epochs: 8
      critic_coef: 4
      clip_value: true
      seq_len: 4
      bounds_loss_coef: 0.0001
      player: {games_num: 64}
"""


def register_resolvers() -> None:
    """The OmegaConf resolvers IsaacGymEnvs registers in its package __init__."""
    resolvers = {
        "eq": lambda x, y: x.lower() == y.lower(),
        "if": lambda pred, a, b: a if pred else b,
        "resolve_default": lambda default, arg: default if arg == "" else arg,
    }
    for name, fn in resolvers.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn)


def omegaconf_to_dict(d: DictConfig) -> dict:
    """IsaacGymEnvs' converter: nested DictConfigs become dicts, ListConfigs stay as they are."""
    return {k: omegaconf_to_dict(v) if isinstance(v, DictConfig) else v for k, v in d.items()}


class CartpoleVecTask:
    """``VecTask`` contract: ``obs_dict = {'obs': ...}``, ``step -> (obs_dict, rew, reset, extras)``
    with ``extras['time_outs']``, gym 0.26 spaces, ``num_states`` 0."""

    def __init__(self, cfg: DictConfig, seed: int, num_envs: int, rl_device: str) -> None:
        self.sim = CartpoleDirectEnv(num_envs, device=rl_device, seed=seed)
        self.clip_obs, self.clip_actions = cfg.task.env.clipObservations, cfg.task.env.clipActions
        self.num_envs, self.num_states = num_envs, 0
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (4,))
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,))

    def get_number_of_agents(self) -> int:
        return 1

    def _obs(self, groups: dict) -> dict:
        return {"obs": groups["policy"].clamp(-self.clip_obs, self.clip_obs)}

    def reset(self) -> dict:
        return self._obs(self.sim.reset()[0])

    def step(self, actions: torch.Tensor) -> tuple:
        actions = actions.clamp(-self.clip_actions, self.clip_actions)
        groups, rew, terminated, truncated, _ = self.sim.step(actions)
        extras = {"time_outs": truncated}
        return self._obs(groups), rew, terminated | truncated, extras


def make(seed: int, task: str, num_envs: int, sim_device: str, rl_device: str,
         graphics_device_id: int, headless: bool, multi_gpu: bool = False,
         virtual_screen_capture: bool = False, force_render: bool = True,
         cfg: DictConfig | None = None, **kwargs: Any) -> CartpoleVecTask:  # fmt: skip
    """``isaacgymenvs.make``'s signature: ``seed`` is positional, so a ``seed=`` keyword from the
    runner would be a TypeError (rl_games passes only the YAML's ``env_config``)."""
    assert not kwargs, f"the env creator got unexpected arguments {kwargs}"
    return CartpoleVecTask(cfg, seed, num_envs, rl_device)


class RLGPUEnv(vecenv.IVecEnv):
    def __init__(self, config_name: str, num_actors: int, **kwargs: Any) -> None:
        self.env = env_configurations.configurations[config_name]["env_creator"](**kwargs)

    def step(self, actions: torch.Tensor) -> tuple:
        return self.env.step(actions)

    def reset(self) -> dict:
        return self.env.reset()

    def get_number_of_agents(self) -> int:
        return self.env.get_number_of_agents()

    def get_env_info(self) -> dict:
        info = {
            "action_space": self.env.action_space,
            "observation_space": self.env.observation_space,
        }
        if self.env.num_states > 0:
            info["state_space"] = self.env.state_space
        return info


class RLGPUAlgoObserver(AlgoObserver):
    """Reads the agent by rl_games' names (``writer``, ``device``, ``games_to_track``)."""

    def __init__(self) -> None:
        super().__init__()
        self.algo, self.writer, self.direct_info = None, None, {}
        self.lengths: deque = deque(maxlen=100)
        self.seen_infos = 0

    def after_init(self, algo: Any) -> None:
        self.algo, self.writer = algo, algo.writer
        self.lengths = deque(maxlen=algo.games_to_track)

    def process_infos(self, infos: Any, done_indices: Any) -> None:
        assert isinstance(infos, dict), "RLGPUAlgoObserver expects dict info"
        self.seen_infos += 1
        self.direct_info = {k: v for k, v in infos.items() if isinstance(v, (int, float))}

    def after_print_stats(self, frame: int, epoch_num: int, total_time: float) -> None:
        value = torch_ext.mean_list([torch.tensor(float(self.seen_infos))])
        self.writer.add_scalar("observer/process_infos_calls", value, epoch_num)


class MultiObserver(AlgoObserver):
    def __init__(self, observers: list[AlgoObserver]) -> None:
        super().__init__()
        self.observers = observers

    def _call(self, method: str, *args: Any) -> None:
        for o in self.observers:
            getattr(o, method)(*args)

    def before_init(self, base_name: str, config: Any, experiment_name: str) -> None:
        self._call("before_init", base_name, config, experiment_name)

    def after_init(self, algo: Any) -> None:
        self._call("after_init", algo)

    def process_infos(self, infos: Any, done_indices: Any) -> None:
        self._call("process_infos", infos, done_indices)

    def after_steps(self) -> None:
        self._call("after_steps")

    def after_clear_stats(self) -> None:
        self._call("after_clear_stats")

    def after_print_stats(self, frame: int, epoch_num: int, total_time: float) -> None:
        self._call("after_print_stats", frame, epoch_num, total_time)


def launch(overrides: list[str]) -> tuple[Runner, RLGPUAlgoObserver, Any]:
    """train.py's ``launch_rlg_hydra`` body for a config composed with ``overrides``."""
    register_resolvers()
    cfg = OmegaConf.merge(OmegaConf.create(HYDRA_CFG), OmegaConf.from_dotlist(overrides))

    def create_isaacgym_env(**kwargs: Any) -> CartpoleVecTask:
        return make(cfg.seed, cfg.task_name, cfg.task.env.numEnvs, cfg.sim_device, cfg.rl_device,
                    cfg.graphics_device_id, cfg.headless, cfg.multi_gpu, cfg.capture_video,
                    cfg.force_render, cfg, **kwargs)  # fmt: skip

    env_configurations.register(
        "rlgpu",
        {"vecenv_type": "RLGPU", "env_creator": lambda **kwargs: create_isaacgym_env(**kwargs)},
    )
    vecenv.register(
        "RLGPU",
        lambda config_name, num_actors, **kwargs: RLGPUEnv(config_name, num_actors, **kwargs),
    )
    rlg_config_dict = omegaconf_to_dict(cfg.train)
    train_cfg = rlg_config_dict["params"]["config"]
    train_cfg["device"] = cfg.rl_device
    train_cfg["population_based_training"] = cfg.pbt.enabled
    train_cfg["pbt_idx"] = None
    train_cfg["full_experiment_name"] = cfg.get("full_experiment_name")
    observer = RLGPUAlgoObserver()
    runner = Runner(MultiObserver([observer]))
    runner.load(rlg_config_dict)
    runner.reset()
    result = runner.run(
        {
            "train": not cfg.test,
            "play": cfg.test,
            "checkpoint": cfg.checkpoint,
            "sigma": cfg.sigma if cfg.sigma != "" else None,
        }
    )
    return runner, observer, result
