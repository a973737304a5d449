"""Training-loop observers (rl_games import path: ``rl_games.common.algo_observer``).

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


class IsaacAlgoObserver(AlgoObserver):
    """Logs Isaac Gym / Isaac Lab episode extras, with rl_games' tags and attributes.

    ``process_infos`` keeps every step's ``infos['episode']`` mapping in ``ep_infos`` and the
    step's scalar entries (numbers, 0-d tensors) in ``direct_info``. ``after_print_stats``
    writes, for every ``episode`` key, the mean over all values collected this epoch as
    ``Episode/<key>`` at x = epoch, then ``<key>/frame|iter|time`` for each scalar entry of the
    latest step, to ``writer`` (``algo.writer`` at ``after_init``; the Runner opens it before).
    """

    def __init__(self) -> None:
        self.algo: Any = None
        self.writer: Any = None
        self.ep_infos: list[Mapping[str, Any]] = []
        self.direct_info: dict[str, Any] = {}

    def after_init(self, algo: Any) -> None:
        self.algo = algo
        self.writer = getattr(algo, "writer", None)
        self.ep_infos = []
        self.direct_info = {}

    def process_infos(self, infos: Any, done_indices: Any) -> None:
        if not isinstance(infos, Mapping) or not infos:
            return
        episode = infos.get("episode")
        if isinstance(episode, Mapping):
            self.ep_infos.append(episode)
        self.direct_info = {k: v for k, v in infos.items() if _is_scalar(v)}

    def episode_means(self) -> dict[str, float]:
        """Per ``episode`` key: the mean over every value collected since the last write."""
        values: dict[str, list[np.ndarray]] = {}
        for info in self.ep_infos:
            for key, value in info.items():
                try:
                    array = _as_numpy(value).astype(np.float64).reshape(-1)
                except (TypeError, ValueError):
                    continue
                values.setdefault(key, []).append(array)
        means = {k: np.concatenate(v) for k, v in values.items()}
        return {k: float(v.mean()) for k, v in means.items() if v.size}

    def after_print_stats(self, frame: int, epoch_num: int, total_time: float) -> None:
        writer = self.writer if self.writer is not None else getattr(self.algo, "writer", None)
        if writer is not None:
            for key, mean in self.episode_means().items():
                writer.add_scalar(f"Episode/{key}", mean, epoch_num)
            for key, value in self.direct_info.items():
                value = float(_as_numpy(value))
                writer.add_scalar(f"{key}/frame", value, frame)
                writer.add_scalar(f"{key}/iter", value, epoch_num)
                writer.add_scalar(f"{key}/time", value, total_time)
        self.ep_infos.clear()


def _is_scalar(value: Any) -> bool:
    """A number or a 0-d tensor / array (bools count, as in rl_games' ``isinstance(v, int)``)."""
    if isinstance(value, (int, float, np.number, np.bool_)):
        return True
    return hasattr(value, "shape") and hasattr(value, "dtype") and tuple(value.shape) == ()


__all__ = ["AlgoObserver", "DefaultAlgoObserver", "IsaacAlgoObserver"]
