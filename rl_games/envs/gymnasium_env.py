"""gymnasium-backed vecenv (vecenv type ``GYMNASIUM``) and the single-env maker for the player.

``env_config`` keys:

* ``env_name``: gymnasium id; defaults to the registered env name (``CartPole-v1``...). The legacy
  key ``name`` (rl-games 1.6.x ``openai_gym`` configs) is accepted as an alias.
* ``seed``: env ``i`` is reset with ``seed + i`` at the first ``reset()``.
* ``flatten_obs``: wrap each env in ``gymnasium.wrappers.FlattenObservation``.
* ``wrap_env``: a callable applied to each env (after flattening).
* ``use_async``: ``AsyncVectorEnv`` (one process per env) instead of ``SyncVectorEnv``. Default
  False: for cheap envs (classic control) the inter-process traffic costs more than the stepping.
* ``env_creator``: a callable building one env from the remaining keys (else the registered
  name's ``env_creator``, else ``gymnasium.make``).
* everything else is passed to ``gymnasium.make`` (or ``env_creator``).

The vector env runs with ``AutoresetMode.SAME_STEP``: the step that ends an episode already returns
the next episode's first observation; the last observation of the finished one is in
``infos['final_observation']`` (``[N, ...]``; rows of envs that did not finish equal ``obs``, and
on steps where no env finished it *is* ``obs``).
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any

import gymnasium
import numpy as np
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv

from rl_games.envs.base import EnvCreationError, IVecEnv, float32_box, make_env_info
from rl_games.envs.registry import (
    ENV_CONFIGURATIONS,
    missing_module_message,
    module_available,
    warn_legacy_name,
)

logger = logging.getLogger(__name__)

_GENERIC_NAMES = ("gymnasium", "openai_gym")
_ENTRY_POINT_MODULES = {"gymnasium.envs.box2d": "Box2D", "gymnasium.envs.mujoco": "mujoco"}


def _required_module(env_id: str | None) -> str | None:
    """The optional package a gymnasium id needs (Box2D, mujoco, ale_py), if any."""
    if not env_id:
        return None
    if env_id.startswith("ALE/"):
        return "ale_py"
    spec = gymnasium.envs.registration.registry.get(env_id)
    entry_point = getattr(spec, "entry_point", None)
    if isinstance(entry_point, str):
        for prefix, module in _ENTRY_POINT_MODULES.items():
            if entry_point.startswith(prefix):
                return module
    return None


def _registered_creator(config_name: str) -> Callable[..., Any] | None:
    if config_name in ENV_CONFIGURATIONS:
        return ENV_CONFIGURATIONS.get(config_name).get("env_creator")
    return None


def _config_env_id(config_name: str, cfg: dict[str, Any]) -> str | None:
    """The gymnasium id a config asks for (``env_name``, legacy ``name``, else the env name)."""
    env_id = cfg.get("env_name") or cfg.get("name")
    if env_id:
        return str(env_id)
    return None if config_name in _GENERIC_NAMES else config_name


def _pop_env_id(config_name: str, cfg: dict[str, Any]) -> str:
    env_id = _config_env_id(config_name, cfg)
    cfg.pop("env_name", None)
    cfg.pop("name", None)
    if env_id is None:
        raise ValueError(
            f"env '{config_name}' needs env_config.env_name, a gymnasium id such as 'CartPole-v1'"
        )
    return env_id


def check_env_config(config_name: str, env_config: dict[str, Any]) -> str | None:
    """A warning about a ``GYMNASIUM`` env config, without creating the env."""
    if env_config.get("env_creator") or _registered_creator(config_name):
        return None
    env_id = _config_env_id(config_name, env_config)
    if env_id is None:
        return (
            f"env '{config_name}' needs env_config.env_name, a gymnasium id such as 'CartPole-v1'"
        )
    module = _required_module(env_id)
    if module is not None and not module_available(module):
        return missing_module_message(config_name, module)
    known = gymnasium.envs.registration.registry
    if not env_id.startswith("ALE/") and env_id not in known:
        close = difflib.get_close_matches(env_id, list(known), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"'{env_id}' is not a registered gymnasium id{hint}"
    return None


def _register_namespace(env_id: str) -> None:
    """gymnasium >= 1.0 no longer auto-loads plugins: register ALE ids by importing ale_py."""
    if env_id.startswith("ALE/") and env_id not in gymnasium.envs.registration.registry:
        import ale_py

        gymnasium.register_envs(ale_py)


@contextlib.contextmanager
def _creation_errors(config_name: str, env_id: str | None) -> Iterator[None]:
    """Turn gymnasium's missing-dependency errors into ``EnvCreationError`` with a pip hint."""
    try:
        yield
    except ModuleNotFoundError as err:
        if not err.name:
            raise
        raise EnvCreationError(missing_module_message(config_name, err.name)) from err
    except (gymnasium.error.DependencyNotInstalled, gymnasium.error.NamespaceNotFound) as err:
        module = _required_module(env_id)
        message = f"env '{config_name}' (gymnasium id '{env_id}') cannot be created: {err}"
        if module is not None:
            message = missing_module_message(config_name, module) + f" ({err})"
        raise EnvCreationError(message) from err


def _make_one(
    env_id: str | None,
    creator: Callable[..., Any] | None,
    make_kwargs: dict[str, Any],
    flatten_obs: bool,
    wrap_env: Callable[[Any], Any] | None,
) -> gymnasium.Env:
    if creator is not None:
        env = creator(**make_kwargs)
    else:
        assert env_id is not None
        _register_namespace(env_id)
        env = gymnasium.make(env_id, **make_kwargs)
    if flatten_obs:
        env = gymnasium.wrappers.FlattenObservation(env)
    if wrap_env is not None:
        env = wrap_env(env)
    return env


