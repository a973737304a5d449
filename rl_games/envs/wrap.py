"""``wrap_env``: an env object the user already has, presented as an ``IVecEnv``.

Recognised (or named with ``wrapper=``):

==================== ================================================================================
``ivecenv``          an ``IVecEnv`` (or any object with ``step``/``reset``/``get_env_info``): as is
``envpool``          an envpool pool made with ``envpool.make_gymnasium`` (synchronous: batch_size ==
                     num_envs); next-step autoreset, ``infos['scores']`` as the ENVPOOL vecenv
``torch``            a vector env returning torch tensors (Isaac Lab style: ``num_envs`` and ``device``
                     attributes, gymnasium 5-tuple or rl_games 4-tuple ``step``); an observation
                     ``Dict`` with ``policy`` (and ``critic``) groups becomes ``{'obs', 'states'}``
``gymnasium_vector`` a ``gymnasium.vector.VectorEnv`` (same-step or next-step autoreset)
``gymnasium``        a ``gymnasium.Env``, or a list of them (stepped in a ``SyncVectorEnv``)
``dm_env``           a ``dm_env.Environment``, or a list of them (same-step autoreset; a ``LAST`` step
                     with a non-zero discount is a time-out)
==================== ================================================================================
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Sequence
from typing import Any

import gymnasium
import numpy as np
import torch
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from rl_games.envs.base import IVecEnv, float32_box, make_env_info
from rl_games.envs.gymnasium_env import _cast_obs, _final_observation
from rl_games.envs.spaces import to_gymnasium_space

log = logging.getLogger(__name__)

WRAPPERS = ("ivecenv", "envpool", "torch", "gymnasium_vector", "gymnasium", "dm_env")


def _is_instance(obj: Any, module: str, cls: str) -> bool:
    """``isinstance(obj, module.cls)`` without importing ``module`` (loaded only if in use)."""
    mod = sys.modules.get(module)
    return mod is not None and isinstance(obj, getattr(mod, cls))


def _is_ivecenv(env: Any) -> bool:
    if isinstance(env, IVecEnv):
        return True
    return all(callable(getattr(env, m, None)) for m in ("step", "reset", "get_env_info"))


def detect_wrapper(env: Any) -> str:
    """The ``wrapper`` name for ``env`` (see the module docstring); TypeError if unknown."""
    first = env[0] if isinstance(env, Sequence) and env else env
    if first is not env:
        if isinstance(first, gymnasium.Env):
            return "gymnasium"
        if _is_instance(first, "dm_env", "Environment"):
            return "dm_env"
    elif _is_ivecenv(env):
        return "ivecenv"
    elif _is_instance(env, "envpool.python.envpool", "EnvPoolMixin"):
        return "envpool"
    elif hasattr(env, "num_envs") and isinstance(getattr(env, "device", None), (str, torch.device)):
        return "torch"
    elif isinstance(env, gymnasium.vector.VectorEnv):
        return "gymnasium_vector"
    elif isinstance(env, gymnasium.Env):
        return "gymnasium"
    elif _is_instance(env, "dm_env", "Environment"):
        return "dm_env"
    raise TypeError(
        f"wrap_env: cannot tell how to wrap {type(env).__name__}; pass wrapper= one of {WRAPPERS} "
        "or implement rl_games.envs.IVecEnv"
    )


def _check_count(what: str, have: int, num_actors: int | None) -> None:
    if num_actors is not None and int(num_actors) != have:
        raise ValueError(
            f"wrap_env: the {what} runs {have} envs but num_actors is {num_actors}; "
            f"set config.num_actors to {have}"
        )


def _as_list(env: Any) -> list[Any]:
    return list(env) if isinstance(env, Sequence) else [env]


def wrap_env(
    env: Any,
    wrapper: str | None = None,
    num_actors: int | None = None,
    device: str | torch.device | None = None,
) -> IVecEnv:
    """``env`` as an ``IVecEnv`` (see the module docstring for what is recognised).

    ``num_actors``: checked against the env's batch size (a list of envs: its length).
    ``device``: the training device; a torch env on another device still works (each step's
    outputs are then copied to the training device), which is logged.
    """
    kind = wrapper or detect_wrapper(env)
    if kind == "ivecenv":
        if getattr(env, "num_envs", None) is not None:
            _check_count("env", int(env.num_envs), num_actors)
        return env
    if kind == "envpool":
        if _is_instance(env, "dm_env", "Environment"):
            raise TypeError("wrap_env: make the pool with envpool.make_gymnasium, not make_dm")
        wrapped: IVecEnv = envpool_wrapper_class()(env)
    elif kind == "torch":
        wrapped = TorchVectorEnvWrapper(env)
        if device is not None and torch.device(device) != wrapped.device:
            log.warning("wrap_env: env on %s, training on %s", wrapped.device, device)
    elif kind == "gymnasium_vector":
        wrapped = GymnasiumVectorWrapper(env)
    elif kind == "gymnasium":
        envs = _as_list(env)
        vec = SyncVectorEnv([lambda e=e: e for e in envs], autoreset_mode=AutoresetMode.SAME_STEP)
        wrapped = GymnasiumVectorWrapper(vec)
    elif kind == "dm_env":
        wrapped = DmEnvWrapper(_as_list(env))
    else:
        raise ValueError(f"wrap_env: unknown wrapper '{kind}'; valid: {', '.join(WRAPPERS)}")
    _check_count(kind, wrapped.num_envs, num_actors)
    return wrapped


# ---- envpool --------------------------------------------------------------------------------


@functools.cache
def envpool_wrapper_class() -> type:
    """``EnvpoolEnvWrapper``: the ``ENVPOOL`` vecenv around a pool the user made (envpool is
    imported only here, when the user already has a pool)."""
    from rl_games.envs.envpool_env import EnvpoolVecEnv

    class EnvpoolEnvWrapper(EnvpoolVecEnv):
        """A user-made envpool pool (gymnasium API) with the ``ENVPOOL`` vecenv's conversions."""

        def __init__(self, pool: Any, **env_config: Any) -> None:
            config = dict(pool.config)
            if config["batch_size"] != config["num_envs"]:
                raise ValueError("wrap_env: async envpool (batch_size < num_envs) is unsupported")
            self._pool = pool
            super().__init__("envpool", config["num_envs"], env_name="user pool", **env_config)

        def _make_pool(self) -> Any:
            return self._pool

        def seed(self, seed: int) -> None:
            log.warning("wrap_env: an envpool pool is seeded where it is made; seed ignored")

    return EnvpoolEnvWrapper


