"""User network builders and models written the way public rl_games code writes them.

``AuxHeadBuilder`` subclasses ``A2CBuilder`` / ``A2CBuilder.Network``, calls ``super().__init__``
and adds a head configured by its own ``aux_head:`` key (read in an overridden ``load``).
``TokenTransformerBuilder`` overrides ``load`` and builds every layer itself from ``transformer:``
with the ``BaseNetwork`` helpers. ``TokenModel`` subclasses ``ModelA2CContinuousLogStd`` and its
inner ``Network`` as IsaacGymEnvs' AMP model does. The CLI imports this module through
``config.import_modules`` (the subprocess gets this folder on ``PYTHONPATH``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from torch import nn

import rl_games.builders
from rl_games.algos_torch import model_builder, models, network_builder
from rl_games.config import parse_params
from rl_games.config.errors import ConfigError
from rl_games.networks.models import ContinuousLogStdNetwork

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


class AuxHeadBuilder(network_builder.A2CBuilder):
    class Network(network_builder.A2CBuilder.Network):
        def __init__(self, params: dict[str, Any], **kwargs: Any) -> None:
            super().__init__(params, **kwargs)
            inputs = kwargs["input_shape"][0]
            self.aux_mlp = self._build_mlp(
                input_size=inputs,
                units=self.aux_units,
                activation=self.aux_activation,
                dense_func=nn.Linear,
            )
            self.aux_value = self._build_value_layer(self.aux_units[-1], self.value_size)
            init = self.init_factory.create(**self.initializer)
            for m in self.aux_mlp.modules():
                if isinstance(m, nn.Linear):
                    init(m.weight)
            self.aux_gate = self.activations_factory.create("sigmoid")
            log.warning("aux_head units %s scale %s", self.aux_units, self.aux_scale)

        def load(self, params: dict[str, Any]) -> None:
            super().load(params)
            self.aux_units = params["aux_head"]["units"]
            self.aux_activation = params["aux_head"].get("activation", "tanh")
            self.aux_scale = float(params.get("aux_scale", 0.5))

        def forward(self, obs_dict: dict[str, Any]) -> tuple:
            logits, value, states = super().forward(obs_dict)
            aux = self.aux_value(self.aux_mlp(obs_dict["obs"]))
            return logits, value + self.aux_scale * self.aux_gate(aux), states

    def build(self, name: str, **kwargs: Any) -> nn.Module:
        return AuxHeadBuilder.Network(self.params, **kwargs)


class TokenTransformerBuilder(network_builder.A2CBuilder):
    def load(self, params: dict[str, Any]) -> None:
        self.params = params

    class Network(network_builder.A2CBuilder.Network):
        def __init__(self, params: dict[str, Any], **kwargs: Any) -> None:
            actions_num = kwargs.pop("actions_num")
            kwargs.pop("input_shape")
            self.value_size = kwargs.pop("value_size", 1)
            network_builder.NetworkBuilder.BaseNetwork.__init__(self)
            self.load(params)
            d = self.d_model
            self.embed = nn.Linear(1, d)
            layer = nn.TransformerEncoderLayer(d, self.heads, 2 * d, 0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, self.layers)
            self.actor_mlp = self._build_mlp(d, self.units, self.activation, nn.Linear)
            out = self.units[-1]
            self.value = self._build_value_layer(out, self.value_size)
            self.value_act = self.activations_factory.create(self.value_activation)
            assert self.is_continuous and not self.is_discrete and not self.has_rnn
            self.mu = nn.Linear(out, actions_num)
            self.mu_act = self.activations_factory.create(self.space_config["mu_activation"])
            self.sigma_act = self.activations_factory.create(self.space_config["sigma_activation"])
            self.sigma = nn.Parameter(torch.zeros(actions_num), requires_grad=True)
            self.init_factory.create(**self.space_config["sigma_init"])(self.sigma)

        def load(self, params: dict[str, Any]) -> None:
            super().load(params)
            self.d_model = params["transformer"]["d_model"]
            self.heads = params["transformer"].get("heads", 2)
            self.layers = params["transformer"].get("layers", 1)

        def forward(self, obs_dict: dict[str, Any]) -> tuple:
            tokens = self.embed(obs_dict["obs"].unsqueeze(-1))
            out = self.actor_mlp(self.encoder(tokens).mean(dim=1))
            mu = self.mu_act(self.mu(out))
            sigma = mu * 0.0 + self.sigma_act(self.sigma)
            return mu, sigma, self.value_act(self.value(out)), None


class TokenModel(models.ModelA2CContinuousLogStd):
    def __init__(self, network: Any) -> None:
        super().__init__(network)

    def build(self, config: dict[str, Any]) -> nn.Module:
        net = self.network_builder.build("token", **config)
        return TokenModel.Network(
            net,
            obs_shape=config["input_shape"],
            normalize_value=config.get("normalize_value", False),
            normalize_input=config.get("normalize_input", False),
            value_size=config.get("value_size", 1),
        )

    class Network(models.ModelA2CContinuousLogStd.Network):
        def __init__(self, a2c_network: nn.Module, **kwargs: Any) -> None:
            super().__init__(a2c_network, **kwargs)

        def forward(self, input_dict: dict[str, Any]) -> dict[str, Any]:
            result = super().forward(input_dict)
            result["token_sigma"] = self.a2c_network.sigma.detach()
            return result


@dataclasses.dataclass(frozen=True)
class AuxKeys:
    aux_head: dict = dataclasses.field(default_factory=dict)
    aux_scale: float = 0.5


class CheckedAuxHeadBuilder(AuxHeadBuilder):
    """The same network, with its keys declared: the block is checked like actor_critic's."""

    extra_keys = AuxKeys


