"""Typed configuration: schema (defaults), loader (YAML -> typed), validation."""

from rl_games.config.build import CONFIG_SCHEMAS, LoadedConfig, parse_params, to_dict
from rl_games.config.errors import ConfigError, Problem
from rl_games.config.loader import apply_overrides, load_yaml
from rl_games.config.schema import (
    CentralValueConfig,
    CommonConfig,
    NetworkConfig,
    Params,
    PlayerConfig,
    PPOConfig,
    SACConfig,
)

__all__ = [
    "CONFIG_SCHEMAS",
    "CentralValueConfig",
    "CommonConfig",
    "ConfigError",
    "LoadedConfig",
    "NetworkConfig",
    "PPOConfig",
    "Params",
    "PlayerConfig",
    "Problem",
    "SACConfig",
    "apply_overrides",
    "load_yaml",
    "parse_params",
    "to_dict",
]
