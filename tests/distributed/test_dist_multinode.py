"""Two torchrun 'nodes' on localhost (--nnodes=2, --node_rank 0 and 1, rendezvous on 127.0.0.1)
train one PPO job together: observation and value normalizers, the adaptive learning-rate
schedule (mean KL, rank 0's lr) and the parameters all end bitwise identical on both ranks."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import REPO
from dist_launch import (
    assert_bitwise_identical,
    free_port,
    job_env,
    load_dumps,
    node,
    progress,
    run_sets,
    torchrun_cmd,
)

CFG = REPO / "configs" / "ppo_cartpole_multi_gpu.yaml"
SETS = (
    "config.max_epochs=12",
    "config.normalize_input=True",
    "config.normalize_value=True",
    "config.lr_schedule=adaptive",
    "config.kl_threshold=0.004",
)


def test_two_nodes_on_localhost_train_together(tmp_path: Path) -> None:
    port = free_port()
    env = job_env(tmp_path / "dump")
    procs = [
        subprocess.Popen(
            torchrun_cmd(node(r, 2, port), CFG, run_sets(tmp_path, *SETS)),
            cwd=str(REPO),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for r in (0, 1)
    ]
    outs = [p.communicate(timeout=180)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs[0][-3000:] + outs[1][-3000:]
    rows = progress(outs[0])
    assert [r[0] for r in rows] == list(range(1, 13)), outs[0][-3000:]
    assert all(frames == epoch * 2 * 16 * 32 for epoch, frames, _ in rows)
    assert not progress(outs[1])  # node 1 (rank 1) prints no progress and writes no run dir
    assert "distributed: replicas identical on 2 ranks" in outs[0]
    states = load_dumps(tmp_path / "dump", 2)
    assert_bitwise_identical(states)
    keys = set(states[0])
    assert {"0.running_mean_std.running_var", "0.value_mean_std.count"} <= keys
    assert states[0]["lr"] != 2e-4  # the adaptive schedule moved it (and both ranks agree)
    assert (tmp_path / "runs" / "run" / "nn").is_dir()
