"""The run directory (``<train_dir>/<experiment>/``) and what to say when the disk refuses it.

Every failure to create or write it (``train_dir`` inside a regular file, a read-only or full
file system) is a :class:`~rl_games.training.checkpoint.WriteError` with one line naming the
path, the reason and the fix; the CLI prints it and exits 1.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from rl_games.config.build import to_dict
from rl_games.config.errors import ConfigError, Problem
from rl_games.config.schema import Params
from rl_games.config.validate import dir_name_problem
from rl_games.training.checkpoint import WriteError, atomic_write, os_reason

log = logging.getLogger(__name__)


def experiment_name(params: Params) -> str:
    """``full_experiment_name``, else ``name`` + ``_%d-%H-%M-%S``; a name with a path in it
    (``../x``) is a :class:`ConfigError` (``validate`` catches it first for configs it reads)."""
    cfg = params.config
    for key, value in (("full_experiment_name", cfg.full_experiment_name), ("name", cfg.name)):
        problem = dir_name_problem(value, optional=key == "full_experiment_name")
        if problem:
            raise ConfigError([Problem(f"params.config.{key}", problem)])
    return cfg.full_experiment_name or cfg.name + datetime.now().strftime("_%d-%H-%M-%S")


def create_run_dir(params: Params) -> Path:
    """Create ``<train_dir>/<experiment>/{nn,summaries}`` and write ``config.yaml`` there."""
    train_dir = params.config.train_dir
    run_dir = Path(train_dir) / experiment_name(params)
    try:
        for sub in ("nn", "summaries"):
            (run_dir / sub).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(
            f"cannot create the run directory '{run_dir}': {os_reason(exc)}; "
            f"config.train_dir is '{train_dir}': set it to a writable directory "
            "(--set config.train_dir=DIR)"
        ) from None
    text = yaml.safe_dump({"params": to_dict(params)}, sort_keys=False).encode()
    try:
        atomic_write(run_dir / "config.yaml", lambda fh: fh.write(text), what="the run's config")
    except WriteError as exc:
        raise WriteError(f"{exc}; free space there or set config.train_dir elsewhere") from None
    return run_dir


def save_failed(exc: WriteError, last: Path | None, train_dir: str) -> str:
    """The message of a checkpoint save that failed during training (the run stops)."""
    kept = (
        f"the last checkpoint written, '{last}', is intact: resume from it with --checkpoint"
        if last is not None
        else "no checkpoint was written by this run"
    )
    return (
        f"{exc}. Training stopped: {kept} (nothing is overwritten by a failed save). Free space "
        f"in config.train_dir '{train_dir}' or point it at a writable disk"
    )


def close_quietly(writer: Any) -> None:
    """Close the TensorBoard writer; on a full disk its last flush may fail too."""
    try:
        writer.close()
    except OSError as exc:
        log.warning("closing the TensorBoard writer failed: %s", exc)
