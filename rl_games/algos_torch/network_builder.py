"""rl_games import path ``rl_games.algos_torch.network_builder``.

``NetworkBuilder`` is the base class of network builders (``load(params)`` then
``build(name, **kwargs) -> nn.Module``); register a subclass with
:func:`rl_games.algos_torch.model_builder.register_network`. ``A2CBuilder`` is the built-in
``actor_critic`` builder.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from rl_games.networks.actor_critic import A2CBuilder


class NetworkBuilder:
    """Base network builder. ``load`` receives the ``network`` block as written in the YAML."""

    class BaseNetwork(nn.Module):
        """Defaults of the network API the model wrappers call."""

        def is_rnn(self) -> bool:
            return False

        def is_separate_critic(self) -> bool:
            return False

        def get_default_rnn_state(self) -> Any:
            return None

        def get_aux_loss(self) -> Any:
            return None

    def __init__(self, **kwargs: Any) -> None:
        self.params: dict[str, Any] = {}

    def load(self, params: dict[str, Any]) -> None:
        self.params = params

    def build(self, name: str, **kwargs: Any) -> nn.Module:
        raise NotImplementedError(f"{type(self).__name__} must implement build(name, **kwargs)")

    def __call__(self, name: str, **kwargs: Any) -> nn.Module:
        return self.build(name, **kwargs)


__all__ = ["A2CBuilder", "NetworkBuilder"]
