"""``config.use_diagnostics``: explained variance, clip fractions and normalizer statistics
(TensorBoard ``diagnostics/*``, x = epoch, as rl_games)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from rl_games.common.moving_stats import masked_moments

if TYPE_CHECKING:
    from rl_games.algos.ppo.agent import PPOAgent


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


def write_diagnostics(agent: PPOAgent, stats: dict[str, Any]) -> None:
    """The ``diagnostics/*`` scalars of one epoch (``stats`` from the update)."""
    w, x = agent.writer, agent.epoch_num
    if "exp_var" in stats:
        w.add_scalar("diagnostics/exp_var", stats["exp_var"], x)
    for i, frac in enumerate(stats.get("clip_frac_per_mini_epoch", ())):
        w.add_scalar(f"diagnostics/clip_frac/{i}", frac, x)
    cv = agent.central_value_net
    model = agent.model if cv is None else cv.model
    rms = getattr(model, "value_mean_std", None)
    if rms is not None:
        w.add_scalar("diagnostics/rms_value/mean", float(rms.running_mean.mean()), x)
        w.add_scalar("diagnostics/rms_value/var", float(rms.running_var.mean()), x)
    adv = agent.advantage_mean_std
    if adv is not None:
        w.add_scalar("diagnostics/rms_advantage/mean", float(adv.mean), x)
        w.add_scalar("diagnostics/rms_advantage/var", float(adv.var), x)
