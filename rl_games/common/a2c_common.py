"""rl_games import path ``rl_games.common.a2c_common``: the base classes are our one PPO agent
(:class:`rl_games.algos.ppo.agent.PPOAgent`); ``swap_and_flatten01`` is the env-major flattening."""

from __future__ import annotations

from rl_games.algos.ppo.agent import PPOAgent as A2CBase
from rl_games.algos.ppo.agent import PPOAgent as ContinuousA2CBase
from rl_games.algos.ppo.agent import PPOAgent as DiscreteA2CBase
from rl_games.storage.rollout import flatten_env_major as swap_and_flatten01

__all__ = ["A2CBase", "ContinuousA2CBase", "DiscreteA2CBase", "swap_and_flatten01"]
