"""What every trainer shares: device, env, run directory, logging, checkpoints, stop rules."""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from rl_games.common import distributed as dist_utils
from rl_games.config.build import to_dict
from rl_games.config.schema import CommonConfig, Params
from rl_games.envs import TorchVecEnv, create_vec_env
from rl_games.envs.registry import accepts_device
from rl_games.tracking.writer import make_writer
from rl_games.training.checkpoint import (
    CheckpointError,
    load_checkpoint,
    reward_str,
    save_checkpoint,
)
from rl_games.training.observe import ObserverHooks
from rl_games.training.resume import apply_resume_state, capture_resume_state, stage_resume_state
from rl_games.training.stop import WindowMeter

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
    kwargs = dict(cfg.env_config if env_config is None else env_config)
    if seed is not None and "seed" not in kwargs:
        kwargs["seed"] = seed
    if "device" not in kwargs and accepts_device(cfg.env_name):
        kwargs["device"] = str(device)  # torch-native envs step on the training device
    env = create_vec_env(cfg.env_name, num_actors or cfg.num_actors, **kwargs)
    return TorchVecEnv(env, device)


class TrainerBase:
    """Run directory, TensorBoard writer, best/last checkpoints, resume and stop conditions."""

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

    # ------------------------------------------------------------------ run dir
    def setup_run_dir(self) -> None:
        """Create the run directory, save the config and open the writer (once; rank 0 only).

        The Runner calls it before ``observer.after_init`` so an observer can keep
        ``algo.writer`` (as rl_games' observers do); ``train()`` calls it for direct users."""
        if self.rank != 0 or self.run_dir is not None:
            return
        name = self.cfg.full_experiment_name or (
            self.cfg.name + datetime.now().strftime("_%d-%H-%M-%S")
        )
        self.run_dir = Path(self.cfg.train_dir) / name
        self.nn_dir = self.run_dir / "nn"
        self.nn_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "summaries").mkdir(parents=True, exist_ok=True)
        with open(self.run_dir / "config.yaml", "w") as fh:
            yaml.safe_dump({"params": to_dict(self.params)}, fh, sort_keys=False)
        self.writer = make_writer(self.run_dir / "summaries")
        log.info("run directory: %s", self.run_dir)

    # ------------------------------------------------------------------ checkpoints
    def get_full_state_weights(self) -> dict[str, Any]:
        raise NotImplementedError

    def set_full_state_weights(self, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def full_state(self) -> dict[str, Any]:
        """rl_games' checkpoint dict plus what an exact resume needs (``resume.RESUME_KEYS``)."""
        return {**self.get_full_state_weights(), **capture_resume_state(self)}

    def save(self, filename: str) -> Path | None:
        if self.rank != 0 or self.nn_dir is None:
            return None
        return save_checkpoint(self.nn_dir / filename, self.full_state())

    def restore(self, path: str | Path) -> None:
        """Load a checkpoint (ours or rl_games') to continue training from it."""
        state = load_checkpoint(path, map_location=self.device)
        try:
            self.set_full_state_weights(state)
        except (KeyError, RuntimeError, ValueError) as exc:
            if isinstance(exc, CheckpointError):
                raise
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise CheckpointError(
                f"checkpoint '{path}' does not fit this config: {type(exc).__name__}: {detail}"
            ) from None
        self._pending_resume = stage_resume_state(self, state)
        log.info(
            "=> restored checkpoint '%s' (epoch %d, frame %d)", path, self.epoch_num, self.frame
        )

    def resume_envs(self) -> None:
        """Call right after the training loop's env reset: on a resume, put back the env state,
        the carried observation/dones/RNN states, the episode statistics and the RNG streams."""
        pending, self._pending_resume = self._pending_resume, None
        if pending is not None:
            apply_resume_state(self, pending)

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
            save_checkpoint(self.nn_dir / self.cfg.name, self._pending_best)
            self._pending_best = None

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
        """``params.config`` as a plain dict (rl_games algorithms expose ``self.config``)."""
        return to_dict(self.cfg)

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

    # ------------------------------------------------------------------ multi-process (torchrun)
    def replica_modules(self) -> list[torch.nn.Module]:
        """Modules kept identical on every rank (parameters broadcast, normalizers merged)."""
        model = getattr(self, "model", None)
        return [model] if isinstance(model, torch.nn.Module) else []

    def replica_tensors(self, buffers: bool = True) -> dict[str, torch.Tensor]:
        """Named tensors that every rank must hold bitwise-identically; trainers may add more."""
        out: dict[str, torch.Tensor] = {}
        for i, module in enumerate(self.replica_modules()):
            named = [*module.named_parameters(), *(module.named_buffers() if buffers else ())]
            out.update((f"{i}.{name}", t) for name, t in named)
        return out

    def all_reduce_gradients(self, params: Any) -> None:
        """Average ``params``' gradients over ranks (one flattened all-reduce); no-op alone."""
        if self.world_size > 1:
            dist_utils.all_reduce_gradients(params, self.world_size)

    def broadcast_replicas(self) -> None:
        """Training start (after any restore): rank 0's parameters and buffers on every rank."""
        if self.world_size <= 1:
            return
        dist_utils.broadcast_tensors(self.replica_tensors().values())
        if getattr(self.cfg, "multi_gpu_sync_stats", True):
            mode = getattr(self.cfg, "multi_gpu_sync_stats_mode", "pooled")
            self._stats_sync = dist_utils.StatsSync(self.replica_modules(), mode)

    def sync_stats(self) -> None:
        """Merge normalizer statistics across ranks (every epoch, after the update)."""
        if self._stats_sync is not None:
            self._stats_sync.sync()

    def decide_stop(self, mean_reward: float | None) -> str | None:
        """``stop_reason`` on rank 0 (any rank's interrupt too), agreed so all ranks leave together."""
        if self.world_size <= 1:
            return self.stop_reason(mean_reward)
        if self.rank == 0:
            reason = self.stop_reason(mean_reward)
        else:
            reason = "interrupted" if self.interrupt_requested is not None else None
        agreed = dist_utils.agree_stop(reason)
        if agreed == "interrupted" and self.interrupt_requested is None:
            self.interrupt_requested = "signal to another rank"
        return agreed

    def finish_replicas(self, reason: str | None) -> None:
        """End of training: check (log) that all ranks hold the same bits; test dump hook."""
        if self.world_size <= 1 or reason == "interrupted":
            return
        state = self.replica_tensors(buffers=self._stats_sync is not None)
        dist_utils.check_replicas(state, self.rank)
        extra = {"epoch": self.epoch_num, "frame": self.frame, "lr": getattr(self, "last_lr", None)}
        dist_utils.maybe_dump_state({**state, **extra}, self.rank)


class TerminateOnSignal:
    """SIGINT / SIGTERM while training.

    Without a trainer: SIGTERM becomes KeyboardInterrupt (the loop saves a last checkpoint).
    With ``TerminateOnSignal(trainer)``: the first signal sets ``trainer.interrupt_requested``;
    ``stop_reason`` ends the run after the current epoch, so the last checkpoint sits on an epoch
    boundary and resumes exactly. A second signal raises KeyboardInterrupt at once.
    """

    def __init__(self, trainer: Any = None) -> None:
        self.trainer = trainer
        self._old: dict[int, Any] = {}

    def __enter__(self) -> TerminateOnSignal:
        if self.trainer is not None:
            self.trainer.interrupt_requested = None
        if threading.current_thread() is threading.main_thread():
            sigs = (
                (signal.SIGTERM, signal.SIGINT) if self.trainer is not None else (signal.SIGTERM,)
            )
            for sig in sigs:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        name = signal.Signals(signum).name
        trainer = self.trainer
        if trainer is None or trainer.interrupt_requested is not None:
            raise KeyboardInterrupt(name)
        trainer.interrupt_requested = name
        log.warning("%s: stopping after this epoch (send it again to stop at once)", name)

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()


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
