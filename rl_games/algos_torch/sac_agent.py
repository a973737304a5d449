"""rl_games import path ``rl_games.algos_torch.sac_agent``: our SAC agent, built as rl_games
builds it (``SACAgent(base_name, params)``, ``params`` typed or rl_games' raw dict) and subclassed
through its hooks (docs/sac.md, "Hooks")."""

from __future__ import annotations

from rl_games.algos.sac.agent import SACAgent

__all__ = ["SACAgent"]
