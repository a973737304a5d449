"""rl_games import path ``rl_games.common.player``.

``BasePlayer`` is the base class of every player here (PPO and SAC): ``restore(path)``,
``reset()``, ``get_batch_size(obs, batch_size)``, ``is_rnn`` / ``init_rnn()`` / ``states``,
``obs_to_torch(obs)``, ``get_action(obs, is_deterministic)``, ``is_deterministic``, ``run()``.
"""

from __future__ import annotations

from rl_games.training.player_base import BasePlayer

__all__ = ["BasePlayer"]
