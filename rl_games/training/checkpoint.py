"""Checkpoint files: atomic writes, safe loads (weights_only), rl_games key conventions."""

from __future__ import annotations

import errno
import logging
import os
import pickle
import pickletools
import re
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch

log = logging.getLogger(__name__)

COMPILE_PREFIX = "_orig_mod."

#: checkpoint keys that hold data rather than learned state (env observations, episode returns,
#: replay transitions, RNG states): they may legitimately hold inf and are not finite-checked
DATA_KEYS = frozenset(
    ("rng", "episode_stats", "carry", "env_snapshot", "env_state", "replay_buffer")
)

#: test-only hook: seconds to sleep between writing a checkpoint's temporary file and renaming
#: it into place, so that tests can deliver signals during a save deterministically
SLOW_SAVE_ENV = "RL_GAMES_TEST_SLOW_SAVE_S"


class CheckpointError(RuntimeError):
    """A checkpoint could not be read; the message names the file and the reason."""


class WriteError(RuntimeError):
    """A file or directory of the run could not be written (checkpoint, run directory, export):
    the message names it, the reason (no space, not a directory, read-only) and the fix."""


def _numpy_safe_globals() -> list[Any]:
    """Exactly the numpy types rl_games checkpoints carry (e.g. np.float32 last_mean_rewards)."""
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar  # type: ignore[no-redef]
    dtypes = [type(np.dtype(n)) for n in ("float32", "float64", "int64", "int32", "bool")]
    return [scalar, _reconstruct, np.ndarray, np.dtype, *dtypes]


def save_checkpoint(path: str | Path, state: dict[str, Any], keep_suffix: bool = False) -> Path:
    """Write ``state`` to ``path`` atomically (temp file in the same dir, fsync, rename);
    ``.pth`` is appended to a name without it unless ``keep_suffix``. A failure (no space, not
    a directory, read-only) is a :class:`WriteError` and leaves any earlier file intact."""
    path = Path(path)
    if path.suffix != ".pth" and not keep_suffix:
        path = path.with_name(path.name + ".pth")
    atomic_write(path, lambda fh: torch.save(state, fh), what="checkpoint")
    log.info("=> saving checkpoint '%s'", path)
    return path


def atomic_write(path: Path, write: Callable[[BinaryIO], None], what: str = "file") -> None:
    """Call ``write(fh)`` on a temporary file beside ``path``, fsync it and rename it over
    ``path``: readers see the old file or the new one, never a part. An OSError (no space,
    read-only, a parent that is a file) is raised as :class:`WriteError`; the temporary file
    is removed and an existing ``path`` is left as it was."""
    if path.exists() and not path.is_file():
        raise WriteError(f"cannot write {what} '{path}': it exists and is not a regular file")
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_umask())  # mkstemp makes 0600; keep torch.save's
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        _test_delay()
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if not isinstance(exc, Exception):  # KeyboardInterrupt (a signal): as it is
            raise
        oserror = exc if isinstance(exc, OSError) else _oserror_cause(exc)
        temp_name = oserror is not None and str(oserror.filename).startswith(
            str(path.parent / f".{path.name}.")
        )
        if oserror is not None and temp_name:
            reason = f"{oserror.strerror} (writing a file in '{path.parent}')"
        elif oserror is not None:
            reason = os_reason(oserror)
        elif isinstance(exc, RuntimeError) and "write" in str(exc).lower():
            reason = str(exc).strip().splitlines()[0]  # torch's stream writer, no OSError
        else:
            raise
        raise WriteError(f"cannot write {what} '{path}': {reason}") from None
    _fsync_dir(path.parent)


def _oserror_cause(exc: BaseException) -> OSError | None:
    """torch.save wraps a failing write in a RuntimeError ('... file write failed'): the
    OSError behind it, when there is one."""
    seen: BaseException | None = exc
    while seen is not None and not isinstance(seen, OSError):
        seen = seen.__cause__ or seen.__context__
    return seen


def os_reason(exc: OSError) -> str:
    """``No space left on device``, ``'/a/b' is a file, not a directory``, ... for messages."""
    name = exc.filename
    if exc.errno in (errno.ENOTDIR, errno.EEXIST) and name is not None:
        blocker = next((q for q in (Path(name), *Path(name).parents) if q.is_file()), None)
        if blocker is not None:
            return f"'{blocker}' is a file, not a directory"
    text = exc.strerror or str(exc)
    return f"{text} ('{name}')" if name is not None else text


def _test_delay() -> None:
    """Sleep ``$RL_GAMES_TEST_SLOW_SAVE_S`` seconds (tests only; unset: no delay)."""
    delay = os.environ.get(SLOW_SAVE_ENV)
    if delay:
        time.sleep(float(delay))


