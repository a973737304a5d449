"""rl_games import path ``rl_games.common.algo_observer``: training-loop observers.

An observer is handed to ``Runner(algo_observer)``; the trainer calls its hooks at fixed points
of every epoch. ``AlgoObserver`` defines the hooks rl_games calls, all no-ops.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


class AlgoObserver:
    """Base observer: every hook rl_games calls, doing nothing."""

    def before_init(self, base_name: str, config: Any, experiment_name: str) -> None:
        """Before the algorithm builds its env and model."""

    def after_init(self, algo: Any) -> None:
        """After the algorithm is built."""

    def process_infos(self, infos: Any, done_indices: Any) -> None:
        """After every env step with the step's ``infos`` and the indices of finished envs."""

    def after_steps(self) -> None:
        """After each rollout."""

    def after_clear_stats(self) -> None:
        """After the algorithm resets its score meters."""

    def after_print_stats(self, frame: int, epoch_num: int, total_time: float) -> None:
        """After each epoch's statistics are written (``frame``: env frames so far)."""


class DefaultAlgoObserver(AlgoObserver):
    """rl_games' default observer. Scores and episode lengths are tracked by the trainer itself,
    so this one only remembers the algorithm it observes."""

    def __init__(self) -> None:
        self.algo: Any = None

    def after_init(self, algo: Any) -> None:
        self.algo = algo


def _scalar_mean(value: Any) -> float | None:
    """The mean of a number, numpy array or torch tensor; None for empty or non-numeric values."""
    if hasattr(value, "detach"):  # torch tensor, possibly on an accelerator
        value = value.detach().float().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if array.size == 0:
        return None
    return float(array.mean())


class IsaacAlgoObserver(AlgoObserver):
    """Logs the env's ``infos['episode']`` entries (Isaac Gym / Isaac Lab episode extras).

    Every step's ``infos['episode']`` mapping is collected; after each epoch the mean of every
    key over the epoch is written as ``Episode/<key>`` to ``algo.writer`` (read then, since the
    trainer may replace its writer after ``after_init``; nothing is written without one), then
    the collection starts again.
    """

    def __init__(self) -> None:
        self.algo: Any = None
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}

    def after_init(self, algo: Any) -> None:
        self.algo = algo

    def process_infos(self, infos: Any, done_indices: Any) -> None:
        episode = infos.get("episode") if isinstance(infos, Mapping) else None
        if not isinstance(episode, Mapping):
            return
        for key, value in episode.items():
            mean = _scalar_mean(value)
            if mean is None:
                continue
            self._sums[key] = self._sums.get(key, 0.0) + mean
            self._counts[key] = self._counts.get(key, 0) + 1

    def episode_means(self) -> dict[str, float]:
        """The mean of every collected key since the last write."""
        return {key: self._sums[key] / self._counts[key] for key in self._sums}

    def after_clear_stats(self) -> None:
        self._sums.clear()
        self._counts.clear()

    def after_print_stats(self, frame: int, epoch_num: int, total_time: float) -> None:
        writer = getattr(self.algo, "writer", None)
        if writer is not None:
            for key, mean in self.episode_means().items():
                writer.add_scalar(f"Episode/{key}", mean, frame)
        self._sums.clear()
        self._counts.clear()


__all__ = ["AlgoObserver", "DefaultAlgoObserver", "IsaacAlgoObserver"]
