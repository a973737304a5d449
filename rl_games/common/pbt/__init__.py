"""rl_games import path ``rl_games.common.pbt`` (rl_games 2.0): re-exports of :mod:`rl_games.pbt`
(population based training, docs/pbt.md). No implementation here."""

from rl_games.common.pbt.mutation import mutate
from rl_games.common.pbt.pbt import MultiObserver, PbtAlgoObserver
from rl_games.common.pbt.pbt_cfg import PbtCfg

__all__ = ["MultiObserver", "PbtAlgoObserver", "PbtCfg", "mutate"]
