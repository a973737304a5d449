"""rl_games import path ``rl_games.common.env_configurations``.

``configurations`` is a dict-like view over :data:`rl_games.envs.registry.ENV_CONFIGURATIONS`;
``register(name, config)`` adds an env name (``config`` needs ``vecenv_type`` and may give
``env_creator`` and ``default_env_config``).
"""

from __future__ import annotations

from typing import Any

from rl_games.envs.registry import ENV_CONFIGURATIONS, register_env
from rl_games.utils.registry_view import RegistryView

configurations: RegistryView[dict[str, Any]] = RegistryView(ENV_CONFIGURATIONS, register_env)


def register(name: str, config: dict[str, Any]) -> None:
    """Register env name ``name`` (rl_games: ``configurations[name] = config``)."""
    register_env(name, config)


__all__ = ["configurations", "register"]
