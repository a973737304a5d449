"""rl_games import path ``rl_games.common.experience``: the rollout buffer."""

from __future__ import annotations

from rl_games.storage.rollout import ExperienceBuffer

__all__ = ["ExperienceBuffer"]
