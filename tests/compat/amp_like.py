"""An AMP-style research client written against rl_games' API the way IsaacGymEnvs' AMP
(``learning/common_agent.py``, ``amp_continuous.py``, ``amp_players.py``, ``amp_datasets.py``,
``amp_models.py``, ``amp_network_builder.py``) and its descendants are: it calls
``a2c_common.A2CBase.__init__`` itself, rebuilds the model from ``self.network``, runs its own
``train()`` / ``train_epoch()`` / ``play_steps()`` loops over ``self.obs['obs']``, lazily resets
finished envs through the vecenv's ``reset_done()``, adds ``amp_obs`` to the experience buffer
and the dataset, trains a discriminator in ``calc_gradients`` and logs list-valued train infos.
The env is a 1-D point mass on the torch device whose "demo" transitions stay near the origin.
"""

from __future__ import annotations

import os
import time
from typing import Any

import gym
import numpy as np
import torch
from torch import nn, optim

from rl_games.algos_torch import (
    a2c_continuous,
    model_builder,
    models,
    network_builder,
    players,
    torch_ext,
)
from rl_games.algos_torch.running_mean_std import RunningMeanStd
from rl_games.common import a2c_common, datasets, env_configurations, vecenv
from rl_games.torch_runner import Runner

AMP_OBS_SIZE = 4  # (pos, vel) before and after the step
EPISODE_LENGTH = 32
NUM_ENVS = 16


