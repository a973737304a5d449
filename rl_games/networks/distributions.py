"""Action distributions as small pure functions (faster than torch.distributions objects).

Gaussian (diagonal):   -log p(x) = 0.5*sum(((x-mu)/sigma)^2) + 0.5*log(2*pi)*A + sum(log sigma)
                        H = sum(0.5 + 0.5*log(2*pi) + log sigma)
Categorical (logits):  log p = log_softmax(logits); H = -sum(p * log p)
Masks: invalid logits are set to -1e8 (probability ~0) and excluded from the entropy.
"""

from __future__ import annotations

import math

import torch

LOG_2PI = math.log(2.0 * math.pi)
MASKED_LOGIT = -1e8


# ------------------------------------------------------------------------- Gaussian
def sigma_from_raw(
    raw: torch.Tensor,
    parametrization: str = "exp",
    min_sigma: float = 0.0,
    logstd_bounds: tuple[float, float] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(sigma, log sigma) from the network's raw sigma output (``space.continuous`` keys).

    exp:              r' = clamp(r, lo, hi) if logstd_bounds; sigma = exp(r') (+ min_sigma if > 0)
    softplus:         sigma = log(1 + exp(r)) + min_sigma
    linear | scalar:  f = max(min_sigma, 1e-3); sigma = f + log(1 + exp(r - f))
    log sigma is r' itself for plain exp (no floor), else log(sigma).
    """
    if parametrization == "exp":
        if logstd_bounds is not None:
            raw = raw.clamp(float(logstd_bounds[0]), float(logstd_bounds[1]))
        if min_sigma <= 0.0:
            return torch.exp(raw), raw
        sigma = torch.exp(raw) + min_sigma
    elif parametrization == "softplus":
        sigma = torch.nn.functional.softplus(raw) + min_sigma
    elif parametrization in ("linear", "scalar"):
        floor = max(float(min_sigma), 1e-3)
        sigma = floor + torch.nn.functional.softplus(raw - floor)
    else:
        raise ValueError(
            f"sigma_parametrization: expected exp, softplus or linear, got {parametrization!r}"
        )
    return sigma, torch.log(sigma)


def gaussian_sample(mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    return mu + sigma * torch.randn_like(mu)


def gaussian_neglogp(
    x: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor, logstd: torch.Tensor
) -> torch.Tensor:
    return 0.5 * ((x - mu) / sigma).square().sum(-1) + 0.5 * LOG_2PI * x.shape[-1] + logstd.sum(-1)


def gaussian_entropy(logstd: torch.Tensor) -> torch.Tensor:
    return (0.5 + 0.5 * LOG_2PI + logstd).sum(-1)


# ---------------------------------------------------------------------- Categorical
def apply_mask(logits: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is None:
        return logits
    return torch.where(mask.bool(), logits, torch.full_like(logits, MASKED_LOGIT))


def split_mask(mask: torch.Tensor | None, sizes: list[int]) -> list[torch.Tensor | None]:
    """Multi-discrete: masks concatenated over heads ``[B, sum(sizes)]`` -> one mask per head."""
    if mask is None:
        return [None] * len(sizes)
    return list(torch.split(mask, sizes, dim=-1))


def categorical_sample(logits: torch.Tensor) -> torch.Tensor:
    """Gumbel-max: argmax(logits + Gumbel noise) is a sample from softmax(logits)."""
    u = torch.rand_like(logits).clamp_(min=1e-10, max=1.0 - 1e-7)
    return torch.argmax(logits - torch.log(-torch.log(u)), dim=-1)


def categorical_neglogp(logits: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    logp = torch.log_softmax(logits, dim=-1)
    return -logp.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)


def categorical_entropy(logits: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    logp = torch.log_softmax(logits, dim=-1)
    plogp = logp.exp() * logp
    if mask is not None:
        plogp = torch.where(mask.bool(), plogp, torch.zeros_like(plogp))
    return -plogp.sum(-1)
