"""Mutation functions of population based training: pure functions of a value and random draws.

Every function takes the value, ``change_min`` / ``change_max`` (the configured ``change_range``;
some ignore it, as DexPBT's do) and ``rng`` (anything with ``random()`` and ``uniform(a, b)``;
default: the ``random`` module), so a test can hand it fixed draws. Names are rl_games' /
IsaacGymEnvs', so a ``mutation:`` block written for them works unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any, Protocol

__all__ = [
    "MUTATION_FUNCS",
    "mutate",
    "mutate_discount",
    "mutate_eps_clip",
    "mutate_float",
    "mutate_float_min_1",
    "mutate_mini_epochs",
]


class Draws(Protocol):
    def random(self) -> float: ...

    def uniform(self, a: float, b: float) -> float: ...


def _rng(rng: Draws | None) -> Draws:
    return random if rng is None else rng  # type: ignore[return-value]


def mutate_float(
    x: float, change_min: float = 1.1, change_max: float = 1.5, rng: Draws | None = None
) -> float:
    """k ~ U[change_min, change_max]; then x / k or x * k with probability 1/2 each
    (first draw: k, second draw: the direction, < 0.5 divides)."""
    r = _rng(rng)
    k = r.uniform(change_min, change_max)
    return x / k if r.random() < 0.5 else x * k


def mutate_float_min_1(x: float, rng: Draws | None = None, **kw: Any) -> float:
    """:func:`mutate_float`, floored at 1.0 (e.g. a reward scale that must stay >= 1)."""
    return max(1.0, mutate_float(x, rng=rng, **kw))


def mutate_eps_clip(x: float, rng: Draws | None = None, **kw: Any) -> float:
    """:func:`mutate_float` clamped to [0.01, 0.3] (PPO's ratio clip)."""
    return min(0.3, max(0.01, mutate_float(x, rng=rng, **kw)))


def mutate_mini_epochs(x: int, rng: Draws | None = None, **kw: Any) -> int:
    """x + 1 or x - 1 with probability 1/2 each (< 0.5 adds), clamped to [1, 8]."""
    step = 1 if _rng(rng).random() < 0.5 else -1
    return int(min(8, max(1, int(x) + step)))


def mutate_discount(x: float, rng: Draws | None = None, **kw: Any) -> float:
    """Discounts near 1 (gamma, tau): 1 - mutate_float(1 - x, 1.1, 1.2). The horizon
    1 / (1 - x) changes by at most 20%; the configured change_range is ignored on purpose."""
    return 1.0 - mutate_float(1.0 - x, 1.1, 1.2, rng=rng)


MUTATION_FUNCS: dict[str, Callable[..., Any]] = {
    "mutate_float": mutate_float,
    "mutate_float_min_1": mutate_float_min_1,
    "mutate_eps_clip": mutate_eps_clip,
    "mutate_mini_epochs": mutate_mini_epochs,
    "mutate_discount": mutate_discount,
}


def mutate(
    params: Mapping[str, Any],
    mutations: Mapping[str, str],
    mutation_rate: float,
    change_range: tuple[float, float] | list[float],
    rng: Draws | None = None,
) -> dict[str, Any]:
    """A copy of ``params`` where each key with a rule in ``mutations`` is mutated with
    probability ``mutation_rate`` (per key, in ``params`` order: one draw decides, ``draw <
    mutation_rate`` mutates; then the function's draws). Keys without a rule are copied."""
    r = _rng(rng)
    lo, hi = (float(v) for v in change_range)
    out: dict[str, Any] = {}
    for name, value in params.items():
        rule = mutations.get(name)
        if rule is None or not r.random() < mutation_rate:
            out[name] = value
            continue
        fn = MUTATION_FUNCS.get(rule)
        if fn is None:
            raise KeyError(f"unknown mutation function {rule!r}; known: {sorted(MUTATION_FUNCS)}")
        out[name] = fn(value, change_min=lo, change_max=hi, rng=r)
    return out
