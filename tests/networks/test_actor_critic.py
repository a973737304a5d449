"""actor_critic builder + models: rl_games state_dict names, rl_games checkpoints load strictly,
and the model outputs match a reference computation."""

from __future__ import annotations

import math

import pytest
import torch
import yaml
from conftest import DATA

from rl_games.algos.ppo.agent import action_space_info
from rl_games.builders import build_model
from rl_games.config import parse_params
from rl_games.networks import distributions as D
from rl_games.training.checkpoint import load_checkpoint

RLG = DATA / "rl_games_1.6.5"


def _model(
    cfg_file: str,
    obs: int,
    actions: int,
    normalize_value: bool = False,
    normalize_input: bool = False,
):
    params = parse_params(yaml.safe_load((RLG / cfg_file).read_text())).params
    return build_model(
        params,
        {
            "actions_num": actions,
            "input_shape": (obs,),
            "num_seqs": 1,
            "value_size": 1,
            "normalize_value": normalize_value,
            "normalize_input": normalize_input,
        },
    )


@pytest.mark.parametrize(
    "name,obs,actions,norm",
    [
        ("ppo_cartpole_envpool", 4, 2, False),
        ("ppo_pendulum_envpool", 3, 1, False),
        ("ppo_halfcheetah_envpool", 17, 6, True),
    ],
)
def test_rl_games_checkpoints_load_strictly(name: str, obs: int, actions: int, norm: bool) -> None:
    model = _model(f"{name}.yaml", obs, actions, normalize_value=norm, normalize_input=norm)
    state = load_checkpoint(RLG / f"{name}.pth")
    assert set(model.state_dict()) == set(state["model"])
    model.load_state_dict(state["model"])  # strict


def test_state_dict_names_shared_continuous() -> None:
    model = _model("ppo_halfcheetah_envpool.yaml", 17, 6, True, True)
    names = list(model.state_dict())
    assert "a2c_network.sigma" in names and "a2c_network.mu.weight" in names
    assert "a2c_network.actor_mlp.0.weight" in names and "a2c_network.actor_mlp.4.bias" in names
    assert "running_mean_std.count" in names and "value_mean_std.running_var" in names
    assert not any("critic_mlp" in n for n in names)


def test_biases_zeroed_and_sigma_const_init() -> None:
    model = _model("ppo_pendulum_envpool.yaml", 3, 1)
    for name, p in model.named_parameters():
        if name.endswith("bias"):
            assert torch.all(p == 0), name
    assert torch.all(model.a2c_network.sigma == 0)


def test_continuous_model_outputs_match_reference() -> None:
    torch.manual_seed(0)
    model = _model("ppo_pendulum_envpool.yaml", 3, 1)
    obs = torch.randn(5, 3)
    model.eval()
    out = model.act({"obs": obs})
    mu, logstd = out["mus"], torch.log(out["sigmas"])
    ref = torch.distributions.Normal(mu, logstd.exp())
    assert torch.allclose(out["neglogpacs"], -ref.log_prob(out["actions"]).sum(-1), atol=1e-5)
    model.train()
    ev = model.evaluate({"obs": obs, "prev_actions": out["actions"]})
    assert torch.allclose(ev["prev_neglogp"], out["neglogpacs"], atol=1e-5)
    assert torch.allclose(ev["entropy"], ref.entropy().sum(-1), atol=1e-5)


def test_discrete_model_masks_and_entropy() -> None:
    logits = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    mask = torch.tensor([[True, False, True], [True, True, True]])
    masked = D.apply_mask(logits, mask)
    ref0 = torch.distributions.Categorical(logits=torch.tensor([1.0, 3.0]))
    ent = D.categorical_entropy(masked, mask)
    assert math.isclose(float(ent[0]), float(ref0.entropy()), rel_tol=1e-5)
    assert math.isclose(float(ent[1]), math.log(3), rel_tol=1e-5)
    torch.manual_seed(0)
    samples = torch.stack([D.categorical_sample(masked) for _ in range(2000)])
    assert not torch.any(samples[:, 0] == 1)  # a masked action is never sampled
    freq = (samples[:, 0] == 2).float().mean()
    assert abs(float(freq) - float(ref0.probs[1])) < 0.04


def test_action_space_info() -> None:
    import gymnasium as gym
    import numpy as np

    assert action_space_info(gym.spaces.Discrete(3))[:2] == ("discrete", 3)
    kind, n, shape, _ = action_space_info(gym.spaces.Box(-1, 1, (4,), np.float32))
    assert (kind, n, shape) == ("continuous", 4, (4,))
    assert action_space_info(gym.spaces.MultiDiscrete([2, 3]))[1] == [2, 3]


def test_sigma_from_raw_hand_computed() -> None:
    raw = torch.tensor([-2.0, 0.0, 1.0])
    sigma, logstd = D.sigma_from_raw(raw)  # exp: the raw output is the log-std
    assert torch.allclose(sigma, torch.tensor([math.exp(-2.0), 1.0, math.e]))
    assert torch.equal(logstd, raw)
    sigma, logstd = D.sigma_from_raw(raw, "exp", 0.1, (-1.0, 0.5))  # clamp, then + floor
    want = torch.tensor([math.exp(-1.0) + 0.1, 1.1, math.exp(0.5) + 0.1])
    assert torch.allclose(sigma, want) and torch.allclose(logstd, want.log())
    sigma, _ = D.sigma_from_raw(raw, "softplus", 0.05)
    softplus = [math.log1p(math.exp(x)) for x in (-2.0, 0.0, 1.0)]
    assert torch.allclose(sigma, torch.tensor(softplus) + 0.05)
    sigma, _ = D.sigma_from_raw(raw, "linear", 0.0)  # floor 1e-3 + softplus(r - 1e-3)
    want = [1e-3 + math.log1p(math.exp(x - 1e-3)) for x in (-2.0, 0.0, 1.0)]
    assert torch.allclose(sigma, torch.tensor(want))
    assert torch.allclose(
        D.sigma_from_raw(raw, "scalar", 0.2)[0], D.sigma_from_raw(raw, "linear", 0.2)[0]
    )


def test_sigma_parametrization_from_yaml_reaches_the_model() -> None:
    """space.continuous keys shape the policy std: a -20 log-std sigma is floored at min_sigma."""
    cfg = yaml.safe_load((RLG / "ppo_pendulum_envpool.yaml").read_text())
    cont = cfg["params"]["network"]["space"]["continuous"]
    cont.update(
        min_sigma=0.3,
        logstd_bounds=[-5.0, 2.0],
        sigma_init={"name": "const_initializer", "val": -20.0},
    )
    params = parse_params(cfg).params
    info = {"actions_num": 1, "input_shape": (3,), "num_seqs": 1, "value_size": 1}
    model = build_model(params, {**info, "normalize_value": False, "normalize_input": False})
    out = model.act({"obs": torch.zeros(4, 3)})
    assert torch.allclose(out["sigmas"], torch.full((4, 1), math.exp(-5.0) + 0.3))
    ev = model.train().evaluate({"obs": torch.zeros(4, 3), "prev_actions": out["actions"]})
    ref = torch.distributions.Normal(out["mus"], out["sigmas"])
    assert torch.allclose(ev["prev_neglogp"], -ref.log_prob(out["actions"]).sum(-1), atol=1e-5)
    assert torch.allclose(ev["entropy"], ref.entropy().sum(-1), atol=1e-5)
    cont.update(logstd_bounds=[1.0, -1.0], min_sigma=-0.5)
    with pytest.raises(Exception, match="logstd_bounds") as err:
        parse_params(cfg)
    assert "min_sigma" in str(err.value)
