"""Registering and loading network builders and models by name (rl_games' ``model_builder`` API).

``register_network`` / ``register_model`` add entries to :data:`rl_games.builders.NETWORKS` and
:data:`rl_games.builders.MODELS`, with the call conventions rl_games uses: a network builder class
is instantiated without arguments, a model class with the loaded network builder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rl_games.builders import MODELS, NETWORKS


def register_network(name: str, target_class: Callable[[], Any]) -> None:
    """Make ``network: {name: <name>}`` build ``target_class()`` (then ``.load(params)``).

    ``target_class``: a builder class, or a factory (``lambda **kwargs: MyBuilder()``). With a
    class, its ``extra_keys`` (if set) make the config loader check the block's keys.
    """

    def factory(**kwargs: Any) -> Any:
        return target_class()

    if isinstance(target_class, type):
        factory.builder_class = target_class  # type: ignore[attr-defined]
    NETWORKS.register(name, factory)


def register_model(name: str, target_class: Callable[[Any], Any]) -> None:
    """Make ``model: {name: <name>}`` build ``target_class(network_builder)``: a model class or
    a factory (``lambda network, **kwargs: MyModel(network)``)."""

    def factory(network: Any, **kwargs: Any) -> Any:
        return target_class(network)

    MODELS.register(name, factory)


class NetworkBuilder:
    """``load(network_params)`` -> the registered network builder, loaded with the params."""

    network_factory = NETWORKS  # rl_games' ObjectFactory API: register_builder / create

    def load(self, params: Mapping[str, Any]) -> Any:
        builder = NETWORKS.get(params["name"])()
        builder.load(dict(params))
        return builder


class ModelBuilder:
    """``load(params)`` -> the registered model wrapping its loaded network builder.

    ``params`` is rl_games' ``params`` block (``model.name`` and the ``network`` block are read).
    """

    model_factory = MODELS  # rl_games' ObjectFactory API: register_builder / create

    def __init__(self) -> None:
        self.network_builder = NetworkBuilder()

    def get_network_builder(self) -> NetworkBuilder:
        return self.network_builder

    def load(self, params: Mapping[str, Any]) -> Any:
        network = self.network_builder.load(params["network"])
        return MODELS.get(params["model"]["name"])(network)


__all__ = ["ModelBuilder", "NetworkBuilder", "register_model", "register_network"]
