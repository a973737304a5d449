"""One registration path: the built-in table, the facades and the config all end in the same
registry; the renamed env classes keep their old names importable."""

from __future__ import annotations

import pytest
import torch

from rl_games.common import env_configurations, vecenv
from rl_games.envs import ENV_CONFIGURATIONS, VECENV_TYPES, create_vec_env, register_env
from rl_games.envs.catalog import BUILTIN_ENVS, BUILTIN_VECENV_TYPES
from rl_games.envs.registry import LEGACY_GYMNASIUM_NAMES, known_num_agents
from rl_games.envs.toy_envs import MultiAgentTarget
from rl_games.runner import Runner


def test_every_row_of_the_builtin_tables_is_registered() -> None:
    for type_name in BUILTIN_VECENV_TYPES:
        assert type_name in VECENV_TYPES
    for name, row in BUILTIN_ENVS.items():
        entry = ENV_CONFIGURATIONS.get(name)
        assert entry["vecenv_type"] == row.vecenv_type, name
        assert entry["default_env_config"] == row.default_env_config, name
        assert (entry["env_creator"] is None) == (row.creator is None), name
    assert LEGACY_GYMNASIUM_NAMES == {
        name: row.renamed_to for name, row in BUILTIN_ENVS.items() if row.renamed_to
    }


@pytest.mark.parametrize(
    "name",
    [
        "MaskedDiscreteTest-v0",
        "MultiDiscreteMaskedTest-v0",
        "DictObsTest-v0",
        "AsymmetricCartPole-v0",
        "MultiAgentTarget-v0",
        "TorchCartPole-v1",
        "TorchPendulum-v1",
    ],
)
def test_shipped_torch_env_names_build_from_toy_and_torch_env_modules(name: str) -> None:
    env = create_vec_env(name, 3, seed=0)
    assert type(env).__module__ in ("rl_games.envs.toy_envs", "rl_games.envs.torch_envs")
    assert type(env).__name__ == BUILTIN_ENVS[name].creator.rpartition(":")[2]
    env.reset()


def test_agents_known_before_building_are_unchanged() -> None:
    assert known_num_agents("TorchCartPole-v1") == 1
    assert known_num_agents("CartPole-v1") == 1
    assert known_num_agents("envpool") == 1
    assert known_num_agents("MultiAgentTarget-v0") is None
    assert known_num_agents("AsymmetricCartPole-v0") is None
    assert known_num_agents("CartPoleMaskedVelocity-v1") is None
    assert known_num_agents("not_registered_xyz") is None


def test_a_torch_name_may_point_at_a_builtin_through_env_name() -> None:
    register_env("test_registration_alias", {"vecenv_type": "TORCH"})
    try:
        env = create_vec_env("test_registration_alias", 2, env_name="MultiAgentTarget-v0")
        assert isinstance(env, MultiAgentTarget)
        with pytest.raises(ValueError, match="is unknown"):
            create_vec_env("test_registration_alias", 2)
    finally:
        ENV_CONFIGURATIONS.unregister("test_registration_alias")


def _factory(config_name: str, num_actors: int, **env_config: object) -> object:
    return ("built", config_name, num_actors)


def test_every_spelling_lands_in_the_one_registry() -> None:
    spellings = {
        "t_reg_a": lambda n: env_configurations.register(n, {"vecenv_type": "T_REG"}),
        "t_reg_b": lambda n: env_configurations.configurations.__setitem__(
            n, {"vecenv_type": "T_REG"}
        ),
        "t_reg_c": lambda n: register_env(n, {"vecenv_type": "T_REG"}),
    }
    vecenv.register("T_REG", _factory)
    try:
        for name, register in spellings.items():
            register(name)
            assert ENV_CONFIGURATIONS.get(name)["env_creator"] is None
            assert create_vec_env(name, 4) == ("built", name, 4)
        vecenv.vecenv_config["T_REG"] = lambda c, n, **kw: ("again", c, n)
        assert create_vec_env("t_reg_a", 1) == ("again", "t_reg_a", 1)
    finally:
        for name in spellings:
            ENV_CONFIGURATIONS.unregister(name)
        VECENV_TYPES.unregister("T_REG")


def test_config_vecenv_type_registers_the_env_name() -> None:
    vecenv.register("T_REG_YAML", _factory)
    doc = {
        "params": {
            "algo": {"name": "a2c_continuous"},
            "model": {"name": "continuous_a2c_logstd"},
            "network": {
                "name": "actor_critic",
                "space": {"continuous": {}},
                "mlp": {"units": [8]},
            },
            "config": {
                "name": "t",
                "env_name": "t_reg_yaml_env",
                "vecenv_type": "T_REG_YAML",
                "horizon_length": 4,
                "minibatch_size": 4,
                "num_actors": 1,
            },
        }
    }
    try:
        Runner().load(doc)
        assert ENV_CONFIGURATIONS.get("t_reg_yaml_env")["vecenv_type"] == "T_REG_YAML"
        assert create_vec_env("t_reg_yaml_env", 2) == ("built", "t_reg_yaml_env", 2)
    finally:
        ENV_CONFIGURATIONS.unregister("t_reg_yaml_env")
        VECENV_TYPES.unregister("T_REG_YAML")


def test_old_names_stay_importable() -> None:
    from rl_games.envs import EnvTensorAdapter, TorchVecEnv
    from rl_games.envs.asymmetric_envs import (
        AsymmetricCartPole,
        StatesViewVecEnv,
        states_view_vecenv,
    )
    from rl_games.envs.torch_envs import (
        BatchedTorchEnv,
        TorchVecEnvBase,
        batched_torch_vecenv,
        make_torch_vecenv,
    )
    from rl_games.envs.toy_envs import AsymmetricCartPole as ToyAsymmetricCartPole
    from rl_games.envs.wrappers import StatesViewVecEnv as WrapperStatesView
    from rl_games.envs.wrappers import states_view_vecenv as wrapper_states_view

    assert TorchVecEnv is EnvTensorAdapter
    assert TorchVecEnvBase is BatchedTorchEnv and make_torch_vecenv is batched_torch_vecenv
    assert AsymmetricCartPole is ToyAsymmetricCartPole
    assert StatesViewVecEnv is WrapperStatesView and states_view_vecenv is wrapper_states_view
    env = make_torch_vecenv("TorchCartPole-v1", 2, seed=0)
    assert isinstance(env, TorchVecEnvBase)
    assert isinstance(TorchVecEnv(env, "cpu").reset(), torch.Tensor)
