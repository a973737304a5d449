"""``stop_fn``: resolving it (a callable, ``'pkg.mod:fn'`` or ``'pkg.mod.fn'``) at startup, and
the rl_games-style meters it can read from the algorithm it is called with."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from rl_games.config.errors import ConfigError, Problem

StopFn = Callable[[Any], bool]


def _import_target(spec: str, where: str) -> Any:
    module, sep, attr = spec.partition(":")
    if not sep:
        module, _, attr = spec.rpartition(".")
    if not module or not attr:
        raise ConfigError(
            [Problem(where, f"'{spec}' is not 'pkg.module:function' or 'pkg.module.function'")]
        )
    try:
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigError([Problem(where, f"cannot import '{spec}': {exc}")]) from None
    return obj


def resolve_stop_fn(value: Any, where: str = "params.config.stop_fn") -> StopFn | None:
    """The stop function, or None; a ``ConfigError`` (a ``ValueError``) when ``value`` cannot be
    imported or is not callable."""
    if value is None:
        return None
    target = _import_target(value, where) if isinstance(value, str) else value
    if not callable(target):
        raise ConfigError(
            [Problem(where, f"{value!r} resolves to a {type(target).__name__}, not a callable")]
        )
    return target


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
