"""Preallocated on-device rollout storage (rl_games' ``ExperienceBuffer`` role).

``tensor_dict`` maps rl_games' field names (``obses``, ``actions``, ``neglogpacs``, ``values``,
``rewards``, ``dones``, ``mus``, ``sigmas``, ``states``, ...) to ``[horizon, envs, ...]`` tensors on
the training device; a field is one tensor, or (dict observations) a dict of tensors, one per key.
A subclass of the agent adds its own fields in ``init_tensors`` (:meth:`ExperienceBuffer.add_field`,
or a tensor put straight into ``tensor_dict`` as rl_games' subclasses do).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch


class ExperienceBuffer:
    """One epoch of experience. ``dones[t]`` is 1 when obs t starts a new episode.

    ``valid[t]`` is 0 for envpool-style reset rows (the step right after a done under
    next-step autoreset), which must not enter losses or statistics.
    """

    def __init__(self, horizon: int, num_envs: int, device: torch.device) -> None:
        self.horizon = horizon
        self.num_envs = num_envs
        self.device = device
        self.tensor_dict: dict[str, Any] = {}
        self.rnn_states: torch.Tensor | None = None

    @property
    def obs_base_shape(self) -> tuple[int, int]:
        """rl_games' name: the ``(horizon_length, envs x agents)`` leading shape of every field
        (AMP-style code sizes its own ``tensor_dict`` entries with it)."""
        return (self.horizon, self.num_envs)

    def _zeros(self, num_envs: int | None, shape: tuple[int, ...], dtype: torch.dtype) -> Any:
        envs = self.num_envs if num_envs is None else num_envs
        return torch.zeros((self.horizon, envs, *shape), dtype=dtype, device=self.device)

    def add_field(
        self,
        name: str,
        shape: tuple[int, ...],
        dtype: torch.dtype = torch.float32,
        num_envs: int | None = None,
    ) -> torch.Tensor:
        """A ``[horizon, num_envs, *shape]`` field (``num_envs``: the buffer's unless given)."""
        self.tensor_dict[name] = self._zeros(num_envs, shape, dtype)
        return self.tensor_dict[name]

    def add_dict_field(
        self,
        name: str,
        fields: dict[str, tuple[tuple[int, ...], torch.dtype]],
        num_envs: int | None = None,
    ) -> dict[str, torch.Tensor]:
        """A dict field: ``fields`` maps each key to its (per-env shape, dtype)."""
        out = {key: self._zeros(num_envs, shape, dtype) for key, (shape, dtype) in fields.items()}
        self.tensor_dict[name] = out
        return out

    def __getitem__(self, name: str) -> Any:
        return self.tensor_dict[name]

    def __contains__(self, name: str) -> bool:
        return name in self.tensor_dict

    def update_data(self, name: str, index: int, value: Any) -> None:
        """Write step ``index`` of field ``name`` (a tensor, or a dict of tensors for a dict
        field). An in-place copy on the buffer's device: no host sync."""
        field = self.tensor_dict[name]
        if isinstance(field, dict):
            for key, buf in field.items():
                buf[index] = value[key]
        else:
            field[index] = value

    def flat(self, name: str) -> Any:
        """Env-major flattening as rl_games: row index = env * horizon + t (per key for dicts)."""
        t = self.tensor_dict[name]
        if isinstance(t, dict):
            return {key: flatten_env_major(v) for key, v in t.items()}
        return flatten_env_major(t)

    def get_transformed_list(
        self, transform_op: Callable[[torch.Tensor], torch.Tensor], tensor_list: Iterable[str]
    ) -> dict[str, Any]:
        """rl_games' name: ``{name: transform_op(field)}`` for the named fields that exist (per
        key for a dict field); ``transform_op`` is usually :func:`flatten_env_major`."""
        out: dict[str, Any] = {}
        for name in tensor_list:
            field = self.tensor_dict.get(name)
            if isinstance(field, dict):
                out[name] = {key: transform_op(v) for key, v in field.items()}
            elif field is not None:
                out[name] = transform_op(field)
        return out

    # ------------------------------------------------------------------ RNN sequence starts
    def add_rnn_states(self, template: tuple[torch.Tensor, ...], seq_length: int) -> torch.Tensor:
        """Initial RNN states per sequence: ``[horizon // seq_length, S, layers, envs, units]``
        for ``S`` state tensors shaped like ``template`` (``[layers, envs, units]`` each)."""
        shape = (self.horizon // seq_length, len(template), *template[0].shape)
        self.rnn_states = torch.zeros(shape, dtype=template[0].dtype, device=self.device)
        return self.rnn_states

    def store_rnn_states(self, seq: int, states: tuple[torch.Tensor, ...]) -> None:
        assert self.rnn_states is not None
        for i, state in enumerate(states):
            self.rnn_states[seq, i] = state

    def flat_rnn_states(self) -> torch.Tensor:
        """``[S, layers, envs * seqs_per_env, units]``; sequence ``env * seqs_per_env + k`` starts
        at flat row ``env * horizon + k * seq_length`` (the env-major order of :meth:`flat`)."""
        assert self.rnn_states is not None
        k, s, layers, envs, units = self.rnn_states.shape
        return self.rnn_states.permute(1, 2, 3, 0, 4).reshape(s, layers, envs * k, units)


def flatten_env_major(t: torch.Tensor) -> torch.Tensor:
    """``[T, N, ...]`` -> ``[N * T, ...]``, row ``n * T + t`` (rl_games' ``swap_and_flatten01``)."""
    return t.transpose(0, 1).reshape(t.shape[0] * t.shape[1], *t.shape[2:])
