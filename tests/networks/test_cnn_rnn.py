"""CNN / RNN / ResNet networks: rl_games state_dict names, shapes, uint8 scaling, input
permutation, and the recurrence with in-sequence episode resets against a step-by-step loop."""

from __future__ import annotations

import copy

import pytest
import torch
import yaml
from conftest import REPO

from rl_games.builders import build_model
from rl_games.config import apply_overrides, parse_params
from rl_games.networks.rnn import RnnWithDones, merge_batch, split_batch

PONG_CNN = REPO / "configs" / "atari_pong_envpool_cnn.yaml"
PONG_RESNET = REPO / "configs" / "atari_pong_envpool_resnet.yaml"
MASKED_RNN = REPO / "configs" / "ppo_cartpole_masked_velocity_rnn.yaml"


def _model(cfg_file, input_shape, actions, *sets, num_seqs=4, **extra):
    doc = apply_overrides(yaml.safe_load(cfg_file.read_text()), list(sets))
    params = parse_params(doc).params
    build = {"actions_num": actions, "input_shape": input_shape, "num_seqs": num_seqs}
    return build_model(params, {"value_size": 1, **build, **extra})


def _names(model) -> set[str]:
    return {k for k in model.state_dict() if k.startswith("a2c_network.")}


def test_cnn_state_dict_names_shared_and_separate() -> None:
    shared = _model(PONG_CNN, (4, 84, 84), 6)
    assert _names(shared) == {
        *(f"a2c_network.actor_cnn.{i}.{p}" for i in (0, 2, 4) for p in ("weight", "bias")),
        "a2c_network.actor_mlp.0.weight",
        "a2c_network.actor_mlp.0.bias",
        "a2c_network.value.weight",
        "a2c_network.value.bias",
        "a2c_network.logits.weight",
        "a2c_network.logits.bias",
    }
    assert shared.a2c_network.actor_mlp[0].in_features == 64 * 7 * 7  # Nature CNN on 84x84
    sep = _model(PONG_CNN, (4, 84, 84), 6, "network.separate=True")
    assert "a2c_network.critic_cnn.4.weight" in _names(sep)
    assert "a2c_network.critic_mlp.0.weight" in _names(sep)
    bn = _model(PONG_CNN, (4, 84, 84), 6, "network.normalization=batch_norm")
    assert "a2c_network.actor_cnn.5.running_mean" in bn.state_dict()  # Conv, act, norm per layer


def test_uint8_observations_are_scaled_and_permute_input_matches() -> None:
    torch.manual_seed(0)
    chw = _model(PONG_CNN, (4, 84, 84), 6, "config.normalize_input=False")
    hwc = _model(
        PONG_CNN, (84, 84, 4), 6, "config.normalize_input=False", "network.cnn.permute_input=True"
    )
    hwc.a2c_network.load_state_dict(chw.a2c_network.state_dict())
    obs = torch.randint(0, 256, (3, 4, 84, 84), dtype=torch.uint8)
    with torch.no_grad():
        logits_u8 = chw.a2c_network({"obs": chw.norm_obs(obs)})[0]
        logits_f = chw.a2c_network({"obs": obs.float() / 255.0})[0]
        logits_hwc = hwc.a2c_network({"obs": obs.permute(0, 2, 3, 1).float() / 255.0})[0]
    assert torch.allclose(logits_u8, logits_f)
    assert torch.allclose(logits_hwc, logits_f, atol=1e-5)


def test_conv1d_encoder() -> None:
    convs = "[{filters: 8, kernel_size: 3, strides: 1, padding: 1}, {filters: 4, kernel_size: 3, strides: 2, padding: 0}]"
    model = _model(PONG_CNN, (2, 16), 3, "network.cnn.type=conv1d", f"network.cnn.convs={convs}")
    assert model.a2c_network.actor_mlp[0].in_features == 4 * 7
    out = model.act({"obs": torch.randn(5, 2, 16)})
    assert out["actions"].shape == (5,) and out["values"].shape == (5, 1)


