"""Population based training (DexPBT, as rl_games 2.0 ships it): one training process per
member, a shared directory, restarts through our own CLI. See docs/pbt.md.

Modules: :mod:`~rl_games.pbt.mutation` (pure mutation functions), :mod:`~rl_games.pbt.rules`
(the ``pbt.mutation`` block), :mod:`~rl_games.pbt.decision` (leaders and underperformers),
:mod:`~rl_games.pbt.store` (the shared directory), :mod:`~rl_games.pbt.member` (the observer a
member's trainer calls), :mod:`~rl_games.pbt.restart` (the re-exec), :mod:`~rl_games.pbt.launch`
(a population on one machine).
"""
