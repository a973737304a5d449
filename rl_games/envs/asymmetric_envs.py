"""Old import path of the central-value / multi-agent toy envs and the ``states_view`` wrapper.

The envs live in :mod:`rl_games.envs.toy_envs`, the wrapper in :mod:`rl_games.envs.wrappers`;
the names stay importable from here.
"""

from rl_games.envs.toy_envs import AsymmetricCartPole, MultiAgentTarget
from rl_games.envs.wrappers import StatesViewVecEnv, states_view_vecenv

__all__ = ["AsymmetricCartPole", "MultiAgentTarget", "StatesViewVecEnv", "states_view_vecenv"]
