"""SAC (``algo.name: sac``): tanh-squashed Gaussian actor, twin Q critics with a Polyak target,
learnable temperature, and a replay buffer on the training device for ``num_actors`` envs.

An epoch is ``num_steps_per_episode`` env steps, each followed by ``updates_per_step`` gradient
updates (none during warmup). Nothing in the step/update loop reads values back to the host;
episode statistics and loss means are read once per print interval (about one second).

The agent's methods are rl_games' ``SACAgent`` hooks, for subclasses to override: the env and
acting verbs in :mod:`.play`, the gradient update in :mod:`.update`, the checkpoint state in
:mod:`.weights`; this module builds the state and runs the loop (docs/sac.md, "Hooks").
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import torch

from rl_games.algos.params import RuntimeParamsMixin
from rl_games.algos.sac import losses as L
from rl_games.algos.sac.play import TRACK_STEPS, SACPlayMixin
from rl_games.algos.sac.update import SACUpdateMixin, UpdateStats
from rl_games.algos.sac.weights import SACWeightsMixin
from rl_games.builders import build_model
from rl_games.config.build import typed_params
from rl_games.config.errors import ConfigError, Problem
from rl_games.config.plan import EnvSpaces, model_spec
from rl_games.config.schema import Params, SACConfig
from rl_games.envs import TorchVecEnv
from rl_games.storage.replay import ReplayBuffer
from rl_games.training.base import TrainerBase
from rl_games.training.checkpoint import reward_str
from rl_games.training.episode_stats import EpisodeTracker

log = logging.getLogger(__name__)

PRINT_INTERVAL_S = 1.0  # console line / TensorBoard write at most this often


def box_bounds(space: gym.Space, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(low, high) of a finite Box action space as float32 tensors."""
    if not isinstance(space, gym.spaces.Box):
        raise ConfigError([Problem("env", f"sac needs a Box action space, got {space}")], "env")
    low = torch.as_tensor(space.low, dtype=torch.float32, device=device).reshape(-1)
    high = torch.as_tensor(space.high, dtype=torch.float32, device=device).reshape(-1)
    if not (torch.isfinite(low).all() and torch.isfinite(high).all()):
        raise ConfigError([Problem("env", f"sac needs finite action bounds, got {space}")], "env")
    return low, high


def make_adam(params: list[torch.Tensor], lr: float, betas: list[float]) -> torch.optim.Adam:
    """Adam (eps 1e-8); the fused kernel where the device supports it."""
    try:
        return torch.optim.Adam(params, lr=float(lr), betas=tuple(betas), eps=1e-8, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=float(lr), betas=tuple(betas), eps=1e-8)


def build_sac_model(params: Params, env: TorchVecEnv, device: torch.device) -> torch.nn.Module:
    """The ``soft_actor_critic`` model for the env's spaces (the plan's ``ModelSpec``), on
    ``device``."""
    return build_model(params, model_spec(params, EnvSpaces.of(env))).to(device)


