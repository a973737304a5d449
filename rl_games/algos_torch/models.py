"""rl_games import path ``rl_games.algos_torch.models``: the model wrappers.

Each model has an inner ``Network`` (``ModelA2CContinuousLogStd.Network``) built as
``Network(a2c_network, obs_shape=, normalize_value=, normalize_input=, value_size=)``; subclass
both as rl_games code does and register with
:func:`rl_games.algos_torch.model_builder.register_model`.
"""

from __future__ import annotations

from rl_games.networks.models import (
    BaseModel,
    BaseModelNetwork,
    ModelA2C,
    ModelA2CContinuous,
    ModelA2CContinuousLogStd,
    ModelA2CMultiDiscrete,
    ModelCentralValue,
)
from rl_games.networks.sac import ModelSACContinuous

__all__ = [
    "BaseModel",
    "BaseModelNetwork",
    "ModelA2C",
    "ModelA2CContinuous",
    "ModelA2CContinuousLogStd",
    "ModelA2CMultiDiscrete",
    "ModelCentralValue",
    "ModelSACContinuous",
]
