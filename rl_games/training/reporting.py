"""Per-epoch reporting shared by every trainer: episode scalars (rl_games tags) and the console line."""

from __future__ import annotations

import logging
from typing import Any

from rl_games.training.progress import progress_line

log = logging.getLogger("rl_games.training")


def write_episode_scalars(trainer: Any, frame: int, elapsed: float) -> None:
    """``rewards[i]/step|iter|time`` per value head, ``shaped_rewards/*``, ``episode_lengths/*``."""
    eps = trainer.episodes
    mean, shaped, length = eps.mean_reward(), eps.mean_shaped(), eps.mean_length()
    if mean is None:
        return
    values = [("rewards" if i == 0 else f"rewards{i}", mean[i]) for i in range(len(mean))]
    values += [("shaped_rewards", shaped[0]), ("episode_lengths", length)]
    w, epoch = trainer.writer, trainer.epoch_num
    for tag, value in values:
        w.add_scalar(f"{tag}/step", value, frame)
        w.add_scalar(f"{tag}/iter", value, epoch)
        w.add_scalar(f"{tag}/time", value, elapsed)


def log_progress(trainer: Any, frame: int, fps: tuple[float, float, float], elapsed: float) -> None:
    """The console line (rank 0, ``print_stats``); ``fps`` = (step, step+inference, total)."""
    if not (trainer.cfg.print_stats and trainer.rank == 0):
        return
    mean = trainer.episodes.mean_reward()
    log.info(
        progress_line(
            epoch=trainer.epoch_num,
            max_epochs=trainer.cfg.max_epochs,
            frame=frame,
            max_frames=trainer.max_frames,
            mean_reward=None if mean is None else float(mean[0]),
            mean_length=trainer.episodes.mean_length(),
            fps_step=fps[0],
            fps_step_inference=fps[1],
            fps_total=fps[2],
            elapsed=elapsed,
        )
    )
