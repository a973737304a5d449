"""Checkpoint files: atomic writes, safe loads (weights_only), rl_games key conventions."""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

log = logging.getLogger(__name__)

COMPILE_PREFIX = "_orig_mod."


class CheckpointError(RuntimeError):
    """A checkpoint could not be read; the message names the file and the reason."""


def _numpy_safe_globals() -> list[Any]:
    """Exactly the numpy types rl_games checkpoints carry (e.g. np.float32 last_mean_rewards)."""
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar  # type: ignore[no-redef]
    dtypes = [type(np.dtype(n)) for n in ("float32", "float64", "int64", "int32", "bool")]
    return [scalar, _reconstruct, np.ndarray, np.dtype, *dtypes]


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """Write ``state`` to ``path`` atomically (temp file in the same dir, fsync, rename)."""
    path = Path(path)
    if path.suffix != ".pth":
        path = path.with_name(path.name + ".pth")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("=> saving checkpoint '%s'", path)
    return path


def strip_compile_prefix(obj: Any) -> Any:
    """Remove torch.compile's ``_orig_mod.`` from every string key at any depth."""
    if isinstance(obj, dict):
        return {
            (k.replace(COMPILE_PREFIX, "") if isinstance(k, str) else k): strip_compile_prefix(v)
            for k, v in obj.items()
        }
    return obj


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load safely (``weights_only=True``); refuse files that need arbitrary unpickling."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint '{path}' does not exist")
    try:
        with torch.serialization.safe_globals(_numpy_safe_globals()):
            state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"checkpoint '{path}' needs arbitrary code to load and was refused "
            f"(weights_only=True): {str(exc).splitlines()[0]}"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as exc:
        raise CheckpointError(f"checkpoint '{path}' is truncated or corrupted: {exc}") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint '{path}' holds a {type(state).__name__}, not a dict")
    return strip_compile_prefix(state)


def reward_str(value: float | np.ndarray | None) -> str:
    """rl_games' file-name rendering of a reward (str of a numpy float32)."""
    if value is None:
        return "-inf"
    return str(np.float32(np.asarray(value).reshape(-1)[0]))
