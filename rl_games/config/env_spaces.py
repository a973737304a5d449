"""Checks that need the env's spaces: the action head and the algorithm against the action space.

Run by the Runner once the env is built and before anything is written (run directory, config,
TensorBoard), so a continuous head on a discrete env is a config error, not a shape error
inside the first update.
"""

from __future__ import annotations

from typing import Any

from rl_games.config import schema
from rl_games.config.errors import Problem

# action-space class name -> the head (network.space key) that drives it
_HEADS = {
    "Box": "continuous",
    "Discrete": "discrete",
    "MultiDiscrete": "multi_discrete",
    "Tuple": "multi_discrete",
}
# our algorithms -> the action-space heads they train
_ALGO_HEADS = {
    "a2c_continuous": ("continuous",),
    "a2c_discrete": ("discrete", "multi_discrete"),
    "sac": ("continuous",),
}
_ALGO_FOR_HEAD = {
    "continuous": "a2c_continuous (model continuous_a2c_logstd) or sac",
    "discrete": "a2c_discrete (model discrete_a2c)",
    "multi_discrete": "a2c_discrete (model multi_discrete_a2c)",
}
_OUR_HEADS = ("actor_critic", "resnet_actor_critic", "soft_actor_critic")


def action_head(action_space: Any) -> str | None:
    """The head an action space needs (``continuous``, ``discrete``, ``multi_discrete``);
    None for a space we do not classify (user code may handle it)."""
    return _HEADS.get(type(action_space).__name__)


def space_problems(params: schema.Params, action_space: Any, env_label: str) -> list[Problem]:
    """The problems of ``params`` against the env's action space (``env_label`` names the env)."""
    need = action_head(action_space)
    if need is None:
        return []
    problems = []
    algo = params.algo.name
    if algo in _ALGO_HEADS and need not in _ALGO_HEADS[algo]:
        problems.append(
            Problem(
                "params.algo.name",
                f"{algo} cannot train env {env_label} with {action_space} actions; "
                f"use algo {_ALGO_FOR_HEAD[need]}",
            )
        )
    net = params.network
    if net.name in _OUR_HEADS and not net.central_value:
        given = [h for h in ("continuous", "discrete", "multi_discrete") if getattr(net.space, h)]
        if given and need not in given:
            problems.append(
                Problem(
                    "params.network.space",
                    f"the '{given[0]}' head does not fit env {env_label}, which has "
                    f"{action_space} actions; use space: {{{need}: ...}}",
                )
            )
    return problems
