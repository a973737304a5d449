"""Who leads and who is replaced: pure functions of the population's objectives."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Cuts", "Decision", "cuts", "decide"]


@dataclass(frozen=True)
class Cuts:
    mean: float
    std: float
    upper: float  # leaders score above it
    lower: float  # underperformers score below it


@dataclass(frozen=True)
class Decision:
    cuts: Cuts | None
    leaders: tuple[int, ...]
    underperformers: tuple[int, ...]
    replace: bool  # this member restarts
    source: int | None  # whose checkpoint it restarts from (itself: keep weights, mutate)


def cuts(objectives: list[float], threshold_std: float, threshold_abs: float) -> Cuts:
    """mean and population std (ddof 0) of the objectives;
    upper = max(mean + threshold_std * std, mean + threshold_abs),
    lower = min(mean - threshold_std * std, mean - threshold_abs)."""
    n = len(objectives)
    mean = sum(objectives) / n
    std = math.sqrt(sum((o - mean) ** 2 for o in objectives) / n)
    upper = max(mean + threshold_std * std, mean + threshold_abs)
    lower = min(mean - threshold_std * std, mean - threshold_abs)
    return Cuts(mean, std, upper, lower)


def decide(
    objectives: Mapping[int, float],
    me: int,
    threshold_std: float,
    threshold_abs: float,
    dbg_mode: bool = False,
    rng: random.Random | None = None,
) -> Decision:
    """``objectives``: ``{policy_idx: objective}`` of the members with a record (``me``
    included). ``me`` is replaced when it scores below the lower cut; it restarts from a
    leader drawn uniformly, or from itself (mutated hyperparameters only) when no member is
    above the upper cut. ``dbg_mode``: replaced every time, from the best member."""
    if not objectives or me not in objectives:
        return Decision(None, (), (), False, None)
    c = cuts(list(objectives.values()), threshold_std, threshold_abs)
    leaders = tuple(p for p, o in objectives.items() if o > c.upper)
    under = tuple(p for p, o in objectives.items() if o < c.lower)
    if dbg_mode:
        best = max(objectives, key=lambda p: objectives[p])
        return Decision(c, leaders, under, True, best)
    if me not in under:
        return Decision(c, leaders, under, False, None)
    source = (rng or random).choice(leaders) if leaders else me
    return Decision(c, leaders, under, True, source)
