"""Replay buffer for off-policy training: a preallocated ring on the training device.

All fields of a transition live in one float32 row ``[obs | action | reward | next_obs |
terminated | truncated]``, so sampling is a single gather. ``add`` takes one row per env and an
optional validity mask (rows of ``next_step`` autoreset envs that start from a reset are not
transitions); skipped rows are written to a scratch row past the end. The write pointer and the
size are device tensors, so neither ``add`` nor ``sample`` synchronizes with the host.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch


class ReplayBatch(NamedTuple):
    obs: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    next_obs: torch.Tensor
    terminated: torch.Tensor
    truncated: torch.Tensor


def ring_positions(
    ptr: torch.Tensor, valid: torch.Tensor, capacity: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Write slots for a batch of rows and the advanced pointer.

    ``pos_i = (ptr + cumsum(valid)_i - 1) mod capacity`` for valid rows, ``capacity`` (the scratch
    row) for the others; ``ptr' = (ptr + sum(valid)) mod capacity``.
    """
    v = valid.to(torch.long)
    csum = torch.cumsum(v, dim=0)
    pos = torch.remainder(ptr + csum - 1, capacity)
    pos = torch.where(v.bool(), pos, torch.full_like(pos, capacity))
    return pos, torch.remainder(ptr + csum[-1], capacity)


class ReplayBuffer:
    """Ring buffer of ``capacity`` transitions with ``obs_dim``-dim obs and ``action_dim`` actions."""

    def __init__(
        self, capacity: int, obs_dim: int, action_dim: int, device: str | torch.device = "cpu"
    ) -> None:
        if capacity < 1:
            raise ValueError(f"replay capacity must be >= 1, got {capacity}")
        self.capacity, self.obs_dim, self.action_dim = int(capacity), int(obs_dim), int(action_dim)
        self.device = torch.device(device)
        o, a = self.obs_dim, self.action_dim
        # column layout of a row
        self._cols = {
            "obs": slice(0, o),
            "actions": slice(o, o + a),
            "rewards": slice(o + a, o + a + 1),
            "next_obs": slice(o + a + 1, 2 * o + a + 1),
            "terminated": slice(2 * o + a + 1, 2 * o + a + 2),
            "truncated": slice(2 * o + a + 2, 2 * o + a + 3),
        }
        self.width = 2 * o + a + 3
        self.data = torch.zeros(self.capacity + 1, self.width, device=self.device)
        self.ptr = torch.zeros((), dtype=torch.long, device=self.device)
        self.size = torch.zeros((), dtype=torch.long, device=self.device)
        self.rows_offered = 0  # host-side upper bound on the rows stored (no sync to keep it)

    @torch.no_grad()
    def add(
        self,
        obs: torch.Tensor,
        actions: torch.Tensor,
        rewards: torch.Tensor,
        next_obs: torch.Tensor,
        terminated: torch.Tensor,
        truncated: torch.Tensor,
        valid: torch.Tensor | None = None,
    ) -> None:
        """Append one transition per row; rows with ``valid == False`` are dropped."""
        n = obs.shape[0]
        if n > self.capacity:
            raise ValueError(f"adding {n} rows to a replay buffer of capacity {self.capacity}")
        rows = torch.cat(
            [
                obs.reshape(n, -1).float(),
                actions.reshape(n, -1).float(),
                rewards.reshape(n, 1).float(),
                next_obs.reshape(n, -1).float(),
                terminated.reshape(n, 1).float(),
                truncated.reshape(n, 1).float(),
            ],
            dim=1,
        )
        if valid is None:
            valid = torch.ones(n, dtype=torch.bool, device=self.device)
        pos, new_ptr = ring_positions(self.ptr, valid, self.capacity)
        self.data[pos] = rows
        # size' = min(size + sum(valid), capacity)
        self.size.copy_(torch.clamp(self.size + valid.to(torch.long).sum(), max=self.capacity))
        self.ptr.copy_(new_ptr)
        self.rows_offered += n

    def _split(self, rows: torch.Tensor) -> ReplayBatch:
        c = self._cols
        return ReplayBatch(
            rows[:, c["obs"]],
            rows[:, c["actions"]],
            rows[:, c["rewards"]].squeeze(-1),
            rows[:, c["next_obs"]],
            rows[:, c["terminated"]].squeeze(-1),
            rows[:, c["truncated"]].squeeze(-1),
        )

    @torch.no_grad()
    def sample(self, batch_size: int) -> ReplayBatch:
        """Uniform sample with replacement from the stored rows (``idx = floor(U[0,1) * size)``)."""
        u = torch.rand(batch_size, device=self.device)
        idx = (u * self.size).long()
        idx = torch.minimum(idx, (self.size - 1).clamp(min=0))
        return self._split(self.data.index_select(0, idx))

    def __len__(self) -> int:
        return int(self.size)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """rl_games' replay keys: obses, next_obses, actions, rewards, dones, truncated, idx, full."""
        b = self._split(self.data[: self.capacity])
        return {
            "obses": b.obs.clone(),
            "next_obses": b.next_obs.clone(),
            "actions": b.actions.clone(),
            "rewards": b.rewards.unsqueeze(-1).clone(),
            "dones": b.terminated.unsqueeze(-1).bool(),
            "truncated": b.truncated.unsqueeze(-1).bool(),
            "idx": int(self.ptr),
            "full": bool(int(self.size) >= self.capacity),
        }

    @torch.no_grad()
    def load_state_dict(self, state: dict[str, Any]) -> None:
        cap = int(state["obses"].shape[0])
        if cap != self.capacity:
            raise ValueError(f"saved replay capacity {cap} != configured {self.capacity}")
        d, c = self.data, self._cols
        d[: self.capacity, c["obs"]] = state["obses"].reshape(cap, -1).to(d)
        d[: self.capacity, c["next_obs"]] = state["next_obses"].reshape(cap, -1).to(d)
        d[: self.capacity, c["actions"]] = state["actions"].reshape(cap, -1).to(d)
        d[: self.capacity, c["rewards"]] = state["rewards"].reshape(cap, 1).to(d)
        d[: self.capacity, c["terminated"]] = state["dones"].reshape(cap, 1).to(d)
        truncated = state.get("truncated")
        if truncated is not None:
            d[: self.capacity, c["truncated"]] = truncated.reshape(cap, 1).to(d)
        idx, full = int(state["idx"]), bool(state["full"])
        self.ptr.fill_(idx % self.capacity)
        self.size.fill_(self.capacity if full else idx)
        self.rows_offered = int(self.size)
