"""An AMP-style research client, written against rl_games' API as IsaacGymEnvs' AMP is: a torch
env that puts per-step discriminator features in ``infos['amp_obs']``, an agent subclassing
``A2CAgent`` (extra experience field, demo samples in the batch, a discriminator loss in
``calc_gradients``, its own logging and checkpoint entries), its model, network builder and player,
all registered on the Runner's factories the way IsaacGymEnvs' ``train.py`` does.
"""

from __future__ import annotations

from typing import Any

import gym
import numpy as np
import torch
from torch import nn

from rl_games.algos_torch import a2c_continuous, model_builder, models, network_builder, players
from rl_games.algos_torch.running_mean_std import RunningMeanStd
from rl_games.common import env_configurations, vecenv
from rl_games.torch_runner import Runner

AMP_OBS_SIZE = 4  # (pos, vel) before and after the step
EPISODE_LENGTH = 32


class PointMassTask:
    """1-D point mass on the torch device: obs (pos, vel), force in [-1, 1], reward for staying
    near the origin; ``infos = {'amp_obs': [N, 4], 'time_outs': [N]}``."""

    def __init__(self, num_envs: int, seed: int = 0, device: str = "cpu") -> None:
        self.num_envs, self.device = num_envs, torch.device(device)
        self.gen = torch.Generator(device=self.device).manual_seed(seed)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (2,))
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,))
        self.amp_observation_space = gym.spaces.Box(-np.inf, np.inf, (AMP_OBS_SIZE,))
        self.state = torch.zeros(num_envs, 2, device=self.device)
        self.steps = torch.zeros(num_envs, dtype=torch.long, device=self.device)

    def _reset_rows(self, rows: torch.Tensor) -> None:
        noise = torch.rand(self.num_envs, 2, generator=self.gen, device=self.device) * 2 - 1
        self.state = torch.where(rows[:, None], noise, self.state)
        self.steps = torch.where(rows, 0, self.steps)

    def reset(self) -> dict[str, torch.Tensor]:
        self._reset_rows(torch.ones(self.num_envs, dtype=torch.bool, device=self.device))
        return {"obs": self.state.clone()}

    def step(self, actions: torch.Tensor) -> tuple:
        before = self.state
        vel = 0.9 * before[:, 1] + 0.1 * actions[:, 0].clamp(-1.0, 1.0)
        pos = (before[:, 0] + 0.1 * vel).clamp(-2.0, 2.0)
        self.state = torch.stack([pos, vel], dim=1)
        self.steps += 1
        reward = 1.0 - pos.abs()
        time_outs = self.steps >= EPISODE_LENGTH
        amp_obs = torch.cat([before, self.state], dim=1)
        self._reset_rows(time_outs)
        infos = {"amp_obs": amp_obs, "time_outs": time_outs}
        return {"obs": self.state.clone()}, reward, time_outs, infos


class PointMassVecEnv(vecenv.IVecEnv):
    """The ``RLGPU``-style vecenv around the task (made by the registered creator)."""

    def __init__(self, config_name: str, num_actors: int, **kwargs: Any) -> None:
        self.env = env_configurations.configurations[config_name]["env_creator"](**kwargs)

    def step(self, actions: torch.Tensor) -> tuple:
        return self.env.step(actions)

    def reset(self) -> dict:
        return self.env.reset()

    def get_number_of_agents(self) -> int:
        return 1

    def get_env_info(self) -> dict:
        return {
            "action_space": self.env.action_space,
            "observation_space": self.env.observation_space,
            "amp_observation_space": self.env.amp_observation_space,
        }


