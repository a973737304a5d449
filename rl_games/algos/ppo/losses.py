"""Pure PPO loss functions (rl_games 1.6.5 / 2.0 numerics).

Every loss returns per-sample values; the caller reduces them with :func:`masked_mean`
(plain mean without a mask, ``sum(l * mask) / max(sum(mask), 1)`` with one).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = [
    "actor_loss",
    "bounds_loss",
    "categorical_kl_approx",
    "critic_loss",
    "gaussian_kl",
    "gaussian_neglogp",
    "masked_mean",
    "normalize_advantages",
    "smooth_clamp",
]

_LOG_2PI = math.log(2.0 * math.pi)
_KL_EPS = 1e-5


def _broadcast_mask(mask: Tensor, x: Tensor) -> Tensor:
    """Reshape a per-row mask ``[B]`` to ``[B, 1, ...]`` so it broadcasts over ``x``'s trailing dims."""
    extra = x.dim() - mask.dim()
    mask = mask.to(dtype=x.dtype)
    if extra > 0:
        mask = mask.reshape(mask.shape + (1,) * extra)
    return mask


def masked_mean(x: Tensor, mask: Tensor | None) -> Tensor:
    """Mean of ``x`` over all its elements, counting only rows where ``mask`` is set.

    ``mask is None``: ``mean(x)``. Otherwise ``sum(x * m) / max(sum(m broadcast to x), 1)``,
    i.e. trailing dims of ``x`` beyond the mask (value heads ``[B, V]`` with mask ``[B]``)
    are averaged as well, so an all-ones mask gives exactly the plain mean.
    """
    if mask is None:
        return x.mean()
    m = _broadcast_mask(mask, x).expand_as(x)
    # sum(x*m) / clamp(sum(m), min=1): divide by the valid count (2.0), not numel (1.6.x)
    return (x * m).sum() / m.sum().clamp(min=1.0)


def smooth_clamp(x: Tensor, lo: float, hi: float) -> Tensor:
    """Sigmoid-shaped clamp: ``sigmoid(4 * ((x - lo) / (hi - lo) - 0.5)) * (hi - lo) + lo``."""
    width = hi - lo
    return torch.sigmoid(4.0 * ((x - lo) / width - 0.5)) * width + lo


# actor_loss has a keyword argument named ``smooth_clamp`` that shadows the function.
_smooth_clamp = smooth_clamp


def actor_loss(
    old_neglogp: Tensor,
    neglogp: Tensor,
    advantages: Tensor,
    e_clip: float,
    *,
    ppo: bool = True,
    smooth_clamp: bool = False,
) -> Tensor:
    """Per-sample PPO clipped surrogate loss ``[B]``.

    ``ratio = exp(old_neglogp - neglogp)``;
    ``loss = max(-A * ratio, -A * clamp(ratio, 1 - e, 1 + e))``
    (``smooth_clamp=True`` replaces the hard clamp by :func:`smooth_clamp`).
    ``ppo=False``: vanilla policy gradient ``neglogp * A``.
    """
    if not ppo:
        return neglogp * advantages
    ratio = torch.exp(old_neglogp - neglogp)
    lo, hi = 1.0 - e_clip, 1.0 + e_clip
    if smooth_clamp:
        clipped = _smooth_clamp(ratio, lo, hi)
    else:
        clipped = torch.clamp(ratio, lo, hi)
    surr1 = advantages * ratio
    surr2 = advantages * clipped
    return torch.max(-surr1, -surr2)


def critic_loss(
    old_values: Tensor,
    values: Tensor,
    returns: Tensor,
    e_clip: float,
    clip_value: bool,
) -> Tensor:
    """Per-sample value loss, same shape as ``values``.

    Clipped: ``v_clip = old + clamp(v - old, -e, e)``; ``max((v - R)^2, (v_clip - R)^2)``.
    Unclipped: ``(R - v)^2``.
    """
    if not clip_value:
        return (returns - values) ** 2
    v_clipped = old_values + torch.clamp(values - old_values, -e_clip, e_clip)
    return torch.max((values - returns) ** 2, (v_clipped - returns) ** 2)


