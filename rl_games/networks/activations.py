"""rl_games' activation and initializer names, as factories."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "swish": nn.SiLU,
    "silu": nn.SiLU,
    "gelu": nn.GELU,
    "softplus": nn.Softplus,
    "leaky_relu": nn.LeakyReLU,
    "mish": nn.Mish,
    "None": nn.Identity,
    "none": nn.Identity,
    "identity": nn.Identity,
}


def make_activation(name: str | None) -> nn.Module:
    if name is None:
        return nn.Identity()
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"unknown activation '{name}'; valid: {', '.join(ACTIVATIONS)}") from None


def _variance_scaling(t: torch.Tensor, scale: float = 1.0, mode: str = "fan_in") -> torch.Tensor:
    """Truncated-normal variance scaling (TF style): std = sqrt(scale / fan) / 0.8796."""
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(t)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = math.sqrt(scale / max(1.0, fan)) / 0.87962566103423978
    with torch.no_grad():
        return nn.init.trunc_normal_(t, 0.0, std, -2 * std, 2 * std)


def _const(t: torch.Tensor, val: float | None = None, value: float | None = None) -> torch.Tensor:
    return nn.init.constant_(t, val if val is not None else (value if value is not None else 0.0))


def _normc(t: torch.Tensor, std: float = 1.0) -> torch.Tensor:
    """Normal weights with each output row rescaled to norm ``std``."""
    with torch.no_grad():
        t.normal_(0.0, 1.0)
        t *= std / t.pow(2).sum(dim=tuple(range(1, t.dim())), keepdim=True).sqrt()
    return t


INITIALIZERS: dict[str, Callable[..., Any]] = {
    "const_initializer": _const,
    "orthogonal_initializer": nn.init.orthogonal_,
    "orthogonal": nn.init.orthogonal_,
    "glorot_normal_initializer": nn.init.xavier_normal_,
    "glorot_uniform_initializer": nn.init.xavier_uniform_,
    "xavier_normal": nn.init.xavier_normal_,
    "xavier_uniform": nn.init.xavier_uniform_,
    "variance_scaling_initializer": _variance_scaling,
    "random_uniform_initializer": nn.init.uniform_,
    "kaiming_normal": nn.init.kaiming_normal_,
    "kaiming_uniform": nn.init.kaiming_uniform_,
    "normal": nn.init.normal_,
    "normc_initializer": _normc,
    "default": lambda t, **_: t,  # keep PyTorch's default weight init (biases are still zeroed)
}


def make_initializer(spec: dict[str, Any] | None) -> Callable[[torch.Tensor], Any]:
    """``{name: ..., **kwargs}`` -> ``fn(tensor)``. Unknown kwargs of a real initializer raise."""
    spec = dict(spec or {"name": "default"})
    name = spec.pop("name", "default")
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initializer '{name}'; valid: {', '.join(INITIALIZERS)}")
    fn = INITIALIZERS[name]
    if name == "default":
        return fn
    if name != "variance_scaling_initializer":
        spec.pop("scale", None)  # rl_games configs carry `scale` for initializers that ignore it
    return lambda t: fn(t, **spec)
