"""rl_games import path ``rl_games.common.ivecenv``."""

from rl_games.envs.base import IVecEnv

__all__ = ["IVecEnv"]
