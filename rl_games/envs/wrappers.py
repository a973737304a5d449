"""Observation-view vecenv wrappers: partially observable variants of classic-control tasks.

``CartPoleMaskedVelocity-v1`` (as rl_games names it) is CartPole-v1 with the cart velocity and the
pole angular velocity zeroed, so a policy has to infer them from the observation history (an
RNN test). The observation keeps its shape; masked entries are always 0.

``env_config`` of the ``MASKED_VELOCITY`` vecenv type: ``env_name`` (the underlying task, default
``CartPole-v1``), ``backend`` (``envpool``, the default, or ``gymnasium``) and everything else
passed to that backend's vecenv.

``states_view`` (vecenv type ``STATES_VIEW``) is the central-value variant: the actor observation
drops the entries ``env_config.hide`` (default: the task's velocities) while ``states`` (the
critic's input) is the full observation, as ``{'obs': ..., 'states': ...}``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from rl_games.envs.base import IVecEnv, VecEnvWrapper, box_subspace

# Underlying task -> observation indices that hold velocities.
VELOCITY_INDICES: dict[str, tuple[int, ...]] = {
    "CartPole-v1": (1, 3),  # cart velocity, pole angular velocity
    "Pendulum-v1": (2,),  # angular velocity
    "LunarLander-v3": (2, 3, 5),  # x/y velocity, angular velocity
    "LunarLanderContinuous-v3": (2, 3, 5),
}


def velocity_mask(env_name: str, obs_size: int) -> np.ndarray:
    """float32 ``[obs_size]``: 0 at the velocity entries of ``env_name``, 1 elsewhere."""
    if env_name not in VELOCITY_INDICES:
        raise ValueError(f"no velocity mask for '{env_name}'; known: {', '.join(VELOCITY_INDICES)}")
    mask = np.ones(obs_size, dtype=np.float32)
    mask[list(VELOCITY_INDICES[env_name])] = 0.0
    return mask


class MaskVelocityVecEnv(VecEnvWrapper):
    """Multiplies the observations of ``env`` (a flat-observation ``IVecEnv``) by a fixed mask."""

    def __init__(self, env: IVecEnv, mask: np.ndarray) -> None:
        super().__init__(env)
        self.mask = mask

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any]:
        obs, rewards, dones, infos = self.env.step(actions)
        return obs * self.mask, rewards, dones, infos

    def reset(self) -> Any:
        return self.env.reset() * self.mask


def _backend_vecenv(config_name: str, num_actors: int, env_config: dict[str, Any]) -> IVecEnv:
    """The ``backend`` (``envpool`` or ``gymnasium``) vecenv of ``env_config['env_name']``;
    ``env_config`` must hold both keys (the wrappers below set their defaults)."""
    cfg = dict(env_config)
    env_name, backend = str(cfg.pop("env_name")), cfg.pop("backend")
    if backend == "envpool":
        from rl_games.envs.envpool_env import EnvpoolVecEnv

        return EnvpoolVecEnv(config_name, num_actors, env_name=env_name, **cfg)
    if backend == "gymnasium":
        from rl_games.envs.gymnasium_env import GymnasiumVecEnv

        return GymnasiumVecEnv(config_name, num_actors, env_name=env_name, **cfg)
    raise ValueError(f"env_config.backend must be envpool or gymnasium, got '{backend}'")


def masked_velocity_vecenv(config_name: str, num_actors: int, **env_config: Any) -> IVecEnv:
    """Vecenv type ``MASKED_VELOCITY``: the ``backend`` vecenv of ``env_name``, velocities masked."""
    cfg = {"env_name": "CartPole-v1", "backend": "envpool", **env_config}
    inner = _backend_vecenv(config_name, num_actors, cfg)
    shape = inner.get_env_info()["observation_space"].shape
    return MaskVelocityVecEnv(inner, velocity_mask(str(cfg["env_name"]), int(shape[0])))


class StatesViewVecEnv(VecEnvWrapper):
    """A flat-observation vecenv as ``{'obs': obs without the ``hide`` entries, 'states': obs}``."""

    def __init__(self, env: IVecEnv, hide: list[int]) -> None:
        super().__init__(env)
        info = env.get_env_info()
        full = info["observation_space"]
        if not isinstance(full, spaces.Box) or len(full.shape) != 1:
            raise ValueError(f"states_view needs a flat Box observation space, got {full}")
        hidden = {int(i) for i in hide}
        self.keep = [i for i in range(full.shape[0]) if i not in hidden]
        self.env_info = {
            **info,
            "observation_space": box_subspace(full, self.keep),
            "state_space": full,
        }

    def _view(self, obs: Any) -> dict[str, Any]:
        return {"obs": obs[..., self.keep], "states": obs}

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any]:
        obs, rewards, dones, infos = self.env.step(actions)
        return self._view(obs), rewards, dones, infos

    def reset(self) -> Any:
        return self._view(self.env.reset())

    def get_env_info(self) -> dict[str, Any]:
        return dict(self.env_info)


def states_view_vecenv(config_name: str, num_actors: int, **env_config: Any) -> IVecEnv:
    """Vecenv type ``STATES_VIEW``: ``env_config`` keys ``env_name`` (default ``CartPole-v1``),
    ``backend`` (``envpool`` or ``gymnasium``), ``hide`` (indices hidden from the actor; default:
    the task's velocities) and the backend's own keys."""
    cfg = {"env_name": "CartPole-v1", "backend": "envpool", **env_config}
    env_name = str(cfg["env_name"])
    hide = cfg.pop("hide", None)
    if hide is None:
        if env_name not in VELOCITY_INDICES:
            known = ", ".join(VELOCITY_INDICES)
            raise ValueError(f"states_view: set env_config.hide for '{env_name}' (known: {known})")
        hide = list(VELOCITY_INDICES[env_name])
    return StatesViewVecEnv(_backend_vecenv(config_name, num_actors, cfg), hide)
