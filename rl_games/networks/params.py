"""The attributes rl_games' ``A2CBuilder.Network.load(params)`` sets, from our typed block.

User subclasses read them (``self.units``, ``self.space_config['sigma_init']``, ``self.is_continuous``,
...). Sub-blocks are plain dicts: the typed defaults overlaid with the block as written, so a key
only the user's code knows (``space.continuous.learn_sigma``) is there too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rl_games.config.schema import NetworkConfig


def _block(typed: Any, raw: Any) -> dict[str, Any]:
    """``asdict(typed)`` overlaid with the raw sub-block (when it is a mapping)."""
    base = dataclasses.asdict(typed) if dataclasses.is_dataclass(typed) else {}
    return {**base, **(raw if isinstance(raw, dict) else {})}


def _space_attributes(cfg: NetworkConfig, raw: dict[str, Any]) -> dict[str, Any]:
    raw_space = raw.get("space") if isinstance(raw.get("space"), dict) else {}
    space = cfg.space
    out: dict[str, Any] = {
        "has_space": "space" in raw
        or any(getattr(space, k) is not None for k in ("continuous", "discrete", "multi_discrete")),
        "is_continuous": space.continuous is not None,
        "is_discrete": space.discrete is not None,
        "is_multi_discrete": space.multi_discrete is not None,
        "space_config": {},
    }
    for kind in ("continuous", "discrete", "multi_discrete"):
        if getattr(space, kind) is not None:
            out["space_config"] = _block(getattr(space, kind), raw_space.get(kind))
            break
    if space.continuous is not None:
        out["fixed_sigma"] = space.continuous.fixed_sigma
    return out


def _rnn_attributes(cfg: NetworkConfig) -> dict[str, Any]:
    r = cfg.rnn
    if r is None:
        return {"has_rnn": False}
    return {
        "has_rnn": True,
        "rnn_units": r.units,
        "rnn_layers": r.layers,
        "rnn_name": r.name,
        "rnn_ln": r.layer_norm,
        "is_rnn_before_mlp": r.before_mlp,
        "rnn_concat_input": r.concat_input,
        "rnn_concat_output": r.concat_output,
    }


def rl_games_attributes(cfg: NetworkConfig, raw: dict[str, Any]) -> dict[str, Any]:
    """``{attribute: value}`` as rl_games' ``A2CBuilder.Network.load`` names them."""
    m = cfg.mlp
    out: dict[str, Any] = {
        "separate": cfg.separate,
        "units": list(m.units),
        "activation": m.activation,
        "initializer": dict(m.initializer or {"name": "default"}),
        "is_d2rl": m.d2rl,
        "norm_only_first_layer": m.norm_only_first_layer,
        "value_activation": cfg.value_activation,
        "normalization": cfg.normalization,
        "central_value": cfg.central_value,
        "joint_obs_actions_config": cfg.joint_obs_actions,
        "has_cnn": cfg.cnn is not None,
    }
    if cfg.cnn is not None:
        out["cnn"] = _block(cfg.cnn, raw.get("cnn"))
        out["permute_input"] = cfg.cnn.permute_input
    out.update(_space_attributes(cfg, raw))
    out.update(_rnn_attributes(cfg))
    return out
