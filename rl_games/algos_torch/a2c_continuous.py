"""rl_games import path ``rl_games.algos_torch.a2c_continuous``: ``A2CAgent`` is our PPO agent
(:class:`rl_games.algos.ppo.agent.PPOAgent`); subclass it as rl_games research code does."""

from __future__ import annotations

from rl_games.algos.ppo.agent import PPOAgent as A2CAgent

__all__ = ["A2CAgent"]
