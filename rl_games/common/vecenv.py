"""rl_games import path ``rl_games.common.vecenv``.

``vecenv_config`` is a dict-like view over :data:`rl_games.envs.registry.VECENV_TYPES`;
``register(config_name, func)`` adds a vecenv type built as
``func(config_name, num_actors, **env_config) -> IVecEnv``.
"""

from __future__ import annotations

from rl_games.envs.base import IVecEnv
from rl_games.envs.registry import (
    VECENV_TYPES,
    VecEnvFactory,
    create_vec_env,
    register_vecenv,
)
from rl_games.utils.registry_view import RegistryView

vecenv_config: RegistryView[VecEnvFactory] = RegistryView(VECENV_TYPES, register_vecenv)


def register(config_name: str, func: VecEnvFactory) -> None:
    """Register vecenv type ``config_name`` (rl_games: ``vecenv_config[config_name] = func``)."""
    register_vecenv(config_name, func)


__all__ = ["IVecEnv", "create_vec_env", "register", "vecenv_config"]
