"""Running mean/variance normalizers (observation and value normalization).

Numerics follow rl_games 1.6.5 / 2.0: population batch variance, Chan's parallel merge
with a prior pseudo-sample (``mean=0, var=1, count=1``), output clamp at +-5.
Buffer names (``running_mean``, ``running_var``, ``count``) match rl_games' state_dict.
Nothing here synchronizes with the host, so the modules are safe in compiled/graph code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import Tensor, nn

__all__ = ["RunningMeanStd", "RunningMeanStdObs", "merge_moments"]

_CLIP = 5.0


def merge_moments(
    mean: Tensor,
    var: Tensor,
    count: Tensor,
    batch_mean: Tensor,
    batch_var: Tensor,
    batch_count: Tensor | float,
) -> tuple[Tensor, Tensor, Tensor]:
    """Merge two sets of (mean, population variance, count) moments (Chan et al.).

    ``delta = bm - m``; ``tot = n + bn``; ``m' = m + delta * bn / tot``;
    ``M2 = var * n + bvar * bn + delta^2 * n * bn / tot``; ``var' = M2 / tot``; ``n' = tot``.
    A zero ``batch_count`` leaves the moments unchanged (as long as ``count > 0``).
    """
    delta = batch_mean - mean
    total = count + batch_count
    new_mean = mean + delta * batch_count / total
    m2 = var * count + batch_var * batch_count + delta**2 * count * batch_count / total
    return new_mean, m2 / total, total


def _assign_(buffer: Tensor, value: Tensor) -> None:
    """In-place ``buffer <- value`` through a 1-D view.

    torch.compile (inductor, CPU) silently drops in-place mutations of 0-dim buffers such as
    ``count``; writing through ``view(-1)`` keeps the update in compiled graphs as well.
    """
    buffer.view(-1).copy_(value.reshape(-1))


def _as_shape(shape: int | tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """Normalize an int or sequence shape to a tuple."""
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(s) for s in shape)


class RunningMeanStd(nn.Module):
    """Running normalizer for inputs of shape ``[*batch, *shape]``.

    In training mode (and not ``denorm``) ``forward`` first updates the statistics with the
    batch, then normalizes: ``clamp((x - mean) / sqrt(var + eps), -5, 5)``.
    ``denorm=True`` inverts it: ``sqrt(var + eps) * clamp(x, -5, 5) + mean``.
    ``norm_only`` divides by the std without centering (and, like rl_games, without clamping).
    ``per_channel`` keeps one statistic per channel (dim 1) of ``[B, C]``, ``[B, C, L]`` or
    ``[B, C, H, W]`` inputs.
    """

    running_mean: Tensor
    running_var: Tensor
    count: Tensor

    def __init__(
        self,
        shape: int | tuple[int, ...],
        epsilon: float = 1e-5,
        per_channel: bool = False,
        norm_only: bool = False,
    ) -> None:
        super().__init__()
        self.shape = _as_shape(shape)
        self.epsilon = float(epsilon)
        self.per_channel = bool(per_channel)
        self.norm_only = bool(norm_only)
        if self.per_channel:
            if not 1 <= len(self.shape) <= 3:
                raise ValueError(f"per_channel needs a 1-3 dim shape, got {self.shape}")
            stat_shape: tuple[int, ...] = (self.shape[0],)
        else:
            stat_shape = self.shape
        self.register_buffer("running_mean", torch.zeros(stat_shape, dtype=torch.float64))
        self.register_buffer("running_var", torch.ones(stat_shape, dtype=torch.float64))
        self.register_buffer("count", torch.ones((), dtype=torch.float64))

    # ------------------------------------------------------------------ geometry helpers
    def _num_batch_dims(self, x: Tensor) -> int:
        """Leading dims reduced over: 1 for per-channel, else everything before ``shape``."""
        if self.per_channel:
            return 1
        return x.dim() - len(self.shape)

    def _reduce_dims(self, x: Tensor) -> tuple[int, ...]:
        """Dims averaged over: batch dims (+ spatial dims ``2..`` for per-channel)."""
        if self.per_channel:
            return (0, *range(2, x.dim()))
        return tuple(range(self._num_batch_dims(x)))

    def _stat_view(self, stat: Tensor, x: Tensor) -> Tensor:
        """Cast a statistic to ``x.dtype`` and reshape it to broadcast against ``x``."""
        stat = stat.to(dtype=x.dtype)
        if self.per_channel:
            return stat.reshape((1, stat.shape[0]) + (1,) * (x.dim() - 2))
        return stat

    # ------------------------------------------------------------------ statistics update
    def _batch_moments(
        self, x: Tensor, mask: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | float]:
        """Batch mean, population variance and row count (no host sync).

        Moments are computed in float32 (float64 for float64 input), as rl_games does, and
        merged into the float64 running statistics. The count is the number of rows (batch
        elements), also for per-channel stats, as in rl_games. Masked rows (``mask == 0``)
        are excluded, even when they hold NaN; with no valid rows the count is 0. At most one
        batch-sized temporary is allocated: this runs on every minibatch, and for image
        observations a batch is hundreds of MB.
        """
        xd = x.detach()
        if xd.dtype != torch.float64:
            xd = xd.to(torch.float32)
        dims = self._reduce_dims(x)
        n_batch = self._num_batch_dims(x)
        rows = math.prod(x.shape[:n_batch])
        if mask is None:
            # population variance (correction=0), as in rl_games >= 1.6.5
            var, mean = torch.var_mean(xd, dim=dims, correction=0)
            return mean, var, float(rows)
        valid = mask.detach().to(torch.bool).reshape(x.shape[:n_batch])
        valid = valid.reshape(valid.shape + (1,) * (x.dim() - n_batch))
        n_rows = valid.sum(dtype=xd.dtype)
        elems_per_row = math.prod(x.shape[2:]) if self.per_channel else 1  # reduced per row
        n_elem = (n_rows * elems_per_row).clamp(min=1.0)
        work = torch.where(valid, xd, torch.zeros((), dtype=xd.dtype, device=xd.device))
        mean = work.sum(dim=dims) / n_elem
        # sum over valid rows of (x - mean)^2, in place on the one temporary
        work.sub_(self._stat_view(mean, work)).mul_(valid).square_()
        var = work.sum(dim=dims) / n_elem
        return mean, var, n_rows.to(torch.float64)

    @torch.no_grad()
    def update(self, x: Tensor, mask: Tensor | None = None) -> None:
        """Merge the statistics of ``x`` (valid rows only when ``mask`` is given) in place."""
        batch_mean, batch_var, batch_count = self._batch_moments(x, mask)
        mean, var, count = merge_moments(
            self.running_mean, self.running_var, self.count, batch_mean, batch_var, batch_count
        )
        _assign_(self.running_mean, mean)
        _assign_(self.running_var, var)
        _assign_(self.count, count)

    # ------------------------------------------------------------------ (de)normalization
    def normalize(self, x: Tensor) -> Tensor:
        """``clamp((x - mean) / sqrt(var + eps), -5, 5)``; norm_only: ``x / sqrt(var + eps)``."""
        std = torch.sqrt(self._stat_view(self.running_var, x) + self.epsilon)
        if self.norm_only:
            return x / std
        y = x - self._stat_view(self.running_mean, x)
        if y.requires_grad:
            return torch.clamp(y / std, -_CLIP, _CLIP)
        # no autograd: reuse the one temporary (image batches are large)
        return y.div_(std).clamp_(-_CLIP, _CLIP)

    def denormalize(self, x: Tensor) -> Tensor:
        """``sqrt(var + eps) * clamp(x, -5, 5) + mean``."""
        std = torch.sqrt(self._stat_view(self.running_var, x) + self.epsilon)
        return std * torch.clamp(x, -_CLIP, _CLIP) + self._stat_view(self.running_mean, x)

    def forward(self, x: Tensor, denorm: bool = False, mask: Tensor | None = None) -> Tensor:
        """Update (train mode, not denorm) then normalize, or denormalize when ``denorm``."""
        if denorm:
            return self.denormalize(x)
        if self.training:
            self.update(x, mask)
        return self.normalize(x)

    # ------------------------------------------------------------------ checkpoint compat
    def _load_from_state_dict(
        self,
        state_dict: dict,
        prefix: str,
        local_metadata: dict,
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        """Accept ``count`` as float64 (rl_games 1.6.x) or int64 (2.0), shape ``()`` or ``(1,)``."""
        key = prefix + "count"
        value = state_dict.get(key)
        if isinstance(value, Tensor) and value.numel() == 1:
            state_dict[key] = value.detach().to(torch.float64).reshape(())
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def extra_repr(self) -> str:
        return (
            f"shape={self.shape}, epsilon={self.epsilon}, per_channel={self.per_channel}, "
            f"norm_only={self.norm_only}"
        )


class RunningMeanStdObs(nn.Module):
    """One :class:`RunningMeanStd` per key of a dict observation.

    The input dict must only contain keys this module was built with (KeyError otherwise).
    """

    def __init__(
        self,
        shapes: Mapping[str, int | tuple[int, ...]],
        epsilon: float = 1e-5,
        per_channel: bool = False,
        norm_only: bool = False,
    ) -> None:
        super().__init__()
        self.running_mean_std = nn.ModuleDict(
            {
                key: RunningMeanStd(shape, epsilon, per_channel, norm_only)
                for key, shape in shapes.items()
            }
        )

    def forward(
        self, x: Mapping[str, Tensor], denorm: bool = False, mask: Tensor | None = None
    ) -> dict[str, Tensor]:
        """Apply the per-key normalizer to every entry of ``x``."""
        return {
            key: self.running_mean_std[key](value, denorm=denorm, mask=mask)
            for key, value in x.items()
        }
