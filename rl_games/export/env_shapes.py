"""The policy's shapes from the config and the env's spaces (``--export`` checks against them).

The checkpoint alone would export whatever it holds, e.g. an Acrobot policy under a CartPole
config. With the env's spaces the model is built exactly as ``--play`` builds it, and the
checkpoint must load into it strictly.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import torch

from rl_games.config.env_spaces import space_problems
from rl_games.config.schema import Params

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class EnvShapes:
    """What the model's shapes depend on, read from one instance of the config's env."""

    label: str  # the env, for messages: 'envpool' (CartPole-v1)
    input_shape: Any  # a tuple, or {key: shape} for a Dict observation space
    actions_num: int | list[int]
    value_size: int
    problems: list[str]  # the config's head / algorithm against the env's action space


def env_label(params: Params) -> str:
    cfg = params.config
    inner = cfg.env_config.get("env_name")
    return f"'{cfg.env_name}' ({inner})" if isinstance(inner, str) else f"'{cfg.env_name}'"


def read_env_shapes(params: Params) -> EnvShapes | None:
    """Build the config's env with one actor on the CPU, read its spaces and close it; None
    (with a warning saying that nothing is checked against the env) when it cannot be built
    here, e.g. a simulator that is not installed on the export machine."""
    from rl_games.algos.ppo.agent import action_space_info, obs_input_shape
    from rl_games.training.base import build_env

    label = env_label(params)
    try:
        env = build_env(params.config, params.seed, torch.device("cpu"), num_actors=1)
    except Exception as exc:  # noqa: BLE001 - any env failure: export from the checkpoint alone
        log.warning(
            "export: env %s cannot be created here (%s: %s); the policy's shapes are read from "
            "the checkpoint and not checked against the env",
            label,
            type(exc).__name__,
            str(exc).strip().splitlines()[0] if str(exc).strip() else "",
        )
        return None
    try:
        obs_space, act_space = env.observation_space, env.action_space
        problems = [str(p) for p in space_problems(params, act_space, label)]
        return EnvShapes(
            label=label,
            input_shape=obs_input_shape(obs_space),
            actions_num=action_space_info(act_space)[1],
            value_size=int(env.value_size),
            problems=problems,
        )
    finally:
        env.close()
