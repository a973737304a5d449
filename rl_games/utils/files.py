"""Filesystem operations that tolerate transient failures (network filesystems, cluster storage)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def retry_filesystem_op(
    func: Callable[..., T], *args: Any, attempts: int = 5, first_wait: float = 1.0, **kwargs: Any
) -> T:
    """``func(*args, **kwargs)``, retried on ``OSError`` up to ``attempts`` times with doubling
    waits (1 s, 2 s, 4 s, ...). Other exceptions are not retried: they will not go away."""
    wait = first_wait
    for attempt in range(1, attempts + 1):
        try:
            return func(*args, **kwargs)
        except OSError as exc:
            if attempt == attempts:
                raise RuntimeError(
                    f"{getattr(func, '__name__', func)} failed {attempts} times: {exc}"
                ) from exc
            log.warning("filesystem operation failed (%s); retrying in %.0f s", exc, wait)
            time.sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")
