"""The soft_actor_critic network builder and model: rl_games state_dict names, log-std bounds,
target initialisation, and strict loading of an rl_games checkpoint."""

from __future__ import annotations

from typing import Any

import torch
from conftest import DATA

from rl_games.builders import MODELS, NETWORKS
from rl_games.config.loader import Parser
from rl_games.config.schema import NetworkConfig
from rl_games.training.checkpoint import load_checkpoint

REFERENCE_CKPT = DATA / "rl_games_1.6.5" / "sac_pendulum_envpool.pth"


def build(normalize_input: bool = False, **network: Any) -> torch.nn.Module:
    block = {
        "name": "soft_actor_critic",
        "separate": True,
        "mlp": {"units": [256, 256], "activation": "relu", "initializer": {"name": "default"}},
        "log_std_bounds": [-5, 2],
        **network,
    }
    parser = Parser()
    cfg = parser.parse(NetworkConfig, block, "network")
    assert not parser.problems
    builder = NETWORKS.get("soft_actor_critic")()
    builder.load(cfg)
    model = MODELS.get("soft_actor_critic")(builder)
    return model.build(
        {
            "obs_dim": 3,
            "action_dim": 1,
            "actions_num": 1,
            "input_shape": (3,),
            "normalize_input": normalize_input,
        }
    )


def test_state_dict_names_match_rl_games() -> None:
    net = build().sac_network
    layers = [f"{i}.{w}" for i in (0, 2, 4) for w in ("weight", "bias")]
    assert set(net.actor.state_dict()) == {f"trunk.{k}" for k in layers}
    assert set(net.critic.state_dict()) == {f"Q{q}.{k}" for q in (1, 2) for k in layers}
    assert set(net.critic_target.state_dict()) == set(net.critic.state_dict())
    assert net.actor.trunk[4].out_features == 2  # mu and log_std for one action dim
    assert net.critic.Q1[0].in_features == 4  # concat(obs, action)


def test_layer_norm_and_d2rl_layouts() -> None:
    ln = build(normalization="layer_norm", mlp={"units": [32, 32], "activation": "elu"})
    keys = set(ln.sac_network.actor.state_dict())
    assert {"trunk.2.weight", "trunk.3.weight", "trunk.5.weight", "trunk.6.weight"} <= keys
    d2 = build(mlp={"units": [32, 32], "activation": "relu", "d2rl": True})
    keys = set(d2.sac_network.critic.state_dict())
    assert {"Q1.0.linears.1.weight", "Q1.1.weight"} <= keys
    assert d2.sac_network.critic.Q1[0].linears[1].in_features == 32 + 4


def test_model_keys_and_biases_zeroed() -> None:
    model = build(normalize_input=True)
    keys = set(model.state_dict())
    assert "running_mean_std.running_mean" in keys and "sac_network.actor.trunk.0.weight" in keys
    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            assert torch.count_nonzero(m.bias) == 0


def test_target_starts_equal_and_has_no_grad() -> None:
    net = build().sac_network
    for p, q in zip(net.critic.parameters(), net.critic_target.parameters(), strict=True):
        assert torch.equal(p, q) and p.data_ptr() != q.data_ptr()
        assert p.requires_grad and not q.requires_grad


def test_actor_outputs_bounded_log_std_and_act() -> None:
    model = build()
    torch.nn.init.constant_(model.sac_network.actor.trunk[4].bias, 100.0)
    obs = torch.randn(6, 3)
    mu, log_std = model.actor(obs)
    assert mu.shape == log_std.shape == (6, 1)
    assert torch.all(log_std <= 2.0) and torch.all(log_std >= -5.0)
    det = model.act({"obs": obs, "deterministic": True})["actions"]
    torch.testing.assert_close(det, torch.tanh(mu))
    sto = model.act({"obs": obs})["actions"]
    assert sto.shape == (6, 1) and torch.all(sto.abs() <= 1.0)
    q1, q2 = model.critic(obs, sto)
    assert q1.shape == q2.shape == (6,)


def test_norm_obs_never_updates_statistics() -> None:
    model = build(normalize_input=True)
    model.train()
    model.norm_obs(torch.randn(10, 3))
    assert model.running_mean_std.count.item() == 1
    model.update_obs_stats(torch.randn(10, 3))
    assert model.running_mean_std.count.item() == 11


def test_loads_rl_games_checkpoint_strictly() -> None:
    state = load_checkpoint(REFERENCE_CKPT)
    model = build(normalize_input=True)
    net = model.sac_network
    net.actor.load_state_dict(state["actor"])
    net.critic.load_state_dict(state["critic"])
    net.critic_target.load_state_dict(state["critic_target"])
    model.running_mean_std.load_state_dict(state["running_mean_std"])
