"""rl_games import path ``rl_games.common.object_factory``: ``ObjectFactory`` (rl_games'
``register_builder`` / ``create``) is our :class:`rl_games.registry.Registry`."""

from __future__ import annotations

from rl_games.registry import Registry


class ObjectFactory(Registry):
    """A registry of builders; ``ObjectFactory()`` takes no arguments, as rl_games'."""

    def __init__(self, kind: str = "builder") -> None:
        super().__init__(kind)


__all__ = ["ObjectFactory"]
