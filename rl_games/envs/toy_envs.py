"""Toy envs shipped with the package: small, fast torch-native envs (vecenv type ``TORCH``) that
exercise features CartPole cannot show. Configs, examples and tests use them by env name
(registered from the built-in table, :mod:`rl_games.envs.catalog`).

* ``MultiDiscreteMaskedTest-v0`` (``MultiDiscreteMaskedTest``): ``MultiDiscrete([3, 4, 5])``
  actions with a random action mask per step; ``MaskedDiscreteTest-v0`` (``MaskedDiscreteTest``)
  is the same game with one ``Discrete(6)`` head. The observation is the mask itself (one float per
  action, heads concatenated). Each head pays ``+1/heads`` for choosing its highest-index *valid*
  action and ``-1/heads`` for an invalid (masked) one; an episode lasts 32 steps (a time-out), so
  the best return is 32. Invalid actions are counted in ``violations`` (a device tensor, no sync).
  With masks the policy only has to prefer high indices; without them it must decode the mask.
* ``DictObsTest-v0`` (``DictObsTest``): CartPole with a gymnasium ``Dict`` observation,
  ``{'pos': [x, theta], 'vel': [x_dot, theta_dot] * vel_scale}``.

Central-value (asymmetric) critic and multi-agent envs return ``{'obs': actor observation,
'states': critic input}`` and give ``state_space`` in their env info:

* ``AsymmetricCartPole-v0`` (``AsymmetricCartPole``): CartPole-v1 whose actor sees
  ``[x, theta, theta_dot]`` (no cart velocity; ``env_config.hide`` picks the hidden entries) while
  ``states`` hold the full ``[x, x_dot, theta, theta_dot]``. The pole can be balanced without the
  cart velocity, but whether the cart drifts out of bounds cannot be told from the actor's view:
  a critic on ``states`` predicts values far better, and PPO learns faster with it. (With both
  velocities hidden a memoryless policy stays near 50 steps, critic or not.)
* ``MultiAgentTarget-v0`` (``MultiAgentTarget``): ``num_agents`` agents (default 2) per env; each
  step every env draws a target in ``[0, n)``; each agent sees the target (one-hot) and its own
  id, and the env pays every agent 1 when *all* of them pick the target (a joint reward).
  Episodes last ``episode_length`` (16) steps, so the best return is 16 and a random policy gets
  ``16 / n**num_agents``. ``states`` (per env) are the target and the elapsed-time fraction.
  ``action_masks: True`` masks each wrong action with probability 1/2, per agent and step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from rl_games.envs.base import IVecEnv, box_subspace, make_env_info
from rl_games.envs.torch_envs import BatchedTorchEnv, TorchCartPole


class MultiDiscreteMaskedTest(BatchedTorchEnv):
    """Pick each head's highest valid action under a random per-step action mask."""

    max_episode_steps = 32
    default_nvec: tuple[int, ...] = (3, 4, 5)

    def __init__(self, num_envs: int, nvec: list[int] | None = None, **kwargs: Any) -> None:
        self.nvec = [int(n) for n in (nvec or self.default_nvec)]
        total = sum(self.nvec)
        self.observation_space = spaces.Box(0.0, 1.0, (total,), dtype=np.float32)
        self.action_space = self._make_action_space()
        kwargs.setdefault("device", "cpu")
        device = torch.device(kwargs["device"])
        self.violations = torch.zeros((), dtype=torch.int64, device=device)
        # per concatenated action slot: its index inside its head (+1) and its head number
        self._rank = torch.cat([torch.arange(1, n + 1) for n in self.nvec]).to(device)
        self._offset_list = [int(o) for o in np.cumsum([0, *self.nvec[:-1]])]
        self._offsets = torch.tensor(self._offset_list, device=device)
        super().__init__(num_envs, **kwargs)

    def _make_action_space(self) -> spaces.Space:
        return spaces.MultiDiscrete(self.nvec)

    def sample_states(self, n: int) -> torch.Tensor:
        """Random masks ``[n, sum(nvec)]`` (0/1 floats) with at least one valid action per head."""
        bits = torch.rand(n, self._rank.shape[0], generator=self.generator, device=self.device)
        masks = bits < 0.5
        for offset, size in zip(self._offset_list, self.nvec, strict=True):
            pick = torch.randint(size, (n, 1), generator=self.generator, device=self.device)
            masks.scatter_(1, offset + pick, True)
        return masks.to(self.dtype)

    def observe(self, state: torch.Tensor) -> torch.Tensor:
        return state.to(torch.float32)

    def dynamics(
        self, state: torch.Tensor, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n = state.shape[0]
        slots = actions.reshape(n, -1).long() + self._offsets  # [n, heads] concatenated indices
        valid = state.gather(1, slots) > 0
        best = []
        for head in torch.split(state * self._rank, self.nvec, dim=-1):
            best.append(head.argmax(dim=-1))
        correct = torch.stack(best, dim=-1) + self._offsets == slots
        heads = len(self.nvec)
        rewards = (correct & valid).sum(-1).float() / heads - (~valid).sum(-1).float() / heads
        self.violations += (~valid).sum()
        terminated = torch.zeros(n, dtype=torch.bool, device=self.device)
        return self.sample_states(n), rewards, terminated

    def has_action_masks(self) -> bool:
        return True

    def get_action_masks(self) -> torch.Tensor:
        """``[N, sum(nvec)]`` bool: True where the action is allowed (heads concatenated)."""
        return self.state > 0


class MaskedDiscreteTest(MultiDiscreteMaskedTest):
    """The masked game with a single ``Discrete(n)`` head (default ``n = 6``)."""

    default_nvec = (6,)

    def __init__(self, num_envs: int, n: int = 6, **kwargs: Any) -> None:
        super().__init__(num_envs, nvec=[int(n)], **kwargs)

    def _make_action_space(self) -> spaces.Space:
        return spaces.Discrete(self.nvec[0])


class DictObsTest(TorchCartPole):
    """CartPole whose observation is ``{'pos': [x, theta], 'vel': [x_dot, theta_dot] * vel_scale}``."""

    def __init__(self, num_envs: int, vel_scale: float = 10.0, **kwargs: Any) -> None:
        self.vel_scale = float(vel_scale)
        super().__init__(num_envs, **kwargs)
        box = self.observation_space
        self.observation_space = spaces.Dict(
            {
                "pos": spaces.Box(box.low[[0, 2]], box.high[[0, 2]], dtype=np.float32),
                "vel": spaces.Box(-np.inf, np.inf, (2,), dtype=np.float32),
            }
        )

    def observe(self, state: torch.Tensor) -> dict[str, torch.Tensor]:
        s = state.to(torch.float32)
        return {"pos": s[:, 0::2], "vel": s[:, 1::2] * self.vel_scale}


class AsymmetricCartPole(TorchCartPole):
    """CartPole: the actor sees the state entries not in ``hide`` (default: the cart velocity,
    index 1); ``states`` hold the full state."""

    def __init__(self, num_envs: int, hide: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(num_envs, **kwargs)
        hidden = {1} if hide is None else {int(i) for i in hide}
        self.keep = [i for i in range(4) if i not in hidden]
        self.state_space = self.observation_space
        self.observation_space = box_subspace(self.state_space, self.keep)

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
