"""PPO for continuous, discrete and multi-discrete actions: one implementation, the action head
(the model) is the only thing that varies."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from rl_games.algos.central_value import build_central_value, load_critic_only, trains_actor_value
from rl_games.algos.ppo.diagnostics import write_diagnostics
from rl_games.algos.ppo.rollout import play_steps
from rl_games.algos.ppo.update import prepare_batch, train_epoch_updates, training_stats
from rl_games.builders import build_model
from rl_games.common import distributed as dist_utils
from rl_games.common import schedulers
from rl_games.common.moving_stats import MovingMeanStd
from rl_games.common.threads import intra_op_threads, rollout_threads
from rl_games.config.errors import ConfigError, Problem
from rl_games.config.schema import Params, PPOConfig
from rl_games.envs import TorchVecEnv
from rl_games.envs.base import actor_observation
from rl_games.storage.rollout import RolloutStorage
from rl_games.training.base import TerminateOnSignal, TrainerBase
from rl_games.training.checkpoint import load_optimizer_state
from rl_games.training.episode_stats import EpisodeTracker
from rl_games.training.reporting import log_progress, write_episode_scalars

log = logging.getLogger(__name__)


def action_space_info(space: gym.Space) -> tuple[str, Any, tuple[int, ...], torch.dtype]:
    """(kind, actions_num, stored action shape, stored dtype) for an action space."""
    if isinstance(space, gym.spaces.Box):
        return "continuous", int(np.prod(space.shape)), (int(np.prod(space.shape)),), torch.float32
    if isinstance(space, gym.spaces.Discrete):
        return "discrete", int(space.n), (), torch.long
    if isinstance(space, gym.spaces.MultiDiscrete):
        return "multi_discrete", [int(n) for n in space.nvec], (len(space.nvec),), torch.long
    if isinstance(space, gym.spaces.Tuple):
        return "multi_discrete", [int(s.n) for s in space.spaces], (len(space.spaces),), torch.long
    raise ConfigError([Problem("env", f"unsupported action space {space}")], "env")


def obs_input_shape(space: gym.Space) -> Any:
    """The model's ``input_shape``: a tuple, or ``{key: shape}`` for a ``Dict`` observation space."""
    if isinstance(space, gym.spaces.Dict):
        return {k: tuple(s.shape) for k, s in space.spaces.items()}
    return tuple(space.shape)


def _storage_dtype(space: gym.Space) -> torch.dtype:
    return torch.uint8 if space.dtype == np.uint8 else torch.float32


def build_policy(
    params: Params, env: TorchVecEnv, device: torch.device
) -> tuple[torch.nn.Module, Any]:
    """Model for the env's spaces; returns (model, (kind, actions_num, act_shape, act_dtype))."""
    cfg = params.config
    info = action_space_info(env.action_space)
    model = build_model(
        params,
        {
            "actions_num": info[1],
            "input_shape": obs_input_shape(env.observation_space),
            "num_seqs": cfg.num_actors * env.num_agents,
            "value_size": env.value_size,
            "normalize_value": getattr(cfg, "normalize_value", False),
            "normalize_input": cfg.normalize_input,
        },
    )
    return model.to(device), info


def make_adam(
    params: Any, lr: float, weight_decay: float = 0.0, betas: tuple[float, float] = (0.9, 0.999)
) -> torch.optim.Adam:
    """Adam (eps 1e-8) with the fused kernel where this torch build has it (CPU and CUDA)."""
    params = list(params)
    try:
        return torch.optim.Adam(
            params, lr=lr, eps=1e-8, betas=betas, weight_decay=weight_decay, fused=True
        )
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=lr, eps=1e-8, betas=betas, weight_decay=weight_decay)


