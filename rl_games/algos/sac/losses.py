"""SAC math as pure functions: squashed-Gaussian sampling and log-prob, targets, losses, Polyak.

Notation: ``u ~ N(mu, std)`` is the pre-squash sample, ``a = tanh(u)`` lies in (-1, 1) and
``a_env = a * scale + bias`` is the action in the env's Box (``scale = (high - low) / 2``,
``bias = (high + low) / 2``). Log-probabilities are of ``a_env`` (env space).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

LOG_2 = math.log(2.0)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def squash_log_std(raw: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    """Smoothly bound the raw log-std: ``lo + 0.5 * (hi - lo) * (tanh(raw) + 1)``."""
    return lo + 0.5 * (hi - lo) * (torch.tanh(raw) + 1.0)


def normal_log_prob(u: torch.Tensor, mu: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """Elementwise ``log N(u; mu, exp(log_std)) = -0.5 ((u - mu) / std)^2 - log_std - log sqrt(2 pi)``."""
    z = (u - mu) * torch.exp(-log_std)
    return -0.5 * z * z - log_std - HALF_LOG_2PI


def tanh_log_abs_det(u: torch.Tensor) -> torch.Tensor:
    """Elementwise ``log(1 - tanh(u)^2)`` in the stable form ``2 * (log 2 - u - softplus(-2u))``."""
    return 2.0 * (LOG_2 - u - F.softplus(-2.0 * u))


def squashed_log_prob(
    u: torch.Tensor, mu: torch.Tensor, log_std: torch.Tensor, log_scale_sum: torch.Tensor | float
) -> torch.Tensor:
    """``log pi(a_env | s) = sum_i [log N(u_i; mu_i, std_i) - log(1 - tanh(u_i)^2)] - sum_i log scale_i``.

    Returns shape ``[B]`` (summed over the action dims).
    """
    per_dim = normal_log_prob(u, mu, log_std) - tanh_log_abs_det(u)
    return per_dim.sum(dim=-1) - log_scale_sum


def sample_squashed(
    mu: torch.Tensor,
    log_std: torch.Tensor,
    scale: torch.Tensor | float,
    bias: torch.Tensor | float,
    log_scale_sum: torch.Tensor | float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reparameterized sample: ``u = mu + std * eps``, ``a_env = tanh(u) * scale + bias``.

    Returns ``(a_env, log pi(a_env | s))``; gradients flow through ``mu`` and ``log_std``.
    """
    u = mu + torch.exp(log_std) * torch.randn_like(mu)
    a_env = torch.tanh(u) * scale + bias
    return a_env, squashed_log_prob(u, mu, log_std, log_scale_sum)


def critic_target(
    rewards: torch.Tensor,
    not_done: torch.Tensor,
    gamma: float,
    q1_next: torch.Tensor,
    q2_next: torch.Tensor,
    alpha: torch.Tensor | float,
    logp_next: torch.Tensor,
) -> torch.Tensor:
    """Soft TD target ``y = r + not_done * gamma * (min(Q1', Q2') - alpha * log pi(a'|s'))``.

    ``not_done = 1 - terminated``: time-outs are stored as non-terminal, so they bootstrap from
    the true final observation. All inputs are ``[B]``; computed in float32.
    """
    soft_v = torch.minimum(q1_next.float(), q2_next.float()) - alpha * logp_next.float()
    return rewards.float() + not_done.float() * gamma * soft_v


def critic_losses(
    q1: torch.Tensor, q2: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``c_i = mean((Q_i - y)^2)``; ``loss = 0.5 * (c1 + c2)``. Returns ``(loss, c1, c2)``."""
    c1 = F.mse_loss(q1.float(), target)
    c2 = F.mse_loss(q2.float(), target)
    return 0.5 * (c1 + c2), c1, c2


def actor_loss(
    alpha: torch.Tensor, logp: torch.Tensor, q1: torch.Tensor, q2: torch.Tensor
) -> torch.Tensor:
    """``mean(max(alpha, 0.01) * log pi(a|s) - min(Q1, Q2)(s, a))`` with alpha detached."""
    a = torch.clamp(alpha.detach(), min=0.01)
    return (a * logp.float() - torch.minimum(q1.float(), q2.float())).mean()


def alpha_loss(log_alpha: torch.Tensor, logp: torch.Tensor, target_entropy: float) -> torch.Tensor:
    """``mean(alpha * (-log pi - target_entropy))`` with the bracket detached, ``alpha = exp(log_alpha)``."""
    return (log_alpha.exp() * (-logp.float() - target_entropy).detach()).mean()


@torch.no_grad()
def polyak_update_(
    target: Sequence[torch.Tensor], source: Sequence[torch.Tensor], tau: float
) -> None:
    """In place ``theta' <- theta' + tau * (theta - theta')`` (= ``lerp(theta', theta, tau)``)."""
    torch._foreach_lerp_(list(target), list(source), tau)


def updates_per_step(utd_ratio: float | None, num_actors: int, num_updates_per_step: int) -> int:
    """Gradient updates after each env step: ``max(1, round(utd_ratio * num_actors))`` if set."""
    if utd_ratio is not None:
        return max(1, int(round(float(utd_ratio) * num_actors)))
    return max(1, int(num_updates_per_step))


def warmup_epochs(
    num_warmup_steps: int, num_warmup_frames: int | None, num_actors: int, steps_per_epoch: int
) -> int:
    """Epochs of uniform random actions: ``ceil(frames / (num_actors * steps_per_epoch))`` if frames set."""
    if num_warmup_frames is not None:
        return int(math.ceil(num_warmup_frames / (num_actors * steps_per_epoch)))
    return int(num_warmup_steps)