def register() -> None:
    model_builder.register_network("test_aux_head", AuxHeadBuilder)
    model_builder.register_network("test_checked_aux_head", CheckedAuxHeadBuilder)
    model_builder.register_network("test_token_transformer", lambda **kw: TokenTransformerBuilder())
    model_builder.register_model("test_token_model", lambda network, **kw: TokenModel(network))


register()  # on import, as user modules named in config.import_modules do


@pytest.fixture(scope="module", autouse=True)
def registered() -> Iterator[None]:
    register()
    yield
    for name in ("test_aux_head", "test_checked_aux_head", "test_token_transformer"):
        rl_games.builders.NETWORKS.unregister(name)
    rl_games.builders.MODELS.unregister("test_token_model")


AUX_NETWORK = {
    "name": "test_aux_head",
    "separate": False,
    "space": {"discrete": None},
    "mlp": {"units": [16], "activation": "relu", "initializer": {"name": "default"}},
    "aux_head": {"units": [8], "activation": "tanh"},
    "aux_scale": 0.25,
}
TOKEN_NETWORK = {
    "name": "test_token_transformer",
    "space": {
        "continuous": {
            "mu_activation": "None",
            "sigma_activation": "None",
            "mu_init": {"name": "default"},
            "sigma_init": {"name": "const_initializer", "val": -0.5},
            "fixed_sigma": True,
            "learn_sigma": True,  # a key only user code reads, inside one of ours
        }
    },
    "mlp": {"units": [16], "activation": "elu", "initializer": {"name": "default"}},
    "transformer": {"d_model": 12, "heads": 2, "layers": 1},
}


def _doc(network: dict, model: str, algo: str, env: str, train_dir: Path) -> dict:
    return {
        "params": {
            "seed": 1,
            "algo": {"name": algo},
            "model": {"name": model},
            "network": network,
            "config": {
                "name": "custom",
                "env_name": env,
                "device": "cpu",
                "import_modules": ["test_custom_builders"],
                "train_dir": str(train_dir),
                "num_actors": 8,
                "horizon_length": 16,
                "minibatch_size": 64,
                "mini_epochs": 2,
                "max_epochs": 3,
                "save_frequency": 1,
                "player": {"games_num": 2, "deterministic": True},
            },
        }
    }


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    path = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "PYTHONWARNINGS": "ignore", "WANDB_MODE": "offline"}
    cmd = [sys.executable, str(REPO / "runner.py"), *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def _train_and_play(tmp_path: Path, doc: dict) -> tuple[str, dict[str, torch.Tensor]]:
    """``--train`` then ``--play`` the last checkpoint; returns (train output, model state)."""
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(doc))
    train = _cli("--train", "--file", str(cfg), cwd=tmp_path)
    out = train.stdout + train.stderr
    assert train.returncode == 0, out
    ckpts = sorted((tmp_path / "runs").rglob("*.pth"), key=lambda p: p.stat().st_mtime)
    assert ckpts, out
    play = _cli("--play", "--file", str(cfg), "--checkpoint", str(ckpts[-1]), cwd=tmp_path)
    assert play.returncode == 0, play.stdout + play.stderr
    state = torch.load(ckpts[-1], map_location="cpu", weights_only=False)["model"]
    return out, state


def test_a2c_subclass_with_its_own_key_trains_and_plays(tmp_path: Path) -> None:
    doc = _doc(AUX_NETWORK, "discrete_a2c", "a2c_discrete", "TorchCartPole-v1", tmp_path / "runs")
    out, state = _train_and_play(tmp_path, doc)
    assert "aux_head units [8] scale 0.25" in out  # the key reached the network's load()
    assert state["a2c_network.aux_mlp.0.weight"].shape == (8, 4)
    assert state["a2c_network.aux_value.weight"].shape == (1, 8)
    assert state["a2c_network.actor_mlp.0.weight"].shape == (16, 4)  # built by actor_critic


