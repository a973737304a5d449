"""``--profile``: a real 2-epoch CartPole training under torch.profiler writes a Chrome trace into
the run directory and logs the top-10 table; ``Runner.run({'profile': True})`` without a run
directory writes the trace into the current directory; ``--play`` ignores it with a warning."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml
from conftest import REPO, run_cli

from rl_games.runner import Runner
from rl_games.training.profiling import TRACE_FILE, profile_training

CARTPOLE = REPO / "configs" / "ppo_cartpole.yaml"
TINY = ["torch_threads=1", "config.max_epochs=2", "config.num_actors=4"]


def _trace_events(path: Path) -> list:
    doc = json.loads(path.read_text())
    assert isinstance(doc["traceEvents"], list)
    return doc["traceEvents"]


def test_cli_profile_writes_the_trace_into_the_run_dir(tmp_path: Path) -> None:
    sets = [*TINY, f"config.train_dir={tmp_path}", "config.full_experiment_name=prof"]
    args = ["--train", "--file", str(CARTPOLE), "--profile"]
    for s in sets:
        args += ["--set", s]
    proc = run_cli(*args, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    trace = tmp_path / "prof" / TRACE_FILE
    assert trace.is_file(), proc.stdout[-3000:]
    events = _trace_events(trace)
    assert events and any(e.get("ph") == "X" for e in events)  # complete (timed) op events
    assert not (tmp_path / TRACE_FILE).exists()  # only in the run dir
    out = proc.stdout
    assert "profile: top 10 ops by self CPU time" in out
    assert "Self CPU %" in out and "Self CPU time total:" in out  # the key_averages table
    assert f"profile: Chrome trace written to {trace}" in out
    assert (tmp_path / "prof" / "nn").is_dir()  # training itself ran as usual


def test_profile_without_run_dir_uses_the_current_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.INFO), profile_training(True, None) as prof:
        assert prof is not None
        import torch

        torch.ones(8).add_(1).sum()
    assert _trace_events(tmp_path / TRACE_FILE)
    assert any("Self CPU %" in m for m in caplog.messages)


def test_profile_is_off_by_default_and_on_other_ranks(tmp_path: Path) -> None:
    with profile_training(False, tmp_path) as prof:
        assert prof is None
    with profile_training(True, tmp_path, rank=1) as prof:
        assert prof is None
    assert not (tmp_path / TRACE_FILE).exists()


def test_profile_with_play_is_ignored_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = Runner()
    runner.load(
        yaml.safe_load(CARTPOLE.read_text()),
        [*TINY, "config.player.games_num=2", "config.player.print_stats=False"],
    )
    with caplog.at_level(logging.WARNING):
        res = runner.run({"play": True, "profile": True})
    assert res["games"] >= 2
    assert any("--profile applies to training only" in m for m in caplog.messages)
    assert not (tmp_path / TRACE_FILE).exists()
