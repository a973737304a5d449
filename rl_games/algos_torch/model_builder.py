"""rl_games import path ``rl_games.algos_torch.model_builder`` (implementation:
``rl_games.networks.registration``)."""

from rl_games.networks.registration import (
    ModelBuilder,
    NetworkBuilder,
    register_model,
    register_network,
)

__all__ = ["ModelBuilder", "NetworkBuilder", "register_model", "register_network"]
