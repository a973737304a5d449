"""A windowed running mean kept on the device (rl_games' ``torch_ext.AverageMeter``)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class AverageMeter(nn.Module):
    """Mean of the last ``max_size`` rows of shape ``in_shape`` added with :meth:`update`.

    ``update(values)`` with ``values`` ``[n, *in_shape]`` merges the batch mean into the running
    mean weighted by row counts, then caps the count at ``max_size`` (an exponential-style window,
    as rl_games' meter); ``get_mean()`` returns a numpy array, zeros before the first update.
    """

    def __init__(self, in_shape: int | tuple[int, ...], max_size: int) -> None:
        super().__init__()
        self.max_size = int(max_size)
        self.current_size = 0
        shape = (in_shape,) if isinstance(in_shape, int) else tuple(in_shape)
        self.register_buffer("mean", torch.zeros(shape, dtype=torch.float32))

    def update(self, values: Tensor) -> None:
        n = min(self.max_size, int(values.shape[0]))
        if n == 0:
            return
        batch_mean = values[-n:].float().mean(dim=0)
        total = min(self.current_size + n, self.max_size)
        old = total - n  # rows of the previous mean kept in the window
        self.mean = (self.mean * old + batch_mean * n) / total
        self.current_size = total

    def clear(self) -> None:
        self.current_size = 0
        self.mean.fill_(0.0)

    def __len__(self) -> int:
        return self.current_size

    def get_mean(self):  # noqa: ANN201 - numpy array, as rl_games returns
        return self.mean.squeeze(0).cpu().numpy()
