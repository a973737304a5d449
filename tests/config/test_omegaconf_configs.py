"""OmegaConf containers are configs too: ``DictConfig`` / ``ListConfig`` at any level.

IsaacGymEnvs hands ``Runner.load`` the dict its ``omegaconf_to_dict`` makes (nested lists stay
``ListConfig``); other clients pass a ``DictConfig`` as it is. Both load and train like the same
plain dict. omegaconf is a test-only dependency.
"""

from __future__ import annotations

import copy
from typing import Any

import gymnasium
import pytest
import torch

from rl_games.config import parse_params
from rl_games.config.loader import Parser, plain_containers
from rl_games.runner import Runner

omegaconf = pytest.importorskip("omegaconf")
DictConfig, ListConfig, OmegaConf = omegaconf.DictConfig, omegaconf.ListConfig, omegaconf.OmegaConf


def _cartpole_cv(train_dir: str) -> dict[str, Any]:
    """PPO with a central value on AsymmetricCartPole-v0 (the critic sees the hidden velocity)."""
    mlp = {"units": [16, 16], "activation": "relu", "initializer": {"name": "default"}}
    return {
        "params": {
            "seed": 3,
            "algo": {"name": "a2c_discrete"},
            "model": {"name": "discrete_a2c"},
            "network": {
                "name": "actor_critic",
                "separate": True,
                "space": {"discrete": None},
                "mlp": mlp,
            },
            "config": {
                "name": "omegaconf_cartpole",
                "env_name": "AsymmetricCartPole-v0",
                "env_config": {"hide": [1]},
                "device": "cpu",
                "reward_shaper": {"scale_value": 0.1},
                "learning_rate": 1e-3,
                "num_actors": 8,
                "horizon_length": 16,
                "minibatch_size": 64,
                "mini_epochs": 2,
                "max_epochs": 3,
                "train_dir": train_dir,
                "central_value_config": {
                    "network": {"name": "actor_critic", "central_value": True, "mlp": mlp},
                    "learning_rate": 1e-3,
                    "mini_epochs": 2,
                    "minibatch_size": 64,
                },
                "player": {"games_num": 3, "env_config": {"hide": [1]}},
            },
        }
    }


def _isaacgymenvs_dict(cfg: DictConfig) -> dict:
    """What IsaacGymEnvs' ``omegaconf_to_dict`` returns: nested DictConfigs become dicts, every
    other value (a ``ListConfig`` included) is kept as it is."""
    return {k: _isaacgymenvs_dict(v) if isinstance(v, DictConfig) else v for k, v in cfg.items()}


def _assert_plain(params: Any) -> None:
    assert params.network.mlp.units == [16, 16]
    assert type(params.network.mlp.units) is list
    cv = params.config.central_value_config
    assert type(cv.network.mlp.units) is list and cv.network.mlp.units == [16, 16]
    assert params.config.env_config == {"hide": [1]}
    assert type(params.config.env_config["hide"]) is list
    assert type(params.config.player.env_config["hide"]) is list
    assert params.config.player.games_num == 3


def test_dictconfig_at_the_top(tmp_path) -> None:
    cfg = OmegaConf.create(_cartpole_cv(str(tmp_path)))
    assert isinstance(cfg.params.network.mlp.units, ListConfig)
    _assert_plain(Runner().load(cfg))


def test_isaacgymenvs_dict_with_listconfig_leaves(tmp_path) -> None:
    doc = _isaacgymenvs_dict(OmegaConf.create(_cartpole_cv(str(tmp_path))))
    assert isinstance(doc["params"]["network"]["mlp"]["units"], ListConfig)
    _assert_plain(Runner().load(doc))


def test_dictconfig_blocks_inside_a_plain_dict(tmp_path) -> None:
    doc = _cartpole_cv(str(tmp_path))
    params, config = doc["params"], doc["params"]["config"]
    params["network"] = OmegaConf.create(params["network"])
    config["central_value_config"] = OmegaConf.create(config["central_value_config"])
    config["player"] = OmegaConf.create(config["player"])
    config["env_config"] = OmegaConf.create(config["env_config"])
    doc["params"] = OmegaConf.create(params)  # a DictConfig holding DictConfigs
    _assert_plain(Runner().load(doc, overrides=["config.gamma=0.9"]))


def test_interpolations_are_resolved(tmp_path) -> None:
    doc = _cartpole_cv(str(tmp_path))
    doc["num_envs"] = 8
    doc["params"]["config"]["num_actors"] = "${num_envs}"
    doc["params"]["config"]["central_value_config"]["mini_epochs"] = "${..mini_epochs}"
    params = Runner().load(OmegaConf.create(doc)).config
    assert params.num_actors == 8 and params.central_value_config.mini_epochs == 2


def test_parse_params_and_parser_take_omegaconf_directly(tmp_path) -> None:
    cfg = OmegaConf.create(_cartpole_cv(str(tmp_path)))
    _assert_plain(parse_params(cfg, num_agents=None).params)
    parser = Parser()
    assert parser.coerce(list[int], OmegaConf.create([4, 5]), "units") == [4, 5]
    assert parser.coerce(dict[str, Any], OmegaConf.create({"a": [1]}), "d") == {"a": [1]}
    assert parser.coerce(list[float] | None, OmegaConf.create([-5, 2]), "b") == [-5.0, 2.0]
    assert not parser.problems
    parser.coerce(list[int], "32, 32", "units")  # text is not a list
    assert [p.path for p in parser.problems] == ["units"]


def test_objects_are_left_as_they_are() -> None:
    env, space = object(), gymnasium.spaces.Dict({"obs": gymnasium.spaces.Discrete(2)})
    shape = torch.Size([3, 4])
    doc = OmegaConf.create({"params": {"config": {"units": [1, 2]}}})
    out = plain_containers({"doc": doc, "vec_env": env, "space": space, "shape": shape})
    assert out["doc"] == {"params": {"config": {"units": [1, 2]}}}
    assert type(out["doc"]["params"]["config"]["units"]) is list
    assert out["vec_env"] is env and out["space"] is space and out["shape"] is shape


def test_a_short_training_run_from_a_dictconfig(tmp_path, one_thread) -> None:
    cfg = OmegaConf.create(_cartpole_cv(str(tmp_path)))
    reference = copy.deepcopy(cfg)
    runner = Runner()
    runner.load(cfg)
    runner.run({"train": True})
    assert runner.agent.epoch_num == 3
    assert cfg == reference  # the caller's config is not changed
