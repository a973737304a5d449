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

from rl_games.training.observers import AlgoObserver, IsaacAlgoObserver

__all__ = ["MultiObserver", "ObserverHooks"]


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
        # IsaacAlgoObserver's own process_infos never reads the done indices: it gets None and
        # the step makes no nonzero() (a device sync on an accelerator every step)
        own = getattr(type(observer), "process_infos", None)
        self._needs_indices = own is not IsaacAlgoObserver.process_infos
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
        if not self._needs_indices:
            self._infos(infos, None)
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


class MultiObserver(AlgoObserver):
    """Several observers as one (rl_games' ``MultiObserver``): each hook calls, in order, the
    observers that implement it. ``info_keys`` is the union of theirs (None when one of those
    implementing ``process_infos`` has none), so ``ObserverHooks`` still skips steps no one
    reads."""

    def __init__(self, observers_: list[Any]) -> None:
        super().__init__()
        self.observers = list(observers_)
        readers = [o for o in self.observers if _hook(o, "process_infos") is not None]
        keys = [getattr(o, "info_keys", None) for o in readers]
        self.info_keys = None if None in keys else tuple(k for ks in keys for k in ks)

    def _call(self, name: str, *args: Any) -> None:
        for observer in self.observers:
            method = getattr(observer, name, None) if name in _ALWAYS else _hook(observer, name)
            if callable(method):
                method(*args)

    def before_init(self, base_name: str, config: Any, experiment_name: str) -> None:
        self._call("before_init", base_name, config, experiment_name)

    def after_init(self, algo: Any) -> None:
        self._call("after_init", algo)

    def process_infos(self, infos: Any, done_indices: Any) -> None:
        self._call("process_infos", infos, done_indices)

    def after_steps(self) -> None:
        self._call("after_steps")

    def after_clear_stats(self) -> None:
        self._call("after_clear_stats")

    def after_print_stats(self, frame: int, epoch_num: int, total_time: float) -> None:
        self._call("after_print_stats", frame, epoch_num, total_time)


_ALWAYS = ("before_init", "after_init")  # cheap, called once: every observer gets them
