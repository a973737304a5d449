"""A rank that dies (SIGKILL, a Python exception) or hangs (SIGSTOP) ends the whole torchrun job
with a non-zero exit within 60 s instead of leaving the other rank blocked in a collective."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO
from dist_launch import (
    job_env,
    run_sets,
    signal_rank,
    standalone,
    torchrun_cmd,
    wait_for_line,
)

CFG = REPO / "configs" / "ppo_cartpole_multi_gpu.yaml"
HERE = Path(__file__).resolve().parent


def _start(tmp_path: Path, *sets: str, **env: str) -> subprocess.Popen:
    cmd = torchrun_cmd(standalone(2), CFG, run_sets(tmp_path, "config.score_to_win=100000", *sets))
    return subprocess.Popen(
        cmd,
        cwd=str(REPO),
        env=job_env(tmp_path / "dump", **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_exit(proc: subprocess.Popen, since: float, limit: float = 60.0) -> tuple[int, float]:
    try:
        proc.communicate(timeout=limit + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"torchrun still running {limit + 30:.0f} s after the failure")
    return proc.returncode, time.monotonic() - since


@pytest.mark.parametrize(
    ("rank", "sig"),
    [
        (1, signal.SIGKILL),
        (0, signal.SIGKILL),
        pytest.param(1, signal.SIGSTOP, marks=pytest.mark.slow),  # ~50 s: waits for the timeout
    ],
    ids=["sigkill-rank1", "sigkill-rank0", "sigstop-rank1"],
)
def test_lost_rank_ends_the_job(tmp_path: Path, rank: int, sig: int) -> None:
    proc = _start(tmp_path, RL_GAMES_DIST_TIMEOUT_S="10")  # SIGSTOP: only the timeout can tell
    lines = wait_for_line(proc, "epoch 3 ", timeout=120)
    assert lines and lines[-1].startswith("epoch 3 "), "".join(lines[-30:])
    pid = signal_rank(proc.pid, rank, sig)
    t0 = time.monotonic()
    try:
        rc, elapsed = _wait_exit(proc, t0)
    finally:
        if sig == signal.SIGSTOP:  # never leave a stopped process behind
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert rc != 0
    assert elapsed < 60.0, elapsed


def test_exception_on_rank0_ends_the_job(tmp_path: Path) -> None:
    pythonpath = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    proc = _start(
        tmp_path, "config.stop_fn=dist_fail_hooks:raise_at_epoch_3", PYTHONPATH=pythonpath
    )
    t0 = time.monotonic()
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode != 0, out[-3000:]
    assert "injected failure on rank 0" in out
    assert "epoch 3 " in out and "epoch 5 " not in out
    assert time.monotonic() - t0 < 120


def test_sigint_to_one_rank_stops_every_rank_after_the_epoch(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    lines = wait_for_line(proc, "epoch 3 ", timeout=120)
    assert lines and lines[-1].startswith("epoch 3 "), "".join(lines[-30:])
    signal_rank(proc.pid, 1, signal.SIGINT)
    out, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, out[-3000:]
    assert "training interrupted (SIGINT)" not in out  # rank 1 saves and logs nothing
    assert "training interrupted (signal to another rank)" in out  # rank 0 agreed, saved
    assert list((tmp_path / "runs" / "run" / "nn").glob("last_cartpole_multi_gpu_ep_*.pth"))
