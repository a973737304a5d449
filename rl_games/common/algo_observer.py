"""rl_games import path ``rl_games.common.algo_observer``: training-loop observers.

An observer is handed to ``Runner(algo_observer)``; the trainer calls its hooks at fixed points
of every epoch. ``AlgoObserver`` defines the hooks rl_games calls, all no-ops.
"""

from __future__ import annotations

import logging
from collections import deque
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
    """rl_games' default observer: game scores.

    Rewards and episode lengths are tracked by the trainer itself; this one keeps the last
    ``games_to_track`` values of ``infos['scores']`` (or ``infos['battle_won']``) at the done
    indices and writes their mean as ``scores/mean|iter|time``. Where the env marks whole games
    (``infos['game_dones']``: envpool Atari with lives) only finished games count.
    """

    #: the trainer calls ``process_infos`` only on steps whose infos hold one of these
    info_keys: tuple[str, ...] = ("scores", "battle_won")

    def __init__(self) -> None:
        self.algo: Any = None
        self.scores: deque[float] = deque(maxlen=100)

    def after_init(self, algo: Any) -> None:
        self.algo = algo
        games = getattr(getattr(algo, "cfg", None), "games_to_track", 100)
        self.scores = deque(maxlen=int(games))

    def process_infos(self, infos: Any, done_indices: Any) -> None:
        if not isinstance(infos, Mapping):
            return
        key = next((k for k in self.info_keys if k in infos), None)
        if key is None:
            return
        idx = _as_numpy(done_indices).astype(np.int64).reshape(-1)
        if "game_dones" in infos:
            idx = idx[_as_numpy(infos["game_dones"]).reshape(-1).astype(bool)[idx]]
        if idx.size:
            self.scores.extend(_as_numpy(infos[key]).reshape(-1)[idx].astype(np.float64).tolist())

    def after_clear_stats(self) -> None:
        self.scores.clear()

    def after_print_stats(self, frame: int, epoch_num: int, total_time: float) -> None:
        writer = getattr(self.algo, "writer", None)
        if writer is None or not self.scores:
            return
        mean = float(np.mean(self.scores))
        writer.add_scalar("scores/mean", mean, frame)
        writer.add_scalar("scores/iter", mean, epoch_num)
        writer.add_scalar("scores/time", mean, total_time)


def _as_numpy(value: Any) -> np.ndarray:
    """A numpy view of a numpy array, number or (possibly accelerator) torch tensor."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
        value = (value.float() if value.is_floating_point() else value).numpy()
    return np.asarray(value)


def _scalar_mean(value: Any) -> float | None:
    """The mean of a number, numpy array or torch tensor; None for empty or non-numeric values."""
    try:
        array = _as_numpy(value).astype(np.float64)
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
