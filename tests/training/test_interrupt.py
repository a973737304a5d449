"""SIGTERM / SIGINT during training write a last checkpoint and exit cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_saves_last_checkpoint(tmp_path: Path, sig: int) -> None:
    cmd = [
        sys.executable,
        str(REPO / "runner.py"),
        "--train",
        "--file",
        str(REPO / "configs" / "ppo_cartpole.yaml"),
        "--set",
        f"config.train_dir={tmp_path}",
        "--set",
        "config.full_experiment_name=run",
        "--set",
        "config.score_to_win=100000",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    deadline = time.time() + 120
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until training runs
        if line.startswith("epoch 3 ") or time.time() > deadline:
            break
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "training interrupted" in out
    assert list((tmp_path / "run" / "nn").glob("last_cartpole_ep_*_rew_*.pth"))
