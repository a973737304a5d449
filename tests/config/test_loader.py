"""Loader and validator: typos, types, coercions, cross-field checks, legacy keys, all at once."""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
from typing import Any

import pytest
import yaml

from rl_games.config import ConfigError, parse_params, to_dict
from rl_games.config.schema import PPOConfig, SACConfig

BASE_YAML = """
params:
  seed: 7
  algo: {name: a2c_discrete}
  model: {name: discrete_a2c}
  network:
    name: actor_critic
    separate: False
    space: {discrete: }
    mlp: {units: [32, 32], activation: relu}
  config:
    name: cartpole
    env_name: CartPole-v1
    num_actors: 8
    horizon_length: 16
    minibatch_size: 32
    mini_epochs: 2
    learning_rate: 3e-4
"""


def base() -> dict[str, Any]:
    return yaml.safe_load(BASE_YAML)


def with_config(**changes: Any) -> dict[str, Any]:
    doc = base()
    doc["params"]["config"].update(changes)
    return doc


def problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_params(doc, "test.yaml")
    return [str(p) for p in info.value.problems]


def test_base_config_parses_into_the_ppo_schema() -> None:
    params = parse_params(base()).params
    assert isinstance(params.config, PPOConfig)
    assert params.config.learning_rate == pytest.approx(3e-4)
    assert params.network.space.discrete is not None
    assert params.network.space.continuous is None
    assert params.network.mlp.units == [32, 32]


def test_sac_algo_selects_the_sac_schema() -> None:
    doc = base()
    doc["params"]["algo"]["name"] = "sac"
    doc["params"]["config"] = {"name": "p", "env_name": "Pendulum-v1", "batch_size": 64}
    config = parse_params(doc).params.config
    assert isinstance(config, SACConfig)
    assert config.batch_size == 64


# ------------------------------------------------------------------------- unknown keys
def test_typo_names_the_path_and_the_right_key() -> None:
    found = problems(with_config(learning_rat=1e-3))
    assert found == ["params.config.learning_rat: unknown key (did you mean 'learning_rate'?)"]


def test_typos_are_found_at_every_level() -> None:
    doc = base()
    doc["params"]["network"]["mlp"]["unit"] = [8]
    doc["params"]["algoo"] = {"name": "a2c_discrete"}
    doc["params"]["config"]["player"] = {"game_num": 3}
    found = "\n".join(problems(doc))
    assert "params.network.mlp.unit: unknown key (did you mean 'units'?)" in found
    assert "params.algoo: unknown key (did you mean 'algo'?)" in found
    assert "params.config.player.game_num: unknown key (did you mean 'games_num'?)" in found


def test_unknown_key_without_a_near_match_has_no_suggestion() -> None:
    assert problems(with_config(zzzz=1)) == ["params.config.zzzz: unknown key"]


def test_ppo_key_in_a_sac_config_is_unknown() -> None:
    doc = base()
    doc["params"]["algo"]["name"] = "sac"
    doc["params"]["config"] = {"name": "p", "env_name": "Pendulum-v1", "horizon_length": 8}
    assert problems(doc) == ["params.config.horizon_length: unknown key"]


# ------------------------------------------------------------------------- types
@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("horizon_length", "abc", "expected int, got str 'abc'"),
        ("horizon_length", 2.5, "expected int, got float 2.5"),
        ("normalize_input", "yes", "expected bool (true/false), got str 'yes'"),
        ("normalize_input", 1, "expected bool (true/false), got int 1"),
        ("gamma", "high", "expected float (e.g. 3e-4), got str 'high'"),
        ("env_config", [1, 2], "expected a mapping, got list [1, 2]"),
        ("reward_shaper", 0.1, "expected a mapping, got float 0.1"),
    ],
)
def test_wrong_type_names_the_expected_type(key: str, value: Any, expected: str) -> None:
    assert problems(with_config(**{key: value})) == [f"params.config.{key}: {expected}"]


def test_wrong_list_item_type_names_the_item() -> None:
    doc = base()
    doc["params"]["network"]["mlp"]["units"] = [32, "wide"]
    assert problems(doc) == ["params.network.mlp.units[1]: expected int, got str 'wide'"]


