"""Divergence: non-finite losses, gradient norms or weights stop training.

The check costs one host sync per check, never one per minibatch or update step:

* the losses (and PPO's gradient norm) are the per-epoch means the trainer reads back anyway:
  a nan or inf in any minibatch makes the mean non-finite;
* the weights and buffers (normalizer statistics) are reduced on the device to one max-abs per
  tensor (``_foreach_norm(ord=inf)``: it cannot overflow, unlike a sum of squares) and read as
  one boolean.

Only when that boolean is False are the tensors walked to name the first bad one. Every
checkpoint write is checked as well (``checkpoint.find_non_finite``), so no file with nan/inf
weights is written. The CLI exits with :data:`EXIT_CODE`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch

#: the CLI's exit status for a diverged run (1: bad checkpoint / env, 2: bad config)
EXIT_CODE = 3


class TrainingDivergedError(RuntimeError):
    """Training produced nan/inf; the message says what, when, and which checkpoint is intact."""

    exit_code = EXIT_CODE


def all_finite(tensors: Iterable[torch.Tensor]) -> torch.Tensor:
    """A 0-d bool tensor (on the tensors' device, not read back): every entry is finite."""
    tensors = [t.detach() for t in tensors if t.is_floating_point() and t.numel() > 0]
    if not tensors:
        return torch.ones((), dtype=torch.bool)
    try:
        norms = torch._foreach_norm(tensors, float("inf"))
    except (RuntimeError, TypeError):  # a device / dtype mix foreach does not take
        norms = [t.abs().amax() for t in tensors]
    return torch.isfinite(torch.stack([n.to(norms[0].device, torch.float64) for n in norms])).all()


def first_non_finite(named: Mapping[str, torch.Tensor]) -> str | None:
    """The name of the first floating-point tensor holding nan or inf (slow path)."""
    for name, t in named.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            return name
    return None


def non_finite(values: Mapping[str, float]) -> dict[str, float]:
    """The entries of ``values`` that are nan or inf."""
    return {k: v for k, v in values.items() if not math.isfinite(v)}


def describe(
    epoch: int,
    frame: int,
    checked_epoch: int,
    losses: Mapping[str, float],
    tensor: str | None,
    last_checkpoint: Path | None,
    refused: str | None = None,
) -> str:
    """The error message: what went non-finite, when, and what is left on disk."""
    first = checked_epoch + 1
    when = f"at epoch {epoch}" if first >= epoch else f"between epoch {first} and epoch {epoch}"
    what = []
    if losses:
        what.append("non-finite " + ", ".join(f"{k}={v}" for k, v in losses.items()))
    if tensor is not None:
        what.append(f"non-finite values in '{tensor}'")
    if refused is not None:
        what.append(f"checkpoint '{refused}' was not written")
    kept = (
        f"the last checkpoint written, '{last_checkpoint}', is intact"
        if last_checkpoint is not None
        else "this run wrote no checkpoint"
    )
    return (
        f"training diverged {when} (frame {frame}): {'; '.join(what) or 'non-finite values'}. "
        f"No checkpoint is written from this state; {kept}. Lower the learning rate or check "
        "the reward scale (reward_shaper) and the env's rewards and observations."
    )
