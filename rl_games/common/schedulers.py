"""rl_games import path ``rl_games.common.schedulers`` (implementation: ``rl_games.algos.schedulers``)."""

from rl_games.algos.schedulers import AdaptiveScheduler, IdentityScheduler, LinearScheduler

__all__ = ["AdaptiveScheduler", "IdentityScheduler", "LinearScheduler"]
