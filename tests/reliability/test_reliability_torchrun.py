"""A config error under torchrun: one message (rank 0), exit 2 on every rank, no rank traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def test_bad_envpool_task_under_torchrun_prints_one_message(tmp_path: Path) -> None:
    text = (REPO / "configs" / "ppo_cartpole_multi_gpu.yaml").read_text()
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text.replace("env_name: CartPole-v1", "env_name: CartPole-v99"))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--max-restarts=0", "--standalone"]
    cmd += ["--nproc_per_node=2", str(REPO / "runner.py"), "--train", "--file", str(cfg)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    message = "params.config.env_config.env_name: 'CartPole-v99' is not an envpool task"
    assert output.count(message) == 1, output
    # torchrun's own summary names rank 0 as the root cause, with our exit code
    root = output[output.index("Root Cause") :]
    assert "rank      : 0" in root and "exitcode  : 2" in root, output
    # no rank printed a traceback: the one left is torchrun's launcher (ChildFailedError)
    assert output.count("Traceback (most recent call last)") == 1, output
    assert "AssertionError" not in output
    assert not (tmp_path / "runs").exists()
