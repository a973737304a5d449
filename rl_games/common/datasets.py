"""rl_games import path ``rl_games.common.datasets``: minibatch iteration."""

from __future__ import annotations

from rl_games.storage.dataset import PPODataset

__all__ = ["PPODataset"]
