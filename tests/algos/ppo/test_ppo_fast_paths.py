"""The PPO hot-path shortcuts give bit-identical results to the straightforward torch code they
replace (gradient clipping, masked means, reward shaping, the time-out bootstrap)."""

from __future__ import annotations

import copy

import pytest
import torch

from rl_games.algos.ppo import losses as L
from rl_games.algos.ppo.grads import MaskedMean, clip_grad_norm
from rl_games.algos.ppo.rollout import shape_rewards


def _params_with_grads(scale: float, seed: int = 0) -> list[torch.nn.Parameter]:
    gen = torch.Generator().manual_seed(seed)
    shapes = [(32, 4), (32,), (32, 32), (32,), (1, 32), (1,), (2, 32), (2,)]
    params = []
    for shape in shapes:
        p = torch.nn.Parameter(torch.randn(shape, generator=gen))
        p.grad = scale * torch.randn(shape, generator=gen)
        params.append(p)
    return params


@pytest.mark.parametrize("scale", [1e-3, 1.0, 50.0])
def test_clip_grad_norm_matches_torch_bitwise(scale: float) -> None:
    ours = _params_with_grads(scale)
    ref = copy.deepcopy(ours)
    for p, q in zip(ours, ref, strict=True):
        q.grad = p.grad.clone()
    total = clip_grad_norm(ours, 1.0)
    ref_total = torch.nn.utils.clip_grad_norm_(ref, 1.0)
    assert torch.equal(total, ref_total)
    for p, q in zip(ours, ref, strict=True):
        assert torch.equal(p.grad, q.grad)


def test_clip_grad_norm_falls_back_for_mixed_dtypes_and_skips_missing_grads() -> None:
    params = _params_with_grads(10.0)
    params[0].grad = None
    params[1].data = params[1].data.double()
    params[1].grad = params[1].grad.double()
    ref = copy.deepcopy(params)
    for p, q in zip(params, ref, strict=True):
        q.grad = None if p.grad is None else p.grad.clone()
    assert torch.equal(clip_grad_norm(params, 0.5), torch.nn.utils.clip_grad_norm_(ref, 0.5))
    assert params[0].grad is None
    for p, q in zip(params[1:], ref[1:], strict=True):
        assert torch.equal(p.grad, q.grad)
    assert clip_grad_norm([torch.nn.Parameter(torch.ones(2))], 1.0).item() == 0.0


def test_masked_mean_matches_losses_masked_mean() -> None:
    gen = torch.Generator().manual_seed(1)
    x1, x2 = torch.randn(64, generator=gen), torch.randn(64, 3, generator=gen)
    for mask in (None, (torch.rand(64, generator=gen) > 0.3).float(), torch.zeros(64)):
        mean = MaskedMean(mask)
        for x in (x1, x2, x1.double(), x1):  # the second float32 call uses the cached count
            assert torch.equal(mean(x), L.masked_mean(x, mask))


def test_shape_rewards_skips_identity_steps_with_the_same_values() -> None:
    r = torch.tensor([[-1.5], [0.0], [2.25], [7.0]])
    inf = float("inf")
    for scale, shift, lo, hi, log_val in [
        (1.0, 0.0, -inf, inf, False),
        (0.1, 0.0, -inf, inf, False),
        (1.0, 2.0, -inf, inf, False),
        (0.5, 3.0, 0.0, 4.0, False),
        (1.0, 2.0, -inf, inf, True),
    ]:
        expected = (r + shift) * scale
        if lo != -inf or hi != inf:
            expected = expected.clamp(lo, hi)
        if log_val:
            expected = torch.log(expected)
        assert torch.equal(shape_rewards(r, scale, shift, lo, hi, log_val), expected)


def test_time_out_bootstrap_addcmul_is_bitwise_the_explicit_formula() -> None:
    gen = torch.Generator().manual_seed(2)
    shaped = torch.randn(256, 2, generator=gen)
    values = 100 * torch.randn(256, 2, generator=gen)
    time_outs = torch.rand(256, generator=gen) > 0.5
    gamma = 0.99
    expected = shaped + gamma * values * time_outs.unsqueeze(-1).to(shaped.dtype)
    out = torch.empty_like(shaped)
    got = torch.addcmul(shaped, values, time_outs.unsqueeze(-1).float(), value=gamma, out=out)
    assert torch.equal(got, expected) and got.data_ptr() == out.data_ptr()
