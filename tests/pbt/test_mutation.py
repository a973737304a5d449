"""Mutation functions against hand-computed values (fixed draws stand in for the RNG)."""

from __future__ import annotations

import random

import pytest

from rl_games.pbt.mutation import (
    mutate,
    mutate_discount,
    mutate_eps_clip,
    mutate_float,
    mutate_float_min_1,
    mutate_mini_epochs,
)


class Draws:
    """Hands out the given numbers: ``random()`` from ``randoms``, ``uniform`` from ``uniforms``
    (asserting the bounds it is asked for)."""

    def __init__(self, randoms=(), uniforms=(), bounds=None):
        self.randoms, self.uniforms, self.bounds = list(randoms), list(uniforms), bounds

    def random(self):
        return self.randoms.pop(0)

    def uniform(self, a, b):
        if self.bounds is not None:
            assert (a, b) == self.bounds
        return self.uniforms.pop(0)


def test_mutate_float_divides_below_half_and_multiplies_otherwise():
    assert mutate_float(2.0, 1.1, 1.5, rng=Draws([0.3], [1.25], (1.1, 1.5))) == 2.0 / 1.25
    assert mutate_float(2.0, 1.1, 1.5, rng=Draws([0.5], [1.25])) == 2.5


def test_clamped_and_stepped_mutations():
    assert mutate_float_min_1(1.2, change_min=1.1, change_max=2.0, rng=Draws([0.1], [2.0])) == 1.0
    assert mutate_eps_clip(0.2, change_min=1.1, change_max=2.0, rng=Draws([0.9], [2.0])) == 0.3
    assert mutate_eps_clip(0.2, change_min=1.1, change_max=2.0, rng=Draws([0.1], [1.5])) == (
        pytest.approx(0.2 / 1.5)
    )
    assert mutate_mini_epochs(4, rng=Draws([0.2])) == 5
    assert mutate_mini_epochs(1, rng=Draws([0.7])) == 1  # floor 1
    assert mutate_mini_epochs(8, rng=Draws([0.2])) == 8  # ceiling 8


def test_mutate_discount_changes_the_horizon_by_at_most_20_percent():
    # 1 - 0.99 = 0.01; * 1.2 -> 0.012; gamma 0.988 (change_range is ignored: bounds 1.1, 1.2)
    got = mutate_discount(0.99, change_min=1.5, change_max=3.0, rng=Draws([0.8], [1.2], (1.1, 1.2)))
    assert got == pytest.approx(0.988)
    rng = random.Random(0)
    for _ in range(200):
        horizon = 1 / (1 - mutate_discount(0.99, rng=rng))
        assert 100 / 1.2 - 1e-9 <= horizon <= 100 * 1.2 + 1e-9


def test_mutate_draws_per_key_and_keeps_keys_without_a_rule():
    params = {"config.learning_rate": 3e-4, "config.gamma": 0.99, "config.horizon_length": 16}
    rules = {"config.learning_rate": "mutate_float", "config.gamma": "mutate_discount"}
    # lr: coin 0.1 < 0.5 mutates, factor 2.0, direction 0.9 multiplies; gamma: coin 0.6 keeps
    out = mutate(params, rules, 0.5, [1.1, 2.0], rng=Draws([0.1, 0.9, 0.6], [2.0]))
    assert out == {"config.learning_rate": 6e-4, "config.gamma": 0.99, "config.horizon_length": 16}
    assert mutate(params, rules, 0.0, (1.1, 2.0)) == params
    with pytest.raises(KeyError, match="mutate_bogus"):
        mutate({"a": 1.0}, {"a": "mutate_bogus"}, 1.0, (1.1, 2.0))
