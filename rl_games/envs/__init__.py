"""Environments: the ``IVecEnv`` interface, the env registry, envpool / gymnasium / torch vecenvs.

Importing this package registers the built-in env names and vecenv types (the table in
:mod:`rl_games.envs.catalog`); their backends (envpool, gymnasium, the torch envs) are imported
only when an env is built. ``wrap_env`` (an env object the user already has -> ``IVecEnv``) is
loaded on first access. ``EnvTensorAdapter`` (old name ``TorchVecEnv``) presents any ``IVecEnv``
to the trainer as torch tensors on the training device.
"""

from typing import Any

from rl_games.envs.adapter import EnvTensorAdapter, TorchVecEnv
from rl_games.envs.base import EnvCreationError, IVecEnv, make_env_info
from rl_games.envs.catalog import register_builtins
from rl_games.envs.registry import (
    ENV_CONFIGURATIONS,
    VECENV_TYPES,
    create_vec_env,
    env_status,
    register_env,
    register_vecenv,
)

register_builtins()

__all__ = [
    "ENV_CONFIGURATIONS",
    "VECENV_TYPES",
    "EnvCreationError",
    "EnvTensorAdapter",
    "IVecEnv",
    "TorchVecEnv",
    "create_vec_env",
    "env_status",
    "make_env_info",
    "register_env",
    "register_vecenv",
    "wrap_env",
]


def __getattr__(name: str) -> Any:
    if name == "wrap_env":  # lazy: rl_games.envs.wrap imports gymnasium
        from rl_games.envs.wrap import wrap_env

        return wrap_env
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