class PPOAgent(TrainerBase):
    """``a2c_continuous`` / ``a2c_discrete``."""

    resume_carry = (*TrainerBase.resume_carry, "states", "cv_rnn_states")  # + central value

    def __init__(
        self, base_name: str, params: Params, env: TorchVecEnv | None = None, **kw: Any
    ) -> None:
        super().__init__(base_name, params, env, **kw)
        cfg: PPOConfig = params.config  # type: ignore[assignment]
        self.cfg = cfg
        self.num_envs = cfg.num_actors * self.num_agents
        self.batch_size = cfg.horizon_length * self.num_envs
        self.minibatch_size = cfg.minibatch_size or cfg.minibatch_size_per_env * cfg.num_actors
        self._check_geometry()
        obs_space = self.env.observation_space
        self.obs_shape = obs_input_shape(obs_space)
        self.dict_obs = isinstance(obs_space, gym.spaces.Dict)
        self.obs_space = obs_space
        self.use_action_masks = bool(cfg.use_action_masks and self.env.has_action_masks())
        if cfg.use_action_masks and not self.use_action_masks:
            log.warning("config.use_action_masks is set but the env has no action masks")
        self.model, (kind, self.actions_num, act_shape, act_dtype) = build_policy(
            params, self.env, self.device
        )
        self.is_continuous = kind == "continuous"
        self.is_rnn = bool(self.model.is_rnn())
        self.seq_length = cfg.seq_length
        self.rnn_states = self.model.get_default_rnn_state() if self.is_rnn else None
        self.optimizer = make_adam(self.model.parameters(), cfg.learning_rate, cfg.weight_decay)
        self.last_lr, self.entropy_coef = float(cfg.learning_rate), float(cfg.entropy_coef)
        self.scheduler = self._make_scheduler()
        self.advantage_mean_std = (
            MovingMeanStd(cfg.adv_rms_momentum).to(self.device)
            if cfg.normalize_rms_advantage
            else None
        )
        self.use_bf16 = bool(cfg.mixed_precision and self.device.type == "cuda")
        self.next_step_reset = self.env.autoreset_mode == "next_step"
        self.extra_fields = ("mus", "sigmas") if self.is_continuous else ()
        self._init_storage(act_shape, act_dtype, obs_space)
        self.central_value_net = build_central_value(self)  # config.central_value_config
        self.has_value_loss = trains_actor_value(cfg, self.is_continuous)
        self.states: torch.Tensor | None = None  # the critic's input (central value only)
        if self.is_rnn:
            self.storage.add_rnn_states(self.rnn_states, self.seq_length)
        if self.is_continuous:
            self.action_scale, self.action_bias = self._action_rescale()
        self.episodes = EpisodeTracker(
            self.num_envs,
            self.value_size,
            cfg.horizon_length,
            cfg.games_to_track,
            self.device,
            self.num_agents,
        )
        self.obs: Any = None
        self.dones = torch.ones(self.num_envs, device=self.device)
        self.last_values: torch.Tensor | None = None

    def _action_rescale(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Scale and bias that map a policy action in [-1, 1] onto the env's [low, high] box."""
        space = self.env.action_space
        low = torch.as_tensor(space.low, dtype=torch.float32, device=self.device)
        high = torch.as_tensor(space.high, dtype=torch.float32, device=self.device)
        return (high - low) / 2, (high + low) / 2

    def _check_geometry(self) -> None:
        if self.batch_size % self.minibatch_size:
            raise ConfigError(
                [
                    Problem(
                        "params.config.minibatch_size",
                        f"batch (horizon_length * num_actors * num_agents = {self.batch_size}, with "
                        f"{self.num_agents} agents per env) is not divisible by minibatch_size {self.minibatch_size}",
                    )
                ],
                "config",
            )

    def _make_scheduler(self) -> Any:
        cfg = self.cfg
        name = (cfg.lr_schedule or "").lower()
        if name == "adaptive":
            return schedulers.AdaptiveScheduler(
                cfg.kl_threshold, cfg.min_lr, cfg.max_lr, cfg.lr_multiplier
            )
        if name == "linear" and (cfg.max_epochs > 0 or self.max_frames > 0):
            use_epochs = cfg.max_epochs > 0
            return schedulers.LinearScheduler(
                float(cfg.learning_rate),
                cfg.min_lr,
                cfg.max_epochs if use_epochs else self.max_frames,
                use_epochs,
                cfg.schedule_entropy,
                float(cfg.entropy_coef),
            )
        return schedulers.IdentityScheduler()

    def _init_storage(self, act_shape: tuple, act_dtype: torch.dtype, obs_space: gym.Space) -> None:
        s = RolloutStorage(self.cfg.horizon_length, self.num_envs, self.device)
        if self.dict_obs:
            keys = obs_space.spaces.items()
            s.add_dict_field("obs", {k: (tuple(sp.shape), _storage_dtype(sp)) for k, sp in keys})
        else:
            s.add_field("obs", self.obs_shape, _storage_dtype(obs_space))
        if self.use_action_masks:  # masks of obs t, reused by the update (masked training logits)
            n = self.actions_num
            s.add_field("action_masks", (sum(n) if isinstance(n, list) else n,), torch.bool)
        s.add_field("actions", act_shape, act_dtype)
        s.add_field("neglogpacs", (), torch.float32)
        s.add_field("values", (self.value_size,), torch.float32)
        s.add_field("rewards", (self.value_size,), torch.float32)
        s.add_field("dones", (), torch.float32)
        s.add_field("valid", (), torch.float32)
        for key in self.extra_fields:
            s.add_field(key, act_shape, torch.float32)
        self.storage = s

    # ------------------------------------------------------------------ helpers
    def action_masks(self) -> torch.Tensor | None:
        """The env's current action masks (``[N, sum(actions)]`` bool) when masks are in use."""
        return self.env.get_action_masks() if self.use_action_masks else None

    def actor_obs(self, obs: Any) -> Any:
        """The actor's input (:func:`rl_games.envs.base.actor_observation`)."""
        return actor_observation(obs, self.obs_space)

    def env_actions(self, actions: torch.Tensor) -> torch.Tensor:
        if self.is_continuous and self.cfg.clip_actions:
            return actions.clamp(-1.0, 1.0) * self.action_scale + self.action_bias
        return actions

    def reduce_gradients(self) -> None:
        """Average gradients over ranks (torchrun); a no-op for a single process."""
        self.all_reduce_gradients(self.model.parameters())

    def update_lr(self, kl: torch.Tensor) -> None:
        """Scheduler step; across ranks: mean KL, rank 0's lr/entropy_coef broadcast."""
        synced = self.world_size > 1 and type(self.scheduler) is not schedulers.IdentityScheduler
        if synced:
            kl = dist_utils.all_reduce_mean(kl, self.world_size)
        lr, ent = self.scheduler.update(
            self.last_lr, self.entropy_coef, self.epoch_num, self.frame, kl
        )
        if synced:
            lr, ent = dist_utils.broadcast_floats([lr, ent])
        if lr != self.last_lr:
            for group in self.optimizer.param_groups:
                group["lr"] = lr
        self.last_lr, self.entropy_coef = lr, ent

    # ------------------------------------------------------------------ state
    def get_full_state_weights(self) -> dict[str, Any]:
        cv, adv = self.central_value_net, self.advantage_mean_std
        manifest = self.cfg.capability_manifest
        return {
            **(cv.checkpoint_state() if cv is not None else {}),
            "model": self.model.state_dict(),
            "epoch": self.epoch_num,
            "frame": self.frame,
            "optimizer": self.optimizer.state_dict(),
            "last_mean_rewards": np.float32(self.best_reward),
            "env_state": self.env.get_env_state(),
            "lr": self.last_lr,
            "entropy_coef": self.entropy_coef,
            "scheduler": self.scheduler.state_dict(),
            **({"advantage_mean_std": adv.state_dict()} if adv is not None else {}),
            **({"capability_manifest": manifest} if manifest is not None else {}),
        }

    def set_full_state_weights(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        if "optimizer" in state:
            load_optimizer_state(self.optimizer, state["optimizer"])
        self.epoch_num = int(state.get("epoch", 0))
        self.frame = int(state.get("frame", 0))
        self.best_reward = float(state.get("last_mean_rewards", -math.inf))
        self.last_lr = float(state.get("lr", self.optimizer.param_groups[0]["lr"]))
        self.entropy_coef = float(state.get("entropy_coef", self.entropy_coef))
        if "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        if self.advantage_mean_std is not None and "advantage_mean_std" in state:
            self.advantage_mean_std.load_state_dict(state["advantage_mean_std"])
        if state.get("env_state") is not None:
            self.env.set_env_state(state["env_state"])
        if self.central_value_net is not None:
            self.central_value_net.load_checkpoint_state(state, self.epoch_num, self.frame)

    def restore_central_value_function(self, path: str) -> None:
        """rl_games' name: load only the critic (``assymetric_vf_nets``) from a checkpoint."""
        load_critic_only(self, path)

    @property
    def cv_rnn_states(self) -> tuple | None:
        """The central value's RNN states (carried over epochs; saved for an exact resume)."""
        cv = self.central_value_net
        return None if cv is None else cv.rnn_states

    @cv_rnn_states.setter
    def cv_rnn_states(self, value: tuple | None) -> None:
        if self.central_value_net is not None:
            self.central_value_net.rnn_states = value

    def replica_modules(self) -> list[torch.nn.Module]:
        cv = self.central_value_net
        return [*super().replica_modules(), *([cv.model] if cv is not None else [])]

    # ------------------------------------------------------------------ loop
    def train_epoch(self) -> dict[str, float]:
        self.env.set_train_info(self.frame, self)
        t0 = time.perf_counter()
        threads = rollout_threads(self.model, self.device, self.env.tensor_mode)
        with intra_op_threads(threads):  # see rl_games/common/threads.py
            timing = play_steps(self)
        self.hooks.after_steps()
        t1 = time.perf_counter()
        batch = prepare_batch(self)
        cv = self.central_value_net
        cv_stats = cv.train_epoch(self, batch) if cv is not None else {}  # critic before actor
        stats = train_epoch_updates(self, batch)
        stats.update(cv_stats)
        stats.update(
            timing, update_time=time.perf_counter() - t1, total_time=time.perf_counter() - t0
        )
        return stats

    def reset_envs(self) -> None:
        """Reset every env and start fresh episodes (the unfinished ones are dropped)."""
        obs = self.env.reset()
        self.obs = self.actor_obs(obs)
        if self.central_value_net is not None:
            self.states = self.central_value_net.reset(obs)
        # every env starts an episode; under next-step autoreset the first step after reset() is
        # a real transition (only a step after a done is a reset row), so it starts valid
        start = 0.0 if self.next_step_reset else 1.0
        self.dones = torch.full((self.num_envs,), start, device=self.device)
        self.rnn_states = self.model.get_default_rnn_state() if self.is_rnn else None
        self.episodes.start_new_episodes()

    def train(self) -> float | None:
        """Train until a stop condition; returns the final mean reward."""
        if self.limits_reached():
            return None
        self.setup_run_dir()
        self.broadcast_replicas()
        self.reset_envs()
        self.resume_envs()
        self.hooks.after_clear_stats()
        self.start_time = time.perf_counter()
        mean_reward, reason = None, None
        with TerminateOnSignal(self) as signals:
            try:
                while reason is None:
                    self.begin_epoch()
                    n = self.cfg.epochs_between_resets
                    if n > 0 and self.epoch_num > 1 and (self.epoch_num - 1) % n == 0:
                        self.reset_envs()  # every n epochs: all envs start fresh episodes
                    stats = self.train_epoch()
                    self.sync_stats()
                    self.end_epoch(self.batch_size * self.world_size)
                    self.check_finite_training(training_stats(stats))
                    self.episodes.flush(self.cfg.horizon_length)
                    mean = self.episodes.mean_reward()
                    mean_reward = None if mean is None else float(mean[0])
                    self.log_epoch(stats)
                    self.maybe_save_best(mean_reward)
                    self.maybe_save_periodic(mean_reward)
                    reason = self.decide_stop(mean_reward)
                signals.protect()  # the final checkpoint is written whatever signals follow
            except KeyboardInterrupt:
                signals.protect()
                reason = self.abandon_epoch(reason)
            self.finish_replicas(reason)
            self.save_on_stop(reason, mean_reward)
            signals.saved()
            self.writer.close()
        return mean_reward

    def log_epoch(self, st: dict[str, float]) -> None:
        frames = self.batch_size * self.world_size
        fps_step = frames / max(st["step_time"], 1e-9)
        fps_inf = frames / max(st["play_time"], 1e-9)
        fps_total = frames / max(st["total_time"], 1e-9)
        frame = self.frame // self.num_agents
        elapsed = time.perf_counter() - self.start_time
        w = self.writer
        w.add_scalar("performance/step_inference_rl_update_fps", fps_total / self.num_agents, frame)
        w.add_scalar("performance/step_inference_fps", fps_inf / self.num_agents, frame)
        w.add_scalar("performance/step_fps", fps_step, frame)
        w.add_scalar("performance/rl_update_time", st["update_time"], frame)
        w.add_scalar("performance/step_inference_time", st["play_time"], frame)
        w.add_scalar("performance/step_time", st["step_time"], frame)
        for key in ("a_loss", "c_loss", "entropy", "bounds_loss"):
            if key in st:
                w.add_scalar(f"losses/{key}", st[key], frame)
        for key in (k for k in st if k.startswith("aux:")):  # the network's get_aux_loss()
            w.add_scalar(f"losses/{key[4:]}", st[key], frame)
        w.add_scalar("info/last_lr", self.last_lr, frame)
        w.add_scalar("info/lr_mul", 1.0, frame)
        w.add_scalar("info/e_clip", self.cfg.e_clip, frame)
        w.add_scalar("info/kl", st["kl"], frame)
        w.add_scalar("info/epochs", self.epoch_num, frame)
        write_episode_scalars(self, frame, elapsed)
        if self.cfg.use_diagnostics:
            write_diagnostics(self, st)
        log_progress(self, frame, (fps_step, fps_inf, fps_total), elapsed)
        self.hooks.after_print_stats(frame, self.epoch_num, elapsed)
