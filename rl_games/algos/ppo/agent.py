"""PPO for continuous, discrete and multi-discrete actions: one implementation, the action head
(the model) is the only thing that varies."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from rl_games.algos import schedulers
from rl_games.algos.central_value import CentralValueTrain, trains_actor_value
from rl_games.algos.params import RuntimeParamsMixin
from rl_games.algos.ppo.compat import RLGamesAttributes
from rl_games.algos.ppo.grads import make_adam, training_stats
from rl_games.algos.ppo.reporting import ReportingMixin
from rl_games.algos.ppo.rollout import RolloutMixin
from rl_games.algos.ppo.state import StateMixin
from rl_games.algos.ppo.update import UpdateMixin
from rl_games.algos.self_play import make_self_play_manager
from rl_games.builders import build_model
from rl_games.config.build import typed_params
from rl_games.config.errors import ConfigError, Problem
from rl_games.config.plan import (
    EnvSpaces,
    RunPlan,
    action_spec,
    critic_space,
    obs_input_shape,
    resolve,
)
from rl_games.config.schema import Params, PPOConfig
from rl_games.envs import TorchVecEnv
from rl_games.envs.base import actor_observation
from rl_games.networks.moving_stats import MovingMeanStd
from rl_games.storage.dataset import PPODataset
from rl_games.storage.rollout import ExperienceBuffer
from rl_games.training.base import TrainerBase
from rl_games.training.episode_stats import EpisodeTracker
from rl_games.training.threads import intra_op_threads, rollout_threads

log = logging.getLogger(__name__)


def action_space_info(space: gym.Space) -> tuple[str, Any, tuple[int, ...], torch.dtype]:
    """(kind, actions_num, stored action shape, stored dtype) for an action space."""
    spec = action_spec(space)
    if spec is None:
        raise ConfigError([Problem("env", f"unsupported action space {space}")], "env")
    kind, actions_num, shape = spec
    return kind, actions_num, shape, torch.float32 if kind == "continuous" else torch.long


def _storage_dtype(space: gym.Space) -> torch.dtype:
    return torch.uint8 if space.dtype == np.uint8 else torch.float32


class PPOAgent(
    RuntimeParamsMixin,
    RolloutMixin,
    UpdateMixin,
    StateMixin,
    ReportingMixin,
    RLGamesAttributes,
    TrainerBase,
):
    """``a2c_continuous`` / ``a2c_discrete``: rl_games' ``A2CAgent``/``DiscreteA2CAgent`` hooks
    (``init_tensors``, ``play_steps``, ``prepare_dataset``, ``calc_gradients``, ...) as methods."""

    resume_carry = (*TrainerBase.resume_carry, "states", "cv_rnn_states")  # + central value

    def __init__(
        self,
        base_name: str,
        params: Params | Mapping[str, Any],
        env: TorchVecEnv | None = None,
        **kw: Any,
    ) -> None:
        params = typed_params(params, training=True)
        super().__init__(base_name, params, env, **kw)
        cfg: PPOConfig = params.config  # type: ignore[assignment]
        self.cfg = cfg
        self.base_name = base_name
        self.is_tensor_obses = True  # the env adapter hands tensors on the device
        self.num_envs = cfg.num_actors * self.num_agents
        self.plan: RunPlan = self._check_geometry()  # the resolve pass; batch attributes below
        self._setup_spaces(cfg)
        self._setup_model(params, cfg)
        self.use_bf16 = bool(cfg.mixed_precision and self.device.type == "cuda")
        self.next_step_reset = self.env.autoreset_mode == "next_step"
        self.central_value_net = self._build_central_value()  # config.central_value_config
        self.has_value_loss = trains_actor_value(cfg, self.is_continuous)
        self.states: torch.Tensor | None = None  # the critic's input (central value only)
        if self.is_continuous:
            self.action_scale, self.action_bias = self._action_rescale()
        self._setup_storage(cfg)
        self.train_result: dict[str, Any] = {}
        self.curr_frames = self.batch_size
        self.init_tensors()
        self.self_play_manager = make_self_play_manager(self)  # config.self_play_config
        self.has_self_play_config = self.self_play_manager is not None

    def _setup_spaces(self, cfg: PPOConfig) -> None:
        """Observation and action spaces, action masks."""
        self.obs_space = self.env.observation_space
        self.obs_shape = obs_input_shape(self.obs_space)
        self.dict_obs = isinstance(self.obs_space, gym.spaces.Dict)
        self.use_action_masks = bool(cfg.use_action_masks and self.env.has_action_masks())
        if cfg.use_action_masks and not self.use_action_masks:
            log.warning("config.use_action_masks is set but the env has no action masks")
        kind, self.actions_num, self.act_shape, self.act_dtype = action_space_info(
            self.env.action_space
        )
        self.is_continuous = kind == "continuous"

    def _setup_model(self, params: Params, cfg: PPOConfig) -> None:
        """The policy model (after the ``_load_config_params`` hook), optimizer and schedules."""
        self._load_config_params(self.config)  # before the net config a subclass extends
        self.model = build_model(params, self._build_net_config()).to(self.device)
        self.is_rnn = bool(self.model.is_rnn())
        self.seq_length = self.plan.batch.seq_length
        self.rnn_states = self.model.get_default_rnn_state() if self.is_rnn else None
        self.optimizer = make_adam(self.model.parameters(), cfg.learning_rate, cfg.weight_decay)
        self.last_lr, self.entropy_coef = float(cfg.learning_rate), float(cfg.entropy_coef)
        self.scheduler = self._make_scheduler()
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=False)  # bf16: no scaling
        self.advantage_mean_std = (
            MovingMeanStd(cfg.adv_rms_momentum).to(self.device)
            if cfg.normalize_rms_advantage
            else None
        )

    def _setup_storage(self, cfg: PPOConfig) -> None:
        """The minibatch dataset and the episode tracker."""
        self.dataset = PPODataset(
            self.batch_size,
            self.minibatch_size,
            not self.is_continuous,
            self.is_rnn,
            self.device,
            self.seq_length,
        )
        self.episodes = EpisodeTracker(
            self.num_envs,
            self.value_size,
            cfg.horizon_length,
            cfg.games_to_track,
            self.device,
            self.num_agents,
        )

    def _load_config_params(self, config: Mapping[str, Any]) -> None:
        """Hook (rl_games' research subclasses): read the subclass' own ``config`` keys
        (``self.config``: user keys included); runs before the model is built."""

    def compile_targets(self) -> list[tuple[torch.nn.Module, str]]:
        """The policy model (actor mode) and the central value's model (critic mode)."""
        targets = [(self.model, "actor")]
        if self.central_value_net is not None:
            targets.append((self.central_value_net.model, "critic"))
        return targets

    def _build_net_config(self) -> dict[str, Any]:
        """The model's build config: the dict view of the plan's ``ModelSpec`` (rl_games' keys);
        a subclass adds its own."""
        return self.plan.model.as_dict()

    def _build_central_value(self) -> CentralValueTrain | None:
        """The critic per ``config.central_value_config`` (None when unset)."""
        cfg, plan = self.cfg, self.plan
        if cfg.central_value_config is None or plan.central_value_model is None:
            return None
        assert plan.central_value is not None
        return CentralValueTrain(
            cfg.central_value_config,
            cfg,
            critic_space(EnvSpaces.of(self.env)),
            plan.central_value,
            plan.central_value_model,
            self.device,
            next_step_reset=self.next_step_reset,
            grad_reducer=self.all_reduce_gradients,
        )

    def init_tensors(self) -> None:
        """The experience buffer, fresh episode sums and the rollout carry (rl_games': the
        dataset and the finished-games windows are the agent's, made once). A subclass calls
        ``super().init_tensors()`` and adds its own ``experience_buffer`` fields."""
        self.update_list = ["actions", "neglogpacs", "values"]
        if self.is_continuous:
            self.update_list += ["mus", "sigmas"]
        self.experience_buffer = self._make_experience_buffer()
        extra = [k for k in ("action_masks", "valid") if k in self.experience_buffer]
        self.tensor_list = [*self.update_list, "obses", "dones", *extra]
        self.episodes.start_new_episodes()
        self.obs: Any = None  # rl_games' dict {'obs': ..., 'states': ...} once reset
        self.dones = torch.ones(self.num_envs, device=self.device)
        self.last_values: torch.Tensor | None = None
        self.time_outs: torch.Tensor | None = None

    def _make_experience_buffer(self) -> ExperienceBuffer:
        buf = ExperienceBuffer(self.cfg.horizon_length, self.num_envs, self.device)
        space = self.obs_space
        if self.dict_obs:
            keys = space.spaces.items()
            buf.add_dict_field(
                "obses", {k: (tuple(sp.shape), _storage_dtype(sp)) for k, sp in keys}
            )
        else:
            buf.add_field("obses", self.obs_shape, _storage_dtype(space))
        if self.use_action_masks:  # masks of obs t, reused by the update (masked training logits)
            n = self.actions_num
            buf.add_field("action_masks", (sum(n) if isinstance(n, list) else n,), torch.bool)
        buf.add_field("actions", self.act_shape, self.act_dtype)
        buf.add_field("neglogpacs", ())
        buf.add_field("values", (self.value_size,))
        buf.add_field("rewards", (self.value_size,))
        buf.add_field("dones", ())
        if self.next_step_reset:
            buf.add_field("valid", ())
        for key in ("mus", "sigmas") if self.is_continuous else ():
            buf.add_field(key, self.act_shape)
        if self.central_value_net is not None:  # the critic's own buffer: the states it saw
            buf.tensor_dict["states"] = self.central_value_net.experience_buffer["states"]
        if self.is_rnn:
            buf.add_rnn_states(self.rnn_states, self.seq_length)
        return buf

    def _action_rescale(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Scale and bias that map a policy action in [-1, 1] onto the env's [low, high] box."""
        space = self.env.action_space
        low = torch.as_tensor(space.low, dtype=torch.float32, device=self.device)
        high = torch.as_tensor(space.high, dtype=torch.float32, device=self.device)
        return (high - low) / 2, (high + low) / 2

    def _check_geometry(self) -> RunPlan:
        """The resolve pass for this env and world size (one ConfigError lists every problem);
        sets rl_games' batch attributes (``batch_size``, ``minibatch_size``, ...) from it."""
        plan = resolve(self.params, EnvSpaces.of(self.env), self.world_size)
        assert plan.batch is not None
        self.batch_size, self.minibatch_size = plan.batch.batch_size, plan.batch.minibatch_size
        return plan

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

    # ------------------------------------------------------------------ helpers
    def action_masks(self) -> torch.Tensor | None:
        """The env's current action masks (``[N, sum(actions)]`` bool) when masks are in use."""
        return self.env.get_action_masks() if self.use_action_masks else None

    def actor_obs(self, obs: Any) -> Any:
        """The actor's input (:func:`rl_games.envs.base.actor_observation`)."""
        return actor_observation(obs, self.obs_space)

    def replica_modules(self) -> list[torch.nn.Module]:
        cv = self.central_value_net
        return [*super().replica_modules(), *([cv.model] if cv is not None else [])]

    # ------------------------------------------------------------------ loop
    def set_eval(self) -> None:
        self.model.eval()

    def set_train(self) -> None:
        self.model.train()

    def update_epoch(self) -> int:
        """Start the next epoch; returns its number (rl_games' name)."""
        self.begin_epoch()
        return self.epoch_num

    def train_epoch(self) -> dict[str, float]:
        """Play ``horizon_length`` steps, build the dataset, train the central value then the
        actor-critic; returns the epoch's stats (loss means, ``kl``, timings)."""
        self.env.set_train_info(self.frame, self)
        t0 = time.perf_counter()
        threads = rollout_threads(self.model, self.device, self.env.tensor_mode)
        with intra_op_threads(threads):  # see rl_games/common/threads.py
            batch_dict = self.play_steps_rnn() if self.is_rnn else self.play_steps()
        self.hooks.after_steps()
        t1 = time.perf_counter()
        timing = {k: batch_dict.pop(k) for k in ("step_time", "play_time")}
        batch_dict.pop("played_frames", None)
        self.prepare_dataset(batch_dict)
        cv_stats = self.train_central_value()  # the critic before the actor (rl_games order)
        self.set_train()
        stats = self.train_mini_epochs()
        stats.update(cv_stats)
        stats.update(
            timing, update_time=time.perf_counter() - t1, total_time=time.perf_counter() - t0
        )
        return stats

    def reset_envs(self) -> None:
        """Reset every env and start fresh episodes (the unfinished ones are dropped)."""
        self.obs = self.env_reset()
        if self.central_value_net is not None:
            self.states = self.central_value_net.reset(self._critic_obs(self.obs))
        # every env starts an episode; under next-step autoreset the first step after reset() is
        # a real transition (only a step after a done is a reset row), so it starts valid
        start = 0.0 if self.next_step_reset else 1.0
        self.dones = torch.full((self.num_envs,), start, device=self.device)
        self.rnn_states = self.model.get_default_rnn_state() if self.is_rnn else None
        self.episodes.start_new_episodes()

    def clear_stats(self) -> None:
        """rl_games' hook: forget the finished games and the best reward; tell the observer."""
        self.episodes.clear()
        self.best_reward = -float("inf")
        self.hooks.after_clear_stats()

    def start_training(self) -> None:
        self.reset_envs()
        self.resume_envs()
        self._init_train()

    def _init_train(self) -> None:
        """Hook: a subclass' own setup right before the first epoch (AMP: demo buffers)."""

    def run_epoch(self) -> str | None:
        """One epoch, its statistics and checkpoints; returns why to stop (None: go on)."""
        self.update_epoch()
        n = self.cfg.epochs_between_resets
        if n > 0 and self.epoch_num > 1 and (self.epoch_num - 1) % n == 0:
            self.reset_envs()  # every n epochs: all envs start fresh episodes
        stats = self.train_epoch()
        self.sync_stats()
        self.end_epoch(self.batch_size * self.world_size)
        self.check_finite_training(training_stats(stats))
        self.episodes.flush(self.cfg.horizon_length)
        mean = self.episodes.mean_reward()
        self.final_mean_reward = None if mean is None else float(mean[0])
        self.log_epoch(stats)
        if self.self_play_manager is not None:  # may refresh the env's opponents, clear_stats()
            self.self_play_manager.update(self)
        self.maybe_save_best(self.final_mean_reward)
        self.maybe_save_periodic(self.final_mean_reward)
        return self.decide_stop(self.final_mean_reward)

    def finish_training(self, reason: str) -> None:
        self.finish_replicas(reason)
        self.save_on_stop(reason, self.final_mean_reward)
