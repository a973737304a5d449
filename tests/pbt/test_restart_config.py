"""The restart command line, the typed ``params.pbt`` block and its validation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from rl_games.config import ConfigError, parse_params
from rl_games.pbt.restart import build_restart_argv, command_for
from rl_games.pbt.rules import mutation_rules

REPO = Path(__file__).resolve().parents[2]


def test_restart_argv_replaces_checkpoint_and_mutated_sets_only():
    argv = ["--train", "--file", "cfg.yaml", "--set", "pbt.policy_idx=2", "-c", "old.pth",
            "--set", "config.learning_rate=1e-7", "--checkpoint=older.pth", "--seed", "3"]  # fmt: skip
    out = build_restart_argv(argv, "/d/002/restart.pth", {"config.learning_rate": 0.0002})
    assert out == ["--train", "--file", "cfg.yaml", "--set", "pbt.policy_idx=2", "--seed", "3",
                   "--checkpoint", "/d/002/restart.pth", "--set", "config.learning_rate=0.0002"]  # fmt: skip
    assert yaml.safe_load(repr(0.00026444534890799)) == 0.00026444534890799  # read back exactly
    assert command_for("runner.py") == [sys.executable, "runner.py"]
    assert command_for("/x/rl_games/cli.py", "/isaac/python.sh") == [
        "/isaac/python.sh", "-m", "rl_games.cli",
    ]  # fmt: skip


def test_mutation_keys_in_rl_games_spellings_name_config_paths():
    rules = mutation_rules(
        {
            "agent.params.config.learning_rate": "mutate_float",
            "train.params.config.gamma": "mutate_discount",
            "config": {"e_clip": "mutate_eps_clip"},  # from --set pbt.mutation.config.e_clip=...
        }
    )
    assert rules == {
        "config.learning_rate": "mutate_float",
        "config.gamma": "mutate_discount",
        "config.e_clip": "mutate_eps_clip",
    }


def _doc(**pbt):
    doc = yaml.safe_load((REPO / "configs" / "ppo_cartpole_pbt.yaml").read_text())
    doc["params"]["pbt"].update(pbt)
    return doc


def test_pbt_block_is_typed_and_problems_name_the_key_and_fix():
    pbt = parse_params(_doc(), "cfg").params.pbt
    assert pbt.enabled and pbt.interval_steps == 8192 and pbt.change_range == [1.1, 2.0]
    bad = _doc(policy_idx=4, num_policies=4, mutation_rate=1.5, change_range=[0.5, 2.0],
               mutation={"config.learning_rat": "mutate_float", "config.gamma": "mutate_gamma"})  # fmt: skip
    with pytest.raises(ConfigError) as err:
        parse_params(bad, "cfg")
    text = str(err.value)
    for expected in (
        "params.pbt.policy_idx: must be in [0, num_policies=4)",
        "params.pbt.mutation_rate: must be in [0, 1]",
        "params.pbt.change_range: expected [min, max] with 1 <= min <= max",
        "params.pbt.mutation.config.learning_rat: no such config key",
        "params.pbt.mutation.config.gamma: unknown mutation function 'mutate_gamma'",
    ):
        assert expected in text
    with pytest.raises(ConfigError, match="params.pbt.interval_stepz: unknown key"):
        parse_params(_doc(interval_stepz=5), "cfg")


def test_rl_games_import_paths():
    from rl_games.common.pbt import MultiObserver, PbtAlgoObserver, PbtCfg, mutate
    from rl_games.common.pbt.mutation import mutate_discount, mutate_float
    from rl_games.pbt.member import PbtAlgoObserver as Ours

    assert PbtAlgoObserver is Ours and callable(mutate) and MultiObserver.__name__
    assert PbtCfg(policy_idx=1).num_policies == 8
    assert mutate_float.__module__ == mutate_discount.__module__ == "rl_games.pbt.mutation"
