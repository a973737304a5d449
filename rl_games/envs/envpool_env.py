"""envpool-backed vecenv: vecenv type ``ENVPOOL``, env name ``envpool``.

``env_config`` keys: ``env_name`` (required; an envpool task id such as ``'Ant-v4'``),
``has_lives`` (Atari with ``episodic_life``: a game ends only when ``lives == 0`` or on a time
limit; ``infos['scores']`` restarts then and ``infos['game_dones']`` marks it, so episode
statistics count whole games), ``flatten_obs``
(dict observations, e.g. DM Control, concatenated into one float32 vector in the observation
space's key order), ``use_dict_obs_space`` (not supported) and everything else (``seed``,
``num_threads``, ``episodic_life``, ``reward_clip``, ``frame_stack``...) passed to
``envpool.make_gymnasium(env_name, num_envs=num_actors, batch_size=num_actors, **rest)``.

envpool autoresets on the *next* step: the step after a done ignores its action and returns the
first observation of the new episode with reward 0, so ``get_env_info()['autoreset_mode']`` is
``'next_step'`` and the agent masks those rows. envpool returns fresh arrays every step, so
callers may keep zero-copy views of them.
"""

from __future__ import annotations

import difflib
import logging
from typing import Any

import envpool
import numpy as np
from gymnasium import spaces

from rl_games.envs.base import IVecEnv, float32_box, make_env_info

logger = logging.getLogger(__name__)

_ENV_NAME_HELP = "env 'envpool' needs env_config.env_name, an envpool task id such as 'Ant-v4'"
_DICT_OBS_HELP = (
    "env_config.use_dict_obs_space is not supported by this runner's ENVPOOL vecenv; "
    "remove it (use flatten_obs: True for dict observations)"
)
_ASYNC_HELP = (
    "env_config.batch_size {batch} != num_actors {num}: envpool's asynchronous mode is not "
    "supported (the rollout steps every env once per step; on the 2-core CPU benchmark host "
    "async stepping measured slower, see docs/benchmarks.md); remove batch_size"
)


def check_env_config(config_name: str, env_config: dict[str, Any]) -> str | None:
    """A warning about an ``envpool`` env_config, without creating the env."""
    if not env_config.get("env_name"):
        return _ENV_NAME_HELP
    if env_config.get("use_dict_obs_space"):
        return _DICT_OBS_HELP
    error = config_error(config_name, env_config)
    return error[1] if error is not None else None


def config_error(config_name: str, env_config: dict[str, Any]) -> tuple[str, str] | None:
    """``(env_config key, message)`` when the env cannot be built as configured (no or an
    unknown task id), found without creating it; else None."""
    env_name = env_config.get("env_name")
    if not env_name:
        return "env_name", _ENV_NAME_HELP
    known = envpool.list_all_envs()
    if env_name not in known:
        close = difflib.get_close_matches(str(env_name), known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return "env_name", f"'{env_name}' is not an envpool task{hint}"
    return None


def _as_float32(x: np.ndarray) -> np.ndarray:
    if x.dtype == np.float32 or x.dtype == np.uint8:
        return x
    return x.astype(np.float32)


class EnvpoolVecEnv(IVecEnv):
    """A batch of ``num_actors`` envpool envs stepped synchronously (all envs every step)."""

    def __init__(self, config_name: str, num_actors: int, **env_config: Any) -> None:
        cfg = dict(env_config)
        env_name = cfg.pop("env_name", None)
        if not env_name:
            raise ValueError(_ENV_NAME_HELP)
        if cfg.pop("use_dict_obs_space", False):
            raise NotImplementedError(_DICT_OBS_HELP)
        self.config_name = config_name
        self.env_name = str(env_name)
        self.num_envs = int(num_actors)
        self.has_lives = bool(cfg.pop("has_lives", False))
        self.flatten_obs = bool(cfg.pop("flatten_obs", False))
        batch = cfg.pop("batch_size", None)
        if batch is not None and int(batch) != self.num_envs:
            raise NotImplementedError(_ASYNC_HELP.format(batch=batch, num=self.num_envs))
        self._make_kwargs = cfg
        self.env = self._make_pool()
        self._setup_spaces()
        self._scores = np.zeros(self.num_envs, dtype=np.float32)

    def _make_pool(self) -> Any:
        return envpool.make_gymnasium(
            self.env_name, num_envs=self.num_envs, batch_size=self.num_envs, **self._make_kwargs
        )

    def _setup_spaces(self) -> None:
        obs_space = self.env.observation_space
        self._obs_keys: list[str] | None = None
        if isinstance(obs_space, spaces.Dict):
            if self.flatten_obs:
                self._obs_keys = list(obs_space.spaces)
                dim = sum(int(np.prod(s.shape)) for s in obs_space.spaces.values())
                obs_space = spaces.Box(-np.inf, np.inf, shape=(dim,), dtype=np.float32)
            else:
                obs_space = spaces.Dict({k: float32_box(s) for k, s in obs_space.spaces.items()})
        elif isinstance(obs_space, spaces.Box):
            obs_space = float32_box(obs_space)
        self.observation_space = obs_space
        self.action_space = self.env.action_space
        kind = np.dtype(self.action_space.dtype).kind
        self._action_dtype = np.int32 if kind in "iub" else np.float32

    def _convert_obs(self, obs: Any) -> Any:
        if isinstance(obs, dict):
            if self._obs_keys is not None:
                parts = [obs[k].reshape(self.num_envs, -1) for k in self._obs_keys]
                return np.concatenate(parts, axis=1, dtype=np.float32)
            return {k: _as_float32(v) for k, v in obs.items()}
        return _as_float32(obs)

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, dict[str, Any]]:
        actions = np.asarray(actions, dtype=self._action_dtype)
        obs, rewards, terminated, truncated, infos = self.env.step(actions)
        dones = terminated | truncated
        infos["time_outs"] = truncated & ~terminated
        rewards = rewards.astype(np.float32, copy=False)
        self._update_scores(infos, rewards, dones)
        return self._convert_obs(obs), rewards, dones, infos

    def _update_scores(self, infos: dict[str, Any], rewards: np.ndarray, dones: np.ndarray) -> None:
        """``infos['scores']``: running raw (unclipped where envpool reports it) episode return."""
        self._scores += infos.get("reward", rewards)
        infos["scores"] = self._scores
        ended = dones
        if self.has_lives and "lives" in infos:
            # a game ends when the last life is lost (or on a time limit); episode statistics
            # count games, not lives (``infos['game_dones']``, read by the PPO rollout)
            ended = dones & ((infos["lives"] == 0) | infos["time_outs"])
            infos["game_dones"] = ended
        self._scores = self._scores * ~ended  # a new array: infos['scores'] keeps its values

    def reset(self) -> Any:
        obs, _ = self.env.reset()
        self._scores = np.zeros(self.num_envs, dtype=np.float32)
        return self._convert_obs(obs)

    def get_env_info(self) -> dict[str, Any]:
        return make_env_info(self.observation_space, self.action_space, autoreset_mode="next_step")

    def seed(self, seed: int) -> None:
        """envpool seeds at construction, so this rebuilds the pool; call ``reset`` afterwards."""
        self._make_kwargs["seed"] = int(seed)
        self.env.close()
        self.env = self._make_pool()

    def close(self) -> None:
        self.env.close()
