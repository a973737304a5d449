"""The registries users extend: algorithms, players, models and network builders.

Built-in entries are registered lazily (importing this module imports no algorithm code).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rl_games.registry import Registry
from rl_games.utils.imports import lazy_callable, resolve_lazy

ALGORITHMS: Registry[Callable[..., Any]] = Registry("algorithm")
PLAYERS: Registry[Callable[..., Any]] = Registry("player")
MODELS: Registry[Callable[..., Any]] = Registry("model")
NETWORKS: Registry[Callable[..., Any]] = Registry("network builder")


def _lazy(path: str) -> Callable[..., Any]:
    """A factory that imports ``module:attr`` on first call (``lazy_target`` holds the spec)."""
    return lazy_callable(path)


def resolve_entry(entry: Any) -> Any:
    """The class behind a registry entry: a lazy built-in factory is imported, anything else is
    returned as registered (a user class or factory function)."""
    return resolve_lazy(entry)


ALGORITHMS.register("a2c_continuous", _lazy("rl_games.algos.ppo.agent:PPOAgent"))
ALGORITHMS.register("a2c_discrete", _lazy("rl_games.algos.ppo.agent:PPOAgent"))
ALGORITHMS.register("sac", _lazy("rl_games.algos.sac.agent:SACAgent"))
PLAYERS.register("a2c_continuous", _lazy("rl_games.training.player:PpoPlayerContinuous"))
PLAYERS.register("a2c_discrete", _lazy("rl_games.training.player:PpoPlayerDiscrete"))
PLAYERS.register("sac", _lazy("rl_games.training.sac_player:SACPlayer"))

MODELS.register("continuous_a2c_logstd", _lazy("rl_games.networks.models:ModelA2CContinuousLogStd"))
MODELS.register("continuous_a2c", _lazy("rl_games.networks.models:ModelA2CContinuous"))
MODELS.register("discrete_a2c", _lazy("rl_games.networks.models:ModelA2C"))
MODELS.register("multi_discrete_a2c", _lazy("rl_games.networks.models:ModelA2CMultiDiscrete"))
MODELS.register("central_value", _lazy("rl_games.networks.models:ModelCentralValue"))
MODELS.register("soft_actor_critic", _lazy("rl_games.networks.sac:ModelSACContinuous"))

NETWORKS.register("actor_critic", _lazy("rl_games.networks.actor_critic:A2CBuilder"))
NETWORKS.register("resnet_actor_critic", _lazy("rl_games.networks.resnet:A2CResnetBuilder"))
NETWORKS.register("soft_actor_critic", _lazy("rl_games.networks.sac:SACBuilder"))


def build_network_builder(network_cfg: Any) -> Any:
    """Instantiate the network builder named in the config and ``load`` its settings.

    Built-in builders take the typed block; custom (user-registered) ones get the raw dict,
    exactly as rl_games passes it.
    """
    builder = NETWORKS.get(network_cfg.name)()
    from rl_games.config.loader import STRICT_NETWORKS

    builder.load(network_cfg if network_cfg.name in STRICT_NETWORKS else network_cfg.raw)
    return builder


def build_model(params: Any, spec: Any) -> Any:
    """``MODELS[model.name](network_builder).build(config)`` -> nn.Module, for ``params.network``.
    ``spec``: a :class:`rl_games.config.plan.ModelSpec` or its dict view (rl_games' build config,
    which an AMP-style ``_build_net_config`` extends with its own keys)."""
    return build_model_for(params.network, params.model.name, spec)


def build_model_for(network_cfg: Any, model_name: str, spec: Any) -> Any:
    """The one model build: the network builder of ``network_cfg`` wrapped in
    ``MODELS[model_name]``, built with ``spec`` (a ``ModelSpec`` or rl_games' build dict)."""
    as_dict = getattr(spec, "as_dict", None)
    config = as_dict() if callable(as_dict) else spec
    model = MODELS.get(model_name)(build_network_builder(network_cfg))
    return model.build(config)
