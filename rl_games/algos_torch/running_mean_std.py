"""rl_games import path ``rl_games.algos_torch.running_mean_std``: the normalizers."""

from __future__ import annotations

from rl_games.networks.normalization import RunningMeanStd, RunningMeanStdObs

__all__ = ["RunningMeanStd", "RunningMeanStdObs"]