class AMPBuilder(network_builder.A2CBuilder):
    """``actor_critic`` plus a discriminator MLP read from the network's ``disc:`` key."""

    class Network(network_builder.A2CBuilder.Network):
        def __init__(self, params: dict, **kwargs: Any) -> None:
            super().__init__(params, **kwargs)
            size = kwargs["amp_input_shape"][0]
            layers: list[nn.Module] = []
            for units in self.disc_units:
                layers += [nn.Linear(size, units), nn.ReLU()]
                size = units
            self.disc_mlp = nn.Sequential(*layers)
            self.disc_logits = nn.Linear(size, 1)

        def load(self, params: dict) -> None:
            super().load(params)
            self.disc_units = list(params["disc"]["units"])

        def eval_disc(self, amp_obs: torch.Tensor) -> torch.Tensor:
            return self.disc_logits(self.disc_mlp(amp_obs))

    def build(self, name: str, **kwargs: Any) -> nn.Module:
        return AMPBuilder.Network(self.params, **kwargs)


class ModelAMPContinuous(models.ModelA2CContinuousLogStd):
    def build(self, config: dict) -> nn.Module:
        net = self.network_builder.build("amp", **config)
        return self.Network(
            net,
            obs_shape=config["input_shape"],
            normalize_value=config.get("normalize_value", False),
            normalize_input=config.get("normalize_input", False),
            value_size=config.get("value_size", 1),
        )

    class Network(models.ModelA2CContinuousLogStd.Network):
        def eval_disc(self, amp_obs: torch.Tensor) -> torch.Tensor:
            return self.a2c_network.eval_disc(amp_obs)


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return nn.functional.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


class AMPAgent(a2c_continuous.A2CAgent):
    """PPO plus a discriminator trained to tell the policy's transitions from demo ones."""

    def __init__(self, base_name: str, params: Any) -> None:
        super().__init__(base_name, params)
        self._disc_coef = float(self.config["disc_coef"])
        self._amp_input_mean_std = RunningMeanStd((AMP_OBS_SIZE,)).to(self.ppo_device)
        self.disc_updates = 0

    def _build_net_config(self) -> dict:
        config = super()._build_net_config()
        config["amp_input_shape"] = self.vec_env.env_info["amp_observation_space"].shape
        return config

    def init_tensors(self) -> None:
        super().init_tensors()
        obses = self.experience_buffer.tensor_dict["obses"]
        self.experience_buffer.tensor_dict["next_obses"] = torch.zeros_like(obses)
        self.experience_buffer.add_field("amp_obs", (AMP_OBS_SIZE,))
        self.tensor_list += ["amp_obs", "next_obses"]

    def update_step_data(self, n: int, infos: Any) -> None:
        self.experience_buffer.update_data("amp_obs", n, infos["amp_obs"])
        self.experience_buffer.update_data("next_obses", n, self.obs)

    def play_steps(self) -> dict:
        batch_dict = super().play_steps()
        demo = torch.randn(self.batch_size, AMP_OBS_SIZE, device=self.ppo_device) * 0.1
        batch_dict["amp_obs_demo"] = demo  # "expert" transitions: still near the origin
        return batch_dict

    def prepare_dataset(self, batch_dict: dict) -> None:
        super().prepare_dataset(batch_dict)
        with torch.no_grad():
            self._amp_input_mean_std.train()
            self._amp_input_mean_std(batch_dict["amp_obs"])
            self._amp_input_mean_std.eval()
        self.dataset.values_dict["amp_obs"] = batch_dict["amp_obs"]
        self.dataset.values_dict["amp_obs_demo"] = batch_dict["amp_obs_demo"]

    def calc_gradients(self, input_dict: dict) -> None:
        loss, info = self.calc_losses(input_dict)
        agent_logit = self.model.eval_disc(self._amp_input_mean_std(input_dict["amp_obs"]))
        demo_logit = self.model.eval_disc(self._amp_input_mean_std(input_dict["amp_obs_demo"]))
        disc_loss = 0.5 * (_bce(agent_logit, 0.0) + _bce(demo_logit, 1.0))
        info["disc_loss"] = disc_loss.detach()
        info["disc_demo_acc"] = (demo_logit > 0).float().mean()
        self.apply_gradients(loss + self._disc_coef * disc_loss, info)
        self.disc_updates += 1
        self.train_result = info

    def _log_train_info(self, train_info: dict, frame: int) -> None:
        super()._log_train_info(train_info, frame)
        self.writer.add_scalar("losses/disc_loss", train_info["disc_loss"], frame)
        self.writer.add_scalar("info/disc_demo_acc", train_info["disc_demo_acc"], frame)

    def get_stats_weights(self, model_stats: bool = False) -> dict:
        state = super().get_stats_weights(model_stats)
        state["amp_input_mean_std"] = self._amp_input_mean_std.state_dict()
        return state

    def set_stats_weights(self, weights: dict) -> None:
        super().set_stats_weights(weights)
        self._amp_input_mean_std.load_state_dict(weights["amp_input_mean_std"])

    def get_full_state_weights(self) -> dict:
        state = super().get_full_state_weights()
        state["disc_updates"] = self.disc_updates
        return state

    def set_full_state_weights(self, weights: dict) -> None:
        super().set_full_state_weights(weights)
        self.disc_updates = int(weights["disc_updates"])


