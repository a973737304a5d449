"""``soft_actor_critic`` network builder and model.

State dict names follow rl_games: the actor is ``trunk.N.*`` (a Sequential MLP ending in
``Linear(2 * A)`` whose output splits into ``mu`` and the raw log-std), the critics are
``Q1.N.*`` / ``Q2.N.*`` (MLPs on ``concat(obs, action)`` ending in ``Linear(1)``). The model
holds ``sac_network.{actor,critic,critic_target}`` and, with ``normalize_input``,
``running_mean_std``.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import torch
from torch import nn

from rl_games.algos.sac.losses import sample_squashed, squash_log_std
from rl_games.config.schema import NetworkConfig
from rl_games.networks.activations import make_initializer
from rl_games.networks.base_network import BaseNetwork
from rl_games.networks.builder_base import NetworkBuilder, as_network_config
from rl_games.networks.mlp import D2RLNet, build_mlp, mlp_output_size
from rl_games.networks.models import BaseModel, model_network_kwargs
from rl_games.networks.normalization import RunningMeanStd

log = logging.getLogger(__name__)

DEFAULT_LOG_STD_BOUNDS = (-5.0, 2.0)


def _mlp_with_head(cfg: NetworkConfig, in_size: int, out_size: int) -> nn.Sequential:
    """Hidden layers then ``Linear(out_size)``: ``[Linear, act, (norm)] * n + [Linear]``.

    With ``d2rl`` the hidden part is one ``D2RLNet`` module (``N.0.linears.i.*``, head ``N.1``).
    """
    m = cfg.mlp
    if m.d2rl:
        hidden: nn.Module = D2RLNet(in_size, m.units, m.activation, cfg.normalization)
        return nn.Sequential(hidden, nn.Linear(mlp_output_size(in_size, m.units), out_size))
    body = build_mlp(in_size, m.units, m.activation, cfg.normalization, m.norm_only_first_layer)
    return nn.Sequential(*body, nn.Linear(mlp_output_size(in_size, m.units), out_size))


def _init_linears(module: nn.Module, initializer: dict[str, Any] | None) -> None:
    """The mlp initializer on every Linear weight; every bias zeroed (as in rl_games)."""
    init = make_initializer(initializer)
    for m in module.modules():
        if isinstance(m, nn.Linear):
            init(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class SACActor(nn.Module):
    """``obs -> (mu, log_std)``; log_std bounded smoothly to ``[lo, hi]``."""

    def __init__(
        self, cfg: NetworkConfig, obs_dim: int, action_dim: int, bounds: tuple[float, float]
    ) -> None:
        super().__init__()
        self.action_dim = action_dim
        self.log_std_lo, self.log_std_hi = float(bounds[0]), float(bounds[1])
        self.trunk = _mlp_with_head(cfg, obs_dim, 2 * action_dim)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, raw_log_std = self.trunk(obs).chunk(2, dim=-1)
        return mu, squash_log_std(raw_log_std, self.log_std_lo, self.log_std_hi)


class DoubleQCritic(nn.Module):
    """Twin Q functions ``Q_i(obs, action)`` on ``concat(obs, action)``; each returns ``[B]``."""

    def __init__(self, cfg: NetworkConfig, obs_dim: int, action_dim: int) -> None:
        super().__init__()
        self.Q1 = _mlp_with_head(cfg, obs_dim + action_dim, 1)
        self.Q2 = _mlp_with_head(cfg, obs_dim + action_dim, 1)

    def forward(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.cat([obs, action], dim=-1)
        return self.Q1(x).squeeze(-1), self.Q2(x).squeeze(-1)


class SACNetwork(BaseNetwork):
    """``actor``, ``critic`` and its Polyak copy ``critic_target`` (built only if ``separate``).

    ``params``: the typed block or a plain dict (unknown keys are errors unless subclassed)."""

    def __init__(self, params: NetworkConfig | dict[str, Any], **kwargs: Any) -> None:
        super().__init__()
        strict = type(self) is SACNetwork
        if isinstance(params, dict) and "separate" not in params:
            params = {**params, "separate": True}  # rl_games' SAC builder reads it as True
        self.cfg = cfg = as_network_config(params, strict)
        if not cfg.separate:
            log.warning("soft_actor_critic with separate: False builds no critic")
        obs_dim = int(kwargs.get("obs_dim") or int(torch.Size(kwargs["input_shape"]).numel()))
        action_dim = int(kwargs.get("action_dim") or kwargs["actions_num"])
        bounds = cfg.log_std_bounds
        if bounds is None:
            log.warning("network.log_std_bounds not set: using %s", list(DEFAULT_LOG_STD_BOUNDS))
            bounds = DEFAULT_LOG_STD_BOUNDS
        self.obs_dim, self.action_dim = obs_dim, action_dim
        self.actor = SACActor(cfg, obs_dim, action_dim, (bounds[0], bounds[1]))
        _init_linears(self.actor, cfg.mlp.initializer)
        if cfg.separate:
            self.critic = DoubleQCritic(cfg, obs_dim, action_dim)
            _init_linears(self.critic, cfg.mlp.initializer)
            self.critic_target = copy.deepcopy(self.critic)
            self.critic_target.requires_grad_(False)


class SACBuilder(NetworkBuilder):
    """Network builder ``soft_actor_critic`` (``load(params)`` / ``build(name, **kwargs)``)."""

    Network = SACNetwork

    def build(self, name: str, **kwargs: Any) -> SACNetwork:
        return self.Network(self.params, **kwargs)


class SACModel(nn.Module):
    """The ``soft_actor_critic`` model: optional obs normalizer + the SAC networks.

    The normalizer is only updated explicitly (``update_obs_stats``), once per fresh env frame;
    ``norm_obs`` never updates it.
    """

    def __init__(
        self, sac_network: SACNetwork, normalize_input: bool = False, **kwargs: Any
    ) -> None:
        """rl_games' ``Network(sac_network, obs_shape=, normalize_input=, ...)``."""
        super().__init__()
        self.normalize_input = bool(normalize_input)
        if self.normalize_input:
            self.running_mean_std = RunningMeanStd((sac_network.obs_dim,))
        self.sac_network = sac_network

    @property
    def actor(self) -> SACActor:
        return self.sac_network.actor

    @property
    def critic(self) -> DoubleQCritic:
        return self.sac_network.critic

    @property
    def critic_target(self) -> DoubleQCritic:
        return self.sac_network.critic_target

    def norm_obs(self, obs: torch.Tensor) -> torch.Tensor:
        """``clamp((obs - mean) / sqrt(var + eps), -5, 5)`` with frozen statistics."""
        obs = obs.float() / 255.0 if obs.dtype == torch.uint8 else obs.float()
        if not self.normalize_input:
            return obs
        with torch.no_grad():
            return self.running_mean_std.normalize(obs)

    @torch.no_grad()
    def update_obs_stats(self, obs: torch.Tensor) -> None:
        if self.normalize_input:
            obs = obs.float() / 255.0 if obs.dtype == torch.uint8 else obs.float()
            self.running_mean_std.update(obs)

    def is_rnn(self) -> bool:
        return False

    def act(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        """Actions in ``[-1, 1]`` (tanh space): ``tanh(mu)`` if deterministic, else ``tanh(u)``."""
        mu, log_std = self.actor(self.norm_obs(input_dict["obs"]))
        if input_dict.get("deterministic", False):
            actions = torch.tanh(mu)
        else:
            actions, _ = sample_squashed(mu, log_std, 1.0, 0.0, 0.0)
        return {"actions": actions, "mus": mu, "log_std": log_std}

    def forward(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        return self.act(input_dict)


class ModelSACContinuous(BaseModel):
    """rl_games model entry ``soft_actor_critic``: ``Model(builder).build(config) -> SACModel``."""

    Network = SACModel

    def __init__(self, network: Any) -> None:
        BaseModel.__init__(self, "sac")
        self.network_builder = network

    def build(self, config: dict[str, Any]) -> SACModel:
        net = self.network_builder.build(self.model_class, **config)
        return self.Network(net, **model_network_kwargs(config))
