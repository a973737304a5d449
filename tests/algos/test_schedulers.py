"""Tests for rl_games.algos.schedulers."""

from __future__ import annotations

import pytest
import torch

from rl_games.algos.schedulers import AdaptiveScheduler, IdentityScheduler, LinearScheduler


def test_identity() -> None:
    sched = IdentityScheduler()
    assert sched.update(3e-4, 0.01, epoch=10, frames=1000, kl=5.0) == (3e-4, 0.01)
    assert sched.state_dict() == {}
    sched.load_state_dict({})


@pytest.mark.parametrize(
    ("lr", "kl", "expected"),
    [
        (1e-3, 0.03, 1e-3 / 1.5),  # kl > 2*thr (0.02): divide
        (1e-3, 0.001, 1.5e-3),  # kl < 0.5*thr (0.005): multiply
        (1e-3, 0.01, 1e-3),  # in between: unchanged
        (1e-3, 0.02, 1e-3),  # boundaries are strict
        (1e-3, 0.005, 1e-3),
        (9e-3, 0.0, 1e-2),  # capped at max_lr
        (1.2e-6, 1.0, 1e-6),  # floored at min_lr
    ],
)
def test_adaptive(lr: float, kl: float, expected: float) -> None:
    sched = AdaptiveScheduler(kl_threshold=0.01)
    new_lr, entropy = sched.update(lr, 0.02, epoch=1, frames=0, kl=kl)
    assert new_lr == pytest.approx(expected, rel=1e-12)
    assert entropy == 0.02


def test_adaptive_tensor_kl_and_custom_bounds() -> None:
    sched = AdaptiveScheduler(kl_threshold=0.008, min_lr=1e-5, max_lr=5e-3, lr_multiplier=2.0)
    lr, _ = sched.update(1e-3, 0.0, epoch=1, frames=0, kl=torch.tensor(0.1))
    assert lr == pytest.approx(5e-4)
    lr, _ = sched.update(4e-3, 0.0, epoch=1, frames=0, kl=torch.tensor(0.0))
    assert lr == pytest.approx(5e-3)
    assert isinstance(lr, float)


def test_linear_epochs() -> None:
    sched = LinearScheduler(start_lr=1e-3, min_lr=1e-5, max_steps=100)
    # mul = (100 - 25) / 100 = 0.75: lr = 1e-5 + (1e-3 - 1e-5) * 0.75 = 7.525e-4
    lr, entropy = sched.update(1e-3, 0.01, epoch=25, frames=10**9, kl=0.0)
    assert lr == pytest.approx(7.525e-4, rel=1e-12)
    assert entropy == 0.01
    assert sched.update(1e-3, 0.01, epoch=0, frames=0, kl=0.0)[0] == pytest.approx(1e-3)
    assert sched.update(1e-3, 0.01, epoch=150, frames=0, kl=0.0)[0] == pytest.approx(1e-5)


def test_linear_frames_and_entropy() -> None:
    sched = LinearScheduler(
        start_lr=2e-3,
        min_lr=0.0,
        max_steps=1000,
        use_epochs=False,
        apply_to_entropy=True,
        start_entropy_coef=0.01,
    )
    # mul = (1000 - 500) / 1000 = 0.5: lr = 1e-3, entropy = 1e-4 + (0.01 - 1e-4) * 0.5 = 0.00505
    lr, entropy = sched.update(2e-3, 0.01, epoch=999, frames=500, kl=0.0)
    assert lr == pytest.approx(1e-3, rel=1e-12)
    assert entropy == pytest.approx(0.00505, rel=1e-12)
    # past the end: entropy floors at 1e-4
    _, entropy = sched.update(2e-3, 0.01, epoch=0, frames=5000, kl=0.0)
    assert entropy == pytest.approx(1e-4)


def test_linear_rejects_nonpositive_max_steps() -> None:
    with pytest.raises(ValueError):
        LinearScheduler(start_lr=1e-3, max_steps=0)