class AMPPlayerContinuous(players.PpoPlayerContinuous):
    def _build_net_config(self) -> dict:
        config = super()._build_net_config()
        config["amp_input_shape"] = self.env.env_info["amp_observation_space"].shape
        return config


TRAIN_CONFIG: dict[str, Any] = {
    "seed": 5,
    "algo": {"name": "amp_continuous"},
    "model": {"name": "continuous_amp"},
    "network": {
        "name": "amp",
        "separate": False,
        "space": {
            "continuous": {
                "mu_activation": "None",
                "sigma_activation": "None",
                "mu_init": {"name": "default"},
                "sigma_init": {"name": "const_initializer", "val": 0},
                "fixed_sigma": True,
            }
        },
        "mlp": {"units": [32, 32], "activation": "elu", "initializer": {"name": "default"}},
        "disc": {"units": [32]},
    },
    "config": {
        "name": "amp_point",
        "env_name": "amp_point",
        "device": "cpu",
        "normalize_input": True,
        "normalize_value": True,
        "value_bootstrap": True,
        "reward_shaper": {"scale_value": 1.0},
        "normalize_advantage": True,
        "gamma": 0.95,
        "tau": 0.95,
        "learning_rate": 3e-3,
        "lr_schedule": "fixed",
        "score_to_win": 100000,
        "max_epochs": 4,
        "save_frequency": 0,
        "save_best_after": 1,
        "grad_norm": 1.0,
        "entropy_coef": 0.0,
        "truncate_grads": True,
        "e_clip": 0.2,
        "horizon_length": 32,
        "minibatch_size": 256,
        "mini_epochs": 2,
        "critic_coef": 2,
        "clip_value": True,
        "bounds_loss_coef": 0.0001,
        "num_actors": 16,
        "disc_coef": 5.0,
        "player": {"games_num": 4, "deterministic": True},
    },
}


def register(runner: Runner) -> None:
    """What IsaacGymEnvs' ``train.py`` registers before ``runner.load``."""
    env_configurations.register(
        "amp_point",
        {"vecenv_type": "AMPPOINT", "env_creator": lambda **kwargs: PointMassTask(16, **kwargs)},
    )
    vecenv.register(
        "AMPPOINT",
        lambda config_name, num_actors, **kwargs: PointMassVecEnv(
            config_name, num_actors, **kwargs
        ),
    )
    runner.algo_factory.register_builder("amp_continuous", lambda **kwargs: AMPAgent(**kwargs))
    runner.player_factory.register_builder(
        "amp_continuous", lambda **kwargs: AMPPlayerContinuous(**kwargs)
    )
    model_builder.register_model(
        "continuous_amp", lambda network, **kwargs: ModelAMPContinuous(network)
    )
    model_builder.register_network("amp", AMPBuilder)


__all__ = ["AMPAgent", "AMPPlayerContinuous", "TRAIN_CONFIG", "register"]
