"""Episode statistic meters."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["AverageMeter"]


class AverageMeter(nn.Module):
    """rl_games' approximate running window mean over the last ``max_size`` games.

    For ``k`` games finished at once: ``k' = min(k, max_size)``,
    ``old = min(max_size - k', current_size)``,
    ``mean = (mean * old + mean(values) * k') / (old + k')``, ``current_size = old + k'``.
    Note ``mean(values)`` averages all ``k`` rows even when ``k > max_size``.
    """

    mean: Tensor

    def __init__(self, in_shape: int, max_size: int) -> None:
        super().__init__()
        if max_size <= 0:
            raise ValueError(f"AverageMeter needs max_size > 0, got {max_size}")
        self.in_shape = int(in_shape)
        self.max_size = int(max_size)
        self.current_size = 0
        self.register_buffer("mean", torch.zeros(self.in_shape, dtype=torch.float32))

    def update(self, values: Tensor) -> None:
        """Fold ``values`` (``[k, in_shape]`` or ``[k]`` when ``in_shape == 1``) into the mean."""
        k = int(values.shape[0])
        if k == 0:
            return
        values = values.reshape(k, self.in_shape).to(device=self.mean.device)
        batch_mean = values.float().mean(dim=0)
        new = min(k, self.max_size)
        old = min(self.max_size - new, self.current_size)
        total = old + new
        # mean = (mean * old + batch_mean * k') / (old + k')
        self.mean.copy_((self.mean * old + batch_mean * new) / total)
        self.current_size = total

    def clear(self) -> None:
        """Forget all games."""
        self.current_size = 0
        self.mean.zero_()

    def get_mean(self) -> Tensor:
        """Current mean ``[in_shape]`` (zeros before the first game)."""
        return self.mean.clone()
