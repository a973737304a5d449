"""Observation-masking vecenv wrappers: partially observable variants of classic-control tasks.

``CartPoleMaskedVelocity-v1`` (as rl_games names it) is CartPole-v1 with the cart velocity and the
pole angular velocity zeroed, so a policy has to infer them from the observation history (an
RNN test). The observation keeps its shape; masked entries are always 0.

``env_config`` of the ``MASKED_VELOCITY`` vecenv type: ``env_name`` (the underlying task, default
``CartPole-v1``), ``backend`` (``envpool``, the default, or ``gymnasium``) and everything else
passed to that backend's vecenv.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rl_games.envs.base import IVecEnv, VecEnvWrapper

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


def masked_velocity_vecenv(config_name: str, num_actors: int, **env_config: Any) -> IVecEnv:
    """Vecenv type ``MASKED_VELOCITY``: the ``backend`` vecenv of ``env_name``, velocities masked."""
    cfg = dict(env_config)
    env_name = str(cfg.pop("env_name", "CartPole-v1"))
    backend = cfg.pop("backend", "envpool")
    if backend == "envpool":
        from rl_games.envs.envpool_env import EnvpoolVecEnv

        inner: IVecEnv = EnvpoolVecEnv(config_name, num_actors, env_name=env_name, **cfg)
    elif backend == "gymnasium":
        from rl_games.envs.gymnasium_env import GymnasiumVecEnv

        inner = GymnasiumVecEnv(config_name, num_actors, env_name=env_name, **cfg)
    else:
        raise ValueError(f"env_config.backend must be envpool or gymnasium, got '{backend}'")
    shape = inner.get_env_info()["observation_space"].shape
    return MaskVelocityVecEnv(inner, velocity_mask(env_name, int(shape[0])))
