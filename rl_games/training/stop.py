"""Stopping: ``stop_fn`` (a callable, ``'pkg.mod:fn'`` or ``'pkg.mod.fn'``, resolved at startup)
with the rl_games-style meters it reads from the algorithm, and SIGINT / SIGTERM handling."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from rl_games.utils.imports import resolve_callable

log = logging.getLogger(__name__)

StopFn = Callable[[Any], bool]


def resolve_stop_fn(value: Any, where: str = "params.config.stop_fn") -> StopFn | None:
    """The stop function, or None; a ``ConfigError`` (a ``ValueError``) when ``value`` cannot be
    imported or is not callable (see :func:`rl_games.utils.imports.resolve_callable`)."""
    if value is None:
        return None
    return resolve_callable(value, where)


class WindowMeter:
    """Read-only view of a window of finished games with rl_games' ``AverageMeter`` API."""

    def __init__(self, window: Iterable[Any]) -> None:
        self._window = window

    @property
    def current_size(self) -> int:
        return len(self._window)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return self.current_size

    def get_mean(self) -> np.ndarray:
        """Mean over the window (shape ``[value_size]``); zeros when no game has finished."""
        items = list(self._window)
        if not items:
            return np.zeros(1, dtype=np.float32)
        return np.mean(np.stack([np.atleast_1d(np.asarray(x)) for x in items]), axis=0)


class TerminateOnSignal:
    """SIGINT / SIGTERM while training.

    Without a trainer: SIGTERM becomes KeyboardInterrupt (the caller decides what to do).
    With ``TerminateOnSignal(trainer)``, counting the signals of the run:

    * the first sets ``trainer.interrupt_requested``: the run stops after the current epoch, so
      the last checkpoint sits on an epoch boundary and resumes exactly;
    * a second one during the epoch loop raises KeyboardInterrupt at once (the trainer then
      drops the unfinished epoch from its counters, see ``TrainerBase.abandon_epoch``);
    * once :meth:`protect` is called (the final checkpoint), signals no longer interrupt:
      they are logged, until the third signal of the run, which aborts the write (the atomic
      write leaves every file written before intact); after :meth:`saved` they are only logged;
    * after a run that a signal stopped, signals in the next ``grace_s`` seconds (the process
      is exiting) are logged and ignored; later ones reach the previous handler again.
    """

    grace_s = 30.0

    def __init__(self, trainer: Any = None) -> None:
        self.trainer = trainer
        self.count = 0
        self.protected = False
        self.finished = False
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

    def protect(self) -> None:
        """From now on (the final checkpoint) signals do not interrupt, up to the third."""
        self.protected = True

    def saved(self) -> None:
        """The final checkpoint is written: from now on signals are only logged."""
        self.finished = True

    def _handle(self, signum: int, frame: Any) -> None:
        name = signal.Signals(signum).name
        trainer = self.trainer
        if trainer is None:
            raise KeyboardInterrupt(name)
        self.count += 1
        if self.finished:
            log.warning("%s: training has stopped and its last checkpoint is saved; exiting", name)
        elif self.protected:
            if self.count >= 3:
                log.warning(
                    "%s: aborting the last checkpoint (files written before are intact)", name
                )
                raise KeyboardInterrupt(name)
            log.warning("%s: the last checkpoint is being written; a third signal aborts it", name)
        elif trainer.interrupt_requested is None:
            trainer.interrupt_requested = name
            log.warning("%s: stopping after this epoch (send it again to stop at once)", name)
        else:
            self.protected = True  # whatever follows must not break the final save
            log.warning("%s: stopping now (the unfinished epoch is not counted)", name)
            raise KeyboardInterrupt(name)

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        grace = self.trainer is not None and self.count > 0 and exc_type is None
        until = time.monotonic() + self.grace_s
        for sig, old in self._old.items():
            signal.signal(sig, _after_stop(old, until) if grace else old)
        self._old.clear()


def _after_stop(old: Any, until: float) -> Callable[[int, Any], None]:
    """A handler for a process that is exiting after a stop the user asked for."""

    def handle(signum: int, frame: Any) -> None:
        name = signal.Signals(signum).name
        if time.monotonic() < until:
            log.warning("%s: training has stopped and its last checkpoint is saved; exiting", name)
            return
        signal.signal(signum, old if old is not None else signal.SIG_DFL)
        signal.raise_signal(signum)

    return handle
