"""Small, fast torch-native test envs (vecenv type ``TORCH``) for features CartPole cannot show.

* ``MultiDiscreteMaskedTest-v0`` (``MultiDiscreteMaskedTest``): ``MultiDiscrete([3, 4, 5])``
  actions with a random action mask per step; ``MaskedDiscreteTest-v0`` (``MaskedDiscreteTest``)
  is the same game with one ``Discrete(6)`` head. The observation is the mask itself (one float per
  action, heads concatenated). Each head pays ``+1/heads`` for choosing its highest-index *valid*
  action and ``-1/heads`` for an invalid (masked) one; an episode lasts 32 steps (a time-out), so
  the best return is 32. Invalid actions are counted in ``violations`` (a device tensor, no sync).
  With masks the policy only has to prefer high indices; without them it must decode the mask.
* ``DictObsTest-v0`` (``DictObsTest``): CartPole with a gymnasium ``Dict`` observation,
  ``{'pos': [x, theta], 'vel': [x_dot, theta_dot] * vel_scale}``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from rl_games.envs.torch_envs import TorchCartPole, TorchVecEnvBase


class MultiDiscreteMaskedTest(TorchVecEnvBase):
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
