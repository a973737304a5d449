"""Issue #20, item 8: a checkpoint is checked against the config and env before it is used.

Real checkpoints, trained for one epoch through the CLI (in-process ``rl_games.cli.main``):
Acrobot and CartPole from the shipped configs, and an Acrobot one with CartPole's network
(same layer widths, no normalizers), whose tensors have the same names and only the
observation and action sizes differ: before the fix ``--export`` took the shapes from the
checkpoint and exported it under the CartPole config without a word. ``--export``, ``--play``
and ``--checkpoint`` resume must refuse it, naming the first mismatching tensor and both
shapes. Checkpoints holding pickled code are refused as code (not as "corrupted"), and the
code never runs. The two subprocess cases run ``python runner.py`` as users do.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from conftest import REPO, cli_main, run_cli

from rl_games.training.checkpoint import CheckpointError, load_checkpoint, refused_global

CARTPOLE = REPO / "configs" / "ppo_cartpole.yaml"
ACROBOT = REPO / "configs" / "ppo_acrobot_envpool.yaml"
#: CartPole's network for Acrobot: the same tensor names and widths, other obs/action sizes
CARTPOLE_NET = [
    "network.mlp.units=[32, 32]",
    "config.normalize_input=False",
    "config.normalize_value=False",
]
SYSTEM = f"{os.system.__module__}.system"  # posix.system on Linux


def _sets(*items: str) -> list[str]:
    return [arg for item in items for arg in ("--set", item)]


def _train(config: Path, train_dir: Path, name: str, *extra: str) -> Path:
    sets = _sets("config.max_epochs=1", f"config.train_dir={train_dir}",
                 f"config.full_experiment_name={name}", *extra)  # fmt: skip
    assert cli_main("--train", "-q", "--file", str(config), *sets) == 0
    (ckpt,) = (train_dir / name / "nn").glob("*.pth")
    return ckpt


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    runs = tmp_path_factory.mktemp("ckpt_runs")
    return {
        "cartpole": _train(CARTPOLE, runs, "cartpole"),
        "acrobot": _train(ACROBOT, runs, "acrobot"),
        "acrobot_small": _train(ACROBOT, runs, "acrobot_small", *CARTPOLE_NET),
    }


def _error(out: str) -> str:
    assert "Traceback" not in out, out
    (line,) = [ln for ln in out.splitlines() if ln.startswith("error:")]
    return line


# ----------------------------------------------------------------------------- shapes
def test_export_refuses_a_checkpoint_of_another_env_with_the_same_network(
    ckpts: dict[str, Path], tmp_path: Path
) -> None:
    """The case that exported silently before: same names and widths, other obs/actions."""
    out = tmp_path / "policy.onnx"
    proc = run_cli(
        "--export", "onnx", "--file", str(CARTPOLE), "--checkpoint", str(ckpts["acrobot_small"]),
        "--output", str(out), cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = _error(proc.stdout + proc.stderr)
    assert f"checkpoint '{ckpts['acrobot_small']}' does not match" in line
    assert "'model/a2c_network.actor_mlp.0.weight' has shape [32, 6] in the checkpoint, " in line
    assert "[32, 4] in the model" in line
    assert not out.exists()


def test_export_refuses_a_checkpoint_of_another_network(
    ckpts: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "policy.onnx"
    argv = ["--export", "onnx", "--file", str(CARTPOLE), "-c", str(ckpts["acrobot"])]
    assert cli_main(*argv, "-o", str(out)) == 2
    line = _error(capsys.readouterr().out)
    assert "'model/a2c_network.actor_mlp.0.weight' has shape [64, 6] in the checkpoint" in line
    assert "[32, 4] in the model" in line and not out.exists()


def test_export_of_the_matching_checkpoint_succeeds(ckpts: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "policy.onnx"
    argv = ["--export", "onnx", "-q", "--file", str(CARTPOLE), "-c", str(ckpts["cartpole"])]
    assert cli_main(*argv, "-o", str(out)) == 0
    assert out.stat().st_size > 1000


@pytest.mark.parametrize("which", ["acrobot", "acrobot_small"])
def test_play_refuses_a_checkpoint_that_does_not_fit(
    ckpts: dict[str, Path], which: str, capsys: pytest.CaptureFixture
) -> None:
    argv = ["--play", "--file", str(CARTPOLE), "--checkpoint", str(ckpts[which])]
    assert cli_main(*argv, *_sets("config.player.games_num=1")) == 1
    line = _error(capsys.readouterr().out)
    width = 64 if which == "acrobot" else 32
    assert f"checkpoint '{ckpts[which]}' does not fit this config" in line
    assert (
        f"'model/a2c_network.actor_mlp.0.weight' has shape [{width}, 6] in the checkpoint" in line
    )
    assert "[32, 4] in the model" in line
    assert str(ckpts[which].parent.parent / "config.yaml") in line  # the config to use instead


def test_resume_refuses_a_checkpoint_that_does_not_fit(
    ckpts: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    sets = _sets("config.max_epochs=3", f"config.train_dir={tmp_path / 'runs'}")
    argv = ["--train", "--file", str(CARTPOLE), "--checkpoint", str(ckpts["acrobot_small"])]
    assert cli_main(*argv, *sets) == 1
    line = _error(capsys.readouterr().out)
    assert "'model/a2c_network.actor_mlp.0.weight' has shape [32, 6] in the checkpoint" in line
    assert "[32, 4] in the model" in line
    assert not (tmp_path / "runs").exists()  # refused before anything is written


# ----------------------------------------------------------------------------- pickled code
def _code_checkpoint(path: Path, protocol: int = 2) -> Path:
    torch.save({"model": {}, "x": os.system}, path, pickle_protocol=protocol)
    return path


class _RunsCode:
    """Unpickling this calls ``os.system(command)``: a real payload, never to be executed."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple:
        return (os.system, (self.command,))


