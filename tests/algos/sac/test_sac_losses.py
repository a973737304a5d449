"""Tests for rl_games.algos.sac.losses (pure SAC math)."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import AffineTransform, Normal, TanhTransform, TransformedDistribution

from rl_games.algos.sac import losses as L


def test_squash_log_std_maps_to_bounds() -> None:
    raw = torch.tensor([-100.0, 0.0, 100.0, 0.3])
    out = L.squash_log_std(raw, -5.0, 2.0)
    assert out[0].item() == pytest.approx(-5.0)
    assert out[1].item() == pytest.approx(-1.5)  # lo + 0.5 * (hi - lo)
    assert out[2].item() == pytest.approx(2.0)
    assert out[3].item() == pytest.approx(-5.0 + 3.5 * (math.tanh(0.3) + 1.0))


def test_stable_tanh_jacobian_matches_naive_form() -> None:
    u = torch.linspace(-4.0, 4.0, 41, dtype=torch.float64)
    naive = torch.log(1.0 - torch.tanh(u) ** 2)
    torch.testing.assert_close(L.tanh_log_abs_det(u), naive)
    big = torch.tensor([30.0, -30.0], dtype=torch.float64)  # naive form gives -inf here
    assert torch.isfinite(L.tanh_log_abs_det(big)).all()
    assert L.tanh_log_abs_det(big)[0].item() == pytest.approx(2 * (math.log(2) - 30.0), rel=1e-9)


def test_squashed_log_prob_matches_torch_distributions() -> None:
    """log pi of env-space actions == TransformedDistribution(Normal, [Tanh, Affine]).log_prob."""
    torch.manual_seed(0)
    n, a_dim = 4096, 3
    mu = torch.randn(n, a_dim, dtype=torch.float64) * 0.7
    log_std = torch.rand(n, a_dim, dtype=torch.float64) * 1.5 - 1.5
    low = torch.tensor([-2.0, 0.0, -1.0], dtype=torch.float64)
    high = torch.tensor([2.0, 1.0, 3.0], dtype=torch.float64)
    scale, bias = (high - low) / 2, (high + low) / 2
    a_env, logp = L.sample_squashed(mu, log_std, scale, bias, torch.log(scale).sum())
    ref = TransformedDistribution(
        Normal(mu, log_std.exp()), [TanhTransform(), AffineTransform(bias, scale)]
    )
    expected = ref.log_prob(a_env).sum(-1)
    keep = (
        a_env - bias
    ).abs() < 0.999 * scale  # atanh in the reference is exact only off the edges
    assert keep.float().mean() > 0.9
    torch.testing.assert_close(logp[keep.all(-1)], expected[keep.all(-1)], rtol=1e-6, atol=1e-6)
    assert ((a_env >= low) & (a_env <= high)).all()


def test_sample_squashed_is_reparameterized() -> None:
    mu = torch.zeros(5, 2, requires_grad=True)
    log_std = torch.zeros(5, 2, requires_grad=True)
    a, logp = L.sample_squashed(mu, log_std, 1.0, 0.0, 0.0)
    (a.sum() + logp.sum()).backward()
    assert mu.grad is not None and log_std.grad is not None and mu.grad.abs().sum() > 0


def test_critic_target_terminations_vs_time_outs_hand_numbers() -> None:
    """Terminated rows do not bootstrap; time-outs are stored as non-terminal and do."""
    rewards = torch.tensor([1.0, 2.0, -1.0])
    # row 0: running, row 1: terminated, row 2: time-out (terminated False)
    terminated = torch.tensor([False, True, False])
    q1 = torch.tensor([10.0, 10.0, 4.0])
    q2 = torch.tensor([8.0, 12.0, 5.0])
    logp = torch.tensor([-1.0, -1.0, 2.0])
    y = L.critic_target(rewards, 1.0 - terminated.float(), 0.9, q1, q2, 0.5, logp)
    # y = r + (1 - d) * gamma * (min(Q1, Q2) - alpha * logp)
    expected = torch.tensor([1.0 + 0.9 * (8.0 + 0.5), 2.0, -1.0 + 0.9 * (4.0 - 1.0)])
    torch.testing.assert_close(y, expected)
    assert y.dtype == torch.float32


def test_critic_target_is_float32_under_half_inputs() -> None:
    y = L.critic_target(
        torch.ones(2, dtype=torch.bfloat16),
        torch.ones(2),  # not_done
        0.99,
        torch.ones(2, dtype=torch.bfloat16),
        torch.ones(2, dtype=torch.bfloat16),
        0.0,
        torch.zeros(2, dtype=torch.bfloat16),
    )
    assert y.dtype == torch.float32 and y[0].item() == pytest.approx(1.99)


def test_critic_losses() -> None:
    y = torch.tensor([1.0, 2.0])
    loss, c1, c2 = L.critic_losses(torch.tensor([2.0, 2.0]), torch.tensor([1.0, 0.0]), y)
    assert c1.item() == pytest.approx(0.5) and c2.item() == pytest.approx(2.0)
    assert loss.item() == pytest.approx(1.25)


def test_actor_loss_clamps_alpha_and_uses_min_q() -> None:
    logp = torch.tensor([1.0, -2.0])
    q1, q2 = torch.tensor([3.0, 0.0]), torch.tensor([1.0, 5.0])
    loss = L.actor_loss(torch.tensor(0.001), logp, q1, q2)  # alpha floored at 0.01
    assert loss.item() == pytest.approx(((0.01 * 1 - 1) + (0.01 * -2 - 0)) / 2)
    loss = L.actor_loss(torch.tensor(0.5), logp, q1, q2)
    assert loss.item() == pytest.approx(((0.5 - 1) + (-1.0 - 0)) / 2)


def test_alpha_loss_gradient_sign() -> None:
    """Entropy below target (-logp < target) must push alpha up (negative gradient)."""
    log_alpha = torch.tensor(0.0, requires_grad=True)
    logp = torch.tensor([3.0, 3.0])  # entropy estimate -3 < target -1
    loss = L.alpha_loss(log_alpha, logp, target_entropy=-1.0)
    assert loss.item() == pytest.approx(-2.0)  # exp(0) * (-3 + 1)
    loss.backward()
    assert log_alpha.grad.item() == pytest.approx(-2.0)


def test_polyak_update() -> None:
    target = [torch.zeros(3), torch.full((2, 2), 4.0)]
    source = [torch.ones(3), torch.zeros(2, 2)]
    L.polyak_update_(target, source, 0.25)
    torch.testing.assert_close(target[0], torch.full((3,), 0.25))
    torch.testing.assert_close(target[1], torch.full((2, 2), 3.0))
    torch.testing.assert_close(source[0], torch.ones(3))  # source untouched
    L.polyak_update_(target, source, 1.0)
    torch.testing.assert_close(target[1], source[1])


def test_updates_per_step_and_warmup() -> None:
    assert L.updates_per_step(None, 8, 3) == 3
    assert L.updates_per_step(0.5, 8, 3) == 4
    assert L.updates_per_step(0.01, 8, 3) == 1  # at least one
    assert L.warmup_epochs(50, None, 8, 1) == 50
    assert L.warmup_epochs(50, 1000, 8, 1) == 125
    assert L.warmup_epochs(50, 1001, 8, 2) == 63  # ceil(1001 / 16)
