"""``NetworkBuilder.BaseNetwork``: the layer helpers rl_games network subclasses call.

Signatures follow rl_games (``_build_mlp(input_size, units, activation, dense_func, ...)``,
``_build_conv(ctype, input_shape=..., convs=[{filters, kernel_size, strides, padding}], ...)``,
``self.activations_factory.create('elu')``, ``self.init_factory.create(**{'name': ...})``);
the layers are ours (same Sequential layouts, so state_dict names match).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from rl_games.config.schema import CNNConfig, ConvLayerConfig
from rl_games.networks import cnn as C
from rl_games.networks.activations import ACTIVATIONS, INITIALIZERS, make_initializer
from rl_games.networks.mlp import D2RLNet, build_mlp
from rl_games.networks.rnn import RnnWithDones
from rl_games.registry import Registry


def activations_registry() -> Registry[Callable[..., nn.Module]]:
    """rl_games' ``activations_factory``: ``create(name, **kwargs) -> nn.Module``."""
    reg: Registry[Callable[..., nn.Module]] = Registry("activation")
    for name, cls in ACTIVATIONS.items():
        reg.register_builder(name, cls)
    return reg


def _named_initializer(name: str, **kwargs: Any) -> Callable[[torch.Tensor], Any]:
    return make_initializer({"name": name, **kwargs})


def initializers_registry() -> Registry[Callable[..., Callable[[torch.Tensor], Any]]]:
    """rl_games' ``init_factory``: ``create(name=..., **kwargs) -> fn(tensor)``."""
    reg: Registry[Callable[..., Callable[[torch.Tensor], Any]]] = Registry("initializer")
    for name in INITIALIZERS:
        reg.register_builder(name, functools.partial(_named_initializer, name))
    return reg


class BaseNetwork(nn.Module):
    """Base of raw networks: the rl_games network API's defaults and its layer helpers."""

    def __init__(self, **kwargs: Any) -> None:
        nn.Module.__init__(self, **kwargs)
        self.activations_factory = activations_registry()
        self.init_factory = initializers_registry()

    # ------------------------------------------------------------------ network API defaults
    def is_separate_critic(self) -> bool:
        return False

    def get_value_layer(self) -> nn.Module | None:
        return getattr(self, "value", None)

    def is_rnn(self) -> bool:
        return False

    def get_default_rnn_state(self) -> Any:
        return None

    def get_aux_loss(self) -> Any:
        return None

    # ------------------------------------------------------------------ layer helpers
    def _calc_input_size(self, input_shape: Sequence[int], cnn_layers: Any = None) -> int:
        """Flat feature size after ``cnn_layers`` (None or an empty Sequential: the 1-D input)."""
        if cnn_layers is None or (isinstance(cnn_layers, nn.Sequential) and len(cnn_layers) == 0):
            assert len(input_shape) == 1, f"expected a 1-D input shape, got {input_shape}"
            return int(input_shape[0])
        module = cnn_layers if isinstance(cnn_layers, nn.Module) else nn.Sequential(*cnn_layers)
        return C.flat_output_size(module, input_shape)

    def _build_rnn(self, name: str, input: int, units: int, layers: int) -> RnnWithDones:
        """``lstm`` | ``gru`` | ``identity``; call it as ``rnn(x[T, N, F], states, dones)``."""
        return RnnWithDones(name, input, units, layers)

    def _build_sequential_mlp(
        self,
        input_size: int,
        units: Sequence[int],
        activation: str,
        dense_func: Callable[[int, int], nn.Module] = nn.Linear,
        norm_only_first_layer: bool = False,
        norm_func_name: str | None = None,
    ) -> nn.Sequential:
        """``[dense, act, (norm)] * len(units)`` (indices as in rl_games: 0, 2, 4, ...)."""
        return build_mlp(
            input_size,
            units,
            activation,
            norm_func_name,
            norm_only_first_layer,
            dense_func=dense_func,
            make_act=self.activations_factory.create,
        )

    def _build_mlp(
        self,
        input_size: int,
        units: Sequence[int],
        activation: str,
        dense_func: Callable[[int, int], nn.Module] = nn.Linear,
        norm_only_first_layer: bool = False,
        norm_func_name: str | None = None,
        d2rl: bool = False,
    ) -> nn.Module:
        if d2rl:
            return D2RLNet(input_size, list(units), activation, norm_func_name)
        return self._build_sequential_mlp(
            input_size, units, activation, dense_func, norm_only_first_layer, norm_func_name
        )

    def _build_conv(self, ctype: str, **kwargs: Any) -> nn.Sequential:
        """``_build_conv(ctype, input_shape=, convs=[{filters, kernel_size, strides, padding}],
        activation=, norm_func_name=)``: ``[Conv, act, (norm)]`` per conv (flattened outside)."""
        convs = [
            c if isinstance(c, ConvLayerConfig) else ConvLayerConfig(**c) for c in kwargs["convs"]
        ]
        cfg = CNNConfig(type=ctype, convs=convs, activation=kwargs.get("activation", "relu"))
        return C.build_cnn(cfg, kwargs["input_shape"], kwargs.get("norm_func_name"))

    def _build_value_layer(
        self, input_size: int, output_size: int, value_type: str = "legacy"
    ) -> nn.Module:
        if value_type != "legacy":
            raise ValueError(f"value_type '{value_type}' is not supported; valid: legacy")
        return nn.Linear(input_size, output_size)