class SACAgent(RuntimeParamsMixin, SACPlayMixin, SACUpdateMixin, SACWeightsMixin, TrainerBase):
    """``sac``: rl_games' ``SACAgent(base_name, params)``; ``params`` is our typed ``Params`` or
    rl_games' raw params dict."""

    resume_carry = ("obs", "prev_dones")

    def __init__(
        self,
        base_name: str,
        params: Params | Mapping[str, Any],
        env: TorchVecEnv | None = None,
        **kw: Any,
    ) -> None:
        params = typed_params(params, training=True)
        super().__init__(base_name, params, env, **kw)
        cfg: SACConfig = params.config  # type: ignore[assignment]
        self.cfg = cfg
        if self.num_agents != 1 or len(self.env.observation_space.shape or ()) != 1:
            raise ConfigError(
                [Problem("env", "sac needs a single-agent env with flat (1-D) observations")], "env"
            )
        self.model = build_sac_model(params, self.env, self.device)
        if not hasattr(self.model.sac_network, "critic"):
            raise ConfigError([Problem("params.network.separate", "sac needs separate: True")])
        self.action_low, self.action_high = box_bounds(self.env.action_space, self.device)
        self.action_dim = int(self.action_low.numel())
        self.action_scale = (self.action_high - self.action_low) / 2
        self.action_bias = (self.action_high + self.action_low) / 2
        self.log_scale_sum = torch.log(self.action_scale).sum()
        self._init_optim(cfg)
        self._init_schedule(cfg)
        obs_dim = int(self.model.sac_network.obs_dim)
        self.replay_buffer = ReplayBuffer(
            cfg.replay_buffer_size, obs_dim, self.action_dim, self.device
        )
        self.next_step_reset = self.env.autoreset_mode == "next_step"
        self.episodes = EpisodeTracker(
            self.num_envs, 1, TRACK_STEPS, cfg.games_to_track, self.device
        )
        self.stats = UpdateStats(self.device)
        self.use_bf16 = bool(cfg.mixed_precision and self.device.type == "cuda")
        self.num_updates = 0
        self.obs: torch.Tensor | None = None
        self.prev_dones = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        self.time_outs: torch.Tensor | None = None  # the last env_step's truncations
        self._track_t = 0
        self._eager_stats = self.device.type == "cpu"
        self.final_mean_reward: float | None = None
        self._reset_interval()

    def _init_optim(self, cfg: SACConfig) -> None:
        m, dev = self.model, self.device
        self.gamma, self.critic_tau = float(cfg.gamma), float(cfg.critic_tau)
        self.critic_grad_clip, self.batch_size = float(cfg.critic_grad_clip), int(cfg.batch_size)
        self.learnable_temperature = bool(cfg.learnable_temperature)
        self.target_entropy = -float(cfg.target_entropy_coef) * self.action_dim
        self.actor_params = list(m.actor.parameters())
        self.critic_params = list(m.critic.parameters())
        self.log_alpha = torch.tensor(math.log(float(cfg.init_alpha)), device=dev)
        self.log_alpha.requires_grad_(self.learnable_temperature)
        self.actor_optimizer = make_adam(self.actor_params, cfg.actor_lr, cfg.actor_betas)
        self.critic_optimizer = make_adam(self.critic_params, cfg.critic_lr, cfg.critic_betas)
        self.log_alpha_optimizer = make_adam([self.log_alpha], cfg.alpha_lr, cfg.alphas_betas)

    def _init_schedule(self, cfg: SACConfig) -> None:
        self.num_envs = cfg.num_actors
        self.frames_per_epoch = cfg.num_actors * cfg.num_steps_per_episode * self.world_size
        self.policy_frequency = int(cfg.policy_frequency)
        self.updates_per_step = L.updates_per_step(
            cfg.utd_ratio, cfg.num_actors, cfg.num_updates_per_step
        )
        self.warmup_epochs = L.warmup_epochs(
            cfg.num_warmup_steps, cfg.num_warmup_frames, cfg.num_actors, cfg.num_steps_per_episode
        )

    # ------------------------------------------------------------------ rl_games' names
    @property
    def actor(self) -> torch.nn.Module:
        return self.model.actor

    @property
    def critic(self) -> torch.nn.Module:
        return self.model.critic

    @property
    def critic_target(self) -> torch.nn.Module:
        return self.model.critic_target

    @property
    def vec_env(self) -> TorchVecEnv:
        """The training envs (outputs on the training device)."""
        return self.env

    @property
    def num_actors(self) -> int:
        return self.num_envs

    @property
    def num_warmup_steps(self) -> int:
        """Epochs of random actions (rl_games converts ``num_warmup_frames`` to it too)."""
        return self.warmup_epochs

    @property
    def num_steps_per_episode(self) -> int:
        return self.cfg.num_steps_per_episode

    @property
    def num_updates_per_step(self) -> int:
        return self.updates_per_step

    @property
    def num_frames_per_epoch(self) -> int:
        return self.frames_per_epoch

    # ------------------------------------------------------------------ loop
    def compile_targets(self) -> list[tuple[torch.nn.Module, str]]:
        """The actor (actor mode), both critics (critic mode)."""
        return [(self.actor, "actor"), (self.critic, "critic"), (self.critic_target, "critic")]

    def start_training(self) -> None:
        self.obs = reset_obs = self.env_reset()
        self.resume_envs()  # on a resume: carried obs/dones, episode stats, RNG, env snapshot
        if self.obs is reset_obs:  # an exact resume carries on with the saved obs instead
            self.model.update_obs_stats(self.obs)  # each fresh frame counted once
        mean = self.episodes.mean_reward()  # a resume's restored windows (None on a fresh run)
        self.final_mean_reward = None if mean is None else float(mean[0])
        self._reset_interval()

    def run_epoch(self) -> str | None:
        """One epoch, its statistics and checkpoints; returns why to stop (None: go on)."""
        self.begin_epoch()
        times = self.train_epoch()
        self.sync_stats()
        self.end_epoch(self.frames_per_epoch)
        for key, seconds in (times or {}).items():
            self._iv[key] += seconds
        self._iv["frames"] += self.frames_per_epoch
        if time.perf_counter() - self._iv["t0"] >= PRINT_INTERVAL_S:
            self.log_interval()
        self.maybe_save_best(self.final_mean_reward)
        self._maybe_save_periodic()
        return self.decide_stop(self.final_mean_reward)

    def finish_training(self, reason: str) -> None:
        self.finish_replicas(reason)
        self.log_interval()
        if reason != "score_to_win":  # score_to_win saves the best itself
            self.maybe_save_best(self.final_mean_reward)
        self.save_on_stop(reason, self.final_mean_reward)

    def replica_tensors(self, buffers: bool = True) -> dict[str, torch.Tensor]:
        return {**super().replica_tensors(buffers), "log_alpha": self.log_alpha}

    def _maybe_save_periodic(self) -> None:
        n = self.cfg.save_frequency
        if n > 0 and self.epoch_num % n == 0:
            self.save(
                f"last_{self.cfg.name}_ep_{self.epoch_num}_rew_{reward_str(self.final_mean_reward)}"
            )

    # ------------------------------------------------------------------ logging
    def _reset_interval(self) -> None:
        self._iv = dict.fromkeys(("frames", "step_time", "play_time", "update_time"), 0.0)
        self._iv["t0"] = time.perf_counter()

    def log_interval(self) -> None:
        """Read episode and loss statistics (one host sync), write TensorBoard, print a line."""
        self._flush_episodes()
        iv, now = self._iv, time.perf_counter()
        frames = iv["frames"]
        if frames <= 0:
            return
        losses = self.stats.means()
        self.check_finite_training(losses)  # nan/inf losses or weights stop the run
        fps_step = frames / max(iv["step_time"], 1e-9)
        fps_play = frames / max(iv["play_time"], 1e-9)
        fps_total = frames / max(now - iv["t0"], 1e-9)
        frame, elapsed, w = self.frame, now - self.start_time, self.writer
        w.add_scalar("performance/step_fps", fps_step, frame)
        w.add_scalar("performance/step_inference_fps", fps_play, frame)
        w.add_scalar("performance/step_inference_rl_update_fps", fps_total, frame)
        w.add_scalar("performance/rl_update_time", iv["update_time"], frame)
        w.add_scalar("performance/step_time", iv["step_time"], frame)
        for key, value in losses.items():
            w.add_scalar(f"losses/{key}", value, frame)
        w.add_scalar("info/alpha", float(self.log_alpha.detach().exp()), frame)
        w.add_scalar("info/epochs", self.epoch_num, frame)
        w.add_scalar("info/updates", self.num_updates, frame)
        self.write_episode_scalars(frame, elapsed)
        self.log_progress(frame, (fps_step, fps_play, fps_total), elapsed)
        self.hooks.after_print_stats(frame, self.epoch_num, elapsed)
        self._reset_interval()

    # ------------------------------------------------------------------ checkpoints
    def full_state(self) -> dict[str, Any]:
        self._flush_episodes()  # games finished since the last read belong in the checkpoint
        return super().full_state()
