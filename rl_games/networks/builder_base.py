"""Network builder base classes (rl_games' ``load(params)`` / ``build(name, **kwargs)``).

``NetworkBuilder`` is what user builders subclass (through ``A2CBuilder`` usually). A builder owns
its ``network:`` block: keys the runner does not know pass through to it unchecked, as in rl_games.
To have the block checked like the built-in builders', a builder names its own keys in
``extra_keys``: a dataclass (its fields are the extra keys, their values are type-checked) or a
set of key names. The block may then hold ``actor_critic``'s keys plus those; anything else is an
``unknown key`` problem at config load::

    @dataclasses.dataclass(frozen=True)
    class DiscKeys:
        disc: dict = dataclasses.field(default_factory=dict)

    class AMPBuilder(A2CBuilder):
        extra_keys = DiscKeys
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from torch import nn

from rl_games.config.schema import NetworkConfig
from rl_games.networks.base_network import BaseNetwork


def declared_keys(spec: Any) -> set[str] | None:
    """The key names of an ``extra_keys`` declaration (None: undeclared, the block is the
    builder's own)."""
    if spec is None:
        return None
    if dataclasses.is_dataclass(spec):
        return {f.name for f in dataclasses.fields(spec)}
    return {str(k) for k in spec}


def as_network_config(params: NetworkConfig | dict[str, Any], strict: bool) -> NetworkConfig:
    """The typed block of a network. A plain dict (what rl_games passes) is parsed once;
    ``strict``: unknown keys are problems (the built-in networks), else they belong to the user
    subclass and are skipped. Values of the keys we read must parse either way."""
    if isinstance(params, NetworkConfig):
        return params
    from rl_games.config.errors import ConfigError
    from rl_games.config.loader import Parser

    parser = Parser()
    cfg = parser.parse(NetworkConfig, dict(params), "network", strict=strict)
    problems = parser.problems
    if not strict:
        problems = [p for p in problems if not p.message.startswith("unknown key")]
    if problems:
        raise ConfigError(problems, "network")
    return cfg


class NetworkBuilder:
    """Base network builder: ``load(params)`` keeps the ``network`` block (a plain dict for user
    builders), ``build(name, **kwargs)`` returns the raw network (``nn.Module``)."""

    BaseNetwork = BaseNetwork
    # keys this builder adds to the ``network:`` block (see the module docstring); None: unchecked
    extra_keys: ClassVar[Any] = None

    def __init__(self, **kwargs: Any) -> None:
        self.params: Any = {}

    def load(self, params: Any) -> None:
        self.params = params

    def build(self, name: str, **kwargs: Any) -> nn.Module:
        raise NotImplementedError(f"{type(self).__name__} must implement build(name, **kwargs)")

    def __call__(self, name: str, **kwargs: Any) -> nn.Module:
        return self.build(name, **kwargs)
