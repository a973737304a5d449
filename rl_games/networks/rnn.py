"""Recurrent layers for ``actor_critic`` / ``resnet_actor_critic`` (rl_games ``rnn`` block).

States are tuples of ``[layers, num_seqs, units]`` tensors: LSTM ``(h, c)``, GRU ``(h,)``
(``identity``: one dummy ``[layers, num_seqs, 1]`` tensor). Training batches arrive flat in
env-major order and are cut into ``[num_seqs, seq_length]`` sequences; the recurrence runs
time-major, and where ``dones[t] == 1`` the state is multiplied by ``1 - done`` before step ``t``
is processed (an episode boundary inside a training sequence).
"""

from __future__ import annotations

import torch
from torch import nn

RnnState = tuple[torch.Tensor, ...]


def split_batch(x: torch.Tensor, seq_length: int) -> torch.Tensor:
    """``[B, F]`` (env-major rows) -> time-major ``[seq_length, B // seq_length, F]``."""
    return x.reshape(x.shape[0] // seq_length, seq_length, *x.shape[1:]).transpose(0, 1)


def merge_batch(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`split_batch`: ``[T, N, F]`` -> ``[N * T, F]``."""
    return x.transpose(0, 1).reshape(x.shape[0] * x.shape[1], *x.shape[2:])


def reset_steps(dones: torch.Tensor) -> list[int]:
    """Time indices (> 0) of a time-major ``[T, N]`` done mask where any sequence restarts."""
    if dones.shape[0] <= 1:
        return []
    return (torch.nonzero(dones[1:].any(dim=1)).flatten() + 1).tolist()


def mask_states(states: RnnState, keep: torch.Tensor) -> RnnState:
    """Multiply every state tensor by ``keep`` (``[num_seqs]``, 1 keeps and 0 zeroes)."""
    k = keep.to(states[0].dtype).view(1, -1, 1)
    return tuple(s * k for s in states)


def zero_states(states: RnnState, reset: torch.Tensor) -> RnnState:
    """States with the sequences where ``reset`` (bool ``[num_seqs]``) is set zeroed."""
    return mask_states(states, ~reset)


class RnnWithDones(nn.Module):
    """``nn.LSTM`` / ``nn.GRU`` (attribute ``rnn``, as in rl_games' state_dict) with episode
    boundaries: the input is time-major ``[T, N, F]``, ``dones`` ``[T, N]`` or None."""

    def __init__(self, name: str, input_size: int, units: int, layers: int) -> None:
        super().__init__()
        self.name = name
        self.layers = layers
        self.units = units
        if name == "lstm":
            self.rnn: nn.Module = nn.LSTM(input_size, units, layers)
        elif name == "gru":
            self.rnn = nn.GRU(input_size, units, layers)
        elif name == "identity":
            self.rnn = nn.Identity()
            self.units = input_size
        else:
            raise ValueError(f"unknown rnn '{name}'; valid: lstm, gru, identity")

    @property
    def num_states(self) -> int:
        return 2 if self.name == "lstm" else 1

    @property
    def output_size(self) -> int:
        return self.units

    def default_state(self, num_seqs: int, device: torch.device | None = None) -> RnnState:
        size = 1 if self.name == "identity" else self.units
        shape = (self.layers, num_seqs, size)
        return tuple(torch.zeros(shape, device=device) for _ in range(self.num_states))

    def _run(self, x: torch.Tensor, states: RnnState) -> tuple[torch.Tensor, RnnState]:
        if self.name == "lstm":
            out, (h, c) = self.rnn(x, (states[0].contiguous(), states[1].contiguous()))
            return out, (h, c)
        out, h = self.rnn(x, states[0].contiguous())
        return out, (h,)

    def forward(
        self, x: torch.Tensor, states: RnnState, dones: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, RnnState]:
        if self.name == "identity":
            return x, states
        if dones is None:
            return self._run(x, states)
        states = mask_states(states, 1.0 - dones[0])
        bounds = [0, *reset_steps(dones), x.shape[0]]
        outs = []
        for start, end in zip(bounds[:-1], bounds[1:], strict=True):
            if start > 0:
                states = mask_states(states, 1.0 - dones[start])
            out, states = self._run(x[start:end], states)
            outs.append(out)
        return torch.cat(outs, dim=0) if len(outs) > 1 else outs[0], states
