"""The resolve pass (rl_games/config/plan.py): config + env spaces -> the frozen run plan, with
hand-computed batch geometry, the model specs' rl_games dicts and every problem at once."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

from rl_games.builders import build_model
from rl_games.config import ConfigError, parse_params
from rl_games.config.plan import EnvSpaces, ModelSpec, model_spec, resolve

MLP = {"units": [8], "activation": "elu"}
BOX_OBS = gym.spaces.Box(-1.0, 1.0, (5,), np.float32)
STATES = gym.spaces.Box(-1.0, 1.0, (7,), np.float32)


def ppo_doc(**config: Any) -> dict[str, Any]:
    """16 actors x horizon 32, minibatch 256, discrete actions."""
    return {
        "params": {
            "algo": {"name": "a2c_discrete"},
            "model": {"name": "discrete_a2c"},
            "network": {"name": "actor_critic", "space": {"discrete": {}}, "mlp": MLP},
            "config": {
                "name": "plan",
                "env_name": "CartPole-v1",
                "num_actors": 16,
                "horizon_length": 32,
                "minibatch_size": 256,
                "mini_epochs": 3,
                "learning_rate": 1e-3,
                **config,
            },
        }
    }


def params_of(doc: dict[str, Any]) -> Any:
    return parse_params(copy.deepcopy(doc), num_agents=None).params


def spaces(agents: int = 1, **kw: Any) -> EnvSpaces:
    return EnvSpaces(BOX_OBS, kw.pop("action", gym.spaces.Discrete(3)), agents, **kw)


def test_multi_agent_batch_on_two_ranks() -> None:
    plan = resolve(params_of(ppo_doc()), spaces(agents=2), world_size=2)
    b = plan.batch
    assert b is not None and dataclasses.is_dataclass(b)
    # 32 steps * 16 actors * 2 agents = 1024 rows per rank; 1024 / 256 = 4 minibatches
    assert (b.batch_size, b.num_envs, b.minibatch_size, b.num_minibatches) == (1024, 32, 256, 4)
    assert (b.mini_epochs, b.is_rnn, b.num_sequences) == (3, False, 0)
    assert b.frames_per_epoch == 2048  # both ranks
    assert plan.central_value is None and plan.central_value_model is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.batch_size = 1  # type: ignore[misc]


def test_rnn_sequences_and_minibatch_per_env() -> None:
    doc = ppo_doc(minibatch_size=None, minibatch_size_per_env=8, seq_length=8)
    doc["params"]["network"]["rnn"] = {"name": "gru", "units": 8}
    b = resolve(params_of(doc), spaces()).batch
    assert b is not None
    # minibatch 8 * 16 actors = 128; batch 512 -> 4 minibatches; 512 / 8 = 64 sequences
    assert (b.batch_size, b.minibatch_size, b.num_minibatches) == (512, 128, 4)
    assert (b.is_rnn, b.seq_length, b.num_sequences) == (True, 8, 64)


def test_central_value_has_its_own_batch_and_model() -> None:
    cv = {
        "network": {"name": "actor_critic", "central_value": True, "mlp": MLP},
        "mini_epochs": 2,
        "minibatch_size": 128,
        "learning_rate": 1e-3,
        "normalize_input": False,
    }
    doc = ppo_doc(central_value_config=cv, normalize_value=True)
    plan = resolve(params_of(doc), spaces(agents=2, value_size=2, state_space=STATES))
    c = plan.central_value
    assert c is not None and plan.batch is not None
    # one critic row per env and step (not per agent): 32 * 16 = 512 -> 4 minibatches of 128
    assert (c.batch_size, c.minibatch_size, c.num_minibatches, c.mini_epochs) == (512, 128, 4, 2)
    assert (c.num_actors, c.num_agents, plan.batch.batch_size) == (16, 2, 1024)
    assert plan.central_value_model is not None
    assert plan.central_value_model.as_dict() == {
        "input_shape": (7,),
        "value_size": 2,
        "num_seqs": 16,
        "normalize_value": True,  # the main config's value normalizer
        "normalize_input": False,
    }


def test_every_problem_at_once_with_the_config_messages() -> None:
    cv = {
        "network": {"name": "actor_critic", "central_value": True, "mlp": MLP},
        "mini_epochs": 1,
        "minibatch_size": 100,
        "learning_rate": 1e-3,
    }
    doc = ppo_doc(minibatch_size=48, seq_length=5, central_value_config=cv)
    doc["params"]["network"]["rnn"] = {"name": "lstm", "units": 8}
    loaded = parse_params(copy.deepcopy(doc), defer_training=True)
    with pytest.raises(ConfigError) as exc:
        resolve(loaded.params, spaces())
    found = [str(p) for p in exc.value.problems]
    assert found == [str(p) for p in loaded.training_problems]  # validate reports the same
    assert found == [
        "params.config.minibatch_size: batch (horizon_length * num_actors * num_agents) = 512 "
        "is not divisible by minibatch_size 48; use a divisor such as 32",
        "params.config.seq_length: horizon_length 32 must be divisible by seq_length 5",
        "params.config.seq_length: minibatch_size 48 must be divisible by seq_length 5",
        "params.config.central_value_config.minibatch_size: central value batch "
        "(horizon_length * num_actors) = 512 is not divisible by minibatch_size 100; "
        "use a divisor such as 128",
    ]


def test_unknown_agent_count_warns_and_the_env_decides() -> None:
    doc = ppo_doc(horizon_length=24, minibatch_size=100)  # 384 rows, agents per env unknown
    loaded = parse_params(copy.deepcopy(doc), num_agents=None, defer_training=True)
    assert loaded.training_problems == []
    assert any("checked again when the env reports its agents" in w for w in loaded.warnings)
    with pytest.raises(ConfigError, match="= 768 is not divisible by minibatch_size 100"):
        resolve(loaded.params, spaces(agents=2))


@pytest.mark.parametrize(
    ("action", "kind", "actions_num"),
    [
        (gym.spaces.Discrete(3), "discrete", 3),
        (gym.spaces.Box(-2.0, 2.0, (2, 3), np.float32), "continuous", 6),
        (gym.spaces.MultiDiscrete([2, 4]), "multi_discrete", [2, 4]),
    ],
)
def test_actor_critic_spec_is_rl_games_build_dict(action: Any, kind: str, actions_num: Any) -> None:
    spec = resolve(params_of(ppo_doc()), spaces(agents=2, action=action)).model
    assert spec.action_kind == kind
    view = spec.as_dict()
    assert view == {
        "actions_num": actions_num,
        "input_shape": (5,),
        "value_size": 1,
        "num_seqs": 32,  # num_actors * num_agents
        "normalize_value": False,
        "normalize_input": False,
    }
    view["amp_input_shape"] = (4,)  # an AMP-style _build_net_config adds its own keys
    assert "amp_input_shape" not in spec.as_dict()


def test_dict_observations_and_sac_spec() -> None:
    obs = gym.spaces.Dict(
        {"pos": gym.spaces.Box(-1, 1, (3,)), "img": gym.spaces.Box(0, 255, (2, 2))}
    )
    spec = model_spec(params_of(ppo_doc()), EnvSpaces(obs, gym.spaces.Discrete(2)))
    assert spec.as_dict()["input_shape"] == {"pos": (3,), "img": (2, 2)}
    sac = {
        "params": {
            "algo": {"name": "sac"},
            "model": {"name": "soft_actor_critic"},
            "network": {"name": "soft_actor_critic", "separate": True, "mlp": MLP},
            "config": {"name": "s", "env_name": "Pendulum-v1", "num_actors": 4},
        }
    }
    box = gym.spaces.Box(-2.0, 2.0, (2,), np.float32)
    plan = resolve(params_of(sac), EnvSpaces(BOX_OBS, box))
    assert plan.batch is None  # SAC samples its replay buffer: no PPO geometry
    assert plan.model.as_dict() == {
        "obs_dim": 5,
        "action_dim": 2,
        "actions_num": 2,
        "input_shape": (5,),
        "num_seqs": 4,
        "normalize_input": False,
    }


def test_unsupported_action_space_is_a_problem() -> None:
    with pytest.raises(ConfigError, match="env: unsupported action space"):
        model_spec(params_of(ppo_doc()), spaces(action=gym.spaces.Text(3)))


def test_build_model_takes_the_spec_or_its_dict_view() -> None:
    params = params_of(ppo_doc())
    spec: ModelSpec = model_spec(params, spaces())
    torch.manual_seed(0)
    a = build_model(params, spec)
    torch.manual_seed(0)
    b = build_model(params, spec.as_dict())
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)
    assert a.a2c_network.logits.out_features == 3  # actions_num reached the builder
