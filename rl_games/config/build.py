"""Top-level parse: pick the algorithm's schema, parse every block, validate, report all at once."""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from rl_games.config import schema
from rl_games.config.errors import ConfigError, Problem
from rl_games.config.fields import to_dict  # noqa: F401  (re-exported: config.build.to_dict)
from rl_games.config.loader import STRICT_NETWORKS, Parser, plain_containers
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
    # Problems only training has (batch / minibatch geometry, ...), set apart by
    # ``parse_params(defer_training=True)``: an error for training, a warning for play / export.
    training_problems: list[Problem] = dataclasses.field(default_factory=list)
    source: str = "config"

    def training_error(self) -> ConfigError | None:
        """The training-only problems as one error (None when there are none)."""
        if not self.training_problems:
            return None
        return ConfigError(self.training_problems, self.source)


def parse_params(
    doc: dict,
    source: str = "config",
    num_agents: int | None = 1,
    defer_training: bool = False,
) -> LoadedConfig:
    """Parse a whole YAML document (``{'params': {...}}``) into typed objects.

    ``num_agents``: agents per env if known (None: unknown, batch checks only warn).
    Raises ConfigError listing every problem found. ``defer_training``: problems only training
    has go to ``LoadedConfig.training_problems`` instead, unless other problems are raised
    anyway (then they are listed too).
    """
    doc = plain_containers(doc)  # OmegaConf DictConfig / ListConfig at any level -> dict / list
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
    training = Parser() if defer_training else None
    if not parser.bad_values:
        # Unknown and missing keys leave every parsed value well-typed, so the cross-field checks
        # still run and all problems come out together; values that failed to parse would make
        # them report nonsense, so they wait until those are fixed.
        validate(params, parser, num_agents, training)
    deferred = training.problems if training is not None else []
    warnings = parser.warnings + (training.warnings if training is not None else [])
    for w in warnings:
        log.warning("%s: %s", source, w)
    if parser.problems:
        raise ConfigError(parser.problems + deferred, source)
    return LoadedConfig(
        params=params, warnings=warnings, raw=raw, training_problems=deferred, source=source
    )


def typed_params(params: Any, training: bool) -> schema.Params:
    """Our typed ``Params`` as they are, or rl_games' raw ``params`` block (what rl_games passes
    to ``A2CAgent(base_name, params)`` / ``PpoPlayerContinuous(params)``) parsed once. The env's
    agent count is not known here (the agent checks the batch again with it); for play
    (``training=False``) problems only training has are logged, not raised."""
    if isinstance(params, schema.Params):
        return params
    if not isinstance(params, Mapping):
        raise TypeError(f"expected Params or a params dict, got {type(params).__name__}")
    source = "params" if training else "player params"
    loaded = parse_params({"params": params}, source, num_agents=None, defer_training=not training)
    for problem in loaded.training_problems:
        log.warning("%s (training only; ignored for play)", problem)
    return loaded.params


def _merge_top_level_player(raw: dict, parser: Parser) -> dict:
    """Accept ``params.player`` as well as rl_games' ``params.config.player``."""
    top = raw.pop("player", None)
    if top is None:
        return raw
    config = raw.setdefault("config", {}) or {}
    raw["config"] = config
    inner = (config.get("player") if isinstance(config, dict) else None) or {}
    if not isinstance(top, dict) or not isinstance(inner, dict) or not isinstance(config, dict):
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
    "pbt": schema.PbtConfig | None,
    "env": dict | None,
}


def _config_schema(raw: dict, parser: Parser) -> tuple[type, bool]:
    """The config dataclass of params.algo.name, and whether its keys are checked strictly."""
    algo_name = (raw.get("algo") or {}).get("name") if isinstance(raw.get("algo"), dict) else None
    if not isinstance(algo_name, str):
        algo_name = None  # a wrong type is reported by the params.algo parse
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
            values[name] = _network_defaults(_parse_network(value, path, parser), value)
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


def _parse_network(value: Any, path: str, parser: Parser) -> schema.NetworkConfig:
    """A ``network`` block. The built-in builders' blocks are checked strictly. A registered
    user builder owns its block: keys we do not know pass through to it (in sub-blocks too), and
    values of our keys that do not parse are warnings (the builder gets the block as written),
    unless the builder declares ``extra_keys`` (then the block is checked like ours)."""
    name = value.get("name") if isinstance(value, dict) else None
    if not isinstance(name, str) or name in STRICT_NETWORKS:  # a wrong type: reported strictly
        return parser.parse(schema.NetworkConfig, value, path)
    extra = _declared_network_keys(name)
    if extra is not None:
        return _parse_declared_network(value, path, parser, extra)
    sub = Parser()
    net = sub.parse(schema.NetworkConfig, value, path, strict=False)
    parser.warnings.extend(sub.warnings)
    for problem in sub.problems:
        if not problem.message.startswith("unknown key"):
            parser.warn(problem.path, f"{problem.message} (network builder '{name}' reads it)")
    return net


def _declared_network_keys(name: str) -> Any:
    """The ``extra_keys`` of the builder registered as ``name`` (None: not declared)."""
    from rl_games.builders import NETWORKS

    if name not in NETWORKS:
        return None
    entry = NETWORKS.get(name)
    cls = getattr(entry, "builder_class", entry)
    return getattr(cls, "extra_keys", None) if isinstance(cls, type) else None


def _parse_declared_network(value: dict, path: str, parser: Parser, spec: Any) -> Any:
    """Our keys strictly, plus the builder's ``extra_keys`` (type-checked when a dataclass)."""
    from rl_games.networks.builder_base import declared_keys

    keys = declared_keys(spec) or set()
    known = {f.name: f for f in dataclasses.fields(schema.NetworkConfig) if f.name != "raw"}
    for key in value:
        if key not in known and key not in keys:
            parser._unknown(key, path, {**known, **dict.fromkeys(keys)})
    ours = {k: v for k, v in value.items() if k not in keys}
    net = parser.parse(schema.NetworkConfig, ours, path, strict=False)
    if dataclasses.is_dataclass(spec):
        try:
            parser.parse(spec, {k: v for k, v in value.items() if k in keys}, path)
        except TypeError as exc:  # a field without a default is missing
            parser.problem(path, f"network builder '{value['name']}': {exc}")
    return dataclasses.replace(net, raw=copy.deepcopy(value))


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
    name = raw_net.get("name") if isinstance(raw_net, dict) else None
    if isinstance(name, str) and name not in STRICT_NETWORKS:
        # drop the strict-parse problems for this subtree and parse leniently
        prefix = "params.config.central_value_config.network."
        parser.problems[:] = [p for p in parser.problems if not p.path.startswith(prefix)]
        net = _parse_network(raw_net, prefix[:-1], parser)
        cv = dataclasses.replace(cv, network=net)
        config = dataclasses.replace(config, central_value_config=cv)
    return config