class PointMassTask:
    """IsaacGym-style task: ``step`` leaves finished envs flagged in ``reset_buf``; the agent's
    ``reset_done()`` (or the next ``step``) resets them. ``infos``: ``amp_obs``, ``terminate``."""

    def __init__(self, num_envs: int, seed: int = 0, device: str = "cpu") -> None:
        self.num_envs, self.device = num_envs, torch.device(device)
        self.gen = torch.Generator(device=self.device).manual_seed(seed)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (2,))
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,))
        self.amp_observation_space = gym.spaces.Box(-np.inf, np.inf, (AMP_OBS_SIZE,))
        self.state = torch.zeros(num_envs, 2, device=self.device)
        self.progress_buf = torch.zeros(num_envs, dtype=torch.long, device=self.device)
        self.reset_buf = torch.ones(num_envs, dtype=torch.bool, device=self.device)
        self.viewer = None

    def reset_idx(self, env_ids: torch.Tensor) -> None:
        noise = torch.rand(len(env_ids), 2, generator=self.gen, device=self.device) * 2 - 1
        self.state[env_ids] = noise
        self.progress_buf[env_ids] = 0
        self.reset_buf[env_ids] = False

    def reset_done(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        env_ids = self.reset_buf.nonzero(as_tuple=False).flatten()
        if len(env_ids) > 0:
            self.reset_idx(env_ids)
        return {"obs": self.state.clone()}, env_ids

    def reset(self) -> dict[str, torch.Tensor]:
        self.reset_buf[:] = True
        return self.reset_done()[0]

    def step(self, actions: torch.Tensor) -> tuple:
        self.reset_done()  # envs nobody reset since they finished start over
        before = self.state.clone()
        vel = 0.9 * before[:, 1] + 0.1 * actions[:, 0].clamp(-1.0, 1.0)
        pos = (before[:, 0] + 0.1 * vel).clamp(-2.0, 2.0)
        self.state = torch.stack([pos, vel], dim=1)
        self.progress_buf += 1
        reward = 1.0 - pos.abs()
        self.reset_buf = self.progress_buf >= EPISODE_LENGTH
        infos = {
            "amp_obs": torch.cat([before, self.state], dim=1),
            "terminate": torch.zeros_like(self.reset_buf),  # time limits only
            "time_outs": self.reset_buf.clone(),
        }
        return {"obs": self.state.clone()}, reward, self.reset_buf.clone(), infos

    def fetch_amp_obs_demo(self, num_samples: int) -> torch.Tensor:
        """Expert transitions: small, slow motion around the origin."""
        return torch.randn(num_samples, AMP_OBS_SIZE, generator=self.gen, device=self.device) * 0.1


class RLGPULikeEnv(vecenv.IVecEnv):
    """IsaacGymEnvs' ``RLGPU`` vecenv: holds the task as ``self.env``, adds ``reset_done``."""

    def __init__(self, config_name: str, num_actors: int, **kwargs: Any) -> None:
        self.env = env_configurations.configurations[config_name]["env_creator"](**kwargs)

    def step(self, actions: torch.Tensor) -> tuple:
        return self.env.step(actions)

    def reset(self) -> dict:
        return self.env.reset()

    def reset_done(self) -> tuple:
        return self.env.reset_done()

    def get_number_of_agents(self) -> int:
        return 1

    def get_env_info(self) -> dict:
        return {
            "action_space": self.env.action_space,
            "observation_space": self.env.observation_space,
            "amp_observation_space": self.env.amp_observation_space,
        }


# ---------------------------------------------------------------------- network, model, dataset
class AMPBuilder(network_builder.A2CBuilder):
    """``actor_critic`` plus a discriminator MLP from the network's ``disc:`` block."""

    class Network(network_builder.A2CBuilder.Network):
        def __init__(self, params: dict, **kwargs: Any) -> None:
            super().__init__(params, **kwargs)
            size = kwargs["amp_input_shape"][0]
            layers: list[nn.Module] = []
            for units in self._disc_units:
                layers += [nn.Linear(size, units), nn.ReLU()]
                size = units
            self._disc_mlp = nn.Sequential(*layers)
            self._disc_logits = nn.Linear(size, 1)

        def load(self, params: dict) -> None:
            super().load(params)
            self._disc_units = list(params["disc"]["units"])

        def eval_disc(self, amp_obs: torch.Tensor) -> torch.Tensor:
            return self._disc_logits(self._disc_mlp(amp_obs))

        def get_disc_logit_weights(self) -> torch.Tensor:
            return torch.flatten(self._disc_logits.weight)

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
        def forward(self, input_dict: dict) -> dict:
            result = super().forward(input_dict)
            if input_dict.get("is_train", True):
                result["disc_agent_logit"] = self.a2c_network.eval_disc(input_dict["amp_obs"])
                result["disc_demo_logit"] = self.a2c_network.eval_disc(input_dict["amp_obs_demo"])
            return result


class AMPDataset(datasets.PPODataset):
    """Minibatches of a fresh random permutation each pass (AMP's dataset)."""

    def __init__(self, batch_size, minibatch_size, is_discrete, is_rnn, device, seq_len) -> None:  # noqa: ANN001
        super().__init__(batch_size, minibatch_size, is_discrete, is_rnn, device, seq_len)
        self._idx_buf = torch.randperm(batch_size)

    def __getitem__(self, idx: int) -> dict:
        start, end = idx * self.minibatch_size, (idx + 1) * self.minibatch_size
        rows = self._idx_buf[start:end]
        out = {k: v[rows] for k, v in self.values_dict.items() if isinstance(v, torch.Tensor)}
        if end >= self.batch_size:
            self._idx_buf[:] = torch.randperm(self.batch_size)
        return out


# ---------------------------------------------------------------------- the agent
class CommonAgent(a2c_continuous.A2CAgent):
    """The shape of IsaacGymEnvs' ``CommonAgent``: its own construction, loop and losses."""

    def __init__(self, base_name: str, params: Any) -> None:
        a2c_common.A2CBase.__init__(self, base_name, params)
        config = params["config"]  # as IsaacGymEnvs does: a plain dict
        self._load_config_params(config)
        self.is_discrete = False
        self._setup_action_space()
        self.bounds_loss_coef = config.get("bounds_loss_coef", None)
        self.clip_actions = config.get("clip_actions", True)
        self.network_path = self.nn_dir
        self.model = self.network.build(self._build_net_config())
        self.model.to(self.ppo_device)
        self.states = None
        self.init_rnn_from_model(self.model)
        self.last_lr = float(self.last_lr)
        self.optimizer = optim.Adam(
            self.model.parameters(), self.last_lr, eps=1e-08, weight_decay=self.weight_decay
        )
        self.dataset = AMPDataset(
            self.batch_size,
            self.minibatch_size,
            self.is_discrete,
            self.is_rnn,
            self.ppo_device,
            self.seq_len,
        )
        self.algo_observer.after_init(self)

    def init_tensors(self) -> None:
        super().init_tensors()
        buf = self.experience_buffer.tensor_dict
        buf["next_obses"] = torch.zeros_like(buf["obses"])
        buf["next_values"] = torch.zeros_like(buf["values"])
        self.tensor_list += ["next_obses"]

    def train(self) -> tuple:
        self.init_tensors()
        self.last_mean_rewards = -100500
        total_time = 0.0
        self.obs = self.env_reset()
        self.curr_frames = self.batch_size_envs
        self.model_output_file = os.path.join(self.network_path, self.config["name"])
        self._init_train()
        while True:
            epoch_num = self.update_epoch()
            train_info = self.train_epoch()
            total_time += train_info["total_time"]
            frame = self.frame
            self.frame += self.curr_frames
            self.writer.add_scalar(
                "performance/step_fps", self.curr_frames / train_info["play_time"], frame
            )
            self.writer.add_scalar("info/epochs", epoch_num, frame)
            self._log_train_info(train_info, frame)
            self.algo_observer.after_print_stats(frame, epoch_num, total_time)
            if self.game_rewards.current_size > 0:
                mean_rewards = self.game_rewards.get_mean()
                self.writer.add_scalar("rewards/frame", mean_rewards[0], frame)
                self.writer.add_scalar("episode_lengths/frame", self.game_lengths.get_mean(), frame)
            if self.save_freq > 0 and epoch_num % self.save_freq == 0:
                self.save(self.model_output_file + "_" + str(epoch_num))
            if epoch_num >= self.max_epochs:
                self.save(self.model_output_file)
                return self.last_mean_rewards, epoch_num

    def train_epoch(self) -> dict:
        play_time_start = time.time()
        with torch.no_grad():
            batch_dict = self.play_steps()
        play_time_end = time.time()
        self.set_train()
        self.curr_frames = batch_dict.pop("played_frames")
        self.prepare_dataset(batch_dict)
        self.algo_observer.after_steps()
        train_info: dict = {}
        for _ in range(self.mini_epochs_num):
            for i in range(len(self.dataset)):
                curr_train_info = self.train_actor_critic(self.dataset[i])
                for k, v in curr_train_info.items():
                    train_info.setdefault(k, []).append(v)
            av_kls = torch_ext.mean_list(train_info["kl"])
            self.last_lr, self.entropy_coef = self.scheduler.update(
                self.last_lr, self.entropy_coef, self.epoch_num, 0, av_kls.item()
            )
            self.update_lr(self.last_lr)
        end = time.time()
        train_info["play_time"] = play_time_end - play_time_start
        train_info["update_time"] = end - play_time_end
        train_info["total_time"] = end - play_time_start
        self._record_train_batch_info(batch_dict, train_info)
        return train_info

    def play_steps(self) -> dict:
        self.set_eval()
        for n in range(self.horizon_length):
            self.obs, done_env_ids = self._env_reset_done()
            self.experience_buffer.update_data("obses", n, self.obs["obs"])
            res_dict = self.get_action_values(self.obs)
            for k in self.update_list:
                self.experience_buffer.update_data(k, n, res_dict[k])
            self.obs, rewards, self.dones, infos = self.env_step(res_dict["actions"])
            shaped_rewards = self.rewards_shaper(rewards)
            self.experience_buffer.update_data("rewards", n, shaped_rewards)
            self.experience_buffer.update_data("next_obses", n, self.obs["obs"])
            self.experience_buffer.update_data("dones", n, self.dones)
            self._record_step_infos(n, infos)
            terminated = infos["terminate"].float().unsqueeze(-1)
            next_vals = self._eval_critic(self.obs) * (1.0 - terminated)
            self.experience_buffer.update_data("next_values", n, next_vals)

            self.current_rewards += rewards
            self.current_lengths += 1
            done_indices = self.dones.nonzero(as_tuple=False)[:: self.num_agents]
            self.game_rewards.update(self.current_rewards[done_indices])
            self.game_lengths.update(self.current_lengths[done_indices])
            self.algo_observer.process_infos(infos, done_indices)
            not_dones = 1.0 - self.dones.float()
            self.current_rewards = self.current_rewards * not_dones.unsqueeze(1)
            self.current_lengths = self.current_lengths * not_dones

        buf = self.experience_buffer.tensor_dict
        mb_rewards = self._task_rewards(buf["rewards"])
        mb_advs = self.discount_values(
            buf["dones"].float(), buf["values"], mb_rewards, buf["next_values"]
        )
        batch_dict = self.experience_buffer.get_transformed_list(
            a2c_common.swap_and_flatten01, self.tensor_list
        )
        batch_dict["returns"] = a2c_common.swap_and_flatten01(mb_advs + buf["values"])
        batch_dict["played_frames"] = self.batch_size
        return batch_dict

    def _record_step_infos(self, n: int, infos: dict) -> None:
        return

    def _task_rewards(self, mb_rewards: torch.Tensor) -> torch.Tensor:
        return mb_rewards

    def discount_values(self, mb_fdones, mb_values, mb_rewards, mb_next_values):  # noqa: ANN001, ANN201
        lastgaelam = 0
        mb_advs = torch.zeros_like(mb_rewards)
        for t in reversed(range(self.horizon_length)):
            not_done = (1.0 - mb_fdones[t]).unsqueeze(1)
            delta = mb_rewards[t] + self.gamma * mb_next_values[t] - mb_values[t]
            lastgaelam = delta + self.gamma * self.tau * not_done * lastgaelam
            mb_advs[t] = lastgaelam
        return mb_advs

    def calc_gradients(self, input_dict: dict) -> None:
        self.set_train()
        batch_dict = {
            "is_train": True,
            "prev_actions": input_dict["actions"],
            "obs": self._preproc_obs(input_dict["obs"]),
        }
        batch_dict.update(self._extra_model_inputs(input_dict))
        res_dict = self.model(batch_dict)
        a_info = self._actor_loss(
            input_dict["old_logp_actions"], res_dict["prev_neglogp"], input_dict["advantages"]
        )
        c_info = self._critic_loss(
            input_dict["old_values"], res_dict["values"], input_dict["returns"]
        )
        b_loss = self.bound_loss(res_dict["mus"])
        losses, _ = torch_ext.apply_masks(
            [
                a_info["actor_loss"].unsqueeze(1),
                c_info["critic_loss"],
                res_dict["entropy"].unsqueeze(1),
                b_loss.unsqueeze(1),
            ],
            None,
        )
        a_loss, c_loss, entropy, b_loss = losses
        loss = a_loss + self.critic_coef * c_loss - self.entropy_coef * entropy
        loss = loss + self.bounds_loss_coef * b_loss
        extra_info = self._extra_losses(res_dict, input_dict)
        for value in extra_info.pop("loss_terms", []):
            loss = loss + value
        for param in self.model.parameters():
            param.grad = None
        self.scaler.scale(loss).backward()
        if self.truncate_grads:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_norm)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        with torch.no_grad():
            kl_dist = torch_ext.policy_kl(
                res_dict["mus"].detach(),
                res_dict["sigmas"].detach(),
                input_dict["mu"],
                input_dict["sigma"],
                True,
            )
        self.train_result = {
            "entropy": entropy,
            "kl": kl_dist,
            "last_lr": self.last_lr,
            "lr_mul": 1.0,
            "b_loss": b_loss,
        }
        self.train_result.update(a_info)
        self.train_result.update(c_info)
        self.train_result.update(extra_info)

    def _extra_model_inputs(self, input_dict: dict) -> dict:
        return {}

    def _extra_losses(self, res_dict: dict, input_dict: dict) -> dict:
        return {}

    def _load_config_params(self, config: dict) -> None:
        self.last_lr = config["learning_rate"]

    def _build_net_config(self) -> dict:
        return {
            "actions_num": self.actions_num,
            "input_shape": torch_ext.shape_whc_to_cwh(self.obs_shape),
            "num_seqs": self.num_actors * self.num_agents,
            "value_size": self.env_info.get("value_size", 1),
            "normalize_value": self.normalize_value,
            "normalize_input": self.normalize_input,
        }

    def _setup_action_space(self) -> None:
        action_space = self.env_info["action_space"]
        self.actions_num = action_space.shape[0]
        self.actions_low = torch.from_numpy(action_space.low.copy()).float().to(self.ppo_device)
        self.actions_high = torch.from_numpy(action_space.high.copy()).float().to(self.ppo_device)

    def _init_train(self) -> None:
        return

    def _env_reset_done(self) -> tuple:
        obs, done_env_ids = self.vec_env.reset_done()
        return self.obs_to_tensors(obs), done_env_ids

    def _eval_critic(self, obs_dict: dict) -> torch.Tensor:
        self.model.eval()
        res = self.model({"is_train": False, "obs": self._preproc_obs(obs_dict["obs"])})
        return res["values"]  # de-normalized, as value_mean_std(value, True) gives

    def _actor_loss(self, old_logp, logp, advantage) -> dict:  # noqa: ANN001
        ratio = torch.exp(old_logp - logp)
        surr1 = advantage * ratio
        surr2 = advantage * torch.clamp(ratio, 1.0 - self.e_clip, 1.0 + self.e_clip)
        clipped = torch.abs(ratio - 1.0) > self.e_clip
        return {"actor_loss": torch.max(-surr1, -surr2), "actor_clip_frac": clipped.float().mean()}

    def _critic_loss(self, value_preds, values, returns) -> dict:  # noqa: ANN001
        clipped = value_preds + (values - value_preds).clamp(-self.e_clip, self.e_clip)
        losses = torch.max((values - returns) ** 2, (clipped - returns) ** 2)
        return {"critic_loss": losses}

    def _record_train_batch_info(self, batch_dict: dict, train_info: dict) -> None:
        return

    def _log_train_info(self, train_info: dict, frame: int) -> None:
        w = self.writer
        w.add_scalar("performance/update_time", train_info["update_time"], frame)
        w.add_scalar("performance/play_time", train_info["play_time"], frame)
        w.add_scalar("losses/a_loss", torch_ext.mean_list(train_info["actor_loss"]).item(), frame)
        w.add_scalar("losses/c_loss", torch_ext.mean_list(train_info["critic_loss"]).item(), frame)
        w.add_scalar("losses/entropy", torch_ext.mean_list(train_info["entropy"]).item(), frame)
        w.add_scalar("info/last_lr", train_info["last_lr"][-1], frame)
        w.add_scalar("info/kl", torch_ext.mean_list(train_info["kl"]).item(), frame)


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return nn.functional.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


