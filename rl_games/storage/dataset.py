"""Minibatch iteration over one epoch's training batch (rl_games' ``PPODataset`` role).

``values_dict`` holds env-major ``[batch, ...]`` tensors (a dict of them for dict observations)
and ``rnn_states`` ``[S, layers, sequences, units]`` (one column per training sequence). Minibatch
``i`` is rows ``[i * minibatch_size, (i + 1) * minibatch_size)``: contiguous views, no gather; for a
recurrent model the minibatch size is a multiple of ``seq_length``, so sequences stay whole.
"""

from __future__ import annotations

from typing import Any

import torch


def rows(value: Any, start: int, stop: int) -> Any:
    """Rows ``start:stop`` of a batch entry (a tensor, or a dict of tensors for dict obs)."""
    if isinstance(value, dict):
        return {k: x[start:stop] for k, x in value.items()}
    return value[start:stop]


class PPODataset:
    """The actor's (and the central value's) minibatches, in order (rl_games does not shuffle)."""

    def __init__(
        self,
        batch_size: int,
        minibatch_size: int,
        is_discrete: bool,
        is_rnn: bool,
        device: torch.device,
        seq_length: int,
    ) -> None:
        self.batch_size, self.minibatch_size = batch_size, minibatch_size
        self.is_discrete, self.is_rnn = is_discrete, is_rnn
        self.device, self.seq_length = device, seq_length
        self.length = batch_size // minibatch_size
        self.values_dict: dict[str, Any] = {}
        self.last_range = (0, 0)

    def update_values_dict(self, values_dict: dict[str, Any]) -> None:
        """This epoch's batch; ``None`` entries are dropped."""
        self.values_dict = {k: v for k, v in values_dict.items() if v is not None}

    def update_mu_sigma(self, mu: torch.Tensor, sigma: torch.Tensor) -> None:
        """Overwrite the last minibatch's ``mu``/``sigma`` (later mini-epochs measure the KL
        against the policy after this minibatch's step)."""
        start, stop = self.last_range
        self.values_dict["mu"][start:stop] = mu
        self.values_dict["sigma"][start:stop] = sigma

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, idx: int) -> dict[str, Any]:
        start = idx * self.minibatch_size
        stop = start + self.minibatch_size
        self.last_range = (start, stop)
        mb = {k: rows(v, start, stop) for k, v in self.values_dict.items() if k != "rnn_states"}
        states = self.values_dict.get("rnn_states")
        if states is not None:  # whole sequences: rows start.. are seqs start // seq_length..
            mb["rnn_states"] = states[:, :, start // self.seq_length : stop // self.seq_length]
        return mb
