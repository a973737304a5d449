"""Exponential-moving-average mean/std normalizer (``config.normalize_rms_advantage``).

Each update blends the batch moments into the running ones with momentum ``m``
(``config.adv_rms_momentum``): ``mean <- m * mean + (1 - m) * batch_mean`` and
``var <- m * var + (1 - m) * batch_var`` (population variance of the valid rows). The first
update takes the batch moments as they are. Normalizing gives ``(x - mean) / sqrt(var + eps)``.
Statistics move only in train mode, as the other normalizers here.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["MovingMeanStd", "masked_moments"]


def masked_moments(x: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """(mean, population variance) over all elements of ``x``, or over rows where ``mask > 0``."""
    if mask is None:
        return x.mean(), x.var(unbiased=False)
    m = mask.to(x.dtype).reshape(mask.shape + (1,) * (x.dim() - mask.dim())).expand_as(x)
    count = m.sum().clamp(min=1.0)
    mean = (x * m).sum() / count
    return mean, ((x - mean).square() * m).sum() / count


class MovingMeanStd(nn.Module):
    """Scalar EMA statistics; buffers ``mean``, ``var`` and ``updates`` (updates seen so far)."""

    def __init__(self, momentum: float = 0.5, eps: float = 1e-5) -> None:
        super().__init__()
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum, self.eps = float(momentum), float(eps)
        self.register_buffer("mean", torch.zeros(()))
        self.register_buffer("var", torch.ones(()))
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def update(self, x: Tensor, mask: Tensor | None = None) -> None:
        batch_mean, batch_var = masked_moments(x.float(), mask)
        # the first update keeps (1 - m) = 1 of the batch: no pull towards the initial 0 / 1
        keep = torch.where(self.updates > 0, self.momentum, 0.0)
        self.mean.copy_(keep * self.mean + (1.0 - keep) * batch_mean)
        self.var.copy_(keep * self.var + (1.0 - keep) * batch_var)
        self.updates.add_(1)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """Update (train mode only) and normalize ``x``."""
        if self.training:
            self.update(x, mask)
        return (x - self.mean) / torch.sqrt(self.var + self.eps)