def bounds_loss(mu: Tensor, bound_type: str = "bound", soft_bound: float = 1.1) -> Tensor:
    """Per-sample penalty on action means ``[B]`` (sum over the last dim).

    ``'bound'``: ``sum(clamp_min(mu - b, 0)^2 + clamp_max(mu + b, 0)^2)`` with ``b = soft_bound``;
    ``'regularisation'``: ``sum(mu^2)``; anything else: zeros.
    """
    if bound_type == "bound":
        high = torch.clamp_min(mu - soft_bound, 0.0) ** 2
        low = torch.clamp_max(mu + soft_bound, 0.0) ** 2
        return (high + low).sum(dim=-1)
    if bound_type == "regularisation":
        return (mu**2).sum(dim=-1)
    return torch.zeros(mu.shape[:-1], dtype=mu.dtype, device=mu.device)


def gaussian_kl(mu_old: Tensor, sigma_old: Tensor, mu_new: Tensor, sigma_new: Tensor) -> Tensor:
    """rl_games' diagonal-Gaussian KL ``[B]``, i.e. ``KL(N_new || N_old)`` with 1e-5 guards.

    Per action dim (summed over the last dim)::

        log(sigma_old / sigma_new + 1e-5)
          + (sigma_new^2 + (mu_old - mu_new)^2) / (2 * (sigma_old^2 + 1e-5)) - 0.5

    Without the 1e-5 terms this is the closed form of KL(p || q) with p = current policy
    (``mu_new, sigma_new``) and q = the stored (previous mini-epoch) policy
    (``mu_old, sigma_old``). rl_games calls ``policy_kl(new_mu, new_sigma, old_mu, old_sigma)``.
    """
    c1 = torch.log(sigma_old / sigma_new + _KL_EPS)
    c2 = (sigma_new**2 + (mu_old - mu_new) ** 2) / (2.0 * (sigma_old**2 + _KL_EPS))
    return (c1 + c2 - 0.5).sum(dim=-1)


def categorical_kl_approx(old_neglogp: Tensor, neglogp: Tensor) -> Tensor:
    """Per-sample discrete KL approximation ``0.5 * (old_neglogp - neglogp)^2`` ``[B]``."""
    return 0.5 * (old_neglogp - neglogp) ** 2


def normalize_advantages(adv: Tensor, mask: Tensor | None = None, eps: float = 1e-8) -> Tensor:
    """Whole-batch advantage standardization ``(A - mean) / (std + eps)``.

    Unmasked: unbiased ``torch.std`` over all elements. Masked: mean over valid rows and
    Bessel-corrected variance ``sum(m * (A - mean)^2) / max(sum(m) - 1, 1)``; invalid rows
    are set to 0. No host synchronization.
    """
    if mask is None:
        return (adv - adv.mean()) / (adv.std() + eps)
    m = _broadcast_mask(mask, adv).expand_as(adv)
    count = m.sum()
    mean = (adv * m).sum() / count.clamp(min=1.0)
    # Bessel-corrected masked variance: sum(m*(A-mean)^2) / (n - 1)
    var = (((adv - mean) ** 2) * m).sum() / (count - 1.0).clamp(min=1.0)
    normalized = (adv - mean) / (var.sqrt() + eps)
    return torch.where(m > 0, normalized, torch.zeros_like(normalized))


def gaussian_neglogp(x: Tensor, mu: Tensor, sigma: Tensor, logstd: Tensor) -> Tensor:
    """Negative log-likelihood of a diagonal Gaussian ``[B]`` (sum over the last dim).

    ``0.5 * sum(((x - mu) / sigma)^2) + 0.5 * log(2 pi) * A + sum(logstd)``, ``A`` = action dims.
    """
    num_actions = x.shape[-1]
    squared = (((x - mu) / sigma) ** 2).sum(dim=-1)
    return 0.5 * squared + 0.5 * _LOG_2PI * num_actions + logstd.sum(dim=-1)
