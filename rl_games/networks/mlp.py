"""MLP trunks with rl_games' Sequential layout (Linear, activation[, norm]) and D2RL."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from rl_games.networks.activations import make_activation


def _norm_layer(kind: str | None, units: int) -> nn.Module | None:
    if kind == "layer_norm":
        return nn.LayerNorm(units)
    if kind == "batch_norm":
        return nn.BatchNorm1d(units)
    return None


def build_mlp(
    input_size: int,
    units: Sequence[int],
    activation: str,
    normalization: str | None = None,
    norm_only_first_layer: bool = False,
    dense_func: Callable[[int, int], nn.Module] = nn.Linear,
    make_act: Callable[[str], nn.Module] = make_activation,
) -> nn.Sequential:
    """``[dense, act, (norm)] * len(units)``; state_dict indices match rl_games (0, 2, 4, ...).
    ``dense_func`` / ``make_act``: the layer and activation constructors (rl_games' network
    builders pass their own)."""
    layers: list[nn.Module] = []
    size = input_size
    for i, out in enumerate(units):
        layers += [dense_func(size, out), make_act(activation)]
        norm = _norm_layer(normalization, out) if (i == 0 or not norm_only_first_layer) else None
        if norm is not None:
            layers.append(norm)
        size = out
    return nn.Sequential(*layers)


class D2RLNet(nn.Module):
    """D2RL: every hidden layer after the first sees [previous output, network input]."""

    def __init__(
        self, input_size: int, units: list[int], activation: str, normalization: str | None = None
    ) -> None:
        super().__init__()
        self.linears = nn.ModuleList()
        self.activations = nn.ModuleList()
        self.norm_layers = nn.ModuleList()
        size = input_size
        for i, out in enumerate(units):
            in_size = size if i == 0 else size + input_size
            self.linears.append(nn.Linear(in_size, out))
            self.activations.append(make_activation(activation))
            norm = _norm_layer(normalization, out)
            self.norm_layers.append(norm if norm is not None else nn.Identity())
            size = out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for i, (lin, act, norm) in enumerate(
            zip(self.linears, self.activations, self.norm_layers, strict=True)
        ):
            out = norm(act(lin(out if i == 0 else torch.cat([out, x], dim=-1))))
        return out


def mlp_output_size(input_size: int, units: list[int]) -> int:
    return units[-1] if units else input_size
