"""rl_games import path ``rl_games.algos_torch.a2c_discrete``: ``DiscreteA2CAgent`` is our one
PPO agent (discrete, multi-discrete and continuous differ only in the model's head)."""

from __future__ import annotations

from rl_games.algos.ppo.agent import PPOAgent as DiscreteA2CAgent

__all__ = ["DiscreteA2CAgent"]
