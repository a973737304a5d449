"""torch-native vectorized envs (vecenv type ``TORCH``): batched tensor math on the training device.

``TorchCartPole`` and ``TorchPendulum`` follow gymnasium's ``CartPole-v1`` / ``Pendulum-v1``
dynamics (same constants, equations, reset distributions and time limits) for a whole batch at
once. Everything (state, observations, rewards, dones, infos) stays on ``device``: used through
``EnvTensorAdapter`` the training loop runs without a single host copy per step.

Contract (shared by every env here):

* ``step(actions)`` takes a tensor (``[N]`` discrete, ``[N, A]`` continuous or multi-discrete) and
  returns ``(obs, rewards [N] float32, dones [N] bool, infos)`` with ``infos['time_outs']``
  (time-limit truncations, bool ``[N]``) and ``infos['final_observation']`` (``[N, ...]``: the last
  observation of each finished episode; rows of envs that did not finish equal ``obs``).
* Auto-reset happens in the same step (``autoreset_mode == 'same_step'``), per env, with no host
  sync: fresh start states are drawn for every row each step and selected where an episode ended.
* Randomness comes from one seeded ``torch.Generator`` on ``device``.

``BatchedTorchEnv`` is the base class of these envs (old name ``TorchVecEnvBase``).
``batched_torch_vecenv`` is the factory of vecenv type ``TORCH`` (old name ``make_torch_vecenv``):
``func(config_name, num_actors, **env_config)`` where ``env_config`` may hold ``device`` (injected
by the trainer: the training device), ``seed``, ``env_creator`` (a callable ``(num_envs=, device=,
seed=, **rest) -> IVecEnv``) and keyword arguments of the env class (e.g. ``max_episode_steps``,
``dtype``). Not to be confused with :class:`rl_games.envs.adapter.EnvTensorAdapter`, which
presents *any* vecenv to the trainer as torch tensors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from rl_games.envs.base import IVecEnv, make_env_info
from rl_games.envs.registry import ENV_CONFIGURATIONS


def _dtype(dtype: str | torch.dtype) -> torch.dtype:
    return getattr(torch, dtype) if isinstance(dtype, str) else dtype


class BatchedTorchEnv(IVecEnv):
    """Batched env on ``device`` with a time limit and same-step per-env auto-reset.

    Subclasses define ``observation_space``, ``action_space``, ``max_episode_steps`` and the three
    pure functions ``sample_states(n)``, ``observe(state)`` and ``dynamics(state, actions)`` (which
    returns ``(next_state, rewards, terminated)``). ``dtype`` is the dtype of the physics state
    (float32 by default; float64 reproduces gymnasium's float64 arithmetic).
    """

    max_episode_steps: int = 0
    observation_space: Any = None
    action_space: Any = None

    def __init__(
        self,
        num_envs: int,
        device: str | torch.device = "cpu",
        seed: int | None = None,
        max_episode_steps: int | None = None,
        dtype: str | torch.dtype = torch.float32,
    ) -> None:
        self.num_envs = int(num_envs)
        self.device = torch.device(device)
        self.dtype = _dtype(dtype)
        if max_episode_steps is not None:
            self.max_episode_steps = int(max_episode_steps)
        self.generator = torch.Generator(device=self.device)
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(int(seed))
        self.state = self.sample_states(self.num_envs)
        self.steps = torch.zeros(self.num_envs, dtype=torch.int64, device=self.device)

    # ---- to implement ---------------------------------------------------------------------
    def sample_states(self, n: int) -> torch.Tensor:
        raise NotImplementedError

    def observe(self, state: torch.Tensor) -> Any:
        raise NotImplementedError

    def dynamics(
        self, state: torch.Tensor, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    # ---- helpers ----------------------------------------------------------------------------
    def uniform(
        self, n: int, low: torch.Tensor | float, high: torch.Tensor | float, dim: int
    ) -> torch.Tensor:
        """``[n, dim]`` uniform samples in ``[low, high)`` from the env's generator."""
        if not isinstance(low, torch.Tensor) and not isinstance(high, torch.Tensor):
            out = torch.empty(n, dim, device=self.device, dtype=self.dtype)
            return out.uniform_(low, high, generator=self.generator)
        u = torch.rand(n, dim, generator=self.generator, device=self.device, dtype=self.dtype)
        return low + (high - low) * u

    # ---- IVecEnv ----------------------------------------------------------------------------
    def reset(self) -> Any:
        self.state = self.sample_states(self.num_envs)
        self.steps = torch.zeros(self.num_envs, dtype=torch.int64, device=self.device)
        return self.observe(self.state)

    def step(self, actions: torch.Tensor) -> tuple[Any, torch.Tensor, torch.Tensor, dict]:
        actions = torch.as_tensor(actions, device=self.device)
        state, rewards, terminated = self.dynamics(self.state, actions)
        self.steps.add_(1)
        truncated = self.steps >= self.max_episode_steps
        dones = terminated | truncated
        final_obs = self.observe(state)
        self.state = torch.where(dones.unsqueeze(-1), self.sample_states(self.num_envs), state)
        self.steps.masked_fill_(dones, 0)
        infos = {"time_outs": truncated & ~terminated, "final_observation": final_obs}
        return self.observe(self.state), rewards.to(torch.float32), dones, infos

    def get_env_info(self) -> dict[str, Any]:
        return make_env_info(self.observation_space, self.action_space, autoreset_mode="same_step")

    def seed(self, seed: int) -> None:
        """Reseed the generator; the next ``reset()`` draws every start state from it."""
        self.generator.manual_seed(int(seed))


class TorchCartPole(BatchedTorchEnv):
    """gymnasium ``CartPole-v1`` (Euler integration, +1 per step, 500-step time limit)."""

    max_episode_steps = 500
    gravity, masscart, masspole, length = 9.8, 1.0, 0.1, 0.5
    force_mag, tau = 10.0, 0.02
    theta_threshold = 12 * 2 * math.pi / 360
    x_threshold = 2.4

    def __init__(self, num_envs: int, **kwargs: Any) -> None:
        high = np.array(
            [self.x_threshold * 2, np.inf, self.theta_threshold * 2, np.inf], dtype=np.float32
        )
        self.observation_space = spaces.Box(-high, high, dtype=np.float32)
        self.action_space = spaces.Discrete(2)
        super().__init__(num_envs, **kwargs)

    def sample_states(self, n: int) -> torch.Tensor:
        if not hasattr(self, "_limits"):  # |x| and |theta| bounds, as a tensor on the device
            limits = [self.x_threshold, self.theta_threshold]
            self._limits = torch.tensor(limits, dtype=self.dtype, device=self.device)
        return self.uniform(n, -0.05, 0.05, 4)

    def observe(self, state: torch.Tensor) -> torch.Tensor:
        return state.to(torch.float32)

    def dynamics(
        self, state: torch.Tensor, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """gymnasium's equations; the four Euler updates are one fused ``state + tau * d/dt``."""
        _, x_dot, theta, theta_dot = state.unbind(-1)
        total_mass = self.masspole + self.masscart
        polemass_length = self.masspole * self.length
        force = actions.reshape(-1).to(state.dtype) * (2.0 * self.force_mag) - self.force_mag
        cos, sin = torch.cos(theta), torch.sin(theta)
        temp = (force + polemass_length * theta_dot.square() * sin) / total_mass
        thetaacc = (self.gravity * sin - cos * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * cos.square() / total_mass)
        )
        xacc = temp - polemass_length * thetaacc * cos / total_mass
        derivative = torch.stack((x_dot, xacc, theta_dot, thetaacc), dim=-1)
        state = torch.add(state, derivative, alpha=self.tau)
        terminated = (state[:, 0::2].abs() > self._limits).any(dim=-1)
        return state, torch.ones_like(thetaacc), terminated


class TorchPendulum(BatchedTorchEnv):
    """gymnasium ``Pendulum-v1`` (g = 10, torque in [-2, 2], 200-step time limit, no termination)."""

    max_episode_steps = 200
    max_speed, max_torque, dt, m, l = 8.0, 2.0, 0.05, 1.0, 1.0  # noqa: E741

    def __init__(self, num_envs: int, g: float = 10.0, **kwargs: Any) -> None:
        self.g = float(g)
        high = np.array([1.0, 1.0, self.max_speed], dtype=np.float32)
        self.observation_space = spaces.Box(-high, high, dtype=np.float32)
        self.action_space = spaces.Box(
            -self.max_torque, self.max_torque, shape=(1,), dtype=np.float32
        )
        super().__init__(num_envs, **kwargs)

    def sample_states(self, n: int) -> torch.Tensor:
        high = getattr(self, "_reset_high", None)
        if high is None:
            high = torch.tensor([math.pi, 1.0], dtype=self.dtype, device=self.device)
            self._reset_high = high
        return self.uniform(n, -high, high, 2)

    def observe(self, state: torch.Tensor) -> torch.Tensor:
        th, thdot = state.unbind(-1)
        return torch.stack((torch.cos(th), torch.sin(th), thdot), dim=-1).to(torch.float32)

    def dynamics(
        self, state: torch.Tensor, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        th, thdot = state.unbind(-1)
        u = actions.reshape(state.shape[0], -1)[:, 0]
        # the torque terms stay in the action's dtype (float32), as in gymnasium's numpy code
        u = (u if u.is_floating_point() else u.float()).clamp(-self.max_torque, self.max_torque)
        th_norm = torch.remainder(th + math.pi, 2 * math.pi) - math.pi
        costs = th_norm.square() + 0.1 * thdot.square() + 0.001 * u.square()
        g, m, l, dt = self.g, self.m, self.l, self.dt  # noqa: E741
        newthdot = thdot + (3 * g / (2 * l) * torch.sin(th) + 3.0 / (m * l**2) * u) * dt
        newthdot = newthdot.clamp(-self.max_speed, self.max_speed)
        newth = th + newthdot * dt
        terminated = torch.zeros_like(th, dtype=torch.bool)
        return torch.stack((newth, newthdot), dim=-1), -costs, terminated


# The old name of BatchedTorchEnv (user envs subclass it).
TorchVecEnvBase = BatchedTorchEnv


def _registered_creator(name: str) -> Callable[..., IVecEnv] | None:
    if name in ENV_CONFIGURATIONS:
        return ENV_CONFIGURATIONS.get(name).get("env_creator")
    return None


def batched_torch_vecenv(config_name: str, num_actors: int, **env_config: Any) -> IVecEnv:
    """The factory of vecenv type ``TORCH`` (batched torch envs; see the module docstring).

    The env is built by ``env_config['env_creator']``, else the ``env_creator`` registered for
    ``config_name``, else the one registered for ``env_config['env_name']`` (the built-in envs
    register their class as ``env_creator``).
    """
    cfg = dict(env_config)
    creator = cfg.pop("env_creator", None)
    env_name = cfg.pop("env_name", None) or config_name
    creator = creator or _registered_creator(config_name) or _registered_creator(env_name)
    if creator is None:
        known = ", ".join(
            name
            for name in ENV_CONFIGURATIONS.names()
            if ENV_CONFIGURATIONS.get(name)["vecenv_type"] == "TORCH" and _registered_creator(name)
        )
        raise ValueError(
            f"TORCH env '{env_name}' is unknown (built-in: {known}); register it with an "
            "env_creator(num_envs=, device=, seed=, **kwargs)"
        )
    cfg.setdefault("device", "cpu")
    return creator(num_envs=int(num_actors), **cfg)


# The old name of batched_torch_vecenv.
make_torch_vecenv = batched_torch_vecenv
