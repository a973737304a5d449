"""Preallocated on-device rollout storage, [horizon, envs, ...] per field.

A field is one tensor, or (dict observations) a dict of tensors, one per key.
"""

from __future__ import annotations

from typing import Any

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
        self.tensors: dict[str, Any] = {}

    def add_field(self, name: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        t = torch.zeros((self.horizon, self.num_envs, *shape), dtype=dtype, device=self.device)
        self.tensors[name] = t
        return t

    def add_dict_field(
        self, name: str, fields: dict[str, tuple[tuple[int, ...], torch.dtype]]
    ) -> dict[str, torch.Tensor]:
        """A dict field: ``fields`` maps each key to its (per-env shape, dtype)."""
        out = {
            key: torch.zeros((self.horizon, self.num_envs, *shape), dtype=dtype, device=self.device)
            for key, (shape, dtype) in fields.items()
        }
        self.tensors[name] = out
        return out

    def __getitem__(self, name: str) -> Any:
        return self.tensors[name]

    def put(self, name: str, t: int, value: Any) -> None:
        """Write step ``t`` of field ``name`` (a tensor, or a dict of tensors for a dict field)."""
        field = self.tensors[name]
        if isinstance(field, dict):
            for key, buf in field.items():
                buf[t] = value[key]
        else:
            field[t] = value

    def __contains__(self, name: str) -> bool:
        return name in self.tensors

    def add_rnn_states(self, template: tuple[torch.Tensor, ...], seq_length: int) -> torch.Tensor:
        """Initial RNN states per sequence: ``[horizon // seq_length, S, layers, envs, units]``
        for ``S`` state tensors shaped like ``template`` (``[layers, envs, units]`` each)."""
        shape = (self.horizon // seq_length, len(template), *template[0].shape)
        self.rnn_states = torch.zeros(shape, dtype=template[0].dtype, device=self.device)
        return self.rnn_states

    def store_rnn_states(self, seq: int, states: tuple[torch.Tensor, ...]) -> None:
        for i, state in enumerate(states):
            self.rnn_states[seq, i] = state

    def flat_rnn_states(self) -> torch.Tensor:
        """``[S, layers, envs * seqs_per_env, units]``; sequence ``env * seqs_per_env + k`` starts
        at flat row ``env * horizon + k * seq_length`` (the env-major order of :meth:`flat`)."""
        k, s, layers, envs, units = self.rnn_states.shape
        return self.rnn_states.permute(1, 2, 3, 0, 4).reshape(s, layers, envs * k, units)

    def flat(self, name: str) -> Any:
        """Env-major flattening as rl_games: row index = env * horizon + t (per key for dicts)."""
        t = self.tensors[name]
        if isinstance(t, dict):
            return {key: flatten_env_major(v) for key, v in t.items()}
        return flatten_env_major(t)


def flatten_env_major(t: torch.Tensor) -> torch.Tensor:
    return t.transpose(0, 1).reshape(t.shape[0] * t.shape[1], *t.shape[2:])