# ------------------------------------------------------------------------- coercions
def test_scientific_notation_string_is_a_float() -> None:
    # PyYAML reads `3e-4` (no dot) as a string; rl_games users write it everywhere.
    doc = base()
    assert doc["params"]["config"]["learning_rate"] == "3e-4"
    assert parse_params(doc).params.config.learning_rate == pytest.approx(3e-4)


def test_none_string_is_none_for_optional_fields() -> None:
    doc = with_config(lr_schedule="None", bounds_loss_coef="None")
    config = parse_params(doc).params.config
    assert config.lr_schedule is None
    assert config.bounds_loss_coef is None


def test_none_string_activation_stays_the_identity_name() -> None:
    doc = base()
    doc["params"]["algo"]["name"] = "a2c_continuous"
    doc["params"]["model"]["name"] = "continuous_a2c_logstd"
    doc["params"]["network"]["space"] = {
        "continuous": {"mu_activation": "None", "sigma_activation": None, "fixed_sigma": True}
    }
    continuous = parse_params(doc).params.network.space.continuous
    assert continuous.mu_activation == "None"
    assert continuous.sigma_activation == "None"


@pytest.mark.parametrize("text", ["1e6", "1.0e+6", "1000000"])
def test_whole_float_is_accepted_for_an_int_field(text: str) -> None:
    doc = base()
    doc["params"]["config"]["max_frames"] = yaml.safe_load(text)
    assert parse_params(doc).params.config.max_frames == 1_000_000


def test_fractional_float_is_rejected_for_an_int_field() -> None:
    assert problems(with_config(max_frames="1.5")) == [
        "params.config.max_frames: expected int, got str '1.5'"
    ]


def test_int_is_accepted_for_a_float_field_and_bool_strings_for_bools() -> None:
    config = parse_params(with_config(gamma=1, normalize_input="True")).params.config
    assert config.gamma == 1.0 and isinstance(config.gamma, float)
    assert config.normalize_input is True


def test_seed_zero_is_kept() -> None:
    doc = base()
    doc["params"]["seed"] = 0
    assert parse_params(doc).params.seed == 0


def test_missing_seed_is_none() -> None:
    doc = base()
    del doc["params"]["seed"]
    assert parse_params(doc).params.seed is None


def test_infinite_defaults_are_dumped_as_strings() -> None:
    dumped = to_dict(parse_params(base()).params)
    assert dumped["config"]["score_to_win"] == "inf"
    assert math.isinf(parse_params(base()).params.config.score_to_win)


# ------------------------------------------------------------------------- cross-field checks
def test_batch_not_divisible_by_minibatch_size() -> None:
    # batch = 16 * 8 = 128
    assert problems(with_config(minibatch_size=40)) == [
        "params.config.minibatch_size: batch (horizon_length * num_actors * num_agents) = 128 "
        "is not divisible by minibatch_size 40; use a divisor such as 32"
    ]


