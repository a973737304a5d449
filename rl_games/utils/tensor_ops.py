"""Small tensor helpers that rl_games-based research code calls through ``torch_ext``.

Each is a pure function; the formula it computes is in its docstring.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from rl_games.algos.ppo.diagnostics import clip_fraction
from rl_games.algos.ppo.losses import gaussian_kl

# numpy dtype -> torch dtype as rl_games converts observations (float64 becomes float32)
NUMPY_TO_TORCH_DTYPE: dict[np.dtype, torch.dtype] = {
    np.dtype("bool"): torch.bool,
    np.dtype("uint8"): torch.uint8,
    np.dtype("int8"): torch.int8,
    np.dtype("int16"): torch.int16,
    np.dtype("int32"): torch.int32,
    np.dtype("int64"): torch.int64,
    np.dtype("float16"): torch.float16,
    np.dtype("float32"): torch.float32,
    np.dtype("float64"): torch.float32,
    np.dtype("complex64"): torch.complex64,
    np.dtype("complex128"): torch.complex128,
}
# the inverse; torch.float32 maps back to float32 (the later entry wins)
TORCH_TO_NUMPY_DTYPE: dict[torch.dtype, np.dtype] = {
    t: n for n, t in NUMPY_TO_TORCH_DTYPE.items() if n != np.dtype("float64")
}


def policy_kl(
    mu0: Tensor, sigma0: Tensor, mu1: Tensor, sigma1: Tensor, reduce: bool = True
) -> Tensor:
    """KL(N(mu0, sigma0) || N(mu1, sigma1)) summed over the action dim, mean over rows if reduce
    (rl_games' argument order: the current policy first); the formula with its 1e-5 guards is
    :func:`rl_games.algos.ppo.losses.gaussian_kl`, which takes the stored policy first."""
    kl = gaussian_kl(mu1, sigma1, mu0, sigma0)
    return kl.mean() if reduce else kl


def mean_mask(x: Tensor, mask: Tensor, sum_mask: Tensor | float) -> Tensor:
    """sum(x * mask) / sum_mask."""
    return (x * mask).sum() / sum_mask


def mean_list(values: Sequence[Tensor]) -> Tensor:
    """Mean of a list of same-shaped tensors (e.g. per-minibatch losses)."""
    return torch.stack(list(values)).mean()


def apply_masks(
    losses: Sequence[Tensor], mask: Tensor | None = None
) -> tuple[list[Tensor], Tensor | None]:
    """Each loss ``[B, ...]`` averaged over the rows where ``mask`` ``[B]`` is set.

    Without a mask: plain means and ``None``. With one: sum(loss * mask) / max(sum(mask), 1) (the
    valid-row mean of rl_games 2.0; 1.6.5 divided by every row) and that denominator.
    """
    if mask is None:
        return [loss.mean() for loss in losses], None
    m = mask.unsqueeze(1)
    total = m.sum().clamp(min=1.0)
    return [(loss * m).sum() / total for loss in losses], total


def mean_var_with_masks(values: Tensor, masks: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and unbiased variance of ``values`` over the masked-in entries.

    n = max(sum(m), 1); mean = sum(v m) / n; var = (sum((v m)^2) / n - mean^2) * n / max(n - 1, 1).
    """
    n = masks.sum().clamp(min=1.0)
    vm = values * masks
    mean = vm.sum() / n
    var = ((vm**2).sum() / n - mean**2) * n / (n - 1).clamp(min=1.0)
    return mean, var


def mean_std_with_masks(values: Tensor, masks: Tensor) -> tuple[Tensor, Tensor]:
    """(mean, sqrt(var)) of :func:`mean_var_with_masks`."""
    mean, var = mean_var_with_masks(values, masks)
    return mean, var.sqrt()


def normalization_with_masks(values: Tensor, masks: Tensor | None) -> Tensor:
    """(v - mean) / (std + 1e-8), the moments taken over the masked-in entries (all without a mask)."""
    if masks is None:
        return (values - values.mean()) / (values.std() + 1e-8)
    mean, std = mean_std_with_masks(values, masks)
    return (values - mean) / (std + 1e-8)


def policy_clip_fraction(
    neglogp: Tensor, old_neglogp: Tensor, clip: float, masks: Tensor | None = None
) -> Tensor:
    """Fraction of rows whose ratio exp(old_neglogp - neglogp) is outside [1 - clip, 1 + clip]
    (:func:`rl_games.algos.ppo.diagnostics.clip_fraction`), over the masked-in rows if given."""
    outside = clip_fraction(old_neglogp, neglogp, clip)
    if masks is None:
        return outside.mean()
    return (outside * masks).sum() / masks.sum().clamp(min=1.0)


def random_sample(batch: Tensor, fraction: float) -> Tensor:
    """A random ``int(fraction * len(batch))`` rows of ``batch``, without replacement."""
    keep = int(fraction * batch.shape[0])
    return batch[torch.randperm(batch.shape[0], device=batch.device)[:keep]]


def shape_whc_to_cwh(shape: Sequence[int]) -> tuple[int, ...]:
    """(W, H, C) -> (C, W, H) for 3-D shapes; other shapes unchanged."""
    s = tuple(shape)
    return (s[2], s[0], s[1]) if len(s) == 3 else s


def shape_cwh_to_whc(shape: Sequence[int]) -> tuple[int, ...]:
    """(C, W, H) -> (W, H, C) for 3-D shapes; other shapes unchanged."""
    s = tuple(shape)
    return (s[1], s[2], s[0]) if len(s) == 3 else s


def get_mean(values: Sequence[float]) -> float:
    """Mean of a list of numbers, 0.0 for an empty one."""
    return float(np.mean(values)) if len(values) else 0.0
