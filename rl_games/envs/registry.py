"""The env registry: env names and vecenv types, and the one function that registers each.

* ``ENV_CONFIGURATIONS``: env name -> ``{'vecenv_type': str, 'env_creator': callable | None,
  'default_env_config': dict}`` (built-in names may add ``'num_agents'``); ``default_env_config``
  is merged under the user's ``env_config``. Registered by :func:`register_env`.
* ``VECENV_TYPES``: vecenv type -> ``func(config_name, num_actors, **env_config) -> IVecEnv``.
  Registered by :func:`register_vecenv`.

Every way of adding an env ends in these two functions: rl_games' ``env_configurations.register``
/ ``configurations[name] = cfg`` and ``vecenv.register`` / ``vecenv_config[name] = func`` (views in
:mod:`rl_games.common`), the YAML's ``config.vecenv_type`` (the runner registers the env name) and
the built-in table (:mod:`rl_games.envs.catalog`, registered when ``rl_games.envs`` is imported).
An env *object* (``Runner.load(cfg, env=...)``, ``config.vec_env``) needs no name: it goes through
:func:`rl_games.envs.wrap.wrap_env`.

The env seed (:func:`env_seed`): the built-in vecenv types always get the run seed as
``env_config['seed']``; a user-registered type gets it under rl_games' contract, only when the
YAML's ``params.config`` has an ``env_config`` block (IsaacGymEnvs' creator passes its own seed
positionally and would get it twice otherwise).

This module imports no env backend (envpool, gymnasium, torch envs); the backends import it.
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
EnvPreflight = Callable[[str, dict[str, Any]], tuple[str, str] | None]

ENV_CONFIGURATIONS: Registry[dict] = Registry("env name")
VECENV_TYPES: Registry[VecEnvFactory] = Registry("vecenv type")

# Per vecenv type: modules it needs (checked without importing) and an optional config check.
_VECENV_REQUIRES: dict[str, tuple[str, ...]] = {}
_VECENV_CHECKS: dict[str, EnvCheck] = {}
# Per vecenv type: env_config errors found without building (see env_config_error).
_VECENV_PREFLIGHTS: dict[str, EnvPreflight] = {}
# Vecenv types whose factory takes env_config['device'] (the trainer injects its device).
_VECENV_ACCEPTS_DEVICE: set[str] = set()
# Vecenv types that always get the run seed as env_config['seed'] (ours; see env_seed()).
_VECENV_ALWAYS_SEED: set[str] = set()
# Vecenv types whose env names without an env_creator have one agent (see known_num_agents()).
_VECENV_SINGLE_AGENT: set[str] = set()

# Names used by rl-games 1.6.x configs -> the gymnasium id that serves them now (filled by the
# built-in table, rl_games.envs.catalog).
LEGACY_GYMNASIUM_NAMES: dict[str, str] = {}
_legacy_warned: set[str] = set()


def register_env(name: str, cfg: dict[str, Any]) -> dict[str, Any]:
    """Register env name ``name``; ``cfg`` needs ``vecenv_type``, may give ``env_creator`` and
    ``default_env_config`` (other keys are kept). Re-registering a name replaces it."""
    if "vecenv_type" not in cfg:
        raise ValueError(f"env '{name}': the configuration needs a 'vecenv_type' entry")
    entry = dict(cfg)
    entry.setdefault("env_creator", None)
    entry["default_env_config"] = dict(entry.get("default_env_config") or {})
    return ENV_CONFIGURATIONS.register(name, entry)


def _set_flag(names: set[str], type_name: str, flag: bool) -> None:
    if flag:
        names.add(type_name)
    else:
        names.discard(type_name)


def register_vecenv(
    type_name: str,
    func: VecEnvFactory,
    *,
    requires: Iterable[str] = (),
    check: EnvCheck | None = None,
    preflight: EnvPreflight | None = None,
    accepts_device: bool = False,
    always_seed: bool = False,
    single_agent: bool = False,
) -> VecEnvFactory:
    """Register vecenv type ``type_name``: ``func(config_name, num_actors, **env_config)``.

    ``requires`` names importable modules the type needs (reported by :func:`env_status` and
    before creation, with an install hint); ``check(config_name, env_config)`` may return a
    warning about the config without building anything; ``preflight(config_name, env_config)``
    may return ``(env_config key, error)`` for a config naming no env the type has.
    ``accepts_device``: the trainer passes its training device as ``env_config['device']``
    unless the config sets one. ``always_seed``: the run seed reaches the type as
    ``env_config['seed']`` even when the YAML has no ``env_config`` block (default: rl_games'
    contract, see :func:`env_seed`). ``single_agent``: its env names without an ``env_creator``
    have one agent per env (config checks are exact before the env is built).
    """
    _VECENV_REQUIRES[type_name] = tuple(requires)
    for table, value in ((_VECENV_CHECKS, check), (_VECENV_PREFLIGHTS, preflight)):
        if value is None:
            table.pop(type_name, None)
        else:
            table[type_name] = value
    _set_flag(_VECENV_ACCEPTS_DEVICE, type_name, accepts_device)
    _set_flag(_VECENV_ALWAYS_SEED, type_name, always_seed)
    _set_flag(_VECENV_SINGLE_AGENT, type_name, single_agent)
    return VECENV_TYPES.register(type_name, func)


def known_num_agents(config_name: str | None) -> int | None:
    """Agents per env of env name ``config_name`` when known without building it, else None:
    the entry's ``num_agents``, else 1 for a ``single_agent`` vecenv type and no ``env_creator``."""
    if config_name is None or config_name not in ENV_CONFIGURATIONS:
        return None
    entry = ENV_CONFIGURATIONS.get(config_name)
    if "num_agents" in entry:
        return entry["num_agents"]
    if entry.get("vecenv_type") in _VECENV_SINGLE_AGENT and not entry.get("env_creator"):
        return 1
    return None


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
