"""Top-level parse: pick the algorithm's schema, parse every block, validate, report all at once."""

from __future__ import annotations

import copy
import dataclasses
import logging
from typing import Any

from rl_games.config import schema
from rl_games.config.errors import ConfigError, Problem
from rl_games.config.loader import STRICT_NETWORKS, Parser
from rl_games.config.validate import validate
from rl_games.registry import Registry

log = logging.getLogger(__name__)

# Which ``params.config`` schema an algorithm reads. Users may register their own.
CONFIG_SCHEMAS: Registry[type] = Registry("algorithm config schema")
CONFIG_SCHEMAS.register("a2c_continuous", schema.PPOConfig)
CONFIG_SCHEMAS.register("a2c_discrete", schema.PPOConfig)
CONFIG_SCHEMAS.register("sac", schema.SACConfig)


@dataclasses.dataclass(frozen=True)
class LoadedConfig:
    params: schema.Params
    warnings: list[str]
    raw: dict  # the ``params`` block as given (after overrides), for saving beside checkpoints


def parse_params(doc: dict, source: str = "config", num_agents: int | None = 1) -> LoadedConfig:
    """Parse a whole YAML document (``{'params': {...}}``) into typed objects.

    ``num_agents``: agents per env if known (None: unknown, batch checks only warn).
    Raises ConfigError listing every problem found.
    """
    if not isinstance(doc, dict) or "params" not in doc:
        found = list(doc) if isinstance(doc, dict) else type(doc).__name__
        raise ConfigError(
            [
                Problem(
                    "params",
                    f"missing: a runner config has a top-level 'params' block (found {found})",
                )
            ],
            source,
        )
    raw = copy.deepcopy(doc["params"]) if doc["params"] is not None else {}
    parser = Parser()
    for key in doc:
        if key != "params":
            parser.warn(key, "top-level key outside 'params' is ignored")
    if not isinstance(raw, dict):
        raise ConfigError([Problem("params", "expected a mapping")], source)
    raw = _merge_top_level_player(raw, parser)
    params = _parse(raw, parser)
    if not parser.bad_values:
        # Unknown and missing keys leave every parsed value well-typed, so the cross-field checks
        # still run and all problems come out together; values that failed to parse would make
        # them report nonsense, so they wait until those are fixed.
        validate(params, parser, num_agents)
    for w in parser.warnings:
        log.warning("%s: %s", source, w)
    if parser.problems:
        raise ConfigError(parser.problems, source)
    return LoadedConfig(params=params, warnings=parser.warnings, raw=raw)


def _merge_top_level_player(raw: dict, parser: Parser) -> dict:
    """Accept ``params.player`` as well as rl_games' ``params.config.player``."""
    top = raw.pop("player", None)
    if top is None:
        return raw
    config = raw.setdefault("config", {}) or {}
    raw["config"] = config
    inner = config.get("player") or {}
    if not isinstance(top, dict) or not isinstance(inner, dict):
        parser.problem("params.player", "expected a mapping")
        return raw
    for key, value in top.items():
        if key in inner and inner[key] != value:
            parser.problem(
                f"params.player.{key}", f"conflicts with params.config.player.{key}; keep one"
            )
    config["player"] = {**top, **inner}
    return raw


# Types of the Params fields that the dataclass annotations do not express for the coercer.
_PARAM_HINTS: dict[str, Any] = {
    "seed": int | None,
    "torch_threads": int | str,
    "pbt": dict | None,
    "env": dict | None,
}


def _config_schema(raw: dict, parser: Parser) -> tuple[type, bool]:
    """The config dataclass of params.algo.name, and whether its keys are checked strictly."""
    algo_name = (raw.get("algo") or {}).get("name") if isinstance(raw.get("algo"), dict) else None
    if algo_name in CONFIG_SCHEMAS:
        return CONFIG_SCHEMAS[algo_name], True
    if algo_name is not None:
        parser.warn(
            "params.algo.name",
            f"'{algo_name}' has no registered config schema; config keys are not checked",
        )
    return schema.PPOConfig, False


def _parse(raw: dict, parser: Parser) -> schema.Params:
    config_cls, strict_config = _config_schema(raw, parser)
    net_raw = raw.get("network")
    net_name = net_raw.get("name") if isinstance(net_raw, dict) else None
    fields = {f.name: f for f in dataclasses.fields(schema.Params)}
    values: dict[str, Any] = {}
    for name, fld in fields.items():
        path = f"params.{name}"
        if name not in raw:
            if fld.metadata.get("required"):
                parser.problem(path, f"required block is missing ({fld.metadata['doc']})")
            continue
        value = raw[name]
        if name == "config":
            parsed = parser.parse(config_cls, value, path, strict=strict_config)
            values[name] = _parse_nested_networks(parsed, value, parser)
        elif name == "network":
            strict = net_name in STRICT_NETWORKS or net_name is None
            net = parser.parse(schema.NetworkConfig, value, path, strict=strict)
            values[name] = _network_defaults(net, value)
        elif name in ("algo", "model"):
            values[name] = parser.parse(schema.NamedConfig, value, path)
        else:
            values[name] = parser.coerce(_PARAM_HINTS.get(name, fld.type), value, path)
    for key in raw:
        if key in fields:
            continue
        if key in schema.IGNORED_KEYS["Params"]:
            parser.warn(f"params.{key}", "accepted for rl_games compatibility and ignored")
        else:
            parser._unknown(key, "params", fields)
    values.setdefault("config", config_cls())
    return schema.Params(**values)


def _network_defaults(net: schema.NetworkConfig, raw_net: Any) -> schema.NetworkConfig:
    """Defaults that depend on the builder: ``soft_actor_critic`` reads ``separate`` as True
    when the key is absent (rl_games' SAC builder), ``actor_critic`` as False."""
    given = isinstance(raw_net, dict) and "separate" in raw_net
    if net.name == "soft_actor_critic" and not given:
        return dataclasses.replace(net, separate=True)
    return net


def _parse_nested_networks(config: Any, raw_config: Any, parser: Parser) -> Any:
    """The central-value network may be a custom builder: re-parse it leniently when so."""
    cv = getattr(config, "central_value_config", None)
    if cv is None or not isinstance(raw_config, dict):
        return config
    raw_cv = raw_config.get("central_value_config") or {}
    raw_net = raw_cv.get("network") if isinstance(raw_cv, dict) else None
    if isinstance(raw_net, dict) and raw_net.get("name") not in STRICT_NETWORKS:
        # drop the strict-parse problems for this subtree and parse leniently
        prefix = "params.config.central_value_config.network."
        parser.problems[:] = [p for p in parser.problems if not p.path.startswith(prefix)]
        net = parser.parse(schema.NetworkConfig, raw_net, prefix[:-1], strict=False)
        cv = dataclasses.replace(cv, network=net)
        config = dataclasses.replace(config, central_value_config=cv)
    return config


def to_dict(obj: Any) -> Any:
    """Typed config -> plain dict (for saving the resolved config and for --check)."""
    if dataclasses.is_dataclass(obj):
        return {
            f.name: to_dict(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if f.name != "raw"
        }
    if isinstance(obj, list):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, float) and obj in (float("inf"), float("-inf")):
        return str(obj)
    return obj
