"""rl_games import path ``rl_games.algos_torch.central_value``: the asymmetric critic."""

from __future__ import annotations

from rl_games.algos.central_value import CentralValueTrain

__all__ = ["CentralValueTrain"]
