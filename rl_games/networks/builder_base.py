"""Shared part of the built-in network builders (rl_games' ``load(params)`` / ``build(name, **kw)``)."""

from __future__ import annotations

from typing import Any

from torch import nn

from rl_games.config.schema import NetworkConfig


class TypedNetworkBuilder:
    """``load`` takes the typed network block, or a raw dict (validated into one, as rl_games
    callers pass dicts); subclasses set ``Network`` and may extend ``build``."""

    Network: type[nn.Module]

    def __init__(self, **kwargs: Any) -> None:
        self.params: NetworkConfig | None = None

    def load(self, params: NetworkConfig | dict) -> None:
        if isinstance(params, dict):
            from rl_games.config.errors import ConfigError
            from rl_games.config.loader import Parser

            parser = Parser()
            params = parser.parse(NetworkConfig, params, "network")
            if parser.problems:
                raise ConfigError(parser.problems, "network")
        self.params = params

    def build(self, name: str, **kwargs: Any) -> nn.Module:
        assert self.params is not None, "call load(params) before build()"
        return self.Network(self.params, **kwargs)

    def __call__(self, name: str, **kwargs: Any) -> nn.Module:
        return self.build(name, **kwargs)
