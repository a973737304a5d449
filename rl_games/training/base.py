"""What every trainer shares: device, env, run directory, logging, checkpoints, stop rules."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rl_games.config.schema import CommonConfig, Params
from rl_games.envs import TorchVecEnv, create_vec_env
from rl_games.envs.registry import accepts_device, env_seed
from rl_games.tracking.writer import make_writer
from rl_games.training import distributed as dist_utils
from rl_games.training.checkpoint import (
    CheckpointError,
    WriteError,
    find_non_finite,
    load_checkpoint,
    reward_str,
    save_checkpoint,
)
from rl_games.training.compile import CompileModes, apply_torch_compile
from rl_games.training.divergence import (
    TrainingDivergedError,
    all_finite,
    describe,
    first_non_finite,
    non_finite,
)
from rl_games.training.loop import TrainLoop
from rl_games.training.observe import ObserverHooks
from rl_games.training.replicas import ReplicaMixin
from rl_games.training.reporting import EpochReportMixin
from rl_games.training.resume import ResumeStateMixin
from rl_games.training.run_dir import close_quietly, create_run_dir, save_failed
from rl_games.training.state_match import restore_mismatch
from rl_games.training.stop import TerminateOnSignal, WindowMeter

__all__ = ["TerminateOnSignal", "TrainerBase", "TrainingDivergedError", "build_env"]

log = logging.getLogger(__name__)


def resolve_device(name: str) -> torch.device:
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        log.warning("config.device '%s' requested but CUDA is not available: using cpu", name)
        return torch.device("cpu")
    return device


def build_env(
    cfg: CommonConfig,
    seed: int | None,
    device: torch.device,
    num_actors: int | None = None,
    env_config: dict | None = None,
) -> TorchVecEnv:
    """The env of ``cfg.env_name`` on ``device``. The seed reaches it as ``env_config['seed']``
    as :func:`rl_games.envs.registry.env_seed` decides (user vecenv types: rl_games' contract)."""
    kwargs = dict(cfg.env_config if env_config is None else env_config)
    given_seed = env_seed(cfg.env_name, seed, "env_config" in cfg.raw)
    if given_seed is not None and "seed" not in kwargs:
        kwargs["seed"] = given_seed
    if "device" not in kwargs and accepts_device(cfg.env_name):
        kwargs["device"] = str(device)  # torch-native envs step on the training device
    env = create_vec_env(cfg.env_name, num_actors or cfg.num_actors, **kwargs)
    return TorchVecEnv(env, device)


class TrainerBase(TrainLoop, ReplicaMixin, ResumeStateMixin, EpochReportMixin):
    """Run directory, TensorBoard writer, best/last checkpoints, resume (``state_dict`` /
    ``load_state_dict``: the rollout carry and episode statistics) and stop conditions."""

    #: attributes the rollout carries from one epoch to the next, saved for an exact resume
    resume_carry: tuple[str, ...] = ("obs", "dones", "rnn_states")

    def __init__(
        self,
        base_name: str,
        params: Params,
        env: TorchVecEnv | None = None,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.params = params
        self.cfg: CommonConfig = params.config
        self.rank, self.world_size = rank, world_size
        self.device = resolve_device(self.cfg.device)
        self.seed = params.seed
        self.env = env if env is not None else build_env(self.cfg, self.seed, self.device)
        self.env_info = self.env.env_info
        self.num_agents = self.env.num_agents
        self.value_size = self.env.value_size
        self.epoch_num = 0
        self.frame = 0
        self.games_to_track = self.cfg.games_to_track  # rl_games' name (observers read it)
        self.best_reward = -math.inf
        self.max_frames = max(self.cfg.max_frames, self.cfg.max_steps)
        self.stop_fn: Callable[[Any], bool] | None = None
        self.observer: Any = None  # the property below also binds self.hooks
        self.run_dir: Path | None = None
        self.nn_dir: Path | None = None
        self.writer = make_writer(None)
        self._pending_best: dict[str, Any] | None = None
        self._last_best_write = -math.inf
        self._best_written_epoch = -1
        self.mean_rewards: float | None = None  # this epoch's mean game reward (for stop_fn)
        self.interrupt_requested: str | None = None  # set by TerminateOnSignal(self)
        self._pending_resume: dict[str, Any] | None = None
        self._stats_sync: dist_utils.StatsSync | None = None
        self.start_time = time.perf_counter()
        self.last_checkpoint: Path | None = None  # the last file this run wrote
        self._epoch_open = False  # between begin_epoch and end_epoch
        self._checked_epoch = 0  # the last epoch that passed check_finite_training

    # ------------------------------------------------------------------ run dir
    def compile_targets(self) -> list[tuple[torch.nn.Module, str]]:
        """What ``config.torch_compile`` compiles: ``(module, 'actor' | 'critic')`` pairs."""
        model = getattr(self, "model", None)
        return [(model, "actor")] if isinstance(model, torch.nn.Module) else []

    def apply_torch_compile(self, setting: Any, backend: Any = "inductor") -> CompileModes:
        """Compile :meth:`compile_targets` per ``setting`` (after restore: weights load eagerly)."""
        return apply_torch_compile(
            self.compile_targets(), self.device, setting, backend, type(self).__name__
        )

    def setup_run_dir(self) -> None:
        """Create the run directory, save the config and open the writer (once; rank 0 only).

        The Runner calls it before ``observer.after_init`` so an observer can keep
        ``algo.writer`` (as rl_games' observers do); ``train()`` calls it for direct users."""
        if self.rank != 0 or self.run_dir is not None:
            return
        self.run_dir = create_run_dir(self.params)  # WriteError / ConfigError: one clear line
        self.nn_dir = self.run_dir / "nn"
        self.writer = make_writer(self.run_dir / "summaries")
        log.info("run directory: %s", self.run_dir)

    # ------------------------------------------------------------------ checkpoints
    def get_full_state_weights(self) -> dict[str, Any]:
        raise NotImplementedError

    def set_full_state_weights(self, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def full_state(self) -> dict[str, Any]:
        """rl_games' checkpoint dict plus what an exact resume needs (``resume.RESUME_KEYS``)."""
        return {**self.get_full_state_weights(), **self.resume_state()}

    def save(self, filename: str) -> Path | None:
        if self.rank != 0 or self.nn_dir is None:
            return None
        return self._write(filename, self.full_state())

    def _write(self, filename: str, state: dict[str, Any]) -> Path:
        """The one place checkpoints are written: never with nan/inf weights."""
        assert self.nn_dir is not None
        bad = find_non_finite(state)
        if bad is not None:
            raise self._diverged({}, bad, refused=filename)
        try:
            self.last_checkpoint = save_checkpoint(self.nn_dir / filename, state)
        except WriteError as exc:  # e.g. a full disk: stop, the files written so far intact
            close_quietly(self.writer)
            raise WriteError(save_failed(exc, self.last_checkpoint, self.cfg.train_dir)) from None
        return self.last_checkpoint

    def restore(self, path: str | Path) -> None:
        """Load a checkpoint (ours or rl_games') to continue training from it."""
        state = load_checkpoint(path, map_location=self.device)
        try:
            self.set_full_state_weights(state)
        except (KeyError, RuntimeError, ValueError) as exc:
            if isinstance(exc, CheckpointError):
                raise
            raise CheckpointError(
                restore_mismatch(getattr(self, "model", None), path, state, exc)
            ) from None
        self._pending_resume = self.stage_resume_state(state)
        self._checked_epoch = self.epoch_num
        log.info(
            "=> restored checkpoint '%s' (epoch %d, frame %d)", path, self.epoch_num, self.frame
        )

    def resume_envs(self) -> None:
        """Call right after the training loop's env reset: on a resume, put back the env state,
        the carried observation/dones/RNN states, the episode statistics and the RNG streams."""
        pending, self._pending_resume = self._pending_resume, None
        if pending is not None:
            self.apply_resume_state(pending)

    def limits_reached(self) -> bool:
        """True (with a warning) when a restored run is already at max_epochs / max_frames.

        Both limits count the whole run, epochs and frames before the resume included."""
        reason = None
        if self.cfg.max_epochs > 0 and self.epoch_num >= self.cfg.max_epochs:
            reason = f"epoch {self.epoch_num} >= max_epochs {self.cfg.max_epochs}"
        elif self.max_frames > 0 and self.frame >= self.max_frames:
            reason = f"frame {self.frame} >= max_frames {self.max_frames}"
        if reason:
            log.warning(
                "nothing to train: the checkpoint is at %s (limits count the whole run; "
                "raise them to continue)",
                reason,
            )
        return reason is not None

    def maybe_save_periodic(self, mean_reward: float | None) -> None:
        """``save_frequency``: ``last_<name>_ep_<e>_rew_<r>.pth`` every N epochs, once a game
        has finished (rl_games' PPO rule)."""
        n = self.cfg.save_frequency
        if n > 0 and self.epoch_num % n == 0 and mean_reward is not None:
            name, rew = self.cfg.name, reward_str(mean_reward)
            self.save(f"last_{name}_ep_{self.epoch_num}_rew_{rew}")

    def maybe_save_best(self, mean_reward: float | None) -> bool:
        """New best after save_best_after: write now, or later if one was written very recently."""
        if mean_reward is None or self.epoch_num < self.cfg.save_best_after:
            return False
        if not mean_reward > self.best_reward:
            return False
        self.best_reward = float(mean_reward)
        now = time.perf_counter()
        if now - self._last_best_write >= self.cfg.save_best_min_interval:
            self.save(self.cfg.name)
            self._last_best_write = now
            self._best_written_epoch = self.epoch_num
            self._pending_best = None
        elif self.rank == 0:
            self._pending_best = _cpu_copy(self.full_state())
        return True

    def flush_pending_best(self) -> None:
        if self._pending_best is not None and self.nn_dir is not None:
            pending, self._pending_best = self._pending_best, None
            self._write(self.cfg.name, pending)

    # ------------------------------------------------------------------ epochs and divergence
    def begin_epoch(self) -> None:
        self.epoch_num += 1
        self._epoch_open = True

    def end_epoch(self, frames: int) -> None:
        """The epoch's frames are counted: epoch and frame describe the same epoch again."""
        self.frame += frames
        self._epoch_open = False

    def abandon_epoch(self, reason: str | None) -> str:
        """After KeyboardInterrupt (a second signal): an unfinished epoch is not counted, so a
        checkpoint's ``epoch`` and ``frame`` are those of the last complete epoch."""
        if self._epoch_open:
            self._epoch_open = False
            self.epoch_num -= 1
            log.warning(
                "epoch %d was cut short: the last checkpoint counts %d epochs (frame %d); its "
                "weights may include part of the cut epoch's update",
                self.epoch_num + 1,
                self.epoch_num,
                self.frame,
            )
        return reason or "interrupted"

    def check_finite_training(self, losses: Mapping[str, float]) -> None:
        """Raise :class:`TrainingDivergedError` if a loss mean (or gradient norm) of the epoch,
        or any weight or normalizer tensor, is nan or inf. One host sync; call it once per
        epoch (PPO) or print interval (SAC), after the update and before any checkpoint."""
        bad = non_finite(losses)
        tensors = self.replica_tensors()
        if not bad and bool(all_finite(tensors.values())):
            self._checked_epoch = self.epoch_num
            return
        name = first_non_finite(tensors)
        raise self._diverged(bad, None if name is None else _label(name))

    def _diverged(
        self, losses: Mapping[str, float], tensor: str | None, refused: str | None = None
    ) -> TrainingDivergedError:
        """Write a pending best (a state that passed the check), close the writer, and build
        the error (the caller raises it)."""
        pending, self._pending_best = self._pending_best, None
        if pending is not None and self.nn_dir is not None and find_non_finite(pending) is None:
            self.last_checkpoint = save_checkpoint(self.nn_dir / self.cfg.name, pending)
        self.writer.close()
        return TrainingDivergedError(
            describe(
                self.epoch_num,
                self.frame,
                self._checked_epoch,
                losses,
                tensor,
                self.last_checkpoint,
                refused,
            )
        )

    # ------------------------------------------------------------------ stopping
    def stop_reason(self, mean_reward: float | None) -> str | None:
        """Checked once per epoch, after the epoch's statistics and checkpoints."""
        self.mean_rewards = mean_reward
        if self.interrupt_requested is not None:
            return "interrupted"
        if mean_reward is not None and mean_reward > self.cfg.score_to_win:
            return "score_to_win"
        if self.cfg.max_epochs > 0 and self.epoch_num >= self.cfg.max_epochs:
            return "max_epochs"
        if self.max_frames > 0 and self.frame >= self.max_frames:
            return "max_frames"
        if self.stop_fn is not None and self.rank == 0 and self.stop_fn(self):
            return "stop_fn"
        return None

    # ------------------------------------------------------------------ observers
    @property
    def observer(self) -> Any:
        """The rl_games-style ``AlgoObserver`` (set by the Runner); ``hooks`` calls it."""
        return self._observer

    @observer.setter
    def observer(self, value: Any) -> None:
        self._observer = value
        self.hooks = ObserverHooks(value, self.num_agents)

    # what stop_fn (and rl_games-style observers) read from the algorithm
    @property
    def last_mean_rewards(self) -> float:
        """Best mean reward so far (rl_games' name)."""
        return self.best_reward

    @property
    def game_rewards(self) -> WindowMeter:
        """Rewards of the last ``games_to_track`` games (``get_mean()``, ``current_size``)."""
        episodes = getattr(self, "episodes", None)
        return WindowMeter(episodes.rewards if episodes is not None else ())

    @property
    def game_lengths(self) -> WindowMeter:
        episodes = getattr(self, "episodes", None)
        return WindowMeter(episodes.lengths if episodes is not None else ())

    @property
    def config(self) -> dict[str, Any]:
        """``params.config`` as a plain dict (rl_games algorithms expose ``self.config``); keys
        the schema does not know (a user algorithm's own, e.g. AMP's ``disc_coef``) as written."""
        return self.params["config"]

    def save_on_stop(self, reason: str, mean_reward: float | None) -> None:
        if self.rank != 0:  # checkpoints and their log lines: rank 0 only
            return
        name, rew = self.cfg.name, reward_str(mean_reward)
        # rl_games renders a reward array ([r] -> _r_) but its -inf placeholder bare
        rew_array = rew if mean_reward is None else f"_{rew}_"
        self.flush_pending_best()
        if reason == "score_to_win":
            log.info("Maximum reward achieved. Network won!")
            if self._best_written_epoch != self.epoch_num:
                self.best_reward = max(self.best_reward, float(mean_reward))
                self.save(name)
            self.save(f"{name}_ep_{self.epoch_num}_rew_{rew}")
        elif reason == "max_epochs":
            log.info("MAX EPOCHS NUM!")
            self.save(f"last_{name}_ep_{self.epoch_num}_rew_{rew_array}")
        elif reason == "max_frames":
            log.info("MAX FRAMES NUM!")
            self.save(f"last_{name}_frame_{self.frame}_rew_{rew_array}")
        elif reason == "stop_fn":
            log.info("stop_fn asked to stop")
            self.save(f"last_{name}_custom_stop_ep_{self.epoch_num}")
        else:  # interrupted
            how = self.interrupt_requested or "KeyboardInterrupt mid-epoch"
            log.warning("training interrupted (%s): saving a last checkpoint", how)
            self.save(f"last_{name}_ep_{self.epoch_num}_rew_{rew}")


def _label(name: str) -> str:
    """``replica_tensors`` names for messages: ``0.x`` -> ``model.x``, ``1.x`` -> ``central_value.x``."""
    index, dot, rest = name.partition(".")
    if dot and index.isdigit():
        return f"{('model', 'central_value')[int(index)] if int(index) < 2 else 'module' + index}.{rest}"
    return name


def _cpu_copy(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: _cpu_copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_cpu_copy(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.copy()
    return obj
