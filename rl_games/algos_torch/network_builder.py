"""rl_games import path ``rl_games.algos_torch.network_builder``.

``NetworkBuilder`` (with its inner ``BaseNetwork``) is the base of network builders; ``A2CBuilder``
(inner ``A2CBuilder.Network``) is the built-in ``actor_critic`` builder that user builders
subclass. Register a builder with :func:`rl_games.algos_torch.model_builder.register_network`;
its ``load(params)`` and its network's ``__init__(params, **kwargs)`` get the ``network:`` block
as a plain dict. See :mod:`rl_games.networks.builder_base` for ``extra_keys`` (key checking).
"""

from __future__ import annotations

from rl_games.networks.actor_critic import A2CBuilder
from rl_games.networks.builder_base import NetworkBuilder
from rl_games.networks.resnet import A2CResnetBuilder
from rl_games.networks.sac import SACBuilder

__all__ = ["A2CBuilder", "A2CResnetBuilder", "NetworkBuilder", "SACBuilder"]
