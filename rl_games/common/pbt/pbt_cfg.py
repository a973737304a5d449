"""rl_games import path: ``PbtCfg`` is our typed ``params.pbt`` block
(:class:`rl_games.config.schema.PbtConfig`, frozen; same keys as rl_games 2.0 and more)."""

from rl_games.config.schema import PbtConfig as PbtCfg

__all__ = ["PbtCfg"]
