"""rl_games import path: the mutation functions (:mod:`rl_games.pbt.mutation`)."""

from rl_games.pbt.mutation import (
    MUTATION_FUNCS,
    mutate,
    mutate_discount,
    mutate_eps_clip,
    mutate_float,
    mutate_float_min_1,
    mutate_mini_epochs,
)

__all__ = [
    "MUTATION_FUNCS",
    "mutate",
    "mutate_discount",
    "mutate_eps_clip",
    "mutate_float",
    "mutate_float_min_1",
    "mutate_mini_epochs",
]
