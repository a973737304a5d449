"""Checkpoint files: atomic writes, safe loads (weights_only), rl_games key conventions."""

from __future__ import annotations

import logging
import os
import pickle
import re
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
            os.fchmod(fh.fileno(), 0o666 & ~_umask())  # mkstemp makes 0600; keep torch.save's
            torch.save(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    log.info("=> saving checkpoint '%s'", path)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (best effort: not every OS / filesystem allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def strip_compile_prefix(obj: Any) -> Any:
    """Remove torch.compile's ``_orig_mod.`` from every string key at any depth."""
    if isinstance(obj, dict):
        return {
            (k.replace(COMPILE_PREFIX, "") if isinstance(k, str) else k): strip_compile_prefix(v)
            for k, v in obj.items()
        }
    return obj


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load safely (``weights_only=True``); refuse files that need arbitrary unpickling.

    Every failure is a :class:`CheckpointError` naming the file: missing, truncated or corrupted
    (zip CRC checked), not a torch checkpoint, or holding objects other than tensors, containers,
    numbers and the numpy scalars rl_games writes. ``_orig_mod.`` key prefixes are removed.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint '{path}' does not exist")
    _check_zip(path)
    try:
        with torch.serialization.safe_globals(_numpy_safe_globals()):
            state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        text = str(exc)
        found = re.search(r"Unsupported global: GLOBAL (\S+)", text)
        if found:
            raise CheckpointError(
                f"checkpoint '{path}' was refused: it holds a pickled '{found.group(1)}' object, "
                "and loading it would run arbitrary code (checkpoints are loaded with "
                "torch.load(weights_only=True); re-save it with tensors and plain containers only)"
            ) from None
        detail = text.partition("WeightsUnpickler error:")[2] or text
        raise CheckpointError(_unreadable(path, detail)) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise CheckpointError(_unreadable(path, f"{type(exc).__name__}: {exc}")) from None
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint '{path}' holds a {type(state).__name__}, not a dict")
    return strip_compile_prefix(state)


def _unreadable(path: Path, detail: str) -> str:
    first = next((line.strip() for line in detail.splitlines() if line.strip()), "")
    first = first.split(". ")[0].rstrip(".")  # the first sentence is the useful part
    return f"checkpoint '{path}' is truncated, corrupted or not a PyTorch checkpoint" + (
        f" ({first[:200]})" if first else ""
    )


def _check_zip(path: Path) -> None:
    """torch.save files are zip archives: verify every member's CRC (catches flipped bytes)."""
    if not zipfile.is_zipfile(path):
        return  # legacy (pre-zip) torch files and non-checkpoints: torch.load reports those
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise CheckpointError(_unreadable(path, str(exc))) from None
    if bad is not None:
        raise CheckpointError(f"checkpoint '{path}' is corrupted: CRC mismatch in '{bad}'")


_IMPLEMENTATION_KEYS = ("fused", "foreach", "capturable", "differentiable")


def load_optimizer_state(
    optimizer: torch.optim.Optimizer, saved: dict[str, Any], what: str = "optimizer"
) -> None:
    """``optimizer.load_state_dict(saved)`` keeping this optimizer's implementation flags
    (fused / foreach / capturable), so a state written by another build or device loads as is."""
    groups = saved.get("param_groups", [])
    if len(groups) != len(optimizer.param_groups):
        raise CheckpointError(
            f"{what}: checkpoint has {len(groups)} parameter groups, this model "
            f"{len(optimizer.param_groups)}"
        )
    fixed = []
    for mine, theirs in zip(optimizer.param_groups, groups, strict=True):
        if len(mine["params"]) != len(theirs["params"]):
            raise CheckpointError(
                f"{what}: checkpoint optimizer has {len(theirs['params'])} parameters in a "
                f"group, this model {len(mine['params'])} (different network?)"
            )
        flags = {k: mine[k] for k in _IMPLEMENTATION_KEYS if k in mine}
        fixed.append({**theirs, **flags})
    try:
        optimizer.load_state_dict({**saved, "param_groups": fixed})
    except (ValueError, KeyError, RuntimeError) as exc:
        raise CheckpointError(f"{what}: cannot load the optimizer state: {exc}") from None


def reward_str(value: float | np.ndarray | None) -> str:
    """rl_games' file-name rendering of a reward (str of a numpy float32)."""
    if value is None:
        return "-inf"
    return str(np.float32(np.asarray(value).reshape(-1)[0]))