# ---- gymnasium --------------------------------------------------------------------------------


def _autoreset_mode(env: Any) -> str:
    mode = (getattr(env, "metadata", None) or {}).get("autoreset_mode", AutoresetMode.SAME_STEP)
    if mode in (AutoresetMode.NEXT_STEP, "next_step", "NextStep"):
        return "next_step"
    if mode in (AutoresetMode.DISABLED, "disabled", "Disabled"):
        raise ValueError("wrap_env: vector envs with autoreset disabled are not supported")
    return "same_step"


def _float32_space(space: gymnasium.Space) -> gymnasium.Space:
    if isinstance(space, gymnasium.spaces.Dict):
        return gymnasium.spaces.Dict({k: float32_box(s) for k, s in space.spaces.items()})
    return float32_box(space)


class GymnasiumVectorWrapper(IVecEnv):
    """A ``gymnasium.vector.VectorEnv``: numpy in and out, ``time_outs``/``final_observation``."""

    def __init__(self, env: gymnasium.vector.VectorEnv) -> None:
        self.env = env
        self.num_envs = int(env.num_envs)
        self.autoreset_mode = _autoreset_mode(env)
        self.observation_space = _float32_space(env.single_observation_space)
        self.action_space = env.single_action_space
        self._seed: int | None = None

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, dict[str, Any]]:
        actions = np.asarray(actions, dtype=self.action_space.dtype)
        obs, rewards, terminated, truncated, infos = self.env.step(actions)
        obs, infos = _cast_obs(obs), dict(infos)
        final, mask = infos.pop("final_obs", None), infos.pop("_final_obs", None)
        if self.autoreset_mode == "same_step":
            infos["final_observation"] = _final_observation(obs, final, mask)
        infos["time_outs"] = truncated & ~terminated
        return obs, np.asarray(rewards, dtype=np.float32), terminated | truncated, infos

    def reset(self) -> Any:
        seeds = None if self._seed is None else [self._seed + i for i in range(self.num_envs)]
        self._seed = None
        obs, _ = self.env.reset(seed=seeds)
        return _cast_obs(obs)

    def seed(self, seed: int) -> None:
        self._seed = int(seed)

    def get_env_info(self) -> dict[str, Any]:
        return make_env_info(
            self.observation_space, self.action_space, autoreset_mode=self.autoreset_mode
        )

    def close(self) -> None:
        self.env.close()


# ---- torch vector envs (Isaac Lab style) --------------------------------------------------------


