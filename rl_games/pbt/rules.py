"""The ``pbt.mutation`` block: which config paths are mutated, by which function.

Keys are config paths relative to ``params`` (what ``--set`` takes: ``config.learning_rate``).
The spellings of rl_games 2.0 (``agent.params.config.learning_rate``), IsaacGymEnvs
(``train.params.config.learning_rate``) and ``params.config.learning_rate`` name the same key.
A ``--set pbt.mutation.config.gamma=mutate_discount`` arrives nested; it is flattened here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["PREFIXES", "config_path", "get_path", "mutation_rules"]

#: leading parts dropped from a mutation key (rl_games 2.0, IsaacGymEnvs, the YAML's own root)
PREFIXES = ("agent.params.", "train.params.", "params.")


def config_path(key: str) -> str:
    """``agent.params.config.gamma`` -> ``config.gamma`` (the ``--set`` path)."""
    for prefix in PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


def _flatten(rules: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in rules.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


def mutation_rules(mutation: Mapping[str, Any]) -> dict[str, Any]:
    """``{config path: function name}`` from the ``pbt.mutation`` block as written."""
    return {config_path(k): v for k, v in _flatten(mutation).items()}


def get_path(doc: Mapping[str, Any], path: str) -> Any:
    """``doc['config']['gamma']`` for ``config.gamma``; KeyError when a part is missing."""
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(path)
        node = node[part]
    return node