def _split_config(config_name: str, env_config: dict[str, Any]) -> dict[str, Any]:
    """Our keys out of ``env_config``; ``make_kwargs`` keeps the rest for gymnasium.make."""
    cfg = dict(env_config)
    opts: dict[str, Any] = {
        "seed": cfg.pop("seed", None),
        "flatten_obs": bool(cfg.pop("flatten_obs", False)),
        "wrap_env": cfg.pop("wrap_env", None),
        "use_async": bool(cfg.pop("use_async", False)),
        "creator": cfg.pop("env_creator", None) or _registered_creator(config_name),
    }
    opts["env_id"] = None if opts["creator"] is not None else _pop_env_id(config_name, cfg)
    opts["make_kwargs"] = cfg
    return opts


def make_single_env(config_name: str, **env_config: Any) -> gymnasium.Env:
    """One env of ``config_name`` (via its ``env_creator`` or ``gymnasium.make``), for the player.

    The registered ``default_env_config`` is merged under ``env_config``. With ``seed`` the env
    (and its action space) is seeded by one ``reset(seed=seed)``.
    """
    merged = dict(env_config)
    if config_name in ENV_CONFIGURATIONS:
        defaults = ENV_CONFIGURATIONS.get(config_name).get("default_env_config", {})
        merged = {**defaults, **env_config}
    warn_legacy_name(config_name)
    opts = _split_config(config_name, merged)
    with _creation_errors(config_name, opts["env_id"]):
        env = _make_one(
            opts["env_id"],
            opts["creator"],
            opts["make_kwargs"],
            opts["flatten_obs"],
            opts["wrap_env"],
        )
    if opts["seed"] is not None:
        env.reset(seed=int(opts["seed"]))
        env.action_space.seed(int(opts["seed"]))
    return env


def _cast_obs(obs: Any) -> Any:
    """float64 (and other non-uint8 numeric) observations -> float32; dicts per key."""
    if isinstance(obs, dict):
        return {k: _cast_obs(v) for k, v in obs.items()}
    if obs.dtype == np.float32 or obs.dtype == np.uint8:
        return obs
    return obs.astype(np.float32)


def _final_observation(obs: Any, final: Any, mask: np.ndarray | None) -> Any:
    """``obs`` with the rows of finished envs replaced by their episode's last observation."""
    if final is None or mask is None or not mask.any():
        return obs
    idx = np.flatnonzero(mask)
    if isinstance(obs, dict):
        out = {k: v.copy() for k, v in obs.items()}
        for i in idx:
            for k, v in out.items():
                v[i] = final[i][k]
        return out
    out = obs.copy()
    out[idx] = np.stack([np.asarray(final[i]) for i in idx])
    return out


class GymnasiumVecEnv(IVecEnv):
    """``num_actors`` gymnasium envs in a Sync/AsyncVectorEnv with same-step autoreset."""

    def __init__(self, config_name: str, num_actors: int, **env_config: Any) -> None:
        opts = _split_config(config_name, env_config)
        self.config_name = config_name
        self.env_id: str | None = opts["env_id"]
        self.num_envs = int(num_actors)
        self._seed: int | None = None if opts["seed"] is None else int(opts["seed"])
        make_fn = functools.partial(
            _make_one,
            self.env_id,
            opts["creator"],
            opts["make_kwargs"],
            opts["flatten_obs"],
            opts["wrap_env"],
        )
        vec_cls = AsyncVectorEnv if opts["use_async"] else SyncVectorEnv
        with _creation_errors(config_name, self.env_id):
            self.env = vec_cls([make_fn] * self.num_envs, autoreset_mode=AutoresetMode.SAME_STEP)
        obs_space = self.env.single_observation_space
        if isinstance(obs_space, gymnasium.spaces.Dict):
            obs_space = gymnasium.spaces.Dict(
                {k: float32_box(s) for k, s in obs_space.spaces.items()}
            )
        self.observation_space = float32_box(obs_space)
        self.action_space = self.env.single_action_space
        self._action_dtype = self.action_space.dtype

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, dict[str, Any]]:
        if self._action_dtype is not None:
            actions = np.asarray(actions, dtype=self._action_dtype)
        obs, rewards, terminated, truncated, infos = self.env.step(actions)
        obs = _cast_obs(obs)
        final = infos.pop("final_obs", None)
        mask = infos.pop("_final_obs", None)
        infos["final_observation"] = _final_observation(obs, final, mask)
        infos["time_outs"] = truncated & ~terminated
        dones = terminated | truncated
        return obs, rewards.astype(np.float32, copy=False), dones, infos

    def reset(self) -> Any:
        seeds = None
        if self._seed is not None:
            seeds = [self._seed + i for i in range(self.num_envs)]
            self._seed = None  # seeds apply once; later resets continue the seeded streams
        obs, _ = self.env.reset(seed=seeds)
        return _cast_obs(obs)

    def seed(self, seed: int) -> None:
        """Env ``i`` gets ``seed + i`` at the next ``reset()``."""
        self._seed = int(seed)

    def get_env_info(self) -> dict[str, Any]:
        return make_env_info(self.observation_space, self.action_space, autoreset_mode="same_step")

    def close(self) -> None:
        self.env.close()