class AMPAgent(CommonAgent):
    """PPO plus a discriminator telling the policy's transitions from demo ones; its logit
    turns into a style reward mixed with the task reward."""

    def __init__(self, base_name: str, params: Any) -> None:
        super().__init__(base_name, params)
        if self.normalize_value:
            self.value_mean_std = self.model.value_mean_std
        self._amp_input_mean_std = RunningMeanStd(self._amp_observation_space.shape).to(
            self.ppo_device
        )
        self.disc_updates = 0

    def init_tensors(self) -> None:
        super().init_tensors()
        batch_shape = self.experience_buffer.obs_base_shape  # rl_games: (horizon, envs)
        self.experience_buffer.tensor_dict["amp_obs"] = torch.zeros(
            batch_shape + self._amp_observation_space.shape, device=self.ppo_device
        )
        self.tensor_list += ["amp_obs"]

    def set_eval(self) -> None:
        super().set_eval()
        self._amp_input_mean_std.eval()

    def set_train(self) -> None:
        super().set_train()
        self._amp_input_mean_std.train()

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

    def _load_config_params(self, config: dict) -> None:
        super()._load_config_params(config)
        self._amp_observation_space = self.env_info["amp_observation_space"]
        self._disc_coef = float(config["disc_coef"])
        self._disc_reward_w = float(config["disc_reward_w"])
        self._amp_batch_size = int(config["amp_batch_size"])

    def _build_net_config(self) -> dict:
        config = super()._build_net_config()
        config["amp_input_shape"] = self._amp_observation_space.shape
        return config

    def _init_train(self) -> None:
        super()._init_train()
        self._demo_obs = self.vec_env.env.fetch_amp_obs_demo(self._amp_batch_size)

    def _record_step_infos(self, n: int, infos: dict) -> None:
        self.experience_buffer.update_data("amp_obs", n, infos["amp_obs"])

    def _task_rewards(self, mb_rewards: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():  # style reward -log(1 - D(s, s'))
            prob = torch.sigmoid(self._eval_disc(self.experience_buffer.tensor_dict["amp_obs"]))
            disc_r = -torch.log(torch.clamp(1 - prob, min=1e-4))
        return mb_rewards + self._disc_reward_w * disc_r

    def train_epoch(self) -> dict:
        self._demo_obs = self.vec_env.env.fetch_amp_obs_demo(self._amp_batch_size)
        return super().train_epoch()

    def prepare_dataset(self, batch_dict: dict) -> None:
        super().prepare_dataset(batch_dict)
        rows = batch_dict["amp_obs"].shape[0]
        demo = self._demo_obs[torch.randint(len(self._demo_obs), (rows,), device=self.ppo_device)]
        self.dataset.values_dict["amp_obs"] = batch_dict["amp_obs"]
        self.dataset.values_dict["amp_obs_demo"] = demo

    def _preproc_amp_obs(self, amp_obs: torch.Tensor) -> torch.Tensor:
        return self._amp_input_mean_std(amp_obs)

    def _eval_disc(self, amp_obs: torch.Tensor) -> torch.Tensor:
        return self.model.a2c_network.eval_disc(self._preproc_amp_obs(amp_obs))

    def _extra_model_inputs(self, input_dict: dict) -> dict:
        return {
            "amp_obs": self._preproc_amp_obs(input_dict["amp_obs"]),
            "amp_obs_demo": self._preproc_amp_obs(input_dict["amp_obs_demo"]),
        }

    def _extra_losses(self, res_dict: dict, input_dict: dict) -> dict:
        agent_logit, demo_logit = res_dict["disc_agent_logit"], res_dict["disc_demo_logit"]
        disc_loss = 0.5 * (_bce(agent_logit, 0.0) + _bce(demo_logit, 1.0))
        logit_loss = torch.sum(torch.square(self.model.a2c_network.get_disc_logit_weights()))
        disc_loss = disc_loss + 0.01 * logit_loss
        self.disc_updates += 1
        return {
            "loss_terms": [self._disc_coef * disc_loss],
            "disc_loss": disc_loss.detach(),
            "disc_demo_acc": (demo_logit > 0).float().mean(),
        }

    def _log_train_info(self, train_info: dict, frame: int) -> None:
        super()._log_train_info(train_info, frame)
        w = self.writer
        w.add_scalar("losses/disc_loss", torch_ext.mean_list(train_info["disc_loss"]).item(), frame)
        acc = torch_ext.mean_list(train_info["disc_demo_acc"]).item()
        w.add_scalar("info/disc_demo_acc", acc, frame)


class AMPPlayerContinuous(players.PpoPlayerContinuous):
    """Plays the AMP model; restores the discriminator's input normalizer too."""

    def _build_net_config(self) -> dict:
        config = super()._build_net_config()
        config["amp_input_shape"] = self.env.env_info["amp_observation_space"].shape
        self._amp_input_mean_std = RunningMeanStd(config["amp_input_shape"]).to(self.device)
        self._amp_input_mean_std.eval()
        return config

    def restore(self, fn: str) -> None:
        super().restore(fn)
        checkpoint = torch_ext.load_checkpoint(fn)
        self._amp_input_mean_std.load_state_dict(checkpoint["amp_input_mean_std"])


TRAIN_CONFIG: dict[str, Any] = {
    "seed": 5,
    "algo": {"name": "amp_continuous"},
    "model": {"name": "continuous_amp"},
    "network": {
        "name": "amp",
        "separate": True,
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
        "reward_shaper": {"scale_value": 1.0},
        "normalize_advantage": True,
        "gamma": 0.95,
        "tau": 0.95,
        "learning_rate": 3e-3,
        "lr_schedule": "fixed",
        "score_to_win": 100000,
        "max_epochs": 4,
        "save_frequency": 0,
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
        "num_actors": NUM_ENVS,
        "disc_coef": 5.0,
        "disc_reward_w": 0.5,
        "amp_batch_size": 512,
        "player": {"games_num": 4, "deterministic": True},
    },
}


def register(runner: Runner) -> None:
    """What IsaacGymEnvs' ``train.py`` registers before ``runner.load``."""
    env_configurations.register(
        "amp_point",
        {
            "vecenv_type": "RLGPU_LIKE",
            "env_creator": lambda **kwargs: PointMassTask(NUM_ENVS, **kwargs),
        },
    )
    vecenv.register(
        "RLGPU_LIKE",
        lambda config_name, num_actors, **kwargs: RLGPULikeEnv(config_name, num_actors, **kwargs),
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
