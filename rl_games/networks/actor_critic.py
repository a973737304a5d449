"""``actor_critic`` network: MLP trunk(s), value head, and a continuous / discrete /
multi-discrete action head. Parameter names follow rl_games' state_dict names."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from rl_games.config.schema import NetworkConfig
from rl_games.networks.activations import make_activation, make_initializer
from rl_games.networks.mlp import D2RLNet, build_mlp, mlp_output_size


class ActorCriticNetwork(nn.Module):
    """The raw network (``a2c_network``). ``forward(obs_dict)`` returns

    - continuous: ``(mu, sigma, value, states)`` (sigma is the raw output: log-std for logstd models)
    - discrete: ``(logits, value, states)``; multi-discrete: ``(list_of_logits, value, states)``
    - central value: ``(value, states)``
    """

    def __init__(self, cfg: NetworkConfig, **kwargs: Any) -> None:
        super().__init__()
        self.cfg = cfg
        input_shape = tuple(kwargs["input_shape"])
        self.value_size = int(kwargs.get("value_size", 1))
        self.actions_num = kwargs.get("actions_num", 1)
        self.separate = cfg.separate
        self.central_value = cfg.central_value
        if len(input_shape) != 1:
            raise NotImplementedError(
                f"actor_critic: observation shape {input_shape} needs a cnn block, which lands with "
                "the CNN/RNN issue; flatten the observation (env_config flatten_obs) for now"
            )
        if cfg.rnn is not None:
            raise NotImplementedError("actor_critic: rnn lands with the CNN/RNN issue")
        in_size = input_shape[0]
        self.actor_mlp = self._trunk(in_size)
        if self.separate:
            self.critic_mlp = self._trunk(in_size)
        out_size = mlp_output_size(in_size, cfg.mlp.units)
        self.value = nn.Linear(out_size, self.value_size)
        self.value_act = make_activation(cfg.value_activation)
        self.head_kind = self._build_head(out_size)
        self._init_weights()

    def _trunk(self, in_size: int) -> nn.Module:
        m = self.cfg.mlp
        if m.d2rl:
            return D2RLNet(in_size, m.units, m.activation, self.cfg.normalization)
        return build_mlp(
            in_size, m.units, m.activation, self.cfg.normalization, m.norm_only_first_layer
        )

    def _build_head(self, out_size: int) -> str:
        space = self.cfg.space
        if self.central_value:
            return "value"
        if space.continuous is not None:
            c = space.continuous
            self.mu = nn.Linear(out_size, self.actions_num)
            self.mu_act = make_activation(c.mu_activation)
            self.sigma_act = make_activation(c.sigma_activation)
            if c.fixed_sigma:
                self.sigma = nn.Parameter(torch.zeros(self.actions_num), requires_grad=True)
            else:
                self.sigma = nn.Linear(out_size, self.actions_num)
            return "continuous"
        if space.multi_discrete is not None:
            self.logits = nn.ModuleList(nn.Linear(out_size, n) for n in self.actions_num)
            return "multi_discrete"
        if space.discrete is not None:
            self.logits = nn.Linear(out_size, self.actions_num)
            return "discrete"
        raise ValueError("actor_critic: network.space needs continuous, discrete or multi_discrete")

    def _init_weights(self) -> None:
        """rl_games: the mlp initializer on every Linear weight, every bias zeroed, then mu/sigma."""
        init = make_initializer(self.cfg.mlp.initializer)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
                init(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        if self.head_kind == "continuous":
            c = self.cfg.space.continuous
            make_initializer(c.mu_init)(self.mu.weight)
            sigma_init = make_initializer(c.sigma_init)
            if c.fixed_sigma:
                sigma_init(self.sigma)
            else:
                # state-dependent sigma: const init sets the bias, weight zeroed (rl_games 2.0)
                if (c.sigma_init or {}).get("name") == "const_initializer":
                    nn.init.zeros_(self.sigma.weight)
                    sigma_init(self.sigma.bias)
                else:
                    sigma_init(self.sigma.weight)

    # ------------------------------------------------------------------ rl_games API
    def is_rnn(self) -> bool:
        return False

    def is_separate_critic(self) -> bool:
        return self.separate

    def get_default_rnn_state(self) -> None:
        return None

    def get_value_layer(self) -> nn.Module:
        return self.value

    def get_aux_loss(self) -> dict[str, torch.Tensor] | None:
        return None

    def forward(self, obs_dict: dict[str, Any]) -> tuple:
        obs = obs_dict["obs"]
        states = obs_dict.get("rnn_states")
        a_out = self.actor_mlp(obs)
        c_out = self.critic_mlp(obs) if self.separate else a_out
        value = self.value_act(self.value(c_out))
        if self.head_kind == "value":
            return value, states
        if self.head_kind == "continuous":
            mu = self.mu_act(self.mu(a_out))
            if isinstance(self.sigma, nn.Parameter):
                sigma = self.sigma_act(self.sigma).expand_as(mu)
            else:
                sigma = self.sigma_act(self.sigma(a_out))
            return mu, sigma, value, states
        if self.head_kind == "multi_discrete":
            return [head(a_out) for head in self.logits], value, states
        return self.logits(a_out), value, states


class A2CBuilder:
    """Network builder ``actor_critic`` (rl_games' ``load(params)`` / ``build(name, **kw)``)."""

    Network = ActorCriticNetwork

    def __init__(self, **kwargs: Any) -> None:
        self.params: NetworkConfig | None = None

    def load(self, params: NetworkConfig | dict) -> None:
        if isinstance(params, dict):
            from rl_games.config.loader import Parser

            parser = Parser()
            params = parser.parse(NetworkConfig, params, "network")
            if parser.problems:
                from rl_games.config.errors import ConfigError

                raise ConfigError(parser.problems, "network")
        self.params = params

    def build(self, name: str, **kwargs: Any) -> nn.Module:
        assert self.params is not None, "call load(params) before build()"
        return self.Network(self.params, **kwargs)

    def __call__(self, name: str, **kwargs: Any) -> nn.Module:
        return self.build(name, **kwargs)
