"""Per-epoch reporting shared by every trainer: episode scalars (rl_games tags) and the console line."""

from __future__ import annotations

import logging
from typing import Any

from rl_games.training.progress import progress_line

log = logging.getLogger("rl_games.training")


class EpochReportMixin:
    """The trainer's per-epoch report: rl_games' episode scalars and the console progress line
    (both read the trainer's ``episodes``, ``writer``, ``epoch_num``, ``cfg``, ``rank``)."""

    episodes: Any
    writer: Any
    epoch_num: int
    cfg: Any
    rank: int
    max_frames: int | None

    def write_episode_scalars(self, frame: int, elapsed: float) -> None:
        """``rewards[i]/step|iter|time`` per value head, ``shaped_rewards/*``, ``episode_lengths/*``."""
        eps = self.episodes
        mean, shaped, length = eps.mean_reward(), eps.mean_shaped(), eps.mean_length()
        if mean is None:
            return
        values = [("rewards" if i == 0 else f"rewards{i}", mean[i]) for i in range(len(mean))]
        values += [("shaped_rewards", shaped[0]), ("episode_lengths", length)]
        w, epoch = self.writer, self.epoch_num
        for tag, value in values:
            w.add_scalar(f"{tag}/step", value, frame)
            w.add_scalar(f"{tag}/iter", value, epoch)
            w.add_scalar(f"{tag}/time", value, elapsed)

    def log_progress(self, frame: int, fps: tuple[float, float, float], elapsed: float) -> None:
        """The console line (rank 0, ``print_stats``); ``fps`` = (step, step+inference, total)."""
        if not (self.cfg.print_stats and self.rank == 0):
            return
        mean = self.episodes.mean_reward()
        log.info(
            progress_line(
                epoch=self.epoch_num,
                max_epochs=self.cfg.max_epochs,
                frame=frame,
                max_frames=self.max_frames,
                mean_reward=None if mean is None else float(mean[0]),
                mean_length=self.episodes.mean_length(),
                fps_step=fps[0],
                fps_step_inference=fps[1],
                fps_total=fps[2],
                elapsed=elapsed,
            )
        )
