"""``resnet_actor_critic``: an IMPALA-style residual CNN, then (rnn) -> mlp -> (rnn) -> heads.

Each entry of ``cnn.conv_depths`` is one stage: conv3x3 -> maxpool(3, stride 2, pad 1) -> two
residual blocks ``x + conv(act(conv(act(x))))``. The flattened output passes through the MLP
activation. One shared trunk (``separate`` is not supported by rl_games' resnet builder either).
state_dict names: ``a2c_network.cnn.*``, ``a2c_network.mlp.*``, ``rnn.rnn.*``, ``layer_norm.*``,
``value``, ``logits`` / ``mu`` / ``sigma``.
"""

from __future__ import annotations

import logging

import torch
from torch import nn
from torch.nn import functional as F

from rl_games.networks import cnn as C
from rl_games.networks.activations import make_activation
from rl_games.networks.actor_critic import A2CBuilder, ActorCriticNetwork

log = logging.getLogger(__name__)


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class ImpalaStage(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        self.max_pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.res_block1 = ResidualBlock(out_channels)
        self.res_block2 = ResidualBlock(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.res_block2(self.res_block1(self.max_pool(self.conv(x))))


def build_impala(in_channels: int, depths: list[int]) -> nn.Sequential:
    stages = []
    for depth in depths:
        stages.append(ImpalaStage(in_channels, depth))
        in_channels = depth
    return nn.Sequential(*stages)


class ResnetActorCriticNetwork(ActorCriticNetwork):
    """The raw network of ``resnet_actor_critic``; same outputs as ``actor_critic``."""

    _strict_params = True

    def _build_encoders(self, input_shape: tuple) -> int:
        if self.cfg.cnn is None or not self.cfg.cnn.conv_depths:
            raise ValueError("resnet_actor_critic needs cnn.conv_depths (IMPALA stage channels)")
        if self.cfg.require_rewards or self.cfg.require_last_actions:
            raise NotImplementedError(
                "resnet_actor_critic: require_rewards / require_last_actions are not supported"
            )
        if self.separate:
            log.warning("resnet_actor_critic has one shared trunk; separate: True is ignored")
            self.separate = False
        self.has_cnn = True
        self.permute_input = self.cfg.cnn.permute_input
        shape = C.cnn_input_shape(input_shape, self.permute_input)
        if len(shape) != 3:
            raise ValueError(f"resnet_actor_critic needs image observations, got {input_shape}")
        self.cnn = build_impala(shape[0], list(self.cfg.cnn.conv_depths))
        self.flatten_act = make_activation(self.cfg.mlp.activation)
        return C.flat_output_size(self.cnn, shape)

    def _build_mlps(self, in_size: int) -> None:
        self.mlp = self._trunk(in_size)

    def _features(self, kind: str, obs: torch.Tensor) -> torch.Tensor:
        return self.flatten_act(C.encode(self.cnn, obs, self.permute_input))

    def _mlp_of(self, kind: str) -> nn.Module:
        return self.mlp

    def _init_weights(self) -> None:
        """As ``actor_critic``, then the convs get kaiming-normal (fan_out, relu) weights."""
        super()._init_weights()
        for m in self.cnn.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


class A2CResnetBuilder(A2CBuilder):
    """Network builder ``resnet_actor_critic``."""

    Network = ResnetActorCriticNetwork
