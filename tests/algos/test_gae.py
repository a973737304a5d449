"""Tests for rl_games.algos.gae.compute_gae."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rl_games.algos.gae import compute_gae

GAMMA = 0.9
TAU = 0.5  # gamma * tau = 0.45


def _hand_inputs() -> dict[str, torch.Tensor]:
    """3 steps x 2 envs x 1 value head.

    env 0: no terminal. r = [1, 2, 3], V = [0.5, 1.0, 1.5], last V = 2.0, last done 0.
    env 1: the step t=1 ends an episode, so obs 2 starts a new one (dones[2] = 1); the last
           step also ends one (last_dones = 1). dones[0] = 1 (start of rollout) is ignored.
           r = [1, -1, 2], V = [1, 2, 3], last V = 10 (must not be used).
    """
    rewards = torch.tensor([[1.0, 1.0], [2.0, -1.0], [3.0, 2.0]]).unsqueeze(-1)
    values = torch.tensor([[0.5, 1.0], [1.0, 2.0], [1.5, 3.0]]).unsqueeze(-1)
    dones = torch.tensor([[0.0, 1.0], [0.0, 0.0], [0.0, 1.0]])
    last_values = torch.tensor([[2.0], [10.0]])
    last_dones = torch.tensor([0.0, 1.0])
    return {
        "rewards": rewards,
        "values": values,
        "dones": dones,
        "last_values": last_values,
        "last_dones": last_dones,
    }


# env 0 (no terminal):
#   t=2: delta = 3 + 0.9*2.0 - 1.5 = 3.3                 A2 = 3.3
#   t=1: delta = 2 + 0.9*1.5 - 1.0 = 2.35                A1 = 2.35 + 0.45*3.3   = 3.835
#   t=0: delta = 1 + 0.9*1.0 - 0.5 = 1.4                 A0 = 1.4  + 0.45*3.835 = 3.12575
# env 1 (terminal in the middle, last_dones = 1):
#   t=2: nnt = 1 - last_dones = 0: delta = 2 - 3 = -1    A2 = -1
#   t=1: nnt = 1 - dones[2]  = 0: delta = -1 - 2 = -3    A1 = -3
#   t=0: nnt = 1 - dones[1]  = 1: delta = 1 + 0.9*2 - 1 = 1.8
#                                                         A0 = 1.8 + 0.45*(-3) = 0.45
EXPECTED = torch.tensor([[3.12575, 0.45], [3.835, -3.0], [3.3, -1.0]]).unsqueeze(-1)


def test_hand_computed_example() -> None:
    adv = compute_gae(**_hand_inputs(), gamma=GAMMA, tau=TAU)
    assert adv.shape == (3, 2, 1)
    assert adv.dtype == torch.float32
    torch.testing.assert_close(adv, EXPECTED)


def test_bool_dones_match_float_dones() -> None:
    inputs = _hand_inputs()
    inputs["dones"] = inputs["dones"].bool()
    inputs["last_dones"] = inputs["last_dones"].bool()
    adv = compute_gae(**inputs, gamma=GAMMA, tau=TAU)
    torch.testing.assert_close(adv, EXPECTED)


def test_multi_head_is_per_head() -> None:
    """Head 1 = 2 x head 0 inputs; GAE is linear in (r, V) so its advantages double."""
    base = _hand_inputs()
    inputs = dict(base)
    for key in ("rewards", "values", "last_values"):
        inputs[key] = torch.cat([base[key], 2.0 * base[key]], dim=-1)
    adv = compute_gae(**inputs, gamma=GAMMA, tau=TAU)
    assert adv.shape == (3, 2, 2)
    torch.testing.assert_close(adv[..., :1], EXPECTED)
    torch.testing.assert_close(adv[..., 1:], 2.0 * EXPECTED)


def _numpy_gae(
    rewards: np.ndarray,
    values: np.ndarray,
    dones: np.ndarray,
    last_values: np.ndarray,
    last_dones: np.ndarray,
    gamma: float,
    tau: float,
) -> np.ndarray:
    """Straightforward per-env, per-head, per-step reference loop."""
    num_steps, num_envs, num_heads = rewards.shape
    adv = np.zeros_like(rewards, dtype=np.float64)
    for n in range(num_envs):
        for h in range(num_heads):
            running = 0.0
            for t in reversed(range(num_steps)):
                if t == num_steps - 1:
                    nonterminal = 1.0 - float(last_dones[n])
                    next_value = last_values[n, h]
                else:
                    nonterminal = 1.0 - float(dones[t + 1, n])
                    next_value = values[t + 1, n, h]
                delta = rewards[t, n, h] + gamma * next_value * nonterminal - values[t, n, h]
                running = delta + gamma * tau * nonterminal * running
                adv[t, n, h] = running
    return adv


@pytest.mark.parametrize("num_heads", [1, 2])
def test_random_against_numpy(num_heads: int) -> None:
    gen = torch.Generator().manual_seed(0)
    T, N = 16, 5
    rewards = torch.randn(T, N, num_heads, generator=gen)
    values = torch.randn(T, N, num_heads, generator=gen)
    dones = torch.rand(T, N, generator=gen) < 0.2
    last_values = torch.randn(N, num_heads, generator=gen)
    last_dones = torch.rand(N, generator=gen) < 0.3
    gamma, tau = 0.99, 0.95
    adv = compute_gae(rewards, values, dones, last_values, last_dones, gamma, tau)
    ref = _numpy_gae(
        rewards.numpy(),
        values.numpy(),
        dones.numpy(),
        last_values.numpy(),
        last_dones.numpy(),
        gamma,
        tau,
    )
    np.testing.assert_allclose(adv.numpy(), ref, rtol=1e-5, atol=1e-5)
