"""Generalized advantage estimation (GAE-lambda) over a rollout buffer.

Done convention (rl_games): ``dones[t] == 1`` means observation ``t`` STARTS a new episode,
i.e. it is the done flag returned by the step that produced observation ``t``. The value of
the step after ``t`` therefore only bootstraps when ``dones[t + 1] == 0``.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["compute_gae"]


def _as_float_mask(dones: Tensor, like: Tensor) -> Tensor:
    """Cast a done tensor (bool/int/float) to ``like``'s dtype and broadcast over value heads.

    ``dones`` has shape ``[..., N]`` and the result ``[..., N, 1]`` broadcasts against
    ``[..., N, V]``.
    """
    return dones.to(dtype=like.dtype).unsqueeze(-1)


def compute_gae(
    rewards: Tensor,
    values: Tensor,
    dones: Tensor,
    last_values: Tensor,
    last_dones: Tensor,
    gamma: float,
    tau: float,
) -> Tensor:
    """Compute GAE advantages, looping backwards over time and vectorized over envs.

    Shapes: ``rewards``/``values`` ``[T, N, V]``, ``dones`` ``[T, N]``,
    ``last_values`` ``[N, V]`` (value of the observation after the last step),
    ``last_dones`` ``[N]`` (done flag of the last step). Returns advantages ``[T, N, V]``.

    For ``t = T-1 .. 0``::

        nextnonterminal_t = 1 - (last_dones if t == T-1 else dones[t+1])
        nextvalue_t       = last_values if t == T-1 else values[t+1]
        delta_t = r_t + gamma * nextvalue_t * nextnonterminal_t - values[t]
        A_t     = delta_t + gamma * tau * nextnonterminal_t * A_{t+1}     (A_T = 0)

    Returns are ``A + values`` (computed by the caller).
    """
    num_steps = rewards.shape[0]
    advantages = torch.empty_like(rewards)
    next_nonterminal_all = 1.0 - _as_float_mask(dones, rewards)  # [T, N, 1]
    last_nonterminal = 1.0 - _as_float_mask(last_dones, rewards)  # [N, 1]
    last_gae = torch.zeros_like(rewards[0])
    for t in reversed(range(num_steps)):
        if t == num_steps - 1:
            next_nonterminal = last_nonterminal
            next_values = last_values
        else:
            next_nonterminal = next_nonterminal_all[t + 1]
            next_values = values[t + 1]
        # delta_t = r_t + gamma * V_{t+1} * (1 - d_{t+1}) - V_t
        delta = rewards[t] + gamma * next_values * next_nonterminal - values[t]
        # A_t = delta_t + gamma * lambda * (1 - d_{t+1}) * A_{t+1}
        last_gae = delta + gamma * tau * next_nonterminal * last_gae
        advantages[t] = last_gae
    return advantages
