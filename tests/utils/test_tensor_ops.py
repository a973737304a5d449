"""The torch_ext math helpers against hand-computed numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rl_games.utils import tensor_ops as T
from rl_games.utils.meters import AverageMeter


def test_policy_kl_matches_the_gaussian_formula() -> None:
    mu0, s0 = torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 0.5]])
    mu1, s1 = torch.tensor([[1.0, 1.0]]), torch.tensor([[2.0, 0.5]])
    # dim 0: log 2 + (1 + 1) / (2 * 4) - 1/2; dim 1: log 1 + 0.25 / (2 * 0.25) - 1/2 (= 0)
    expected = (
        math.log(2.0 + 1e-5)
        + 2.0 / (2 * (4.0 + 1e-5))
        - 0.5
        + math.log(1.0 + 1e-5)
        + 0.25 / (2 * (0.25 + 1e-5))
        - 0.5
    )
    assert T.policy_kl(mu0, s0, mu1, s1).item() == pytest.approx(expected, rel=1e-6)
    assert T.policy_kl(mu0, s0, mu1, s1, reduce=False).shape == (1,)


def test_masked_moments_and_losses_ignore_masked_rows() -> None:
    values = torch.tensor([1.0, 2.0, 3.0, 100.0])
    masks = torch.tensor([1.0, 1.0, 1.0, 0.0])
    mean, var = T.mean_var_with_masks(values, masks)
    # mean 2; unbiased var = (14/3 - 4) * 3/2 = 1
    assert mean.item() == pytest.approx(2.0) and var.item() == pytest.approx(1.0)
    normed = T.normalization_with_masks(values, masks)
    assert normed[:3].tolist() == pytest.approx([-1.0, 0.0, 1.0], abs=1e-6)

    losses, total = T.apply_masks([torch.tensor([[1.0], [3.0], [5.0]])], torch.tensor([1.0, 0, 1]))
    assert losses[0].item() == pytest.approx(3.0) and total.item() == 2.0
    plain, none = T.apply_masks([torch.tensor([[1.0], [3.0], [5.0]])])
    assert plain[0].item() == pytest.approx(3.0) and none is None
    assert T.mean_list([torch.tensor(1.0), torch.tensor(4.0)]).item() == pytest.approx(2.5)


def test_clip_fraction_and_shapes() -> None:
    old = torch.zeros(4)
    new = torch.tensor([0.0, -0.5, 0.5, 0.05])  # ratios exp(old - new): 1, e^.5, e^-.5, ~0.95
    assert T.policy_clip_fraction(new, old, 0.2).item() == pytest.approx(0.5)
    assert T.policy_clip_fraction(new, old, 0.2, torch.tensor([0.0, 1, 0, 1])).item() == 0.5
    assert T.shape_whc_to_cwh((84, 84, 4)) == (4, 84, 84)
    assert T.shape_cwh_to_whc((4, 84, 84)) == (84, 84, 4)
    assert T.shape_whc_to_cwh((7,)) == (7,)
    assert T.NUMPY_TO_TORCH_DTYPE[np.dtype("float64")] is torch.float32


def test_average_meter_keeps_a_window_of_max_size_rows() -> None:
    meter = AverageMeter(1, max_size=4)
    assert len(meter) == 0 and meter.get_mean() == pytest.approx(0.0)
    meter.update(torch.tensor([[1.0], [2.0]]))
    assert meter.get_mean() == pytest.approx(1.5) and len(meter) == 2
    meter.update(torch.tensor([[3.0], [4.0], [5.0]]))
    # window of 4: one row's worth of the old mean (1.5) and the new batch's mean (4) times 3
    assert meter.get_mean() == pytest.approx((1.5 + 3 * 4.0) / 4) and len(meter) == 4
    meter.clear()
    assert len(meter) == 0
