"""rl_games import path: ``from rl_games.torch_runner import Runner``."""

from rl_games.runner import Runner

__all__ = ["Runner"]
