"""rl_games import path ``rl_games.algos_torch.players``.

The players registered for ``a2c_continuous``, ``a2c_discrete`` and ``sac``; each takes our typed
``Params`` or rl_games' raw ``params`` dict (``PpoPlayerContinuous(params=params)``) and may be
subclassed and registered with ``runner.player_factory.register_builder(name, factory)``.
"""

from __future__ import annotations

from rl_games.training.player import PpoPlayerContinuous, PpoPlayerDiscrete
from rl_games.training.player_base import BasePlayer
from rl_games.training.sac_player import SACPlayer

__all__ = ["BasePlayer", "PpoPlayerContinuous", "PpoPlayerDiscrete", "SACPlayer"]
