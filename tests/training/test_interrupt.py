"""SIGTERM / SIGINT during training write a last checkpoint and exit cleanly; the checkpoint
loads and resumes, exactly like the uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ckpt_helpers import assert_same, final, train
from conftest import REPO

from rl_games.training.checkpoint import load_checkpoint


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


def test_sigint_checkpoint_resumes_like_the_uninterrupted_run(tmp_path: Path) -> None:
    cfg = str(REPO / "configs" / "ppo_cartpole.yaml")
    sets = ["config.env_name=CartPole-v1", "config.env_config={}", "config.score_to_win=100000"]
    cmd = [sys.executable, str(REPO / "runner.py"), "--train", "--file", cfg]
    for s in (f"config.train_dir={tmp_path}", "config.full_experiment_name=cut", "torch_threads=1",
              "seed=7", *sets):  # fmt: skip
        cmd += ["--set", s]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("epoch 3 "):
            break
    proc.send_signal(signal.SIGINT)
    out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, out
    assert "stopping after this epoch" in out and "training interrupted (SIGINT)" in out
    ckpt = next((tmp_path / "cut" / "nn").glob("last_cartpole_ep_*_rew_*.pth"))
    cut_epoch = load_checkpoint(ckpt)["epoch"]
    assert cut_epoch >= 3
    end = cut_epoch + 2
    resumed = train(cfg, tmp_path, "resumed", *sets, f"config.max_epochs={end}", checkpoint=ckpt)
    assert f"epoch {cut_epoch + 1}/{end}" in resumed.stdout
    train(cfg, tmp_path, "full", *sets, f"config.max_epochs={end}")
    assert_same(
        final(tmp_path / "resumed", end, "cartpole"), final(tmp_path / "full", end, "cartpole")
    )
