"""Preallocated on-device rollout storage, [horizon, envs, ...] per field."""

from __future__ import annotations

import torch


class RolloutStorage:
    """Holds one epoch of experience. ``dones[t]`` is 1 when obs t starts a new episode.

    ``valid[t]`` is 0 for envpool-style reset rows (the step right after a done under
    next-step autoreset), which must not enter losses or statistics.
    """

    def __init__(self, horizon: int, num_envs: int, device: torch.device) -> None:
        self.horizon = horizon
        self.num_envs = num_envs
        self.device = device
        self.tensors: dict[str, torch.Tensor] = {}

    def add_field(self, name: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        t = torch.zeros((self.horizon, self.num_envs, *shape), dtype=dtype, device=self.device)
        self.tensors[name] = t
        return t

    def __getitem__(self, name: str) -> torch.Tensor:
        return self.tensors[name]

    def __contains__(self, name: str) -> bool:
        return name in self.tensors

    def flat(self, name: str) -> torch.Tensor:
        """Env-major flattening as rl_games: row index = env * horizon + t."""
        t = self.tensors[name]
        return t.transpose(0, 1).reshape(self.horizon * self.num_envs, *t.shape[2:])


def flatten_env_major(t: torch.Tensor) -> torch.Tensor:
    return t.transpose(0, 1).reshape(t.shape[0] * t.shape[1], *t.shape[2:])
