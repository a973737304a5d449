"""YAML -> typed config: coercion, unknown-key detection with suggestions, all problems at once."""

from __future__ import annotations

import copy
import dataclasses
import difflib
import logging
import re
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Union

import yaml

from rl_games.config import schema, yaml_safe
from rl_games.config.errors import ConfigError, Problem

log = logging.getLogger(__name__)

NONE_STRINGS = {"None", "none", "null", "Null", "NULL", "~", ""}
STRICT_NETWORKS = {"actor_critic", "resnet_actor_critic", "soft_actor_critic"}
_DISABLED_COPY = re.compile(r"^(?P<base>[A-Za-z_]+?)_?\d+$")
_TEXT = (str, bytes, bytearray)


def is_sequence(value: Any) -> bool:
    """A list-like config value: any ``Sequence`` but text (OmegaConf ``ListConfig``, tuples)."""
    return isinstance(value, Sequence) and not isinstance(value, _TEXT)


def plain_containers(value: Any) -> Any:
    """``value`` with every ``Mapping`` made a ``dict`` and every list-like ``Sequence`` a
    ``list``, recursively. Tuples and any other object are returned as they are (env objects,
    callables, tensors; gymnasium ``Dict`` / ``Tuple`` spaces, which are a Mapping / Sequence).
    Client code hands over OmegaConf ``DictConfig`` / ``ListConfig`` (IsaacGymEnvs'
    ``omegaconf_to_dict`` leaves nested lists as ``ListConfig``)."""
    if isinstance(value, tuple) or _is_space(value):
        return value
    if isinstance(value, Mapping):
        return {k: plain_containers(v) for k, v in value.items()}
    if is_sequence(value):
        return [plain_containers(v) for v in value]
    return value


def _is_space(value: Any) -> bool:
    """A gym / gymnasium space (duck-typed: ``sample`` and ``contains``), kept as an object."""
    return callable(getattr(value, "sample", None)) and callable(getattr(value, "contains", None))


