"""One registry type for every pluggable kind (algorithms, players, models, networks, envs...)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class RegistryError(KeyError):
    """Raised when a name is missing from a registry; the message lists the valid names."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain.
        return str(self.args[0]) if self.args else ""


class Registry(Generic[T]):
    """A named mapping of entries with helpful errors.

    ``kind`` is a human name used in messages, e.g. ``"algorithm"`` or ``"env name"``.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T, *, overwrite: bool = True) -> T:
        if not overwrite and name in self._entries:
            raise ValueError(f"{self.kind} '{name}' is already registered")
        self._entries[name] = entry
        return entry

    def register_builder(self, name: str, builder: T) -> T:
        """rl_games' ``ObjectFactory.register_builder``: the same as ``register``."""
        return self.register(name, builder)

    def create(self, name: str, **kwargs: object) -> object:
        """rl_games' ``ObjectFactory.create``: call the entry registered as ``name``."""
        builder = self.get(name)
        if not callable(builder):
            raise TypeError(f"{self.kind} '{name}' is registered as a non-callable {builder!r}")
        return builder(**kwargs)

    def decorator(self, name: str) -> Callable[[T], T]:
        """``@registry.decorator('name')`` registers the decorated object."""

        def wrap(entry: T) -> T:
            return self.register(name, entry)

        return wrap

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise RegistryError(self.missing_message(name)) from None

    def missing_message(self, name: str) -> str:
        valid = sorted(self._entries)
        hint = difflib.get_close_matches(str(name), valid, n=1)
        did_you_mean = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"unknown {self.kind} '{name}'{did_you_mean}; registered {self.kind}s: " + ", ".join(
            valid
        )

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)
