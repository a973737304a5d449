"""Bad values through the real CLI: an exit-2 message naming the key, nothing written.

Each case was a traceback or a silently accepted config before (docs/reliability.md). ``--train``
runs in-process with ``train_dir`` under ``tmp_path``; the run directory must not exist after.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, run_cli

from rl_games.cli import main

CARTPOLE = yaml.safe_load((REPO / "configs" / "ppo_cartpole.yaml").read_text())
SAC = yaml.safe_load((REPO / "configs" / "sac_pendulum.yaml").read_text())
CONTINUOUS = {
    "algo.name": "a2c_continuous",
    "model.name": "continuous_a2c_logstd",
    "network.space": {"continuous": {"fixed_sigma": True}},
}
RNN = {"network.rnn": {"name": "lstm", "units": 8}}

# id -> (base config, {dotted path under params: value}, expected problem path, text in message)
CASES: dict[str, tuple[dict, dict[str, Any], str, str]] = {
    "config_list": (CARTPOLE, {"config": [1, 2]}, "params.config", "expected a mapping"),
    "params_int": (CARTPOLE, {"": 5}, "params", "expected a mapping"),
    "units_negative": (CARTPOLE, {"network.mlp.units": [-4]}, "mlp.units[0]", "must be > 0"),
    "units_zero": (CARTPOLE, {"network.mlp.units": [0]}, "mlp.units[0]", "must be > 0"),
    "lr_nan": (CARTPOLE, {"config.learning_rate": ".nan"}, "config.learning_rate", "NaN"),
    "lr_negative": (CARTPOLE, {"config.learning_rate": -1e-3}, "learning_rate", "must be > 0"),
    "device_tpu": (CARTPOLE, {"config.device": "tpu"}, "config.device", "unknown device"),
    "seq_length_zero": (
        CARTPOLE,
        {"config.seq_length": 0, **RNN},
        "config.seq_length",
        "must be > 0",
    ),
    "sac_log_std_bounds_one": (SAC, {"network.log_std_bounds": [2]}, "log_std_bounds", "lo < hi"),
    "sac_log_std_bounds_reversed": (
        SAC,
        {"network.log_std_bounds": [2, -5]},
        "network.log_std_bounds",
        "lo < hi",
    ),
    "logstd_bounds_reversed": (
        CARTPOLE,
        {**CONTINUOUS, "network.space": {"continuous": {"logstd_bounds": [2, -5]}}},
        "continuous.logstd_bounds",
        "lo < hi",
    ),
    "envpool_unknown_task": (
        CARTPOLE,
        {"config.env_config": {"env_name": "CartPole-v99"}},
        "params.config.env_config.env_name",
        "did you mean CartPole-v1",
    ),
    "continuous_head_on_cartpole": (
        CARTPOLE,
        CONTINUOUS,
        "params.network.space",
        "use space: {discrete: ...}",
    ),
    "discrete_head_on_pendulum": (
        CARTPOLE,
        {"config.env_config": {"env_name": "Pendulum-v1"}},
        "params.algo.name",
        "use algo a2c_continuous",
    ),
    "sac_network_with_ppo": (
        CARTPOLE,
        {"network.name": "soft_actor_critic"},
        "params.network.name",
        "needs actor_critic",
    ),
    "e_clip_negative": (CARTPOLE, {"config.e_clip": -0.2}, "config.e_clip", "must be > 0"),
    "initializer_misspelt": (
        CARTPOLE,
        {"network.mlp.initializer": {"nme": "default"}},
        "mlp.initializer.nme",
        "did you mean 'name'",
    ),
    "torch_threads_negative": (CARTPOLE, {"torch_threads": -3}, "params.torch_threads", "-3"),
    "tau_above_one": (CARTPOLE, {"config.tau": 1.5}, "params.config.tau", "in [0, 1]"),
    "sac_betas": (SAC, {"config.actor_betas": [0.9, 1.5]}, "actor_betas[1]", "in [0, 1)"),
    "algo_name_list": (CARTPOLE, {"algo.name": [1, 2]}, "params.algo.name", "expected str"),
    "env_name_list": (CARTPOLE, {"config.env_name": [1]}, "params.config.env_name", "str"),
}


def write_case(tmp_path: Path, base: dict, edits: dict[str, Any]) -> Path:
    doc = copy.deepcopy(base)
    doc["params"]["config"]["train_dir"] = str(tmp_path / "runs")
    doc["params"]["config"]["max_epochs"] = 1
    for dotted, value in edits.items():
        if not dotted:
            doc["params"] = value
            continue
        *parents, last = dotted.split(".")
        node = doc["params"]
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(doc).replace("'.nan'", ".nan"))
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config_is_an_exit_2_message_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    base, edits, key, text = CASES[case]
    path = write_case(tmp_path, base, edits)
    assert main(["--train", "--file", str(path)]) == 2
    out = capsys.readouterr().out
    problems = [line for line in out.splitlines() if line.startswith("  - ")]
    assert any(key in line and text in line for line in problems), out
    assert "Traceback" not in out
    assert not (tmp_path / "runs").exists()


def test_space_mismatch_through_runner_py(tmp_path: Path) -> None:
    path = write_case(tmp_path, CARTPOLE, CONTINUOUS)
    proc = run_cli("--train", "--file", str(path), cwd=tmp_path, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert "params.network.space: the 'continuous' head does not fit env" in proc.stdout
    assert "Traceback" not in output
    assert not (tmp_path / "runs").exists()


def test_check_reports_an_unknown_envpool_task_as_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--check`` validates for training: the unknown task is the same exit-2 error."""
    base, edits, key, text = CASES["envpool_unknown_task"]
    path = write_case(tmp_path, base, edits)
    assert main(["--check", "--file", str(path)]) == 2
    out = capsys.readouterr().out
    assert key in out and text in out, out
    assert not (tmp_path / "runs").exists()
