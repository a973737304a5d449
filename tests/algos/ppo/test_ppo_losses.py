"""Tests for rl_games.algos.ppo.losses."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from rl_games.algos.ppo.losses import (
    actor_loss,
    bounds_loss,
    categorical_kl_approx,
    critic_loss,
    gaussian_kl,
    gaussian_neglogp,
    masked_mean,
    normalize_advantages,
    smooth_clamp,
)

E_CLIP = 0.2


def _old_neglogp_for(ratios: list[float]) -> torch.Tensor:
    """With new neglogp = 0, ratio = exp(old_neglogp) so old_neglogp = log(ratio)."""
    return torch.log(torch.tensor(ratios, dtype=torch.float64))


def test_actor_loss_hand_numbers() -> None:
    ratios = [1.1, 1.5, 1.5, 0.5, 0.5]
    adv = torch.tensor([2.0, 2.0, -1.0, -1.0, 2.0], dtype=torch.float64)
    old = _old_neglogp_for(ratios)
    new = torch.zeros(5, dtype=torch.float64)
    loss = actor_loss(old, new, adv, E_CLIP)
    expected = torch.tensor(
        [
            -2.2,  # inside the clip: max(-2*1.1, -2*1.1)
            -2.4,  # A>0, ratio above 1+e: max(-2*1.5, -2*1.2) = -2.4
            1.5,  # A<0, ratio above 1+e: max(1*1.5, 1*1.2) = 1.5 (unclipped, pessimistic)
            0.8,  # A<0, ratio below 1-e: max(1*0.5, 1*0.8) = 0.8
            -1.0,  # A>0, ratio below 1-e: max(-2*0.5, -2*0.8) = -1.0 (unclipped)
        ],
        dtype=torch.float64,
    )
    torch.testing.assert_close(loss, expected)


def test_actor_loss_vanilla_pg() -> None:
    old = torch.tensor([0.3, 0.1])
    new = torch.tensor([0.5, 2.0])
    adv = torch.tensor([2.0, -1.0])
    loss = actor_loss(old, new, adv, E_CLIP, ppo=False)
    # neglogp * A
    torch.testing.assert_close(loss, torch.tensor([1.0, -2.0]))


def test_smooth_clamp() -> None:
    lo, hi = 1.0 - E_CLIP, 1.0 + E_CLIP
    # midpoint maps to itself: sigmoid(0) * 0.4 + 0.8 = 1.0
    mid = smooth_clamp(torch.tensor([1.0]), lo, hi)
    torch.testing.assert_close(mid, torch.tensor([1.0]))
    x = torch.linspace(0.0, 2.0, 101, dtype=torch.float64)
    y = smooth_clamp(x, lo, hi)
    assert torch.all(y > lo) and torch.all(y < hi)
    assert torch.all(torch.diff(y) > 0)
    # at x = hi: sigmoid(4 * 0.5) * 0.4 + 0.8
    at_hi = smooth_clamp(torch.tensor([hi]), lo, hi)
    torch.testing.assert_close(at_hi, torch.tensor([1.0 / (1.0 + math.exp(-2.0)) * 0.4 + 0.8]))


def test_actor_loss_smooth_clamp_uses_smooth_ratio() -> None:
    old = _old_neglogp_for([1.5])
    new = torch.zeros(1, dtype=torch.float64)
    adv = torch.tensor([2.0], dtype=torch.float64)
    loss = actor_loss(old, new, adv, E_CLIP, smooth_clamp=True)
    smooth = smooth_clamp(torch.tensor([1.5], dtype=torch.float64), 0.8, 1.2)
    torch.testing.assert_close(loss, torch.max(-2.0 * torch.tensor([1.5]).double(), -2.0 * smooth))


def test_critic_loss_clipped_and_unclipped() -> None:
    old = torch.tensor([1.0, 1.0, 1.0])
    v = torch.tensor([1.5, 1.5, 1.1])
    ret = torch.tensor([2.0, 1.0, 0.0])
    unclipped = critic_loss(old, v, ret, E_CLIP, clip_value=False)
    # (R - v)^2
    torch.testing.assert_close(unclipped, torch.tensor([0.25, 0.25, 1.21]))
    clipped = critic_loss(old, v, ret, E_CLIP, clip_value=True)
    # row 0: v_clip = 1.2 -> max(0.25, 0.64) = 0.64
    # row 1: v_clip = 1.2 -> max(0.25, 0.04) = 0.25
    # row 2: inside the clip -> 1.21
    torch.testing.assert_close(clipped, torch.tensor([0.64, 0.25, 1.21]))


def test_critic_loss_keeps_value_head_shape() -> None:
    old = torch.zeros(4, 2)
    assert critic_loss(old, old + 1.0, old, E_CLIP, True).shape == (4, 2)


def test_bounds_loss() -> None:
    mu = torch.tensor([[1.5, -2.0], [0.5, 0.0]])
    # row 0: (1.5-1.1)^2 + (-2.0+1.1)^2 = 0.16 + 0.81 = 0.97; row 1 inside the bound
    torch.testing.assert_close(bounds_loss(mu, "bound"), torch.tensor([0.97, 0.0]))
    # sum mu^2
    torch.testing.assert_close(bounds_loss(mu, "regularisation"), torch.tensor([6.25, 0.25]))
    torch.testing.assert_close(bounds_loss(mu, "none"), torch.zeros(2))


def test_gaussian_kl_matches_closed_form() -> None:
    gen = torch.Generator().manual_seed(1)
    mu_old = torch.randn(8, 3, generator=gen, dtype=torch.float64)
    mu_new = mu_old + 0.3 * torch.randn(8, 3, generator=gen, dtype=torch.float64)
    sigma_old = torch.rand(8, 3, generator=gen, dtype=torch.float64) + 0.5
    sigma_new = torch.rand(8, 3, generator=gen, dtype=torch.float64) + 0.5
    kl = gaussian_kl(mu_old, sigma_old, mu_new, sigma_new)
    # rl_games' formula is KL(new || old)
    exact = kl_divergence(Normal(mu_new, sigma_new), Normal(mu_old, sigma_old)).sum(-1)
    assert kl.shape == (8,)
    torch.testing.assert_close(kl, exact, rtol=1e-3, atol=2e-4)


def test_gaussian_kl_identical_is_near_zero() -> None:
    mu = torch.tensor([[0.1, -0.3]])
    sigma = torch.tensor([[0.7, 1.3]])
    kl = gaussian_kl(mu, sigma, mu, sigma)
    assert torch.all(kl.abs() < 1e-4)


def test_categorical_kl_approx() -> None:
    kl = categorical_kl_approx(torch.tensor([1.0, 0.5]), torch.tensor([0.0, 1.5]))
    torch.testing.assert_close(kl, torch.tensor([0.5, 0.5]))


def test_masked_mean() -> None:
    x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    torch.testing.assert_close(masked_mean(x, None), torch.tensor(2.5))
    torch.testing.assert_close(
        masked_mean(x, torch.tensor([1.0, 0.0, 1.0, 0.0])), torch.tensor(2.0)
    )
    torch.testing.assert_close(
        masked_mean(x, torch.tensor([True, True, False, False])), torch.tensor(1.5)
    )
    # empty mask: 0 / max(0, 1) = 0
    torch.testing.assert_close(masked_mean(x, torch.zeros(4)), torch.tensor(0.0))
    # value heads [B, V] with mask [B]: (1 + 2 + 5 + 6) / 4
    xv = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    torch.testing.assert_close(masked_mean(xv, torch.tensor([1.0, 0.0, 1.0])), torch.tensor(3.5))
    torch.testing.assert_close(masked_mean(xv, torch.ones(3)), xv.mean())


def test_normalize_advantages_unmasked() -> None:
    a = np.random.default_rng(2).normal(3.0, 2.0, size=64)
    out = normalize_advantages(torch.from_numpy(a))
    ref = (a - a.mean()) / (a.std(ddof=1) + 1e-8)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-10)


def test_normalize_advantages_masked() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(-1.0, 4.0, size=50)
    m = rng.random(50) < 0.6
    out = normalize_advantages(torch.from_numpy(a), torch.from_numpy(m))
    valid = a[m]
    ref = np.zeros_like(a)
    ref[m] = (valid - valid.mean()) / (valid.std(ddof=1) + 1e-8)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-10)
    assert np.all(out.numpy()[~m] == 0.0)


def test_normalize_advantages_all_ones_mask_matches_unmasked() -> None:
    a = torch.randn(32, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    torch.testing.assert_close(normalize_advantages(a, torch.ones(32)), normalize_advantages(a))


@pytest.mark.parametrize("num_actions", [1, 4])
def test_gaussian_neglogp_matches_normal(num_actions: int) -> None:
    gen = torch.Generator().manual_seed(5)
    mu = torch.randn(10, num_actions, generator=gen, dtype=torch.float64)
    logstd = 0.5 * torch.randn(10, num_actions, generator=gen, dtype=torch.float64)
    sigma = logstd.exp()
    x = mu + sigma * torch.randn(10, num_actions, generator=gen, dtype=torch.float64)
    out = gaussian_neglogp(x, mu, sigma, logstd)
    ref = -Normal(mu, sigma).log_prob(x).sum(-1)
    assert out.shape == (10,)
    torch.testing.assert_close(out, ref)
