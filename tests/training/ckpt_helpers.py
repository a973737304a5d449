"""Helpers of the resume tests: train through the CLI, find final checkpoints, compare them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from conftest import run_cli

from rl_games.training.checkpoint import load_checkpoint


def train(cfg: str, tmp: Path, name: str, *sets: str, checkpoint: Path | None = None) -> Any:
    args = ["--train", "--file", cfg, "--set", f"config.train_dir={tmp}"]
    for s in (f"config.full_experiment_name={name}", "torch_threads=1", "seed=7", *sets):
        args += ["--set", s]
    if checkpoint is not None:
        args += ["--checkpoint", str(checkpoint)]
    proc = run_cli(*args, cwd=tmp, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def assert_same(a: Any, b: Any, path: str = "") -> None:
    """Exact equality of two checkpoint trees (tensors bitwise, same dtypes)."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype, path
        assert torch.equal(a, b), f"differs at {path}"
    elif isinstance(a, dict):
        assert set(a) == set(b), f"keys differ at {path}: {set(a) ^ set(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    else:
        assert a == b or (a != a and b != b), f"{path}: {a!r} != {b!r}"


def final(run: Path, epoch: int, name: str) -> dict:
    return load_checkpoint(next((run / "nn").glob(f"last_{name}_ep_{epoch}_rew__*_.pth")))
