"""A ``dict``-like view over a :class:`~rl_games.registry.Registry`.

rl_games exposes its registries as plain module-level dicts (``env_configurations.configurations``,
``vecenv.vecenv_config``); code written against it reads and writes them directly. The view keeps
that working while every entry lives in our single registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, TypeVar

from rl_games.registry import Registry

T = TypeVar("T")


class RegistryView(MutableMapping[str, T]):
    """``name in view``, ``view[name]``, ``.keys()``, ``.get()``, ``view[name] = entry``, ``del``.

    Writes go through ``setter`` (the registry's validating ``register`` function); a missing name
    raises :class:`~rl_games.registry.RegistryError`, a ``KeyError`` that lists the valid names.
    """

    def __init__(self, registry: Registry[T], setter: Callable[[str, T], Any]) -> None:
        self._registry = registry
        self._setter = setter

    def __getitem__(self, name: str) -> T:
        return self._registry.get(name)

    def __setitem__(self, name: str, entry: T) -> None:
        self._setter(name, entry)

    def __delitem__(self, name: str) -> None:
        if name not in self._registry:
            raise KeyError(name)
        self._registry.unregister(name)

    def __contains__(self, name: object) -> bool:
        return name in self._registry

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._registry))  # a snapshot: callers may register while iterating

    def __len__(self) -> int:
        return len(self._registry)

    def __repr__(self) -> str:
        return f"<{self._registry.kind} registry: {', '.join(self._registry.names())}>"
