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

from rl_games.config.build import to_dict
from rl_games.config.schema import CommonConfig, Params
from rl_games.envs import TorchVecEnv, create_vec_env
from rl_games.tracking.writer import make_writer
from rl_games.training.checkpoint import load_checkpoint, reward_str, save_checkpoint

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
    env = create_vec_env(cfg.env_name, num_actors or cfg.num_actors, **kwargs)
    return TorchVecEnv(env, device)


class TrainerBase:
    """Run directory, TensorBoard writer, best/last checkpoints and stop conditions."""

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
        self.observer: Any = None
        self.run_dir: Path | None = None
        self.nn_dir: Path | None = None
        self.writer = make_writer(None)
        self._pending_best: dict[str, Any] | None = None
        self._last_best_write = -math.inf
        self._best_written_epoch = -1
        self.start_time = time.perf_counter()

    # ------------------------------------------------------------------ run dir
    def setup_run_dir(self) -> None:
        if self.rank != 0:
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

    def save(self, filename: str) -> Path | None:
        if self.rank != 0 or self.nn_dir is None:
            return None
        return save_checkpoint(self.nn_dir / filename, self.get_full_state_weights())

    def restore(self, path: str | Path) -> None:
        self.set_full_state_weights(load_checkpoint(path, map_location=self.device))
        log.info(
            "=> restored checkpoint '%s' (epoch %d, frame %d)", path, self.epoch_num, self.frame
        )

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
            self._pending_best = _cpu_copy(self.get_full_state_weights())
        return True

    def flush_pending_best(self) -> None:
        if self._pending_best is not None and self.nn_dir is not None:
            save_checkpoint(self.nn_dir / self.cfg.name, self._pending_best)
            self._pending_best = None

    # ------------------------------------------------------------------ stopping
    def stop_reason(self, mean_reward: float | None) -> str | None:
        if mean_reward is not None and mean_reward > self.cfg.score_to_win:
            return "score_to_win"
        if self.cfg.max_epochs > 0 and self.epoch_num >= self.cfg.max_epochs:
            return "max_epochs"
        if self.max_frames > 0 and self.frame >= self.max_frames:
            return "max_frames"
        if self.stop_fn is not None and self.stop_fn(self):
            return "stop_fn"
        return None

    def save_on_stop(self, reason: str, mean_reward: float | None) -> None:
        name, rew = self.cfg.name, reward_str(mean_reward)
        self.flush_pending_best()
        if reason == "score_to_win":
            log.info("Maximum reward achieved. Network won!")
            if self._best_written_epoch != self.epoch_num:
                self.best_reward = max(self.best_reward, float(mean_reward))
                self.save(name)
            self.save(f"{name}_ep_{self.epoch_num}_rew_{rew}")
        elif reason == "max_epochs":
            log.info("MAX EPOCHS NUM!")
            self.save(f"last_{name}_ep_{self.epoch_num}_rew__{rew}_")
        elif reason == "max_frames":
            log.info("MAX FRAMES NUM!")
            self.save(f"last_{name}_frame_{self.frame}_rew__{rew}_")
        elif reason == "stop_fn":
            log.info("stop_fn asked to stop")
            self.save(f"last_{name}_custom_stop_ep_{self.epoch_num}")
        else:  # interrupted
            log.warning("training interrupted (%s): saving a last checkpoint", reason)
            self.save(f"last_{name}_ep_{self.epoch_num}_rew_{rew}")


class TerminateOnSignal:
    """Turn SIGTERM into KeyboardInterrupt while training, so both save a last checkpoint."""

    def __enter__(self) -> TerminateOnSignal:
        self._old = None
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGTERM, self._raise)
        return self

    @staticmethod
    def _raise(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    def __exit__(self, *exc: Any) -> None:
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)


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
