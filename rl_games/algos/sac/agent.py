"""SAC (``algo.name: sac``): tanh-squashed Gaussian actor, twin Q critics with a Polyak target,
learnable temperature, and a replay buffer on the training device for ``num_actors`` envs.

An epoch is ``num_steps_per_episode`` env steps, each followed by ``updates_per_step`` gradient
updates (none during warmup). Nothing in the step/update loop reads values back to the host;
episode statistics and loss means are read once per print interval (about one second).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from rl_games.algos.ppo.rollout import shape_rewards
from rl_games.algos.sac import losses as L
from rl_games.algos.sac.update import UpdateStats, sac_update
from rl_games.builders import build_model
from rl_games.config.errors import ConfigError, Problem
from rl_games.config.schema import Params, SACConfig
from rl_games.envs import TorchVecEnv
from rl_games.storage.replay import ReplayBuffer
from rl_games.training.base import TerminateOnSignal, TrainerBase
from rl_games.training.checkpoint import reward_str
from rl_games.training.episode_stats import EpisodeTracker
from rl_games.training.reporting import log_progress, write_episode_scalars

log = logging.getLogger(__name__)

PRINT_INTERVAL_S = 1.0  # console line / TensorBoard write at most this often
TRACK_STEPS = 256  # env steps of episode bookkeeping kept on device between reads


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
    """The ``soft_actor_critic`` model for the env's spaces, on ``device``."""
    obs_shape = tuple(env.observation_space.shape)
    obs_dim, action_dim = int(np.prod(obs_shape)), int(np.prod(env.action_space.shape))
    config = {
        "obs_dim": obs_dim,
        "action_dim": action_dim,
        "actions_num": action_dim,
        "input_shape": obs_shape,
        "num_seqs": params.config.num_actors,
        "normalize_input": params.config.normalize_input,
    }
    return build_model(params, config).to(device)


