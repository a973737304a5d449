"""The helpers of rl_games.training.distributed in a real 2-process gloo group (torchrun), plus the
single-process behaviour of a multi_gpu config launched without torchrun."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch
from conftest import REPO, run_cli

from rl_games.networks.normalization import RunningMeanStd
from rl_games.training import distributed as D

HERE = Path(__file__).resolve().parent
CFG = REPO / "configs" / "ppo_cartpole_multi_gpu.yaml"


def test_collectives_in_a_two_rank_gloo_group() -> None:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    cmd += ["--max-restarts=0", str(HERE / "dist_collectives_worker.py"), str(CFG)]
    res = subprocess.run(
        cmd,
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"},
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    assert "rank 0 ok" in out and "rank 1 ok" in out


def test_local_delta_recovers_the_new_data_moments() -> None:
    torch.manual_seed(0)
    rms = RunningMeanStd((4,))
    rms.update(torch.randn(50, 4) * 3 + 1)
    snap = (rms.running_mean.clone(), rms.running_var.clone(), rms.count.clone())
    new = torch.randn(30, 4, dtype=torch.float64) * 2 - 1
    rms.update(new[:10])
    rms.update(new[10:])
    row = D._local_delta(rms, snap)
    assert float(row[0]) == 30.0
    torch.testing.assert_close(row[1:5], new.mean(0), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(row[5:9], new.var(0, correction=0) * 30, rtol=1e-10, atol=1e-10)
    unchanged = D._local_delta(rms, (rms.running_mean, rms.running_var, rms.count))
    assert float(unchanged[0]) == 0.0 and torch.equal(
        unchanged[5:], torch.zeros(4, dtype=torch.float64)
    )


def test_multi_gpu_config_without_torchrun_trains_as_one_process(tmp_path: Path) -> None:
    res = run_cli(
        "--train",
        "--file",
        str(CFG),
        "--set",
        f"config.train_dir={tmp_path}",
        "--set",
        "config.full_experiment_name=run",
        "--set",
        "config.max_epochs=2",
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "WORLD_SIZE is 1 (not under torchrun)" in res.stdout
    assert "epoch 2/2 | frames 1024/" in res.stdout  # 2 x 16 x 32: one process's frames


def test_env_ranks_and_rank_device(monkeypatch) -> None:
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    ctx = D.env_ranks()
    assert (ctx.rank, ctx.local_rank, ctx.world_size, ctx.local_world_size) == (3, 1, 4, 2)
    assert not ctx.initialized
    assert D.rank_device("cpu", 1) == "cpu"
    expected = "cuda:1" if torch.cuda.is_available() else "cpu"
    assert D.rank_device("cuda:0", 1) == expected
    monkeypatch.setenv(D.TIMEOUT_ENV, "12.5")
    assert D.timeout_seconds() == 12.5
