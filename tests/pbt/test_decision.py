"""Leaders, underperformers and the replacement choice, with hand numbers."""

from __future__ import annotations

import math
import random

import pytest

from rl_games.pbt.decision import cuts, decide


def test_cuts_by_hand():
    # objectives 10, 20, 60: mean 30, population std sqrt((400 + 100 + 900) / 3) = 21.6025
    c = cuts([10.0, 20.0, 60.0], threshold_std=0.5, threshold_abs=5.0)
    std = math.sqrt(1400 / 3)
    assert (c.mean, c.std) == (pytest.approx(30.0), pytest.approx(std))
    assert c.upper == pytest.approx(30 + 0.5 * std)  # 40.80 > 30 + 5
    assert c.lower == pytest.approx(30 - 0.5 * std)  # 19.20 < 30 - 5
    # a tight population: the absolute margin decides (mean 100, std 1)
    c = cuts([99.0, 101.0], threshold_std=0.5, threshold_abs=5.0)
    assert (c.upper, c.lower) == (105.0, 95.0)


def test_decide_replaces_only_an_underperformer_from_a_leader():
    objectives = {0: 10.0, 1: 20.0, 2: 60.0}
    d = decide(objectives, 0, 0.5, 5.0)
    assert (d.leaders, d.underperformers, d.replace, d.source) == ((2,), (0,), True, 2)
    d = decide(objectives, 1, 0.5, 5.0)  # 20 > lower 19.2: keeps training
    assert not d.replace and d.source is None


def test_decide_without_leaders_mutates_itself_and_dbg_mode_always_replaces():
    # mean 40, std 14.14: upper 47.07, lower 32.93: 50 is a leader, 20 an underperformer
    d = decide({0: 20.0, 1: 50.0, 2: 50.0}, 0, 0.5, 5.0, rng=random.Random(0))
    assert d.replace and d.source in (1, 2)
    # one low member, two at the top and no one above the upper cut (threshold_abs large)
    d = decide({0: 20.0, 1: 50.0, 2: 50.0}, 0, 0.0, 15.0)
    assert d.leaders == () and d.underperformers == (0,) and d.source == 0
    assert decide({3: 7.0}, 3, 0.1, 0.05, dbg_mode=True).source == 3
    assert not decide({}, 0, 0.1, 0.05).replace
