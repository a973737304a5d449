"""Test envs for the central-value (asymmetric) critic and multi-agent PPO.

Every env here returns observations as ``{'obs': actor observation, 'states': critic input}`` and
gives ``state_space`` in its env info.

* ``AsymmetricCartPole-v0`` (``AsymmetricCartPole``, vecenv type ``TORCH``): CartPole-v1 whose
  actor sees ``[x, theta, theta_dot]`` (no cart velocity; ``env_config.hide`` picks the hidden
  entries) while ``states`` hold the full ``[x, x_dot, theta, theta_dot]``. The pole can be
  balanced without the cart velocity, but whether the cart drifts out of bounds cannot be told
  from the actor's view: a critic on ``states`` predicts values far better, and PPO learns faster
  with it. (With both velocities hidden a memoryless policy stays near 50 steps, critic or not.)
* ``MultiAgentTarget-v0`` (``MultiAgentTarget``, ``TORCH``): ``num_agents`` agents (default 2) per
  env; each step every env draws a target in ``[0, n)``; each agent sees the target (one-hot) and
  its own id, and the env pays every agent 1 when *all* of them pick the target (a joint reward).
  Episodes last ``episode_length`` (16) steps, so the best return is 16 and a random policy gets
  ``16 / n**num_agents``. ``states`` (per env) are the target and the elapsed-time fraction.
  ``action_masks: True`` masks each wrong action with probability 1/2, per agent and step.
* ``states_view`` (vecenv type ``STATES_VIEW``): an envpool (default) or gymnasium vecenv of
  ``env_config.env_name`` (default ``CartPole-v1``) whose actor observation drops the entries
  ``env_config.hide`` (default: the task's velocities) while ``states`` is the full observation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from rl_games.envs.base import IVecEnv, VecEnvWrapper, make_env_info
from rl_games.envs.torch_envs import TorchCartPole


def _subspace(box: spaces.Box, keep: list[int]) -> spaces.Box:
    return spaces.Box(box.low[keep], box.high[keep], dtype=box.dtype)


class AsymmetricCartPole(TorchCartPole):
    """CartPole: the actor sees the state entries not in ``hide`` (default: the cart velocity,
    index 1); ``states`` hold the full state."""

    def __init__(self, num_envs: int, hide: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(num_envs, **kwargs)
        hidden = {1} if hide is None else {int(i) for i in hide}
        self.keep = [i for i in range(4) if i not in hidden]
        self.state_space = self.observation_space
        self.observation_space = _subspace(self.state_space, self.keep)

    def observe(self, state: torch.Tensor) -> dict[str, torch.Tensor]:
        s = state.to(torch.float32)
        return {"obs": s[:, self.keep], "states": s}

    def get_env_info(self) -> dict[str, Any]:
        return make_env_info(
            self.observation_space,
            self.action_space,
            state_space=self.state_space,
            autoreset_mode="same_step",
        )


class MultiAgentTarget(IVecEnv):
    """Cooperative target matching; rows are ``[num_envs * num_agents]`` with an env's agents
    contiguous (obs, rewards, dones, action masks), ``states`` are ``[num_envs, n + 1]``."""

    def __init__(
        self,
        num_envs: int,
        device: str | torch.device = "cpu",
        seed: int | None = None,
        num_agents: int = 2,
        n: int = 4,
        episode_length: int = 16,
        action_masks: bool = False,
    ) -> None:
        self.num_envs, self.num_agents, self.n = int(num_envs), int(num_agents), int(n)
        self.episode_length, self.use_masks = int(episode_length), bool(action_masks)
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device)
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(int(seed))
        self.observation_space = spaces.Box(0.0, 1.0, (self.n + self.num_agents,), np.float32)
        self.state_space = spaces.Box(0.0, 1.0, (self.n + 1,), np.float32)
        self.action_space = spaces.Discrete(self.n)
        eye = torch.eye(self.num_agents, device=self.device)
        self.agent_ids = eye.repeat(self.num_envs, 1)  # [N * A, A]
        self.steps = torch.zeros(self.num_envs, dtype=torch.int64, device=self.device)
        self._draw()

    def _draw(self) -> None:
        """New targets (one per env) and, with masks, new action masks (one per agent)."""
        self.target = torch.randint(
            self.n, (self.num_envs,), generator=self.generator, device=self.device
        )
        rows = self.num_envs * self.num_agents
        bits = torch.rand(rows, self.n, generator=self.generator, device=self.device)
        targets = self.target.repeat_interleave(self.num_agents).unsqueeze(-1)
        self.masks = (bits < 0.5).scatter_(1, targets, True)  # the target stays allowed

    def _obs(self) -> dict[str, torch.Tensor]:
        onehot = torch.nn.functional.one_hot(self.target, self.n).to(torch.float32)
        obs = torch.cat([onehot.repeat_interleave(self.num_agents, 0), self.agent_ids], dim=-1)
        elapsed = (self.steps.to(torch.float32) / self.episode_length).unsqueeze(-1)
        return {"obs": obs, "states": torch.cat([onehot, elapsed], dim=-1)}

    def reset(self) -> dict[str, torch.Tensor]:
        self.steps.zero_()
        self._draw()
        return self._obs()

    def step(self, actions: Any) -> tuple[Any, torch.Tensor, torch.Tensor, dict[str, Any]]:
        a = torch.as_tensor(actions, device=self.device).reshape(self.num_envs, self.num_agents)
        joint = (a == self.target.unsqueeze(-1)).all(dim=-1).to(torch.float32)
        self.steps += 1
        done = self.steps >= self.episode_length
        self.steps.masked_fill_(done, 0)
        self._draw()
        rewards = joint.repeat_interleave(self.num_agents)
        dones = done.repeat_interleave(self.num_agents)
        return self._obs(), rewards, dones, {"time_outs": torch.zeros_like(dones)}

    def get_number_of_agents(self) -> int:
        return self.num_agents

    def get_env_info(self) -> dict[str, Any]:
        return make_env_info(
            self.observation_space,
            self.action_space,
            agents=self.num_agents,
            state_space=self.state_space,
        )

    def has_action_masks(self) -> bool:
        return self.use_masks

    def get_action_masks(self) -> torch.Tensor | None:
        """``[num_envs * num_agents, n]`` bool (True: allowed); the target is always allowed."""
        return self.masks if self.use_masks else None

    def seed(self, seed: int) -> None:
        self.generator.manual_seed(int(seed))


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
            "observation_space": _subspace(full, self.keep),
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
    from rl_games.envs.wrappers import VELOCITY_INDICES

    cfg = dict(env_config)
    env_name = str(cfg.pop("env_name", "CartPole-v1"))
    backend = cfg.pop("backend", "envpool")
    hide = cfg.pop("hide", None)
    if hide is None:
        if env_name not in VELOCITY_INDICES:
            known = ", ".join(VELOCITY_INDICES)
            raise ValueError(f"states_view: set env_config.hide for '{env_name}' (known: {known})")
        hide = list(VELOCITY_INDICES[env_name])
    if backend == "envpool":
        from rl_games.envs.envpool_env import EnvpoolVecEnv

        inner: IVecEnv = EnvpoolVecEnv(config_name, num_actors, env_name=env_name, **cfg)
    elif backend == "gymnasium":
        from rl_games.envs.gymnasium_env import GymnasiumVecEnv

        inner = GymnasiumVecEnv(config_name, num_actors, env_name=env_name, **cfg)
    else:
        raise ValueError(f"env_config.backend must be envpool or gymnasium, got '{backend}'")
    return StatesViewVecEnv(inner, hide)