class SACAgent(TrainerBase):
    """``sac``."""

    resume_carry = ("obs", "prev_dones")

    def __init__(
        self, base_name: str, params: Params, env: TorchVecEnv | None = None, **kw: Any
    ) -> None:
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
        self.num_envs = cfg.num_actors
        self.frames_per_epoch = cfg.num_actors * cfg.num_steps_per_episode * self.world_size
        self.updates_per_step = L.updates_per_step(
            cfg.utd_ratio, cfg.num_actors, cfg.num_updates_per_step
        )
        self.warmup_epochs = L.warmup_epochs(
            cfg.num_warmup_steps, cfg.num_warmup_frames, cfg.num_actors, cfg.num_steps_per_episode
        )
        obs_dim = int(self.model.sac_network.obs_dim)
        self.replay = ReplayBuffer(cfg.replay_buffer_size, obs_dim, self.action_dim, self.device)
        self.next_step_reset = self.env.autoreset_mode == "next_step"
        self.episodes = EpisodeTracker(
            self.num_envs, 1, TRACK_STEPS, cfg.games_to_track, self.device
        )
        self.stats = UpdateStats(self.device)
        self.use_bf16 = bool(cfg.mixed_precision and self.device.type == "cuda")
        self.num_updates = 0
        self.obs: torch.Tensor | None = None
        self.prev_dones = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        self._track_t = 0
        self._eager_stats = self.device.type == "cpu"
        self._mean_reward: float | None = None
        self._reset_interval()

    def _init_optim(self, cfg: SACConfig) -> None:
        m, dev = self.model, self.device
        self.gamma, self.critic_tau = float(cfg.gamma), float(cfg.critic_tau)
        self.critic_grad_clip, self.batch_size = float(cfg.critic_grad_clip), int(cfg.batch_size)
        self.learnable_temperature = bool(cfg.learnable_temperature)
        self.target_entropy = -float(cfg.target_entropy_coef) * self.action_dim
        self.actor_params = list(m.actor.parameters())
        self.critic_params = list(m.critic.parameters())
        self.target_params = list(m.critic_target.parameters())
        self.log_alpha = torch.tensor(math.log(float(cfg.init_alpha)), device=dev)
        self.log_alpha.requires_grad_(self.learnable_temperature)
        self.actor_optimizer = make_adam(self.actor_params, cfg.actor_lr, cfg.actor_betas)
        self.critic_optimizer = make_adam(self.critic_params, cfg.critic_lr, cfg.critic_betas)
        self.log_alpha_optimizer = make_adam([self.log_alpha], cfg.alpha_lr, cfg.alphas_betas)

    # ------------------------------------------------------------------ acting
    @torch.no_grad()
    def select_actions(self, obs: torch.Tensor, random_actions: bool) -> torch.Tensor:
        """Env-space actions: uniform in the Box during warmup, else ``tanh(u) * scale + bias``."""
        if random_actions:
            u = torch.rand(self.num_envs, self.action_dim, device=self.device)
            return self.action_low + u * (self.action_high - self.action_low)
        a = self.model.act({"obs": obs})["actions"] * self.action_scale + self.action_bias
        return torch.maximum(torch.minimum(a, self.action_high), self.action_low)

    def _bootstrap_obs(
        self, obs: torch.Tensor, next_obs: torch.Tensor, dones: torch.Tensor, infos: Any
    ) -> torch.Tensor:
        """same_step envs: the TRUE last observation for finished rows (``final_observation``;
        ``s_t`` as a proxy when the env gives none)."""
        final = infos.get("final_observation") if isinstance(infos, dict) else None
        final = obs if final is None else self.env.to_device(final)
        return torch.where(dones.unsqueeze(-1), final.reshape(next_obs.shape), next_obs)

    @torch.no_grad()
    def play_step(self, random_actions: bool) -> float:
        """One env step stored in the replay buffer; returns the env.step seconds."""
        cfg, obs = self.cfg, self.obs
        actions = self.select_actions(obs, random_actions)
        t0 = time.perf_counter()
        next_obs, rewards, dones, time_outs, infos = self.env.step(actions)
        step_time = time.perf_counter() - t0
        self.hooks.step(infos, dones, self.env.host_dones)
        if self.env.tensor_mode:  # torch envs may refill the same buffer in place next step
            next_obs = next_obs.clone()
        rs = cfg.reward_shaper
        shaped = shape_rewards(
            rewards, rs.scale_value, rs.shift_value, rs.min_val, rs.max_val, rs.log_val
        )
        # value_bootstrap: a time-out is not a termination, the target bootstraps through it
        terminated = dones & ~time_outs if cfg.value_bootstrap else dones
        if self.next_step_reset:
            # the obs returned at a done step IS the final obs; the next row starts from a reset
            valid, target_obs = ~self.prev_dones, next_obs
        else:
            valid, target_obs = None, self._bootstrap_obs(obs, next_obs, dones, infos)
        self.replay.add(obs, actions, shaped[:, 0], target_obs, terminated, time_outs, valid)
        track_valid = None if valid is None else valid.float()
        # rl_games' SAC meters the shaped rewards: rewards/*, best checkpoint and score_to_win
        self.episodes.step(self._track_t, shaped[:, :1], shaped[:, :1], dones, track_valid)
        self._track_t += 1
        # on CPU reading `dones` costs nothing: refresh the mean as soon as an episode ends
        if self._track_t == TRACK_STEPS or (self._eager_stats and bool(dones.any())):
            self._flush_episodes()
        self.model.update_obs_stats(next_obs)  # each fresh frame counted once
        self.obs, self.prev_dones = next_obs, dones
        return step_time

    def _flush_episodes(self) -> None:
        if self._track_t:
            self.episodes.flush(self._track_t)
            self._track_t = 0
            mean = self.episodes.mean_reward()
            self._mean_reward = None if mean is None else float(mean[0])

    # ------------------------------------------------------------------ loop
    def train_epoch(self) -> None:
        random_actions = self.epoch_num <= self.warmup_epochs
        for _ in range(self.cfg.num_steps_per_episode):
            t0 = time.perf_counter()
            self._iv["step_time"] += self.play_step(random_actions)
            self.hooks.after_steps()
            t1 = time.perf_counter()
            self._iv["play_time"] += t1 - t0
            if random_actions or self.replay.rows_offered < self.batch_size:
                continue
            for _ in range(self.updates_per_step):
                self.num_updates += 1
                sac_update(self, self.num_updates % self.cfg.policy_frequency == 0)
            self._iv["update_time"] += time.perf_counter() - t1

    def train(self) -> float | None:
        """Train until a stop condition; returns the final mean reward."""
        if self.limits_reached():
            return None
        self.setup_run_dir()
        self.broadcast_replicas()  # torchrun: rank 0's weights everywhere (after any restore)
        self.obs = reset_obs = self.env.reset()
        self.prev_dones.zero_()
        self.resume_envs()  # on a resume: carried obs/dones, episode stats, RNG, env snapshot
        if self.obs is reset_obs:  # an exact resume carries on with the saved obs instead
            self.model.update_obs_stats(self.obs)  # each fresh frame counted once
        mean = self.episodes.mean_reward()  # a resume's restored windows (None on a fresh run)
        self._mean_reward = None if mean is None else float(mean[0])
        self.hooks.after_clear_stats()
        self.start_time = time.perf_counter()
        self._reset_interval()
        reason = None
        with TerminateOnSignal(self) as signals:
            try:
                while reason is None:
                    self.begin_epoch()
                    self.train_epoch()
                    self.sync_stats()
                    self.end_epoch(self.frames_per_epoch)
                    self._iv["frames"] += self.frames_per_epoch
                    if time.perf_counter() - self._iv["t0"] >= PRINT_INTERVAL_S:
                        self.log_interval()
                    self.maybe_save_best(self._mean_reward)
                    self._maybe_save_periodic()
                    reason = self.decide_stop(self._mean_reward)
                signals.protect()  # the final checkpoint is written whatever signals follow
            except KeyboardInterrupt:
                signals.protect()
                reason = self.abandon_epoch(reason)
            self.finish_replicas(reason)
            self.log_interval()
            if reason != "score_to_win":  # score_to_win saves the best itself
                self.maybe_save_best(self._mean_reward)
            self.save_on_stop(reason, self._mean_reward)
            signals.saved()
            self.writer.close()
        return self._mean_reward

    def replica_tensors(self, buffers: bool = True) -> dict[str, torch.Tensor]:
        return {**super().replica_tensors(buffers), "log_alpha": self.log_alpha}

    def _maybe_save_periodic(self) -> None:
        n = self.cfg.save_frequency
        if n > 0 and self.epoch_num % n == 0:
            self.save(
                f"last_{self.cfg.name}_ep_{self.epoch_num}_rew_{reward_str(self._mean_reward)}"
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
        write_episode_scalars(self, frame, elapsed)
        log_progress(self, frame, (fps_step, fps_play, fps_total), elapsed)
        self.hooks.after_print_stats(frame, self.epoch_num, elapsed)
        self._reset_interval()

    # ------------------------------------------------------------------ checkpoints
    def full_state(self) -> dict[str, Any]:
        self._flush_episodes()  # games finished since the last read belong in the checkpoint
        return super().full_state()

    def get_full_state_weights(self) -> dict[str, Any]:
        m = self.model
        state: dict[str, Any] = {
            "actor": m.actor.state_dict(),
            "critic": m.critic.state_dict(),
            "critic_target": m.critic_target.state_dict(),
            "log_alpha": self.log_alpha.detach().clone(),
            "actor_optimizer": self.actor_optimizer.state_dict(),
            "critic_optimizer": self.critic_optimizer.state_dict(),
            "log_alpha_optimizer": self.log_alpha_optimizer.state_dict(),
            "epoch": self.epoch_num,
            "frame": self.frame,
            "last_mean_rewards": np.float32(self.best_reward),
            "env_state": self.env.get_env_state(),
            "num_updates": self.num_updates,
        }
        if m.normalize_input:
            state["running_mean_std"] = m.running_mean_std.state_dict()
        if self.cfg.save_replay_buffer:
            state["replay_buffer"] = self.replay.state_dict()
            state["replay_rows_offered"] = self.replay.rows_offered  # the update gate (ours)
        if self.cfg.capability_manifest is not None:
            state["capability_manifest"] = self.cfg.capability_manifest
        return state

    def set_full_state_weights(self, state: dict[str, Any]) -> None:
        m = self.model
        m.actor.load_state_dict(state["actor"])
        m.critic.load_state_dict(state["critic"])
        m.critic_target.load_state_dict(state.get("critic_target", state["critic"]))
        if m.normalize_input and "running_mean_std" in state:
            m.running_mean_std.load_state_dict(state["running_mean_std"])
        if "log_alpha" in state:
            with torch.no_grad():
                self.log_alpha.copy_(torch.as_tensor(state["log_alpha"]).reshape(()))
        else:
            log.warning("checkpoint has no log_alpha (rl_games < 1.6.5): keeping init_alpha")
        for key in ("actor_optimizer", "critic_optimizer", "log_alpha_optimizer"):
            if key in state:
                getattr(self, key).load_state_dict(state[key])
        self.epoch_num = int(state.get("epoch", 0))
        self.frame = int(state.get("frame", 0))
        self.num_updates = int(state.get("num_updates", 0))
        self.best_reward = float(state.get("last_mean_rewards", -math.inf))
        if state.get("env_state") is not None:
            self.env.set_env_state(state["env_state"])
        if "replay_buffer" in state:
            self.replay.load_state_dict(state["replay_buffer"])
            self.replay.rows_offered = int(state.get("replay_rows_offered", len(self.replay)))
        else:
            log.warning(
                "resume: the checkpoint holds no replay buffer (save_replay_buffer: False), so "
                "training restarts from an empty buffer: no update runs until batch_size (%d) "
                "new transitions are stored, and the first updates sample only fresh data. The "
                "run is not the continuation of the saved one; set save_replay_buffer: True for "
                "an exact resume (docs/sac.md)",
                self.batch_size,
            )
