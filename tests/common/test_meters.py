"""Tests for rl_games.common.meters.AverageMeter."""

from __future__ import annotations

import torch

from rl_games.common.meters import AverageMeter


def test_approximate_window_hand_numbers() -> None:
    meter = AverageMeter(in_shape=1, max_size=3)
    torch.testing.assert_close(meter.get_mean(), torch.tensor([0.0]))

    meter.update(torch.tensor([[1.0], [2.0]]))
    # k'=2, old=min(1, 0)=0: mean = 1.5, size 2
    torch.testing.assert_close(meter.get_mean(), torch.tensor([1.5]))
    assert meter.current_size == 2

    meter.update(torch.tensor([[6.0]]))
    # k'=1, old=min(2, 2)=2: mean = (1.5*2 + 6*1) / 3 = 3, size 3
    torch.testing.assert_close(meter.get_mean(), torch.tensor([3.0]))
    assert meter.current_size == 3

    meter.update(torch.tensor([[0.0], [3.0]]))
    # k'=2, old=min(1, 3)=1: mean = (3*1 + 1.5*2) / 3 = 2, size 3
    torch.testing.assert_close(meter.get_mean(), torch.tensor([2.0]))
    assert meter.current_size == 3

    meter.update(torch.tensor([[1.0], [2.0], [3.0], [4.0], [5.0]]))
    # k=5 > max: k'=3, old=0, mean of ALL 5 values = 3
    torch.testing.assert_close(meter.get_mean(), torch.tensor([3.0]))
    assert meter.current_size == 3


def test_empty_update_is_noop_and_clear() -> None:
    meter = AverageMeter(in_shape=2, max_size=10)
    meter.update(torch.tensor([[1.0, 10.0], [3.0, 20.0]]))
    meter.update(torch.zeros(0, 2))
    torch.testing.assert_close(meter.get_mean(), torch.tensor([2.0, 15.0]))
    assert meter.current_size == 2
    meter.clear()
    assert meter.current_size == 0
    torch.testing.assert_close(meter.get_mean(), torch.zeros(2))


def test_one_dim_values_and_int_input() -> None:
    meter = AverageMeter(in_shape=1, max_size=100)
    meter.update(torch.tensor([1, 2, 3, 6]))
    torch.testing.assert_close(meter.get_mean(), torch.tensor([3.0]))
    assert meter.get_mean().dtype == torch.float32