def test_own_load_network_and_model_subclass_train_and_play(tmp_path: Path) -> None:
    doc = _doc(
        TOKEN_NETWORK, "test_token_model", "a2c_continuous", "TorchPendulum-v1", tmp_path / "runs"
    )
    _, state = _train_and_play(tmp_path, doc)
    assert state["a2c_network.embed.weight"].shape == (12, 1)  # transformer.d_model
    assert "a2c_network.encoder.layers.0.self_attn.in_proj_weight" in state
    assert state["a2c_network.sigma"].shape == (1,)


def test_user_block_passes_through_and_builtins_stay_strict() -> None:
    doc = _doc(AUX_NETWORK, "discrete_a2c", "a2c_discrete", "CartPole-v1", Path("runs"))
    params = parse_params(doc).params
    assert params.network.raw["aux_head"] == {"units": [8], "activation": "tanh"}
    doc["params"]["network"] = {**AUX_NETWORK, "name": "actor_critic"}
    with pytest.raises(ConfigError, match=r"params.network.aux_head: unknown key"):
        parse_params(doc)


def test_declared_extra_keys_are_checked() -> None:
    net = {**AUX_NETWORK, "name": "test_checked_aux_head"}
    doc = _doc(net, "discrete_a2c", "a2c_discrete", "CartPole-v1", Path("runs"))
    assert parse_params(doc).params.network.raw["aux_scale"] == 0.25
    doc["params"]["network"] = {**net, "aux_sacle": 0.1, "aux_scale": "big"}
    with pytest.raises(ConfigError) as err:
        parse_params(doc)
    text = str(err.value)
    assert "params.network.aux_sacle: unknown key (did you mean 'aux_scale'?)" in text
    assert "params.network.aux_scale: expected float" in text


def _build(network: dict, model: str, actions: int) -> nn.Module:
    builder = model_builder.NetworkBuilder().load(network)
    config = {"input_shape": (3,), "actions_num": actions, "value_size": 1}
    return rl_games.builders.MODELS.get(model)(builder).build(config)


def test_model_subclass_wraps_the_custom_network() -> None:
    model = _build(TOKEN_NETWORK, "test_token_model", 1)
    assert isinstance(model, TokenModel.Network) and isinstance(model, ContinuousLogStdNetwork)
    net = model.a2c_network
    assert net.space_config["learn_sigma"] is True
    assert net.space_config["sigma_init"] == {"name": "const_initializer", "val": -0.5}
    assert torch.allclose(net.sigma, torch.full((1,), -0.5))
    out = model({"obs": torch.zeros(5, 3), "is_train": False})
    assert out["actions"].shape == (5, 1) and out["token_sigma"].shape == (1,)


def test_network_attributes_match_rl_games_load() -> None:
    net = _build(AUX_NETWORK, "discrete_a2c", 2).a2c_network
    assert (net.units, net.activation, net.separate) == ([16], "relu", False)
    assert net.is_discrete and not net.is_continuous and not net.is_multi_discrete
    assert not net.has_rnn and not net.has_cnn and net.normalization is None
    assert isinstance(net.critic_cnn, nn.Sequential) and len(net.critic_cnn) == 0
    assert isinstance(net, network_builder.NetworkBuilder.BaseNetwork)


def test_builtin_network_rejects_unknown_keys_in_a_plain_dict() -> None:
    builder = network_builder.A2CBuilder()
    builder.load({**AUX_NETWORK, "name": "actor_critic"})
    with pytest.raises(ConfigError, match="network.aux_head: unknown key"):
        builder.build("a2c", input_shape=(3,), actions_num=2)


def test_model_facade_inner_networks() -> None:
    assert models.ModelA2CContinuousLogStd.Network is ContinuousLogStdNetwork
    for cls in (models.ModelA2C, models.ModelA2CMultiDiscrete, models.ModelA2CContinuous):
        assert issubclass(cls.Network, models.BaseModelNetwork)
    assert models.ModelSACContinuous.Network.__name__ == "SACModel"


def test_checkpoint_names_of_the_base_network_are_unchanged() -> None:
    builder = network_builder.A2CBuilder()
    builder.load({"name": "actor_critic", "space": {"discrete": None}, "mlp": {"units": [8]}})
    names = set(builder.build("a2c", input_shape=(3,), actions_num=2).state_dict())
    assert names == {"actor_mlp.0.weight", "actor_mlp.0.bias", "value.weight", "value.bias"} | {
        "logits.weight",
        "logits.bias",
    }


def test_user_dataclass_fields_need_defaults() -> None:
    @dataclasses.dataclass(frozen=True)
    class Needs:
        aux_head: dict

    class Builder(AuxHeadBuilder):
        extra_keys = Needs

    model_builder.register_network("test_needs_aux", Builder)
    try:
        doc = _doc({"name": "test_needs_aux"}, "discrete_a2c", "a2c_discrete", "x", Path("r"))
        with pytest.raises(ConfigError, match="test_needs_aux"):
            parse_params(doc)
    finally:
        rl_games.builders.NETWORKS.unregister("test_needs_aux")
