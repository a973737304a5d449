"""``--set path=value`` overrides: paths relative to params, YAML-typed values, same checks."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from rl_games.config import ConfigError, apply_overrides, parse_params
from rl_games.runner import Runner

BASE = yaml.safe_load(
    """
params:
  algo: {name: a2c_discrete}
  model: {name: discrete_a2c}
  network: {name: actor_critic, space: {discrete: }, mlp: {units: [8]}}
  config:
    name: cp
    env_name: CartPole-v1
    num_actors: 4
    horizon_length: 8
    minibatch_size: 16
"""
)


def doc() -> dict[str, Any]:
    return yaml.safe_load(yaml.safe_dump(BASE))


def test_path_is_relative_to_params() -> None:
    out = apply_overrides(doc(), ["config.learning_rate=1e-3"])
    assert out["params"]["config"]["learning_rate"] == "1e-3"  # YAML's reading; coerced later
    assert parse_params(out).params.config.learning_rate == pytest.approx(1e-3)


def test_params_prefix_is_accepted() -> None:
    assert apply_overrides(doc(), ["params.seed=3"])["params"]["seed"] == 3


def test_values_are_typed_as_yaml() -> None:
    out = apply_overrides(
        doc(),
        [
            "config.num_actors=8",
            "config.normalize_input=true",
            "network.mlp.units=[64, 64]",
            "config.gamma=0.9",
            "config.lr_schedule=None",
            "config.env_config={env_name: CartPole-v1}",
            "config.name=run 2",
        ],
    )
    cfg = out["params"]["config"]
    assert cfg["num_actors"] == 8
    assert cfg["normalize_input"] is True
    assert out["params"]["network"]["mlp"]["units"] == [64, 64]
    assert cfg["gamma"] == 0.9
    assert cfg["env_config"] == {"env_name": "CartPole-v1"}
    assert cfg["name"] == "run 2"
    assert parse_params(out).params.config.lr_schedule is None


def test_empty_value_is_null() -> None:
    assert apply_overrides(doc(), ["seed="])["params"]["seed"] is None


def test_missing_dicts_are_created() -> None:
    out = apply_overrides(doc(), ["config.env_config.seed=0", "network.rnn.units=16"])
    assert out["params"]["config"]["env_config"] == {"seed": 0}
    assert out["params"]["network"]["rnn"] == {"units": 16}
    assert parse_params(out).params.config.env_config == {"seed": 0}


def test_value_with_an_equals_sign_is_kept_whole() -> None:
    out = apply_overrides(doc(), ["config.stop_fn=a=b"])
    assert out["params"]["config"]["stop_fn"] == "a=b"


def test_input_is_not_mutated_and_later_overrides_win() -> None:
    original = doc()
    out = apply_overrides(original, ["config.num_actors=2", "config.num_actors=6"])
    assert out["params"]["config"]["num_actors"] == 6
    assert original == BASE


def test_override_typo_is_reported_like_a_file_typo() -> None:
    out = apply_overrides(doc(), ["config.learning_rat=1e-3"])
    with pytest.raises(ConfigError) as info:
        parse_params(out, "cfg.yaml")
    assert [str(p) for p in info.value.problems] == [
        "params.config.learning_rat: unknown key (did you mean 'learning_rate'?)"
    ]


def test_override_type_error_is_reported() -> None:
    with pytest.raises(ConfigError) as info:
        Runner().load(doc(), ["config.horizon_length=long"], source="cfg.yaml")
    assert str(info.value.problems[0]) == (
        "params.config.horizon_length: expected int, got str 'long'"
    )


def test_runner_load_applies_overrides() -> None:
    params = Runner().load(doc(), ["seed=0", "config.num_actors=2"])
    assert params.seed == 0
    assert params.config.num_actors == 2


@pytest.mark.parametrize("item", ["learning_rate", "=3", ".=3", "config.x=[1,"])
def test_malformed_overrides_are_problems(item: str) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(doc(), [item, "also_bad"])
    assert info.value.source == "overrides"
    assert [p.path for p in info.value.problems] == [f"--set {item}", "--set also_bad"]
