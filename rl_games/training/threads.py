"""Intra-op thread count for the rollout of a CPU policy stepping a CPU env.

With a small policy network on CPU, every op of the per-step forward is too small to split, yet
with N > 1 intra-op threads each op forks to the OpenMP pool, and the pool's workers keep
spinning between ops: through ``env.step`` too, on the cores the env's own worker threads
(envpool) need. Measured on 2 cores, PPO HalfCheetah-v5 (64 envs, [128, 64, 32] MLP), torch
threads 2: a one-thread rollout cut the env step time by ~30% and the rest of the rollout by
~60% (16.3k -> 23.2k fps total), while the update kept its 2 threads. Conv nets are left alone:
switching per epoch cost Pong ~10% (measured; likely oneDNN re-creating its conv primitives
for the new thread count).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["intra_op_threads", "rollout_threads"]


def rollout_threads(
    model: nn.Module, device: torch.device, env_tensor_mode: bool | None
) -> int | None:
    """1 for a conv-free model on CPU whose env steps outside torch; else None (unchanged)."""
    if device.type != "cpu" or env_tensor_mode is not False:
        return None
    if any(isinstance(m, nn.modules.conv._ConvNd) for m in model.modules()):
        return None
    return 1


@contextmanager
def intra_op_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` intra-op threads (None or the current count: no change)."""
    before = torch.get_num_threads()
    if n is None or n == before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
