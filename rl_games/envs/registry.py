"""Env-name and vecenv-type registries (rl_games' ``env_configurations`` and ``vecenv``).

* ``ENV_CONFIGURATIONS``: env name -> ``{'vecenv_type': str, 'env_creator': callable | None,
  'default_env_config': dict}``; ``default_env_config`` is merged under the user's ``env_config``.
* ``VECENV_TYPES``: vecenv type -> ``func(config_name, num_actors, **env_config) -> IVecEnv``.

The env seed (:func:`env_seed`): the built-in vecenv types always get the run seed as
``env_config['seed']``; a user-registered type gets it under rl_games' contract, only when the
YAML's ``params.config`` has an ``env_config`` block (IsaacGymEnvs' creator passes its own seed
positionally and would get it twice otherwise).

Built-in entries are registered when this module is imported, as small factories that import
their backend (envpool, gymnasium) only when an env is actually built.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from rl_games.envs.base import EnvCreationError, IVecEnv, install_hint
from rl_games.registry import Registry

logger = logging.getLogger(__name__)

VecEnvFactory = Callable[..., IVecEnv]
EnvCheck = Callable[[str, dict[str, Any]], str | None]

ENV_CONFIGURATIONS: Registry[dict] = Registry("env name")
VECENV_TYPES: Registry[VecEnvFactory] = Registry("vecenv type")

# Per vecenv type: modules it needs (checked without importing) and an optional config check.
_VECENV_REQUIRES: dict[str, tuple[str, ...]] = {}
_VECENV_CHECKS: dict[str, EnvCheck] = {}
# Per built-in vecenv type: env_config errors found without building (see env_config_error).
_VECENV_PREFLIGHTS: dict[str, Callable[[str, dict[str, Any]], tuple[str, str] | None]] = {}
# Vecenv types whose factory takes env_config['device'] (the trainer injects its device).
_VECENV_ACCEPTS_DEVICE: set[str] = set()
# Vecenv types that always get the run seed as env_config['seed'] (ours; see env_seed()).
_VECENV_ALWAYS_SEED: set[str] = set()

GYMNASIUM_NATIVE_NAMES = (
    "CartPole-v1",
    "MountainCarContinuous-v0",
    "MountainCar-v0",
    "Acrobot-v1",
    "Pendulum-v1",
    "LunarLander-v3",
    "LunarLanderContinuous-v3",
    "BipedalWalker-v3",
    "BipedalWalkerHardcore-v3",
)
# Names used by rl-games 1.6.x configs -> the gymnasium id that serves them now.
LEGACY_GYMNASIUM_NAMES = {
    "Pendulum-v0": "Pendulum-v1",
    "LunarLander-v2": "LunarLander-v3",
    "LunarLanderContinuous-v2": "LunarLanderContinuous-v3",
}
_legacy_warned: set[str] = set()


def register_env(name: str, cfg: dict[str, Any]) -> dict[str, Any]:
    """Register env name ``name``; ``cfg`` needs ``vecenv_type``, may give ``env_creator`` and
    ``default_env_config``. Re-registering a name replaces it."""
    if "vecenv_type" not in cfg:
        raise ValueError(f"env '{name}': the configuration needs a 'vecenv_type' entry")
    entry = dict(cfg)
    entry.setdefault("env_creator", None)
    entry["default_env_config"] = dict(entry.get("default_env_config") or {})
    return ENV_CONFIGURATIONS.register(name, entry)


def register_vecenv(
    type_name: str,
    func: VecEnvFactory,
    *,
    requires: Iterable[str] = (),
    check: EnvCheck | None = None,
    accepts_device: bool = False,
    always_seed: bool = False,
) -> VecEnvFactory:
    """Register vecenv type ``type_name``: ``func(config_name, num_actors, **env_config)``.

    ``requires`` names importable modules the type needs (reported by :func:`env_status` and
    before creation, with an install hint); ``check(config_name, env_config)`` may return a
    warning about the config without building anything. ``accepts_device``: the trainer passes
    its training device as ``env_config['device']`` unless the config sets one.
    ``always_seed``: the run seed reaches the type as ``env_config['seed']`` even when the YAML
    has no ``env_config`` block (default: rl_games' contract, see :func:`env_seed`).
    """
    _VECENV_REQUIRES[type_name] = tuple(requires)
    _VECENV_PREFLIGHTS.pop(type_name, None)  # a replaced built-in type loses its preflight
    for flag, names in (
        (accepts_device, _VECENV_ACCEPTS_DEVICE),
        (always_seed, _VECENV_ALWAYS_SEED),
    ):
        if flag:
            names.add(type_name)
        else:
            names.discard(type_name)
    if check is None:
        _VECENV_CHECKS.pop(type_name, None)
    else:
        _VECENV_CHECKS[type_name] = check
    return VECENV_TYPES.register(type_name, func)


def module_available(module: str) -> bool:
    """Whether ``module`` can be imported, found without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing_module_message(config_name: str, module: str) -> str:
    return (
        f"env '{config_name}' needs the python package '{module}', which is not installed; "
        f"install it with: {install_hint(module)}"
    )


def warn_legacy_name(config_name: str) -> None:
    """Log once that a legacy rl-games 1.6.x env name is served by a newer gymnasium id."""
    new = LEGACY_GYMNASIUM_NAMES.get(config_name)
    if new is not None and config_name not in _legacy_warned:
        _legacy_warned.add(config_name)
        logger.warning("env name '%s' is served by gymnasium '%s'", config_name, new)


def accepts_device(config_name: str) -> bool:
    """Whether the vecenv type of env name ``config_name`` takes ``env_config['device']``."""
    if config_name not in ENV_CONFIGURATIONS:
        return False
    return ENV_CONFIGURATIONS.get(config_name)["vecenv_type"] in _VECENV_ACCEPTS_DEVICE


def env_seed(config_name: str, seed: int | None, env_config_given: bool) -> int | None:
    """The seed to pass as ``env_config['seed']`` (unless the env config sets one), or None.

    Built-in vecenv types (``always_seed``): the run seed whenever there is one. Other types
    follow rl_games' Runner: a seed only when the YAML has an ``env_config`` block, then the run
    seed or, with none, the clock (as rl_games). Unlike rl_games, seed 0 is passed on.
    """
    entry = ENV_CONFIGURATIONS.get(config_name) if config_name in ENV_CONFIGURATIONS else None
    if entry is not None and entry["vecenv_type"] in _VECENV_ALWAYS_SEED:
        return seed
    if not env_config_given:
        return None
    return seed if seed is not None else int(time.time())


def resolve_env_config(config_name: str, env_config: dict[str, Any]) -> tuple[dict, dict]:
    """The registry entry of ``config_name`` and its defaults merged under ``env_config``."""
    entry = ENV_CONFIGURATIONS.get(config_name)
    return entry, {**entry.get("default_env_config", {}), **env_config}


def create_vec_env(config_name: str, num_actors: int, **env_config: Any) -> IVecEnv:
    """Build ``num_actors`` envs of the registered env name ``config_name``.

    Raises ``RegistryError`` (listing the valid names) for an unknown env name or vecenv type and
    ``EnvCreationError`` (with the pip command) when an optional package is missing.
    """
    entry, merged = resolve_env_config(config_name, env_config)
    vecenv_type = entry["vecenv_type"]
    func = VECENV_TYPES.get(vecenv_type)
    for module in _VECENV_REQUIRES.get(vecenv_type, ()):
        if not module_available(module):
            raise EnvCreationError(missing_module_message(config_name, module))
    warn_legacy_name(config_name)
    try:
        return func(config_name, num_actors, **merged)
    except ModuleNotFoundError as err:
        if not err.name:
            raise
        raise EnvCreationError(missing_module_message(config_name, err.name)) from err


def env_status(config_name: str, env_config: dict[str, Any] | None = None) -> str | None:
    """A warning when ``config_name`` cannot be built as configured, else None.

    Checks that the name and its vecenv type are registered, that the packages they need are
    installed and (for the built-in types) that the env id exists. Never creates an env.
    """
    if config_name not in ENV_CONFIGURATIONS:
        return (
            ENV_CONFIGURATIONS.missing_message(config_name)
            + " (register it with rl_games.envs.register_env before training)"
        )
    entry, merged = resolve_env_config(config_name, dict(env_config or {}))
    vecenv_type = entry["vecenv_type"]
    if vecenv_type not in VECENV_TYPES:
        return (
            f"env '{config_name}' uses {VECENV_TYPES.missing_message(vecenv_type)} "
            "(register it with rl_games.envs.register_vecenv before training)"
        )
    for module in _VECENV_REQUIRES.get(vecenv_type, ()):
        if not module_available(module):
            return missing_module_message(config_name, module)
    check = _VECENV_CHECKS.get(vecenv_type)
    return check(config_name, merged) if check is not None else None


def env_config_error(config_name: str, env_config: dict[str, Any]) -> tuple[str, str] | None:
    """``(env_config key, message)`` when a built-in vecenv type knows, without building the
    env, that ``env_config`` names no env it has (an unknown envpool task); else None. Missing
    packages and unregistered names are left to :func:`env_status` / env creation."""
    if config_name not in ENV_CONFIGURATIONS:
        return None
    entry, merged = resolve_env_config(config_name, dict(env_config or {}))
    preflight = _VECENV_PREFLIGHTS.get(entry["vecenv_type"])
    modules = _VECENV_REQUIRES.get(entry["vecenv_type"], ())
    if preflight is None or not all(module_available(m) for m in modules):
        return None
    return preflight(config_name, merged)


# ---- built-in entries: lazy factories ---------------------------------------------------------


def _envpool_vecenv(config_name: str, num_actors: int, **env_config: Any) -> IVecEnv:
    from rl_games.envs.envpool_env import EnvpoolVecEnv

    return EnvpoolVecEnv(config_name, num_actors, **env_config)


def _envpool_check(config_name: str, env_config: dict[str, Any]) -> str | None:
    from rl_games.envs.envpool_env import check_env_config

    return check_env_config(config_name, env_config)


def _envpool_preflight(config_name: str, env_config: dict[str, Any]) -> tuple[str, str] | None:
    from rl_games.envs.envpool_env import config_error

    return config_error(config_name, env_config)


def _gymnasium_vecenv(config_name: str, num_actors: int, **env_config: Any) -> IVecEnv:
    from rl_games.envs.gymnasium_env import GymnasiumVecEnv

    return GymnasiumVecEnv(config_name, num_actors, **env_config)


def _gymnasium_check(config_name: str, env_config: dict[str, Any]) -> str | None:
    from rl_games.envs.gymnasium_env import check_env_config

    return check_env_config(config_name, env_config)


def _torch_vecenv(config_name: str, num_actors: int, **env_config: Any) -> IVecEnv:
    from rl_games.envs.torch_envs import make_torch_vecenv

    return make_torch_vecenv(config_name, num_actors, **env_config)


# Built-in TORCH env names (rl_games.envs.torch_envs.BUILTIN_TORCH_ENVS maps them to classes).
TORCH_ENV_NAMES = (
    "TorchCartPole-v1",
    "TorchPendulum-v1",
    "MultiDiscreteMaskedTest-v0",
    "MaskedDiscreteTest-v0",
    "DictObsTest-v0",
)


def _masked_velocity_vecenv(config_name: str, num_actors: int, **env_config: Any) -> IVecEnv:
    from rl_games.envs.wrappers import masked_velocity_vecenv

    return masked_velocity_vecenv(config_name, num_actors, **env_config)


# Central-value / multi-agent test envs (rl_games.envs.asymmetric_envs): TORCH env name -> class.
ASYMMETRIC_TORCH_ENVS = {
    "AsymmetricCartPole-v0": "AsymmetricCartPole",
    "MultiAgentTarget-v0": "MultiAgentTarget",
}


def _asymmetric_creator(attr: str) -> Callable[..., IVecEnv]:
    """``env_creator`` of a TORCH env in ``rl_games.envs.asymmetric_envs`` (imported when built)."""

    def creator(**kwargs: Any) -> IVecEnv:
        return getattr(importlib.import_module("rl_games.envs.asymmetric_envs"), attr)(**kwargs)

    return creator


def _states_view_vecenv(config_name: str, num_actors: int, **env_config: Any) -> IVecEnv:
    from rl_games.envs.asymmetric_envs import states_view_vecenv

    return states_view_vecenv(config_name, num_actors, **env_config)


def _register_builtins() -> None:
    seeded = {"always_seed": True}
    register_vecenv(
        "ENVPOOL", _envpool_vecenv, requires=("envpool",), check=_envpool_check, **seeded
    )
    _VECENV_PREFLIGHTS["ENVPOOL"] = _envpool_preflight
    register_vecenv(
        "GYMNASIUM", _gymnasium_vecenv, requires=("gymnasium",), check=_gymnasium_check, **seeded
    )
    register_vecenv("TORCH", _torch_vecenv, accepts_device=True, **seeded)
    for name in TORCH_ENV_NAMES:
        register_env(name, {"vecenv_type": "TORCH"})
    register_env("envpool", {"vecenv_type": "ENVPOOL"})
    for name in GYMNASIUM_NATIVE_NAMES + ("gymnasium", "openai_gym"):
        register_env(name, {"vecenv_type": "GYMNASIUM"})
    for old, new in LEGACY_GYMNASIUM_NAMES.items():
        register_env(old, {"vecenv_type": "GYMNASIUM", "default_env_config": {"env_name": new}})
    register_vecenv("MASKED_VELOCITY", _masked_velocity_vecenv, requires=("envpool",), **seeded)
    register_env(
        "CartPoleMaskedVelocity-v1",
        {"vecenv_type": "MASKED_VELOCITY", "default_env_config": {"env_name": "CartPole-v1"}},
    )
    for name, attr in ASYMMETRIC_TORCH_ENVS.items():
        register_env(name, {"vecenv_type": "TORCH", "env_creator": _asymmetric_creator(attr)})
    register_vecenv("STATES_VIEW", _states_view_vecenv, **seeded)
    register_env("states_view", {"vecenv_type": "STATES_VIEW"})


_register_builtins()
