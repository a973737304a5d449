"""Issue #20, item 7: where a run writes, and what happens when it cannot write there.

Every case runs the real CLI: ``python runner.py`` in a subprocess for the name escape and the
disk that fills up during training, ``rl_games.cli.main`` in-process for the others. What each
one really exercises (the tests run as root, where permission bits stop nothing):

- a name with a path in it (``../../x``): the config check, exit 2, nothing written;
- ``train_dir`` inside a regular file: mkdir fails with ENOTDIR/EEXIST;
- ``train_dir`` on a file system that refuses new entries: ``/sys`` (EPERM for root too);
- a full disk: a 1 MiB tmpfs mounted by the test (skipped where mounting is not permitted),
  filled up by the test once the run has written its first checkpoint;
- ``--export --output`` inside a regular file, onto ``/dev/full`` (a device, never replaced) and
  on a full tmpfs (an earlier file there stays as it was).
"""

from __future__ import annotations

import contextlib
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import cli_main, run_cli

from rl_games.config import ConfigError, load_yaml, parse_params
from rl_games.training.checkpoint import load_checkpoint
from rl_games.training.run_dir import create_run_dir

TINY = """
params:
  seed: 3
  torch_threads: 1
  algo: {name: a2c_discrete}
  model: {name: discrete_a2c}
  network: {name: actor_critic, space: {discrete: }, mlp: {units: [16]}}
  config:
    name: paths
    env_name: CartPole-v1
    device: cpu
    num_actors: 4
    horizon_length: 32
    minibatch_size: 32
    mini_epochs: 1
    max_epochs: 1
"""


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(textwrap.dedent(TINY))
    return path


