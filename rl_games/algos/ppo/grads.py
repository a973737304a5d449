"""Pure helpers of the PPO update: the optimizer, gradient clipping, masked means, RNN reset
flags. No agent state: the agent (:mod:`rl_games.algos.ppo.update`) and the central value use them."""

from __future__ import annotations

from typing import Any

import torch

from rl_games.algos.ppo import losses as L


def make_adam(
    params: Any, lr: float, weight_decay: float = 0.0, betas: tuple[float, float] = (0.9, 0.999)
) -> torch.optim.Adam:
    """Adam (eps 1e-8) with the fused kernel where this torch build has it (CPU and CUDA)."""
    params = list(params)
    try:
        return torch.optim.Adam(
            params, lr=lr, eps=1e-8, betas=betas, weight_decay=weight_decay, fused=True
        )
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=lr, eps=1e-8, betas=betas, weight_decay=weight_decay)


def rnn_reset_flags(dones: torch.Tensor, next_step: bool) -> torch.Tensor:
    """Time-major ``[T, N]`` flags: zero the RNN state before row t (rollout order). ``dones[t]``
    (obs t starts an episode); under next-step autoreset also the row after a reset row."""
    if not next_step:
        return dones
    flags = dones.clone()
    flags[1:] = torch.maximum(dones[1:], dones[:-1])
    return flags


class MaskedMean:
    """``losses.masked_mean`` over one minibatch's mask, with the mask cast and its valid-row
    count computed once per dtype for the per-row (1-D) losses. Same ops, same values."""

    def __init__(self, mask: torch.Tensor | None) -> None:
        self.mask = mask
        self._by_dtype: dict[torch.dtype, tuple[torch.Tensor, torch.Tensor]] = {}

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.mask is None or x.dim() != 1:
            return L.masked_mean(x, self.mask)
        cached = self._by_dtype.get(x.dtype)
        if cached is None:
            m = self.mask.to(dtype=x.dtype)
            cached = self._by_dtype[x.dtype] = (m, m.sum().clamp(min=1.0))
        m, count = cached
        # mean over valid rows: sum_i x_i m_i / max(sum_i m_i, 1)
        return (x * m).sum() / count


@torch.no_grad()
def clip_grad_norm(params: list[torch.Tensor], max_norm: float) -> torch.Tensor:
    """``torch.nn.utils.clip_grad_norm_(params, max_norm)`` (L2) without its per-call regrouping.

    When every gradient is a dense CPU/CUDA tensor of one device and dtype it runs the same ops
    in the same order (per-tensor ``_foreach_norm``, the norm of the stacked norms, a scale of
    ``min(max_norm / (norm + 1e-6), 1)`` applied with ``_foreach_mul_``); otherwise it calls torch.
    """
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros((), device=params[0].device if params else None)
    g0 = grads[0]
    if g0.device.type not in ("cpu", "cuda") or any(
        g.device != g0.device or g.dtype != g0.dtype or g.layout != torch.strided for g in grads
    ):
        return torch.nn.utils.clip_grad_norm_(params, max_norm)
    total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads, 2.0)), 2.0)
    torch._foreach_mul_(grads, torch.clamp(float(max_norm) / (total + 1e-6), max=1.0))
    return total


def training_stats(stats: dict[str, Any]) -> dict[str, float]:
    """The epoch's loss means, KL and gradient norm (what the divergence check reads)."""
    return {k: v for k, v in stats.items() if isinstance(v, float) and not k.endswith("_time")}
