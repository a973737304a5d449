"""Value ranges of the numeric keys we own, checked on the typed config.

``RANGES`` maps a schema dataclass name to ``{field: kind}``; :func:`check_ranges` walks the
typed ``Params`` and reports each value outside its kind's range with the key's path and the
allowed range. Every float field also must not be NaN, nor infinite unless its default is.
Fields whose range depends on other keys (batch geometry, ``gamma``, ...) are checked in
:mod:`rl_games.config.validate`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from rl_games.config import schema
from rl_games.config.loader import Parser

# kind -> (test, how the range reads in a message)
KINDS: dict[str, tuple[Any, str]] = {
    "positive": (lambda v: v > 0, "> 0"),
    "non_negative": (lambda v: v >= 0, ">= 0"),
    "probability": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "beta": (lambda v: 0 <= v < 1, "in [0, 1)"),
}

_POSITIVE_LIST = "positive items"
_BETAS = "beta items"

RANGES: dict[str, dict[str, str]] = {
    "MLPConfig": {"units": _POSITIVE_LIST},
    "ConvLayerConfig": {
        "filters": "positive",
        "kernel_size": "positive",
        "strides": "positive",
        "padding": "non_negative",
    },
    "CNNConfig": {"conv_depths": _POSITIVE_LIST},
    "RNNConfig": {"units": "positive", "layers": "positive"},
    "NetworkConfig": {"value_shape": "positive"},
    "PlayerConfig": {
        "games_num": "positive",
        "render_sleep": "non_negative",
        "n_game_life": "positive",
        "num_actors": "positive",
        "update_checkpoint_freq": "positive",
        "games_to_track": "positive",
    },
    "CentralValueConfig": {
        "learning_rate": "positive",
        "kl_threshold": "positive",
        "minibatch_size_per_env": "non_negative",
        "e_clip": "positive",
        "grad_norm": "positive",
        "weight_decay": "non_negative",
    },
    "CommonConfig": {"save_frequency": "non_negative", "save_best_min_interval": "non_negative"},
    "PPOConfig": {
        "minibatch_size_per_env": "non_negative",
        "learning_rate": "positive",
        "kl_threshold": "positive",
        "min_lr": "non_negative",
        "max_lr": "positive",
        "lr_multiplier": "positive",
        "e_clip": "positive",
        "critic_coef": "non_negative",
        "bounds_loss_coef": "non_negative",
        "tau": "probability",
        "grad_norm": "positive",
        "weight_decay": "non_negative",
        "seq_length": "positive",
    },
    "SACConfig": {
        "actor_lr": "positive",
        "critic_lr": "positive",
        "alpha_lr": "positive",
        "actor_betas": _BETAS,
        "critic_betas": _BETAS,
        "alphas_betas": _BETAS,
        "num_warmup_steps": "non_negative",
        "num_warmup_frames": "non_negative",
        "utd_ratio": "positive",
        "num_updates_per_step": "positive",
        "critic_grad_clip": "non_negative",
    },
}


def _table(cls: type) -> dict[str, str]:
    """The ranges of ``cls`` and of its schema base classes (PPOConfig: CommonConfig's too)."""
    out: dict[str, str] = {}
    for base in reversed(cls.__mro__):
        out.update(RANGES.get(base.__name__, {}))
    return out


def check_ranges(obj: Any, path: str, p: Parser, skip: frozenset[str] = frozenset()) -> None:
    """Report every owned value of dataclass ``obj`` (and its nested blocks) out of range.
    ``skip``: field names not walked (blocks owned by user code)."""
    table = _table(type(obj))
    for fld in dataclasses.fields(obj):
        if fld.name in ("raw", *skip):
            continue
        value, where = getattr(obj, fld.name), f"{path}.{fld.name}"
        if dataclasses.is_dataclass(value):
            check_ranges(value, where, p, _user_blocks(value))
        elif isinstance(value, list) and value and dataclasses.is_dataclass(value[0]):
            for i, item in enumerate(value):
                check_ranges(item, f"{where}[{i}]", p)
        elif fld.name in table:
            _check_value(table[fld.name], value, where, p)
        if isinstance(value, float):
            _check_finite(value, fld, where, p)


def _user_blocks(value: Any) -> frozenset[str]:
    """A network block of a user builder is the builder's: nothing in it is range-checked."""
    if isinstance(value, schema.NetworkConfig) and value.name not in _strict_networks():
        return frozenset(f.name for f in dataclasses.fields(value))
    return frozenset()


def _strict_networks() -> set[str]:
    from rl_games.config.loader import STRICT_NETWORKS

    return STRICT_NETWORKS


def _check_value(kind: str, value: Any, where: str, p: Parser) -> None:
    if value is None or isinstance(value, bool):
        return
    if kind in (_POSITIVE_LIST, _BETAS):
        test, text = KINDS["positive" if kind == _POSITIVE_LIST else "beta"]
        for i, item in enumerate(value):
            if isinstance(item, (int, float)) and not test(item):
                p.problem(f"{where}[{i}]", f"must be {text}, got {item}")
        if kind == _BETAS and len(value) != 2:
            p.problem(where, f"expected two Adam betas [b1, b2], got {value}")
        return
    test, text = KINDS[kind]
    if isinstance(value, (int, float)) and not math.isnan(value) and not test(value):
        p.problem(where, f"must be {text}, got {value}")


def _check_finite(value: float, fld: dataclasses.Field, where: str, p: Parser) -> None:
    if math.isnan(value):
        p.problem(where, "is NaN; give a number")
    elif math.isinf(value) and not (isinstance(fld.default, float) and math.isinf(fld.default)):
        p.problem(where, f"is {value}; give a finite number")
