"""rl_games import path ``rl_games.common.algo_observer`` (implementation: ``rl_games.training.observers``)."""

from rl_games.training.observers import AlgoObserver, DefaultAlgoObserver, IsaacAlgoObserver

__all__ = ["AlgoObserver", "DefaultAlgoObserver", "IsaacAlgoObserver"]
