"""rl_games import path: the PBT observer (:mod:`rl_games.pbt.member`) and ``MultiObserver``
(:mod:`rl_games.training.observe`)."""

from rl_games.pbt.member import PbtAlgoObserver
from rl_games.training.observe import MultiObserver

__all__ = ["MultiObserver", "PbtAlgoObserver"]