class TorchVectorEnvWrapper(IVecEnv):
    """A vector env that speaks torch tensors on its own device; outputs passed through as is."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self.num_envs = int(env.num_envs)
        self.device = torch.device(env.device)
        self.autoreset_mode = _autoreset_mode(env)
        obs_space = getattr(env, "single_observation_space", None) or env.observation_space
        act_space = getattr(env, "single_action_space", None) or env.action_space
        obs_space, act_space = to_gymnasium_space(obs_space), to_gymnasium_space(act_space)
        self.state_space = None
        self._groups = isinstance(obs_space, gymnasium.spaces.Dict) and "policy" in obs_space.spaces
        if self._groups:
            self.state_space = obs_space.spaces.get("critic")
            obs_space = obs_space["policy"]
        self.observation_space, self.action_space = obs_space, act_space

    def _obs(self, obs: Any) -> Any:
        if not self._groups:
            return obs
        out = {"obs": obs["policy"]}
        if "critic" in obs:
            out["states"] = obs["critic"]
        return out

    def step(self, actions: torch.Tensor) -> tuple[Any, torch.Tensor, torch.Tensor, dict]:
        result = self.env.step(actions)
        if len(result) == 4:
            obs, rewards, dones, infos = result
            return self._obs(obs), rewards, dones, infos
        obs, rewards, terminated, truncated, extras = result
        infos = dict(extras or {})
        infos.setdefault("time_outs", truncated & ~terminated)
        return self._obs(obs), rewards, terminated | truncated, infos

    def reset(self) -> Any:
        result = self.env.reset()
        obs = result[0] if isinstance(result, tuple) else result
        return self._obs(obs)

    def get_env_info(self) -> dict[str, Any]:
        return make_env_info(
            self.observation_space,
            self.action_space,
            state_space=self.state_space,
            autoreset_mode=self.autoreset_mode,
        )

    def close(self) -> None:
        self.env.close()


# ---- dm_env --------------------------------------------------------------------------------------


def dm_spec_to_space(spec: Any) -> gymnasium.Space:
    """A dm_env spec (or a dict of specs) as a gymnasium space (float observations as float32)."""
    if isinstance(spec, dict):
        return gymnasium.spaces.Dict({k: dm_spec_to_space(s) for k, s in spec.items()})
    if hasattr(spec, "num_values"):
        return gymnasium.spaces.Discrete(int(spec.num_values))
    dtype = np.dtype(spec.dtype)
    if dtype.kind == "f":
        dtype = np.dtype(np.float32)
    low = getattr(spec, "minimum", -np.inf if dtype.kind == "f" else np.iinfo(dtype).min)
    high = getattr(spec, "maximum", np.inf if dtype.kind == "f" else np.iinfo(dtype).max)
    low = np.broadcast_to(np.asarray(low, dtype=np.float64), spec.shape).astype(dtype)
    high = np.broadcast_to(np.asarray(high, dtype=np.float64), spec.shape).astype(dtype)
    return gymnasium.spaces.Box(low, high, spec.shape, dtype)


def _stack(observations: list[Any]) -> Any:
    if isinstance(observations[0], dict):
        return {k: _stack([o[k] for o in observations]) for k in observations[0]}
    return _cast_obs(np.stack([np.asarray(o) for o in observations]))


class DmEnvWrapper(IVecEnv):
    """``dm_env.Environment`` instances stepped one after another, with same-step autoreset."""

    def __init__(self, envs: list[Any]) -> None:
        self.envs = envs
        self.num_envs = len(envs)
        self.observation_space = dm_spec_to_space(envs[0].observation_spec())
        self.action_space = dm_spec_to_space(envs[0].action_spec())

    def reset(self) -> Any:
        return _stack([env.reset().observation for env in self.envs])

    def _step_one(self, env: Any, action: Any) -> tuple[Any, Any, float, bool, bool]:
        ts = env.step(action)
        last_obs, obs = ts.observation, ts.observation
        done = ts.last()
        if done:
            obs = env.reset().observation
        time_out = done and ts.discount is not None and float(ts.discount) > 0.0
        return obs, last_obs, float(ts.reward or 0.0), done, time_out

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, dict[str, Any]]:
        actions = np.asarray(actions)
        results = [self._step_one(env, a) for env, a in zip(self.envs, actions, strict=True)]
        obs, final, rewards, dones, time_outs = zip(*results, strict=True)
        infos = {
            "time_outs": np.array(time_outs, dtype=bool),
            "final_observation": _stack(list(final)),
        }
        return _stack(list(obs)), np.array(rewards, np.float32), np.array(dones, bool), infos

    def get_env_info(self) -> dict[str, Any]:
        return make_env_info(self.observation_space, self.action_space, autoreset_mode="same_step")

    def close(self) -> None:
        for env in self.envs:
            env.close()