def _one_error_line(out: str) -> str:
    assert "Traceback" not in out, out
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, out
    return errors[0]


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to simulate a full disk: {proc.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


# ----------------------------------------------------------------------------- names
def test_name_with_a_path_is_a_config_error_and_writes_nothing(tmp_path: Path) -> None:
    train_dir = tmp_path / "a" / "b"
    proc = run_cli(
        "--train", "--file", str(_config(tmp_path)), "--set", "config.name=../../escaped",
        "--set", f"config.train_dir={train_dir}", cwd=tmp_path, timeout=120,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "params.config.name: '../../escaped' must be a plain directory name" in out
    assert "config.train_dir" in out  # the fix: the directory part goes there
    assert "Traceback" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]


@pytest.mark.parametrize("value", ["..", ".", "x/y", "/abs", "a\\b"])
def test_full_experiment_name_must_be_a_plain_name(
    tmp_path: Path, value: str, capsys: pytest.CaptureFixture
) -> None:
    cfg = str(_config(tmp_path))
    assert cli_main("--check", "--file", cfg, "--set", f"config.full_experiment_name={value}") == 2
    out = capsys.readouterr().out
    assert f"params.config.full_experiment_name: {value!r} must be a plain directory name" in out
    assert "Traceback" not in out and not (tmp_path / "runs").exists()


def test_plain_names_pass(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cfg = str(_config(tmp_path))
    assert (
        cli_main("--check", "-q", "--file", cfg, "--set", "config.full_experiment_name=a.b-1") == 0
    )
    assert "must be a plain directory name" not in capsys.readouterr().out


def test_run_dir_refuses_a_name_that_bypassed_validation(tmp_path: Path) -> None:
    """``setup_run_dir`` checks again (programmatic users can change params after loading)."""
    doc = load_yaml(_config(tmp_path))
    params = parse_params(doc).params
    object.__setattr__(params.config, "name", "../outside")
    object.__setattr__(params.config, "train_dir", str(tmp_path / "runs"))
    with pytest.raises(ConfigError, match=r"params\.config\.name"):
        create_run_dir(params)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]


# ----------------------------------------------------------------------------- train_dir
def test_train_dir_inside_a_regular_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("keep me\n")
    cfg = str(_config(tmp_path))
    rc = cli_main("--train", "--file", cfg, "--set", f"config.train_dir={blocker}/runs")
    line = _one_error_line(capsys.readouterr().out)
    assert rc == 1
    assert "cannot create the run directory" in line
    assert f"'{blocker}' is a file, not a directory" in line and "config.train_dir" in line
    assert blocker.read_text() == "keep me\n"


def test_train_dir_on_a_file_system_that_refuses_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    target = Path("/sys/rl_games_reliability_runs")
    if not Path("/sys").is_dir():
        pytest.skip("no /sys on this system")
    cfg = str(_config(tmp_path))
    rc = cli_main("--train", "--file", cfg, "--set", f"config.train_dir={target}")
    line = _one_error_line(capsys.readouterr().out)
    assert rc == 1
    assert f"cannot create the run directory '{target}/" in line and "config.train_dir" in line
    assert not target.exists()


# ----------------------------------------------------------------------------- full disk
def test_disk_full_during_training_stops_with_the_last_checkpoint_intact(
    tmp_path: Path,
) -> None:
    """A checkpoint every epoch onto a 1 MiB disk: it fills up after some 30 checkpoints."""
    with _tmpfs(tmp_path / "disk", "1m") as disk:
        proc = run_cli(
            "--train", "--file", str(_config(tmp_path)), "--set", "config.max_epochs=100000",
            "--set", "config.save_frequency=1", "--set", f"config.train_dir={disk}",
            "--set", "config.full_experiment_name=full", cwd=tmp_path, timeout=300,
        )  # fmt: skip
        out = proc.stdout + proc.stderr
        assert proc.returncode == 1, out
        line = _one_error_line(out)
        assert "No space left on device" in line and "Training stopped" in line
        nn_dir = disk / "full" / "nn"
        kept = [p for p in nn_dir.iterdir() if p.suffix == ".pth"]
        assert len(kept) >= 2 and not [p for p in nn_dir.iterdir() if p.suffix == ".tmp"]
        newest = max(kept, key=lambda p: load_checkpoint(p)["epoch"])  # every one loads
        assert f"the last checkpoint written, '{newest}', is intact" in line
        failed = line.split("cannot write checkpoint '")[1].split("'")[0]
        assert not Path(failed).exists()  # the failed save left no partial file


# ----------------------------------------------------------------------------- export
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("paths_ckpt")
    cfg = _config(tmp)
    sets = ["--set", f"config.train_dir={tmp}", "--set", "config.full_experiment_name=t"]
    assert cli_main("--train", "-q", "--file", str(cfg), *sets) == 0
    return cfg, next((tmp / "t" / "nn").glob("*.pth"))


def _export(checkpoint: tuple[Path, Path], output: Path | str) -> int:
    cfg, ckpt = checkpoint
    return cli_main(
        "--export", "onnx", "-q", "--file", str(cfg), "-c", str(ckpt), "-o", str(output)
    )


def test_export_output_inside_a_regular_file(
    checkpoint: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert _export(checkpoint, blocker / "policy.onnx") == 1
    line = _one_error_line(capsys.readouterr().out)
    assert f"cannot write the ONNX file '{blocker}/policy.onnx'" in line
    assert f"'{blocker}' is a file" in line and "--output" in line


def test_export_output_onto_a_device_is_refused(
    checkpoint: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    if not Path("/dev/full").is_char_device():
        pytest.skip("no /dev/full on this system")
    assert _export(checkpoint, "/dev/full") == 1
    line = _one_error_line(capsys.readouterr().out)
    assert "'/dev/full': it exists and is not a regular file" in line
    assert Path("/dev/full").is_char_device()  # not replaced by a regular file


def test_export_onto_a_full_disk_keeps_the_earlier_file(
    checkpoint: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with _tmpfs(tmp_path / "disk", "4k") as disk:
        earlier = disk / "policy.onnx"
        earlier.write_bytes(b"earlier export")
        assert _export(checkpoint, earlier) == 1
        line = _one_error_line(capsys.readouterr().out)
        assert "No space left on device" in line and f"'{earlier}'" in line
        assert earlier.read_bytes() == b"earlier export"
        assert sorted(p.name for p in disk.iterdir()) == ["policy.onnx"]  # no temporary file
    assert _export(checkpoint, tmp_path / "ok.onnx") == 0  # the same export where there is room
    assert (tmp_path / "ok.onnx").stat().st_size > 1000