def test_unknown_agent_count_only_warns_about_divisibility(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        loaded = parse_params(with_config(minibatch_size=48), num_agents=None)
    assert any("not divisible by minibatch_size 48" in w for w in loaded.warnings)
    assert "not divisible" in caplog.text


def test_minibatch_size_per_env_sets_the_size() -> None:
    doc = with_config(minibatch_size_per_env=4)
    del doc["params"]["config"]["minibatch_size"]
    assert parse_params(doc).params.config.minibatch_size_per_env == 4
    doc["params"]["config"]["minibatch_size_per_env"] = 3  # 8 * 3 = 24 does not divide 128
    assert "is not divisible by minibatch_size 24" in problems(doc)[0]


def test_minibatch_size_wins_over_per_env_with_a_warning() -> None:
    loaded = parse_params(with_config(minibatch_size_per_env=3))  # 8 * 3 would not divide 128
    assert any(
        w.startswith("params.config.minibatch_size_per_env: ignored: minibatch_size")
        for w in loaded.warnings
    ), loaded.warnings


def test_missing_minibatch_settings() -> None:
    doc = base()
    del doc["params"]["config"]["minibatch_size"]
    (found,) = problems(doc)
    assert found.startswith("params.config.minibatch_size: missing: set minibatch_size (e.g. 32)")
    assert "minibatch_size_per_env" in found


def test_seq_length_must_divide_horizon_with_an_rnn() -> None:
    doc = with_config(seq_length=5)
    assert parse_params(copy.deepcopy(doc)).params.config.seq_length == 5  # no rnn: unchecked
    doc["params"]["network"]["rnn"] = {"name": "lstm", "units": 16}
    found = problems(doc)
    assert "params.config.seq_length: horizon_length 16 must be divisible by seq_length 5" in found
    assert "params.config.seq_length: minibatch_size 32 must be divisible by seq_length 5" in found


@pytest.mark.parametrize(
    ("block", "key"),
    [("config", "name"), ("config", "env_name"), ("config", "horizon_length"), ("algo", "name")],
)
def test_missing_required_key(block: str, key: str) -> None:
    doc = base()
    del doc["params"][block][key]
    (found,) = problems(doc)
    assert found.startswith(f"params.{block}.{key}: required key is missing (")


def test_missing_required_block() -> None:
    doc = base()
    del doc["params"]["network"]
    assert problems(doc)[0].startswith("params.network: required block is missing")


def test_missing_params_block() -> None:
    with pytest.raises(ConfigError) as info:
        parse_params({"env": {}, "t_max": 3}, "smac.yaml")
    assert "missing: a runner config has a top-level 'params' block" in str(info.value)
    assert info.value.source == "smac.yaml"


def test_discrete_head_required_by_a2c_discrete() -> None:
    doc = base()
    doc["params"]["network"]["space"] = {"continuous": {}}
    assert "params.network.space: a2c_discrete needs network.space.discrete" in "\n".join(
        problems(doc)
    )


# ------------------------------------------------------------------------- all at once
def test_three_problems_are_reported_in_one_error() -> None:
    doc = with_config(learning_rat=1e-3, minibatch_size=48)
    del doc["params"]["config"]["env_name"]
    with pytest.raises(ConfigError) as info:
        parse_params(doc, "three.yaml")
    paths = [p.path for p in info.value.problems]
    assert paths == [
        "params.config.learning_rat",
        "params.config.env_name",
        "params.config.minibatch_size",
    ]
    text = str(info.value)
    assert text.startswith("three.yaml: 3 problems found")
    assert "did you mean 'learning_rate'?" in text


def test_type_errors_at_many_levels_are_reported_together() -> None:
    doc = with_config(horizon_length="long", normalize_input="maybe", zzz=1)
    doc["params"]["network"]["mlp"]["activation"] = ["relu"]
    doc["params"]["seed"] = "s"
    found = [p.split(":")[0] for p in problems(doc)]
    assert sorted(found) == sorted(
        [
            "params.config.horizon_length",
            "params.config.normalize_input",
            "params.config.zzz",
            "params.network.mlp.activation",
            "params.seed",
        ]
    )


# ------------------------------------------------------------------------- legacy keys
def test_legacy_keys_are_accepted_with_one_warning_each() -> None:
    doc = base()
    params = doc["params"]
    params["load_checkpoint"] = False
    params["load_path"] = ""
    params["network"]["mlp"]["regularizer"] = {"name": "None"}
    params["network"]["rnn"] = {"name": "lstm", "units": 16}
    params["config"]["seq_len"] = 8
    params["config"]["player"] = {"determenistic": False}
    loaded = parse_params(doc)
    assert loaded.params.config.seq_length == 4  # rl_games ignores seq_len
    assert loaded.params.config.player.deterministic is False
    assert loaded.params.network.mlp.regularizer == {"name": "None"}
    warned = "\n".join(loaded.warnings)
    for path in (
        "params.load_checkpoint",
        "params.load_path",
        "params.config.seq_len",
        "params.config.player.determenistic",
    ):
        assert sum(w.startswith(path + ":") for w in loaded.warnings) == 1, warned
    assert "the sequence length key is seq_length" in warned
    assert "read as 'deterministic'" in warned


def test_ignored_seq_len_does_not_override_seq_length() -> None:
    doc = with_config(seq_len=8, seq_length=16)
    assert parse_params(doc).params.config.seq_length == 16


def test_top_level_player_block_is_merged() -> None:
    doc = base()
    doc["params"]["player"] = {"games_num": 7, "render": True}
    doc["params"]["config"]["player"] = {"deterministic": False}
    player = parse_params(doc).params.config.player
    assert (player.games_num, player.render, player.deterministic) == (7, True, False)


def test_conflicting_player_blocks_are_a_problem() -> None:
    doc = base()
    doc["params"]["player"] = {"games_num": 7}
    doc["params"]["config"]["player"] = {"games_num": 9}
    assert problems(doc) == [
        "params.player.games_num: conflicts with params.config.player.games_num; keep one"
    ]


def test_isaac_lab_layout_is_accepted() -> None:
    doc = base()
    doc["params"]["env"] = {"clip_observations": 5.0, "clip_actions": 1.0}
    doc["params"]["config"].update(device_name="cuda:0", full_experiment_name="run", ppo=True)
    params = parse_params(doc).params
    assert params.env == {"clip_observations": 5.0, "clip_actions": 1.0}
    assert params.config.full_experiment_name == "run"


def test_top_level_keys_outside_params_are_warned() -> None:
    doc = base()
    doc["pbt"] = {"enabled": False}
    loaded = parse_params(doc)
    assert any(w.startswith("pbt:") for w in loaded.warnings)


# ------------------------------------------------------------------------- typed objects
def test_yaml_null_space_selects_discrete() -> None:
    doc = yaml.safe_load(BASE_YAML)
    assert doc["params"]["network"]["space"] == {"discrete": None}
    space = parse_params(doc).params.network.space
    assert space.discrete is not None
    assert space.continuous is None and space.multi_discrete is None


def test_config_objects_are_frozen() -> None:
    params = parse_params(base()).params
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.config.learning_rate = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.seed = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.network.mlp.activation = "elu"  # type: ignore[misc]


def test_custom_network_keeps_its_raw_block_and_is_not_checked() -> None:
    doc = base()
    doc["params"]["network"] = {"name": "my_net", "depth": 3, "space": {"discrete": None}}
    network = parse_params(doc).params.network
    assert network.name == "my_net"
    assert network.raw["depth"] == 3


def test_unknown_activation_is_a_validation_problem() -> None:
    doc = base()
    doc["params"]["network"]["mlp"]["activation"] = "relux"
    (found,) = problems(doc)
    assert found.startswith("params.network.mlp.activation: unknown activation 'relux'; valid: ")
    assert "relu" in found


def test_cross_field_checks_wait_for_values_that_failed_to_parse() -> None:
    # A bad horizon_length makes the batch size unknown: only the type problem is reported.
    assert problems(with_config(horizon_length="long", minibatch_size=40)) == [
        "params.config.horizon_length: expected int, got str 'long'"
    ]


def test_unimplemented_features_and_rms_advantage_settings_are_reported() -> None:
    doc = with_config(
        self_play_config={"update_score": 0.1, "games_to_check": 10},
        normalize_rms_advantage=True,
        normalize_advantage=False,
    )
    doc["params"]["pbt"] = {"enabled": True, "mutation": {"config.gamma": "mutate_discount"}}
    warnings = parse_params(doc).warnings
    assert not any(w.startswith("params.pbt") for w in warnings)  # implemented (docs/pbt.md)
    assert not any(w.startswith("params.config.self_play_config") for w in warnings)
    assert any(
        w.startswith("params.config.normalize_rms_advantage: has no effect") for w in warnings
    )
    found = problems(with_config(adv_rms_momentum=1.5, epochs_between_resets=-1))
    assert "params.config.adv_rms_momentum: expected a value in [0, 1), got 1.5" in found
    assert "params.config.epochs_between_resets: must be >= 0 (0: never force a reset)" in found
