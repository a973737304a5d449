"""``config.use_diagnostics``: explained variance, clip fractions and normalizer statistics
(TensorBoard ``diagnostics/*``, x = epoch, as rl_games)."""

from __future__ import annotations

import torch
from torch import Tensor

from rl_games.networks.moving_stats import masked_moments


def explained_variance(values: Tensor, returns: Tensor, mask: Tensor | None = None) -> Tensor:
    """``1 - Var[R - V] / Var[R]`` (population variances over valid rows): 1 is a perfect
    critic, 0 no better than a constant, negative worse. 0 when the returns are constant."""
    _, var_ret = masked_moments(returns, mask)
    _, var_err = masked_moments(returns - values, mask)
    return torch.where(var_ret > 0, 1.0 - var_err / var_ret.clamp(min=1e-12), 0.0)


def clip_fraction(old_neglogp: Tensor, neglogp: Tensor, e_clip: float) -> Tensor:
    """Per-row 1.0 where the PPO ratio ``exp(old_neglogp - neglogp)`` left ``[1-e, 1+e]``."""
    ratio = torch.exp(old_neglogp - neglogp)
    return ((ratio - 1.0).abs() > e_clip).float()
