"""Calls a user's rl_games-style ``AlgoObserver`` from the training loops.

The hooks (``rl_games.training.observers``) run at rl_games' points: ``process_infos`` after
every env step, ``after_steps`` after each rollout, ``after_clear_stats`` when the score windows
start empty, ``after_print_stats`` when an epoch's statistics are written. ``before_init`` and
``after_init`` are the Runner's. A hook the observer leaves as the base no-op is never called,
and ``process_infos`` (which needs the done indices, a host sync on an accelerator) runs only for
an observer that overrides it, and only on steps whose infos hold one of its ``info_keys``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from rl_games.training.observers import AlgoObserver

__all__ = ["ObserverHooks"]


def _hook(observer: Any, name: str) -> Callable[..., Any] | None:
    """``observer.<name>`` unless missing or inherited unchanged from ``AlgoObserver``."""
    method = getattr(observer, name, None)
    if not callable(method):
        return None
    if isinstance(observer, AlgoObserver) and getattr(type(observer), name) is getattr(
        AlgoObserver, name
    ):
        return None
    return method


class ObserverHooks:
    """The observer's hooks bound once; calling an absent hook costs one ``if``."""

    def __init__(self, observer: Any = None, num_agents: int = 1) -> None:
        self.observer = observer
        self.num_agents = max(int(num_agents), 1)
        self._infos = _hook(observer, "process_infos")
        self._info_keys: tuple[str, ...] | None = getattr(observer, "info_keys", None)
        self._after_steps = _hook(observer, "after_steps")
        self._after_clear = _hook(observer, "after_clear_stats")
        self._after_print = _hook(observer, "after_print_stats")

    def step(self, infos: Any, dones: torch.Tensor, host_dones: np.ndarray | None = None) -> None:
        """``process_infos(infos, done_indices)``; done_indices as rl_games makes them:
        ``dones.nonzero()`` (shape ``[n, 1]``), every ``num_agents``-th row for multi-agent envs.

        ``host_dones`` (the env's own numpy dones, when it returns host data) gives the indices
        as a CPU tensor without reading ``dones`` back from an accelerator every step."""
        if self._infos is None:
            return
        keys = self._info_keys
        if keys is not None and not (isinstance(infos, Mapping) and any(k in infos for k in keys)):
            return
        if host_dones is not None:
            done_indices = torch.from_numpy(np.flatnonzero(host_dones).reshape(-1, 1))
        else:
            done_indices = dones.reshape(-1).nonzero(as_tuple=False)
        if self.num_agents > 1:
            done_indices = done_indices[:: self.num_agents]
        self._infos(infos, done_indices)

    def after_steps(self) -> None:
        if self._after_steps is not None:
            self._after_steps()

    def after_clear_stats(self) -> None:
        if self._after_clear is not None:
            self._after_clear()

    def after_print_stats(self, frame: int, epoch_num: int, total_time: float) -> None:
        if self._after_print is not None:
            self._after_print(frame, epoch_num, total_time)