class Parser:
    """Walks a raw dict against a dataclass schema, collecting problems and warnings."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        # Values that could not be read (wrong type or shape); cross-field checks need none.
        self.bad_values = 0

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(f"{path}: {message}")

    # ---------------------------------------------------------------- dataclasses
    def parse(self, cls: type, data: Any, path: str, *, strict: bool = True) -> Any:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            self._bad(path, "a mapping", data)
            return cls()
        data = plain_containers(data)
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "raw"}
        data = self._legacy_keys(cls, dict(data), path, fields)
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in fields:
                if strict:
                    self._unknown(key, path, fields)
                continue
            if value is None and cls is schema.SpaceConfig:
                value = {}  # `discrete:` with no sub-keys: presence selects the block
            values[key] = self.coerce(hints[key], value, f"{path}.{key}", fields[key])
        for name, fld in fields.items():
            if fld.metadata.get("required") and data.get(name) is None:
                self.problem(f"{path}.{name}", f"required key is missing ({fld.metadata['doc']})")
        if "raw" in {f.name for f in dataclasses.fields(cls)}:
            values["raw"] = copy.deepcopy(data)
        return cls(**values)

    def _legacy_keys(self, cls: type, data: dict, path: str, fields: dict) -> dict:
        for old, new in schema.RENAMED_KEYS.get(cls.__name__, {}).items():
            if old in data:
                self.warn(f"{path}.{old}", f"renamed key, read as '{new}'")
                value = data.pop(old)
                data.setdefault(new, value)
        for old, hint in schema.IGNORED_WITH_HINT.get(cls.__name__, {}).items():
            if old in data:
                self.warn(f"{path}.{old}", hint)
                data.pop(old)
        for old, reason in schema.IGNORED_KEYS.get(cls.__name__, {}).items():
            if old in data:
                self.warn(f"{path}.{old}", f"{reason}; ignored")
                data.pop(old)
        for key in list(data):
            match = _DISABLED_COPY.match(str(key))
            if key not in fields and match and match.group("base") in fields:
                self.warn(
                    f"{path}.{key}",
                    f"looks like a disabled copy of '{match.group('base')}'; ignored",
                )
                data.pop(key)
        return data

    def _unknown(self, key: Any, path: str, fields: dict) -> None:
        hint = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
        suffix = f" (did you mean '{hint[0]}'?)" if hint else ""
        self.problem(f"{path}.{key}", f"unknown key{suffix}")

    # ---------------------------------------------------------------- values
    def coerce(self, tp: Any, value: Any, path: str, fld: dataclasses.Field | None = None) -> Any:
        origin = typing.get_origin(tp)
        if origin in (Union, types.UnionType):
            return self._union(typing.get_args(tp), value, path)
        if value is None and fld is not None and fld.default == "None":
            return "None"  # activation fields: YAML null means identity
        if dataclasses.is_dataclass(tp):
            return self.parse(tp, value, path)
        if origin is list:
            return self._list(typing.get_args(tp)[0], value, path)
        if origin is dict or tp is dict:
            if value is None:
                return {}
            if not isinstance(value, Mapping):
                return self._bad(path, "a mapping", value)
            return copy.deepcopy(plain_containers(value))
        if tp is Any:
            return value
        return self._scalar(tp, value, path)

    def _union(self, args: tuple, value: Any, path: str) -> Any:
        non_none = [a for a in args if a is not type(None)]
        if type(None) in args and (
            value is None or (isinstance(value, str) and value in NONE_STRINGS)
        ):
            if not (str in non_none and isinstance(value, str) and value not in NONE_STRINGS):
                return None
        for a in non_none:  # an exact type match first (bool before int, ...)
            if _matches(a, value):
                return self.coerce(a, value, path)
        for a in non_none:
            sub = Parser()
            out = sub.coerce(a, value, path)
            if not sub.problems:
                self.warnings.extend(sub.warnings)
                return out
        names = " or ".join(_type_name(a) for a in args)
        return self._bad(path, names, value)

    def _list(self, item_tp: Any, value: Any, path: str) -> Any:
        if not is_sequence(value):
            return self._bad(path, f"a list of {_type_name(item_tp)}", value)
        return [self.coerce(item_tp, v, f"{path}[{i}]") for i, v in enumerate(list(value))]

    def _scalar(self, tp: Any, value: Any, path: str) -> Any:
        if tp is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            return self._bad(path, "bool (true/false)", value)
        if tp is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            number = _as_float(value)
            if number is not None and float(number).is_integer():
                return int(number)
            return self._bad(path, "int", value)
        if tp is float:
            number = _as_float(value)
            if number is not None:
                return number
            return self._bad(path, "float (e.g. 3e-4)", value)
        if tp is str:
            if isinstance(value, str):
                return value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
            return self._bad(path, "str", value)
        return value

    def _bad(self, path: str, expected: str, value: Any) -> None:
        self.bad_values += 1
        self.problem(path, f"expected {expected}, got {type(value).__name__} {value!r}")
        return None


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _matches(tp: Any, value: Any) -> bool:
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, float)
    if tp is str:
        return isinstance(value, str)
    origin = typing.get_origin(tp) or tp
    if origin is dict or dataclasses.is_dataclass(tp):
        return isinstance(value, Mapping)
    if origin is list:
        return is_sequence(value)
    return False


def _type_name(tp: Any) -> str:
    if tp is type(None):
        return "null"
    return getattr(tp, "__name__", str(tp))


# -------------------------------------------------------------------- public API
def load_yaml(path: str | Path) -> dict:
    """Read a YAML config file within the limits of :mod:`rl_games.config.yaml_safe` (size, alias
    expansion, depth, UTF-8, one top-level ``params``); errors become a ConfigError naming the
    file, one line each."""
    path = Path(path)
    try:
        text = yaml_safe.read_text(path)
    except OSError as exc:
        raise ConfigError(
            [Problem(str(path), f"cannot read file: {exc.strerror or exc}")], str(path)
        ) from None
    except ValueError as exc:
        raise ConfigError([Problem(str(path), str(exc))], str(path)) from None
    try:
        doc, duplicates = yaml_safe.safe_load(text)
    except yaml.YAMLError as exc:
        what = "refused" if isinstance(exc, yaml_safe.YamlLimitError) else "invalid YAML"
        problem = Problem(str(path), f"{what}: {yaml_safe.one_line(exc)}")
        raise ConfigError([problem], str(path)) from None
    for warning in duplicates:
        log.warning("%s: %s (as in rl_games)", path, warning)
    if not isinstance(doc, dict):
        raise ConfigError(
            [Problem(str(path), "expected a mapping with a 'params' block")], str(path)
        )
    return doc


def apply_overrides(doc: dict, overrides: list[str]) -> dict:
    """Apply ``path=value`` overrides (path relative to ``params``; value parsed as YAML)."""
    doc = copy.deepcopy(plain_containers(doc))
    problems = []
    for item in overrides:
        key, sep, text = item.partition("=")
        parts = [p for p in key.strip().split(".") if p]
        if not sep or not parts:
            problems.append(
                Problem(f"--set {item}", "expected path=value, e.g. config.learning_rate=1e-3")
            )
            continue
        try:
            value = _override_value(text)
        except (yaml.YAMLError, ValueError) as exc:
            reason = yaml_safe.one_line(exc) if isinstance(exc, yaml.YAMLError) else exc
            shown = item if len(item) <= 80 else f"{key}=..."
            problems.append(Problem(f"--set {shown}", f"the value is not valid YAML ({reason})"))
            continue
        if parts[0] != "params":
            parts.insert(0, "params")
        node = doc
        for p in parts[:-1]:
            if not isinstance(node.get(p), dict):
                node[p] = {}
            node = node[p]
        node[parts[-1]] = value
    if problems:
        raise ConfigError(problems, "overrides")
    return doc


def _override_value(text: str) -> Any:
    """A ``--set`` value parsed as YAML, bounded like a config file (size, aliases, depth)."""
    if not text.strip():
        return None
    if len(text.encode()) > yaml_safe.MAX_FILE_BYTES:
        raise ValueError(f"longer than {yaml_safe.MAX_FILE_BYTES // 1024} KiB")
    return yaml_safe.safe_load(text)[0]