def _named_tensors(obj: Any, path: str = "") -> Iterator[tuple[str, torch.Tensor]]:
    if isinstance(obj, torch.Tensor):
        yield path, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if path or key not in DATA_KEYS:
                yield from _named_tensors(value, f"{path}/{key}" if path else str(key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _named_tensors(value, f"{path}/{i}")


def find_non_finite(state: dict[str, Any]) -> str | None:
    """The path (``model/a2c_network.mu.weight``, ``optimizer/state/3/exp_avg``) of the first
    floating-point tensor of ``state`` holding nan or inf, or None. Top-level :data:`DATA_KEYS`
    are skipped (env data, not learned state); numbers such as ``last_mean_rewards`` (-inf
    before any game ended) are not tensors and are not checked."""
    for name, tensor in _named_tensors(state):
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            return name
    return None


def check_finite(state: dict[str, Any], path: str | Path) -> None:
    """Raise :class:`CheckpointError` naming the first non-finite tensor of ``state``."""
    bad = find_non_finite(state)
    if bad is not None:
        raise CheckpointError(
            f"checkpoint '{path}' holds non-finite values (nan/inf) in '{bad}': it was written "
            "by a run that diverged and cannot be played, resumed or exported; use an earlier "
            "checkpoint"
        )


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


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu", allow_non_finite: bool = False
) -> dict[str, Any]:
    """Load safely (``weights_only=True``); refuse files that need arbitrary unpickling.

    Every failure is a :class:`CheckpointError` naming the file: missing, truncated or corrupted
    (zip CRC checked), not a torch checkpoint, holding objects other than tensors, containers,
    numbers and the numpy scalars rl_games writes, or (unless ``allow_non_finite``, for tools
    that inspect a diverged run) weights with nan/inf (:func:`check_finite`). ``_orig_mod.``
    key prefixes are removed.
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
        name = refused_global(path, text)
        if name is not None:
            raise CheckpointError(
                f"checkpoint '{path}' holds code and was not loaded: it refers to the pickled "
                f"global '{name}', and unpickling it would run arbitrary code (checkpoints are "
                "loaded with torch.load(weights_only=True), which allows only tensors, "
                "containers and numbers); use a checkpoint written by a trainer, or re-save "
                "this one's tensors with plain containers only, if you trust its source"
            ) from None
        detail = text.partition("WeightsUnpickler error:")[2] or text
        raise CheckpointError(_unreadable(path, detail)) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise CheckpointError(_unreadable(path, f"{type(exc).__name__}: {exc}")) from None
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint '{path}' holds a {type(state).__name__}, not a dict")
    if not allow_non_finite:
        check_finite(state, path)
    return strip_compile_prefix(state)


#: how torch words a weights_only refusal: "Unsupported global: GLOBAL posix.system" (torch
#: <= 2.5) and "Trying to load unsupported GLOBAL posix.system whose module ..." (2.6 and later)
_REFUSED_GLOBAL = re.compile(r"\bGLOBAL ([A-Za-z_][\w.]*)")
#: globals a checkpoint may name without holding code, besides torch's storage classes and
#: dtypes: tensor rebuilders, containers, and the numpy scalars :func:`load_checkpoint` allows
_SAFE_GLOBAL_PREFIXES = ("torch._utils._rebuild_", "torch._tensor._rebuild_")
_SAFE_GLOBAL_NAMES = frozenset(
    ("collections.OrderedDict", "_codecs.encode", "builtins.set", "torch.Size", "torch.device")
)


def refused_global(path: Path, text: str) -> str | None:
    """The pickled global (``module.name``) that made ``torch.load(weights_only=True)`` refuse
    ``path``: read from the error text when torch names it, else from the pickle itself
    (:func:`pickled_globals`); None when the refusal is about something else."""
    found = _REFUSED_GLOBAL.search(text)
    if found:
        return found.group(1)
    return next((g for g in pickled_globals(path) if not _safe_global(g)), None)


def _safe_global(name: str) -> bool:
    if name in _SAFE_GLOBAL_NAMES or name.startswith(_SAFE_GLOBAL_PREFIXES):
        return True
    module, _, attr = name.rpartition(".")
    if module == "torch":
        return attr.endswith("Storage") or isinstance(getattr(torch, attr, None), torch.dtype)
    numpy_names = {f"{g.__module__}.{g.__qualname__}" for g in _numpy_safe_globals()}
    return name in numpy_names


def pickled_globals(path: Path) -> list[str]:
    """Every global (``module.name``) the pickle of a torch zip checkpoint refers to, in order,
    read with :mod:`pickletools` (nothing is unpickled); [] for a file that is not one."""
    try:
        with zipfile.ZipFile(path) as archive:
            member = next((n for n in archive.namelist() if n.endswith("/data.pkl")), None)
            data = archive.read(member) if member is not None else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return []
    names: list[str] = []
    strings: list[str] = []  # recent string pushes: STACK_GLOBAL pops module and name
    memo: dict[int, str] = {}
    try:
        for op, arg, _pos in pickletools.genops(data):
            if op.name == "GLOBAL":
                names.append(str(arg).replace(" ", "."))
            elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                names.append(f"{strings[-2]}.{strings[-1]}")
            elif isinstance(arg, str) and "UNICODE" in op.name:
                strings.append(arg)
            elif op.name in ("BINPUT", "LONG_BINPUT", "MEMOIZE") and strings:
                memo[arg if arg is not None else len(memo)] = strings[-1]
            elif op.name in ("BINGET", "LONG_BINGET") and arg in memo:
                strings.append(memo[arg])
    except (ValueError, EOFError):  # a damaged pickle: what was read so far
        pass
    return names


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
