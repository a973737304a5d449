"""EMA advantage statistics (``normalize_rms_advantage``) against hand-computed numbers."""

from __future__ import annotations

import math

import pytest
import torch

from rl_games.networks.moving_stats import MovingMeanStd, masked_moments


def test_first_update_takes_the_batch_then_blends_with_momentum() -> None:
    rms = MovingMeanStd(momentum=0.5)
    out = rms(torch.tensor([1.0, 3.0]))  # mean 2, population var 1
    assert float(rms.mean) == 2.0 and float(rms.var) == 1.0 and int(rms.updates) == 1
    assert torch.allclose(out, torch.tensor([-1.0, 1.0]) / math.sqrt(1.0 + 1e-5))
    rms(torch.tensor([6.0, 6.0]))  # batch mean 6, var 0
    assert float(rms.mean) == pytest.approx(0.5 * 2 + 0.5 * 6)
    assert float(rms.var) == pytest.approx(0.5 * 1 + 0.5 * 0)


def test_eval_mode_normalizes_without_updating() -> None:
    rms = MovingMeanStd(momentum=0.9)
    rms(torch.tensor([0.0, 4.0]))  # mean 2, var 4
    rms.eval()
    out = rms(torch.tensor([100.0]))
    assert float(rms.mean) == 2.0 and int(rms.updates) == 1
    assert float(out) == pytest.approx(98.0 / math.sqrt(4.0 + 1e-5))


def test_mask_excludes_rows_from_the_statistics() -> None:
    x = torch.tensor([1.0, 3.0, 1000.0])
    mean, var = masked_moments(x, torch.tensor([1.0, 1.0, 0.0]))
    assert float(mean) == 2.0 and float(var) == 1.0
    rms = MovingMeanStd()
    rms(x, torch.tensor([1.0, 1.0, 0.0]))
    assert float(rms.mean) == 2.0


def test_state_dict_round_trip_and_bad_momentum() -> None:
    a = MovingMeanStd(0.5)
    a(torch.tensor([1.0, 2.0, 6.0]))
    assert set(a.state_dict()) == {"mean", "var", "updates"}
    b = MovingMeanStd(0.5)
    b.load_state_dict(a.state_dict())
    assert float(b.mean) == 3.0 and int(b.updates) == 1
    with pytest.raises(ValueError, match="momentum"):
        MovingMeanStd(1.0)