def test_play_refuses_pickled_code_and_names_it(tmp_path: Path) -> None:
    evil = _code_checkpoint(tmp_path / "evil.pth")
    proc = run_cli("--play", "--file", str(CARTPOLE), "--checkpoint", str(evil), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = _error(proc.stdout + proc.stderr)
    assert f"checkpoint '{evil}' holds code and was not loaded" in line
    assert f"'{SYSTEM}'" in line and "truncated" not in line and "corrupted" not in line


@pytest.mark.parametrize("protocol", [2, 4], ids=["GLOBAL", "STACK_GLOBAL"])
def test_export_and_resume_refuse_code_that_would_run(
    tmp_path: Path, protocol: int, capsys: pytest.CaptureFixture
) -> None:
    marker = tmp_path / "code_ran"
    evil = tmp_path / "evil.pth"
    payload = _RunsCode(f"touch {marker}")
    torch.save({"model": {}, "x": payload}, evil, pickle_protocol=protocol)
    out = tmp_path / "p.onnx"
    assert (
        cli_main("--export", "onnx", "--file", str(CARTPOLE), "-c", str(evil), "-o", str(out)) == 1
    )
    assert f"'{SYSTEM}'" in _error(capsys.readouterr().out)
    sets = _sets("config.max_epochs=1", f"config.train_dir={tmp_path / 'runs'}")
    assert cli_main("--train", "--file", str(CARTPOLE), "--checkpoint", str(evil), *sets) == 1
    assert "holds code and was not loaded" in _error(capsys.readouterr().out)
    assert not marker.exists() and not out.exists()


@pytest.mark.parametrize("protocol", [2, 4], ids=["GLOBAL", "STACK_GLOBAL"])
def test_the_global_is_found_in_the_pickle_when_torch_does_not_name_it(
    tmp_path: Path, protocol: int, ckpts: dict[str, Path]
) -> None:
    """Whatever torch's wording, the opcode scan of data.pkl names the global."""
    evil = _code_checkpoint(tmp_path / "evil.pth", protocol)
    assert refused_global(evil, "an error text without the name") == SYSTEM
    for ckpt in ckpts.values():  # real checkpoints name only tensors, containers, numpy
        assert refused_global(ckpt, "") is None
    with pytest.raises(CheckpointError, match="holds code and was not loaded"):
        load_checkpoint(evil)


def test_sac_play_refuses_a_checkpoint_of_another_network(capsys) -> None:
    """rl-games 1.6.5's SAC checkpoint (256-256) against our SAC config (64-64): one line naming
    the first mismatching tensor and both shapes, exit 1, no traceback."""
    ckpt = REPO / "tests" / "data" / "rl_games_1.6.5" / "sac_pendulum_envpool.pth"
    sac = REPO / "configs" / "sac_pendulum.yaml"
    code = cli_main("--play", "--file", str(sac), "--checkpoint", str(ckpt))
    out = capsys.readouterr().out
    assert code == 1, out[-2000:]
    assert "'actor/trunk.0.weight' has shape [256, 3] in the checkpoint, [64, 3]" in out
    assert "Traceback" not in out
