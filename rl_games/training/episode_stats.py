"""Episode returns and lengths, accumulated on device with no per-step host sync.

Per step the tracker only does tensor math; finished episodes are recorded into per-step
buffers and read back once per epoch (``flush``), in time order, into exact windows of the
last ``games_to_track`` games (rl_games uses an approximate running window instead).
"""

from __future__ import annotations

from collections import deque

import numpy as np
import torch


class EpisodeTracker:
    def __init__(
        self,
        num_envs: int,
        value_size: int,
        horizon: int,
        games_to_track: int,
        device: torch.device,
        num_agents: int = 1,
    ) -> None:
        self.num_agents = num_agents
        self.cur_reward = torch.zeros(num_envs, value_size, device=device)
        self.cur_shaped = torch.zeros(num_envs, value_size, device=device)
        self.cur_length = torch.zeros(num_envs, device=device)
        self.done_buf = torch.zeros(horizon, num_envs, dtype=torch.bool, device=device)
        self.reward_buf = torch.zeros(horizon, num_envs, value_size, device=device)
        self.shaped_buf = torch.zeros(horizon, num_envs, value_size, device=device)
        self.length_buf = torch.zeros(horizon, num_envs, device=device)
        self.rewards: deque[np.ndarray] = deque(maxlen=games_to_track)
        self.shaped: deque[np.ndarray] = deque(maxlen=games_to_track)
        self.lengths: deque[float] = deque(maxlen=games_to_track)
        self.games = 0

    def step(
        self,
        t: int,
        rewards: torch.Tensor,
        shaped: torch.Tensor,
        dones: torch.Tensor,
        valid: torch.Tensor | None,
    ) -> None:
        """Accumulate one env step; ``valid`` = 0 for reset rows (not part of any episode)."""
        if valid is not None:
            v = valid.unsqueeze(-1)
            self.cur_reward.add_(rewards * v)
            self.cur_shaped.add_(shaped * v)
            self.cur_length.add_(valid)
        else:
            self.cur_reward.add_(rewards)
            self.cur_shaped.add_(shaped)
            self.cur_length.add_(1.0)
        self.done_buf[t] = dones
        self.reward_buf[t] = self.cur_reward
        self.shaped_buf[t] = self.cur_shaped
        self.length_buf[t] = self.cur_length
        keep = (~dones).float()
        self.cur_reward.mul_(keep.unsqueeze(-1))
        self.cur_shaped.mul_(keep.unsqueeze(-1))
        self.cur_length.mul_(keep)

    def start_new_episodes(self) -> None:
        """Every env restarts (a forced reset): the running returns and lengths start at 0."""
        self.cur_reward.zero_()
        self.cur_shaped.zero_()
        self.cur_length.zero_()

    def flush(self, steps: int) -> int:
        """Move the episodes finished in the last ``steps`` steps into the windows (one sync)."""
        done = self.done_buf[:steps]
        if self.num_agents > 1:  # count each env once: agents of an env are contiguous
            done = done.view(steps, -1, self.num_agents)[..., 0]
            idx = torch.nonzero(done)
            idx[:, 1] *= self.num_agents
        else:
            idx = torch.nonzero(done)
        if idx.numel() == 0:
            return 0
        t, e = idx[:, 0], idx[:, 1]
        # one device-to-host copy: [rewards (V) | shaped rewards (V) | length] per finished game
        rows = torch.cat(
            (self.reward_buf[t, e], self.shaped_buf[t, e], self.length_buf[t, e, None]), dim=1
        )
        rows = rows.cpu().numpy()
        v = self.reward_buf.shape[-1]
        rewards, shaped, lengths = rows[:, :v], rows[:, v : 2 * v], rows[:, 2 * v]
        self.rewards.extend(rewards)
        self.shaped.extend(shaped)
        self.lengths.extend(lengths.tolist())
        self.games += len(lengths)
        return len(lengths)

    def mean_reward(self) -> np.ndarray | None:
        return np.mean(np.stack(self.rewards), axis=0) if self.rewards else None

    def mean_shaped(self) -> np.ndarray | None:
        return np.mean(np.stack(self.shaped), axis=0) if self.shaped else None

    def mean_length(self) -> float | None:
        return float(np.mean(self.lengths)) if self.lengths else None

    def state_dict(self) -> dict[str, torch.Tensor | int]:
        """Running episode sums and the finished-game windows (for exact resume)."""

        def stack(items: deque, width: int) -> torch.Tensor:
            if not items:
                return torch.zeros(0, width)
            return torch.as_tensor(np.stack(list(items)), dtype=torch.float32).reshape(-1, width)

        width = self.cur_reward.shape[1]
        return {
            "cur_reward": self.cur_reward.clone(),
            "cur_shaped": self.cur_shaped.clone(),
            "cur_length": self.cur_length.clone(),
            "rewards": stack(self.rewards, width),
            "shaped": stack(self.shaped, width),
            "lengths": torch.as_tensor(list(self.lengths), dtype=torch.float64),
            "games": self.games,
        }

    def load_state_dict(
        self, state: dict[str, torch.Tensor | int], windows_only: bool = False
    ) -> None:
        """Restore :meth:`state_dict`; ``windows_only`` keeps the running sums at zero."""
        if not windows_only:
            self.cur_reward.copy_(state["cur_reward"])
            self.cur_shaped.copy_(state["cur_shaped"])
            self.cur_length.copy_(state["cur_length"])
        self.clear()
        self.rewards.extend(np.asarray(state["rewards"].cpu(), dtype=np.float32))
        self.shaped.extend(np.asarray(state["shaped"].cpu(), dtype=np.float32))
        self.lengths.extend(state["lengths"].cpu().tolist())
        self.games = int(state["games"])

    def clear(self) -> None:
        self.rewards.clear()
        self.shaped.clear()
        self.lengths.clear()
