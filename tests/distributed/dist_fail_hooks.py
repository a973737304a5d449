"""A ``config.stop_fn`` for the failure tests (imported by the trainer as
``dist_fail_hooks:raise_at_epoch_3`` with this folder on PYTHONPATH)."""

from __future__ import annotations

from typing import Any


def raise_at_epoch_3(agent: Any) -> bool:
    """Crash the rank that evaluates the stop rules (rank 0) at epoch 3."""
    if agent.epoch_num >= 3:
        raise RuntimeError(f"injected failure on rank {agent.rank}")
    return False
