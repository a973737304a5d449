"""``actor_critic`` network: MLP trunk(s), value head, and a continuous / discrete /
multi-discrete action head. Parameter names follow rl_games' state_dict names."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from rl_games.config.schema import NetworkConfig
from rl_games.networks import cnn as C
from rl_games.networks.activations import make_activation, make_initializer
from rl_games.networks.base_network import BaseNetwork
from rl_games.networks.builder_base import NetworkBuilder, as_network_config
from rl_games.networks.mlp import D2RLNet, build_mlp, mlp_output_size
from rl_games.networks.params import rl_games_attributes
from rl_games.networks.rnn import RnnWithDones, merge_batch, split_batch

# rl_games builds these (empty when unused); subclasses call them, e.g. ``self.critic_cnn(obs)``
_PLACEHOLDERS = ("actor_cnn", "critic_cnn", "actor_mlp", "critic_mlp")


class ActorCriticNetwork(BaseNetwork):
    """The raw network (``a2c_network``), rl_games' ``A2CBuilder.Network``. ``forward(obs_dict)``
    returns

    - continuous: ``(mu, sigma, value, states)`` (sigma is the raw output: log-std for logstd models)
    - discrete: ``(logits, value, states)``; multi-discrete: ``(list_of_logits, value, states)``
    - central value: ``(value, states)``

    ``params`` is the typed block or the plain dict rl_games passes (a subclass's
    ``super().__init__(params, **kwargs)``); it is parsed once by :meth:`load`, which also sets
    rl_games' attributes (``self.units``, ``self.space_config``, ...). Unknown keys are errors for
    the built-in classes only: in a subclass they are the subclass's own.
    """

    _strict_params = True  # read from the concrete class only (see ``load``)

    def __init__(self, params: NetworkConfig | dict[str, Any], **kwargs: Any) -> None:
        BaseNetwork.__init__(self)
        self.load(params)
        cfg = self.cfg
        input_shape = self._route_dict_input(kwargs["input_shape"])
        self.value_size = int(kwargs.get("value_size", 1))
        self.actions_num = kwargs.get("actions_num", 1)
        self.separate = cfg.separate
        self.central_value = cfg.central_value
        self.num_seqs = int(kwargs.get("num_seqs", 1))
        out_size = self._build_body(input_shape)
        self.value = nn.Linear(out_size, self.value_size)
        self.value_act = make_activation(cfg.value_activation)
        self.head_kind = self._build_head(out_size)
        self._init_weights()
        for name in _PLACEHOLDERS:
            if not hasattr(self, name):
                setattr(self, name, nn.Sequential())

    def load(self, params: NetworkConfig | dict[str, Any]) -> None:
        """rl_games' ``Network.load``: read the block (subclasses extend it to read their keys)."""
        strict = bool(type(self).__dict__.get("_strict_params", False))
        self.cfg = as_network_config(params, strict)
        raw = params if isinstance(params, dict) else self.cfg.raw
        for key, value in rl_games_attributes(self.cfg, raw).items():
            setattr(self, key, value)

    def _route_dict_input(self, input_shape: Any) -> tuple:
        """Dict observations: ``cfg.obs_keys`` (None: all keys, sorted) are flattened and
        concatenated into one vector; returns the (vector) input shape."""
        self.obs_keys: list[str] | None = None
        if not isinstance(input_shape, dict):
            return tuple(input_shape)
        keys = list(self.cfg.obs_keys) if self.cfg.obs_keys else sorted(input_shape)
        missing = [k for k in keys if k not in input_shape]
        if missing:
            raise ValueError(
                f"network.obs_keys {missing} not in the observation keys {sorted(input_shape)}"
            )
        self.obs_keys = keys
        return (sum(math.prod(input_shape[k]) for k in keys),)

    def _input(self, obs: Any) -> torch.Tensor:
        if self.obs_keys is None:
            return obs
        return torch.cat([obs[k].reshape(obs[k].shape[0], -1) for k in self.obs_keys], dim=-1)

    def _build_body(self, input_shape: tuple) -> int:
        """cnn -> (rnn) -> mlp -> (rnn) towers (critic ones when separate); returns the out size."""
        rnn = self.cfg.rnn
        self.has_rnn = rnn is not None
        feat = self._build_encoders(input_shape)
        mlp_in = feat
        if rnn is not None and rnn.before_mlp:
            mlp_in = self._build_rnns(feat, feat)
        self._build_mlps(mlp_in)
        out_size = mlp_output_size(mlp_in, self.cfg.mlp.units)
        if rnn is not None and not rnn.before_mlp:
            out_size = self._build_rnns(out_size + (feat if rnn.concat_input else 0), feat)
        return out_size

    def _build_encoders(self, input_shape: tuple) -> int:
        """``actor_cnn`` (+ ``critic_cnn``) when there is a cnn block; returns the feature size."""
        cfg = self.cfg
        self.has_cnn = cfg.cnn is not None
        self.permute_input = cfg.cnn is not None and cfg.cnn.permute_input
        if cfg.cnn is None:
            if len(input_shape) != 1:
                raise ValueError(
                    f"actor_critic: observation shape {input_shape} needs a cnn block "
                    "(or flatten the observation, e.g. env_config flatten_obs)"
                )
            return int(input_shape[0])
        shape = C.cnn_input_shape(input_shape, self.permute_input)
        self.actor_cnn = C.build_cnn(cfg.cnn, shape, cfg.normalization)
        if self.separate:
            self.critic_cnn = C.build_cnn(cfg.cnn, shape, cfg.normalization)
        return C.flat_output_size(self.actor_cnn, shape)

    def _build_mlps(self, in_size: int) -> None:
        self.actor_mlp = self._trunk(in_size)
        if self.separate:
            self.critic_mlp = self._trunk(in_size)

    def _build_rnns(self, in_size: int, feat: int) -> int:
        """``rnn``/``layer_norm`` (shared) or ``a_rnn``/``c_rnn``/``a_layer_norm``/``c_layer_norm``."""
        r = self.cfg.rnn
        names = (("a_rnn", "a_layer_norm"), ("c_rnn", "c_layer_norm"))
        for rnn_name, ln_name in names if self.separate else (("rnn", "layer_norm"),):
            rnn = RnnWithDones(r.name, in_size, r.units, r.layers)
            setattr(self, rnn_name, rnn)
            if r.layer_norm:
                setattr(self, ln_name, nn.LayerNorm(rnn.output_size))
        return rnn.output_size + (feat if r.concat_output else 0)

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
        cnn_init = make_initializer(self.cfg.cnn.initializer) if self.cfg.cnn else init
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
                (init if isinstance(m, nn.Linear) else cnn_init)(m.weight)
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
        return self.has_rnn

    def is_separate_critic(self) -> bool:
        return self.separate

    def get_default_rnn_state(self, num_seqs: int | None = None) -> tuple | None:
        """Zero states ``[layers, num_seqs, units]``: LSTM (h, c), GRU (h,); actor's then critic's."""
        if not self.has_rnn:
            return None
        n = self.num_seqs if num_seqs is None else num_seqs
        rnns = (self.a_rnn, self.c_rnn) if self.separate else (self.rnn,)
        device = self.value.weight.device
        return tuple(s for r in rnns for s in r.default_state(n, device))

    def get_value_layer(self) -> nn.Module:
        return self.value

    def get_aux_loss(self) -> dict[str, torch.Tensor] | None:
        return None

    def _recur(
        self, prefix: str, x: torch.Tensor, feat: torch.Tensor, states: tuple, ctx: tuple
    ) -> tuple:
        """Run rnn ``<prefix>rnn`` over flat env-major rows ``x`` cut into sequences."""
        seq_length, dones = ctx
        out, states = getattr(self, prefix + "rnn")(split_batch(x, seq_length), states, dones)
        out = merge_batch(out)
        ln = getattr(self, prefix + "layer_norm", None)
        if ln is not None:
            out = ln(out)
        if self.cfg.rnn.concat_output:
            out = torch.cat([out, feat], dim=1)
        return out, states

    def _features(self, kind: str, obs: torch.Tensor) -> torch.Tensor:
        """Flat CNN features of tower ``kind`` (or the raw 1-D observation)."""
        if not self.has_cnn:
            return obs
        return C.encode(getattr(self, kind + "_cnn"), obs, self.permute_input)

    def _mlp_of(self, kind: str) -> nn.Module:
        return getattr(self, kind + "_mlp")

    def _tower(self, kind: str, obs: torch.Tensor, states: Any, ctx: tuple) -> tuple:
        """One tower (``actor`` or ``critic``): cnn -> (rnn) -> mlp -> (rnn)."""
        feat = self._features(kind, obs)
        mlp = self._mlp_of(kind)
        if not self.has_rnn:
            return mlp(feat), states
        prefix = (kind[0] + "_") if self.separate else ""
        if self.cfg.rnn.before_mlp:
            out, states = self._recur(prefix, feat, feat, states, ctx)
            return mlp(out), states
        x = mlp(feat)
        if self.cfg.rnn.concat_input:
            x = torch.cat([x, feat], dim=1)
        return self._recur(prefix, x, feat, states, ctx)

    def _body(self, obs_dict: dict[str, Any]) -> tuple:
        """(actor features, critic features, rnn states) for the heads."""
        obs = self._input(obs_dict["obs"])
        states = obs_dict.get("rnn_states")
        if not (self.has_cnn or self.has_rnn):
            a_out = self.actor_mlp(obs)
            return a_out, (self.critic_mlp(obs) if self.separate else a_out), states
        ctx = None
        if self.has_rnn:
            seq_length = int(obs_dict.get("seq_length") or 1)
            if states is None:
                states = self.get_default_rnn_state(obs.shape[0] // seq_length)
            dones = obs_dict.get("dones")
            ctx = (seq_length, None if dones is None else split_batch(dones, seq_length))
        if not self.separate:
            a_out, states = self._tower("actor", obs, states, ctx)
            return a_out, a_out, states
        n = len(states) // 2 if self.has_rnn else 0
        a_out, a_states = self._tower("actor", obs, states[:n] if n else states, ctx)
        c_out, c_states = self._tower("critic", obs, states[n:] if n else states, ctx)
        return a_out, c_out, (tuple(a_states) + tuple(c_states)) if n else states

    def forward(self, obs_dict: dict[str, Any]) -> tuple:
        a_out, c_out, states = self._body(obs_dict)
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


class A2CBuilder(NetworkBuilder):
    """Network builder ``actor_critic`` (rl_games' ``load(params)`` / ``build(name, **kw)``).

    ``load`` keeps the block as given (the typed block, or a plain dict for user subclasses);
    ``build`` returns ``self.Network(self.params, **kwargs)``, so a subclass that only replaces
    its inner ``Network`` needs no ``build`` of its own.
    """

    Network = ActorCriticNetwork

    def build(self, name: str, **kwargs: Any) -> nn.Module:
        return self.Network(self.params, **kwargs)
