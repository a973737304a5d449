"""rl_games import path ``rl_games.algos_torch.running_mean_std``: the normalizers."""

from __future__ import annotations

from rl_games.common.running_mean_std import RunningMeanStd, RunningMeanStdObs

__all__ = ["RunningMeanStd", "RunningMeanStdObs"]
