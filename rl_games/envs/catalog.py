"""The built-in env names and vecenv types: one table each, registered when ``rl_games.envs`` is
imported through the same two functions users call (``register_vecenv``, ``register_env``).

Factories, checks and env classes are ``module:attr`` specs, imported on first use
(:func:`rl_games.utils.imports.lazy_callable`): importing this table imports no backend
(envpool, gymnasium, torch envs), and the registry never imports the modules it lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rl_games.envs.registry import LEGACY_GYMNASIUM_NAMES, register_env, register_vecenv
from rl_games.utils.imports import lazy_callable


@dataclass(frozen=True)
class VecEnvType:
    """A built-in vecenv type (the arguments of ``register_vecenv``, as specs)."""

    factory: str
    requires: tuple[str, ...] = ()
    check: str | None = None
    preflight: str | None = None
    accepts_device: bool = False
    single_agent: bool = False


@dataclass(frozen=True)
class BuiltinEnv:
    """A built-in env name: its vecenv type, ``env_creator`` spec, ``default_env_config``,
    agents per env when known before building (``None``: not declared), and, for a legacy
    rl-games 1.6.x name, the gymnasium id that serves it now."""

    vecenv_type: str
    creator: str | None = None
    default_env_config: dict[str, Any] = field(default_factory=dict)
    num_agents: int | None = None
    renamed_to: str | None = None


_ENVPOOL = "rl_games.envs.envpool_env"
_GYMNASIUM = "rl_games.envs.gymnasium_env"
_TORCH = "rl_games.envs.torch_envs"
_TOY = "rl_games.envs.toy_envs"
_WRAPPERS = "rl_games.envs.wrappers"
_MJLAB = "rl_games.envs.mjlab_env"
_JAX = "rl_games.envs.jax_env"

BUILTIN_VECENV_TYPES: dict[str, VecEnvType] = {
    "ENVPOOL": VecEnvType(
        f"{_ENVPOOL}:EnvpoolVecEnv",
        requires=("envpool",),
        check=f"{_ENVPOOL}:check_env_config",
        preflight=f"{_ENVPOOL}:config_error",
        single_agent=True,
    ),
    "GYMNASIUM": VecEnvType(
        f"{_GYMNASIUM}:GymnasiumVecEnv",
        requires=("gymnasium",),
        check=f"{_GYMNASIUM}:check_env_config",
        single_agent=True,
    ),
    # batched torch envs on the training device (rl_games.envs.torch_envs.BatchedTorchEnv)
    "TORCH": VecEnvType(f"{_TORCH}:batched_torch_vecenv", accepts_device=True, single_agent=True),
    "MASKED_VELOCITY": VecEnvType(f"{_WRAPPERS}:masked_velocity_vecenv", requires=("envpool",)),
    "STATES_VIEW": VecEnvType(f"{_WRAPPERS}:states_view_vecenv"),
    # mjlab (MuJoCo Warp): torch tensors on the simulation device (rl_games.envs.mjlab_env)
    "MJLAB": VecEnvType(
        f"{_MJLAB}:MjlabVecEnv",
        requires=("mjlab",),
        check=f"{_MJLAB}:check_env_config",
        accepts_device=True,
        single_agent=True,
    ),
    # JAX simulators, zero-copy through DLPack (rl_games.envs.jax_env)
    "BRAX": VecEnvType(
        f"{_JAX}:brax_vecenv",
        requires=("brax",),
        check=f"{_JAX}:check_brax_config",
        preflight=f"{_JAX}:brax_config_error",
        accepts_device=True,
        single_agent=True,
    ),
    "PLAYGROUND": VecEnvType(
        f"{_JAX}:playground_vecenv",
        requires=("mujoco_playground",),
        check=f"{_JAX}:check_playground_config",
        preflight=f"{_JAX}:playground_config_error",
        accepts_device=True,
        single_agent=True,
    ),
}


def _gym(renamed_to: str | None = None) -> BuiltinEnv:
    if renamed_to is None:
        return BuiltinEnv("GYMNASIUM")
    return BuiltinEnv(
        "GYMNASIUM", default_env_config={"env_name": renamed_to}, renamed_to=renamed_to
    )


def _torch(spec: str, num_agents: int | None = 1) -> BuiltinEnv:
    return BuiltinEnv("TORCH", creator=spec, num_agents=num_agents)


BUILTIN_ENVS: dict[str, BuiltinEnv] = {
    "envpool": BuiltinEnv("ENVPOOL"),
    "gymnasium": _gym(),
    "openai_gym": _gym(),
    "CartPole-v1": _gym(),
    "MountainCarContinuous-v0": _gym(),
    "MountainCar-v0": _gym(),
    "Acrobot-v1": _gym(),
    "Pendulum-v1": _gym(),
    "LunarLander-v3": _gym(),
    "LunarLanderContinuous-v3": _gym(),
    "BipedalWalker-v3": _gym(),
    "BipedalWalkerHardcore-v3": _gym(),
    "Pendulum-v0": _gym("Pendulum-v1"),
    "LunarLander-v2": _gym("LunarLander-v3"),
    "LunarLanderContinuous-v2": _gym("LunarLanderContinuous-v3"),
    "TorchCartPole-v1": _torch(f"{_TORCH}:TorchCartPole"),
    "TorchPendulum-v1": _torch(f"{_TORCH}:TorchPendulum"),
    "MultiDiscreteMaskedTest-v0": _torch(f"{_TOY}:MultiDiscreteMaskedTest"),
    "MaskedDiscreteTest-v0": _torch(f"{_TOY}:MaskedDiscreteTest"),
    "DictObsTest-v0": _torch(f"{_TOY}:DictObsTest"),
    # agents per env: known once built (the config may set num_agents / the critic's view)
    "AsymmetricCartPole-v0": _torch(f"{_TOY}:AsymmetricCartPole", num_agents=None),
    "MultiAgentTarget-v0": _torch(f"{_TOY}:MultiAgentTarget", num_agents=None),
    # two-player board game against an opponent policy held by the env (self-play)
    "connect_four": _torch("rl_games.envs.connect_four:ConnectFour"),
    "CartPoleMaskedVelocity-v1": BuiltinEnv(
        "MASKED_VELOCITY", default_env_config={"env_name": "CartPole-v1"}
    ),
    "states_view": BuiltinEnv("STATES_VIEW"),
    "brax": BuiltinEnv("BRAX"),
    "playground": BuiltinEnv("PLAYGROUND"),
    "mjlab": BuiltinEnv("MJLAB"),  # env_config.task_name: an mjlab task id
}


def _lazy_or_none(spec: str | None) -> Any:
    return None if spec is None else lazy_callable(spec)


def register_builtins() -> None:
    """Register every row of both tables (the built-in vecenv types always get the run seed)."""
    for type_name, row in BUILTIN_VECENV_TYPES.items():
        register_vecenv(
            type_name,
            lazy_callable(row.factory),
            requires=row.requires,
            check=_lazy_or_none(row.check),
            preflight=_lazy_or_none(row.preflight),
            accepts_device=row.accepts_device,
            always_seed=True,
            single_agent=row.single_agent,
        )
    for name, env in BUILTIN_ENVS.items():
        entry: dict[str, Any] = {
            "vecenv_type": env.vecenv_type,
            "env_creator": _lazy_or_none(env.creator),
            "default_env_config": env.default_env_config,
        }
        if env.num_agents is not None:
            entry["num_agents"] = env.num_agents
        register_env(name, entry)
        if env.renamed_to is not None:
            LEGACY_GYMNASIUM_NAMES[name] = env.renamed_to