def test_rnn_state_dict_names_and_default_states() -> None:
    sep = _model(MASKED_RNN, (4,), 2, num_seqs=16)
    names = _names(sep)
    for tower in ("a_rnn", "c_rnn"):
        assert f"a2c_network.{tower}.rnn.weight_ih_l0" in names
        assert f"a2c_network.{tower}.rnn.bias_hh_l0" in names
    assert {"a2c_network.a_layer_norm.weight", "a2c_network.c_layer_norm.bias"} <= names
    assert sep.is_rnn()
    assert [tuple(s.shape) for s in sep.get_default_rnn_state()] == [(1, 16, 64)] * 4
    # concat_input: the LSTM sees [mlp out (64), raw obs (4)]
    assert sep.a2c_network.a_rnn.rnn.input_size == 68
    gru = ("network.separate=False", "network.rnn.name=gru", "network.rnn.layers=2")
    shared = _model(MASKED_RNN, (4,), 2, *gru, num_seqs=3)
    names = _names(shared)
    assert "a2c_network.rnn.rnn.weight_hh_l1" in names and "a2c_network.layer_norm.weight" in names
    assert not any("a_rnn" in n or "critic_mlp" in n for n in names)
    assert [tuple(s.shape) for s in shared.get_default_rnn_state()] == [(2, 3, 64)]


def test_resnet_names_shapes_and_rnn() -> None:
    model = _model(PONG_RESNET, (4, 84, 84), 6)
    names = _names(model)
    assert all(n.split(".")[1] in {"cnn", "mlp", "value", "logits"} for n in names)
    assert "a2c_network.cnn.2.res_block2.conv2.weight" in names
    assert model.a2c_network.mlp[0].in_features == 32 * 11 * 11  # 84 -> 42 -> 21 -> 11
    obs = torch.randint(0, 256, (2, 4, 84, 84), dtype=torch.uint8)
    out = model.act({"obs": obs})
    assert out["logits"].shape == (2, 6) and out["rnn_states"] is None
    rnn = _model(PONG_RESNET, (4, 84, 84), 6, "network.rnn={name: lstm, units: 32, layers: 1}")
    assert "a2c_network.rnn.rnn.weight_ih_l0" in _names(rnn) and rnn.is_rnn()
    res = rnn.act({"obs": obs, "rnn_states": rnn.a2c_network.get_default_rnn_state(2)})
    assert [tuple(s.shape) for s in res["rnn_states"]] == [(1, 2, 32)] * 2


def _stepwise(rnn: RnnWithDones, x, states, dones):
    """Reference: one step at a time, state multiplied by (1 - done) before each step."""
    outs = []
    for t in range(x.shape[0]):
        keep = (1.0 - dones[t]).view(1, -1, 1)
        states = tuple(s * keep for s in states)
        out, states = rnn._run(x[t : t + 1], states)
        outs.append(out)
    return torch.cat(outs), states


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_rnn_with_dones_matches_stepwise_resets(name: str) -> None:
    torch.manual_seed(1)
    rnn = RnnWithDones(name, 5, 7, 2)
    T, N = 6, 4
    x = torch.randn(T, N, 5)
    states = tuple(torch.randn(2, N, 7) for _ in range(rnn.num_states))
    dones = torch.zeros(T, N)
    dones[2, 1] = dones[4, 3] = dones[0, 2] = 1.0
    with torch.no_grad():
        out, final = rnn(x, states, dones)
        ref_out, ref_final = _stepwise(rnn, x, states, dones)
        plain, _ = rnn(x, states, None)
    assert torch.allclose(out, ref_out, atol=1e-6)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(final, ref_final, strict=True))
    assert not torch.allclose(out[:, 1], plain[:, 1])  # the reset changes env 1 after t=2
    assert torch.allclose(out[:2, 1], plain[:2, 1])


def test_split_merge_batch_env_major() -> None:
    x = torch.arange(12.0).view(12, 1)  # rows env * 6 + t for 2 envs, seq_length 3
    seqs = split_batch(x, 3)
    assert seqs.shape == (3, 4, 1)
    assert seqs[:, 1, 0].tolist() == [3.0, 4.0, 5.0]  # sequence 1 = rows 3..5, time-major
    assert torch.equal(merge_batch(seqs), x)


def test_rnn_network_gradients_flow_through_sequences() -> None:
    model = _model(MASKED_RNN, (4,), 2, num_seqs=4)
    model.train()
    states = tuple(s.requires_grad_() for s in model.a2c_network.get_default_rnn_state(4))
    res = model.evaluate(
        {
            "obs": torch.randn(16, 4),
            "prev_actions": torch.randint(0, 2, (16,)),
            "rnn_states": states,
            "seq_length": 4,
            "dones": torch.zeros(16),
        }
    )
    (res["prev_neglogp"].sum() + res["values"].sum()).backward()
    grads = [p.grad for n, p in model.named_parameters() if "rnn" in n]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    clone = copy.deepcopy(model)
    assert set(clone.state_dict()) == set(model.state_dict())
