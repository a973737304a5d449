"""Resume under torchrun: every rank restores the checkpoint rank 0 wrote, rank 0's weights are
broadcast at the start of training, and the ranks continue in lockstep (same epochs and frames,
bitwise-identical parameters and normalizer statistics at the end)."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO
from dist_launch import (
    assert_bitwise_identical,
    job_env,
    load_dumps,
    progress,
    run_job,
    run_sets,
    standalone,
    torchrun_cmd,
)

CFG = REPO / "configs" / "ppo_cartpole_multi_gpu.yaml"
SETS = ("config.num_actors=8", "config.normalize_input=True", "config.normalize_value=True")


def test_resume_from_rank0_checkpoint(tmp_path: Path) -> None:
    first = torchrun_cmd(standalone(2), CFG, run_sets(tmp_path, *SETS, "config.max_epochs=4"))
    res = run_job(first, job_env(tmp_path / "dump1"), timeout=150)
    assert res.returncode == 0, res.stdout[-3000:]
    ckpts = sorted((tmp_path / "runs" / "run" / "nn").glob("last_*.pth"))
    assert len(ckpts) == 1, ckpts
    second = torchrun_cmd(standalone(2), CFG, run_sets(tmp_path, *SETS, "config.max_epochs=7"))
    second += ["--checkpoint", str(ckpts[0])]
    res = run_job(second, job_env(tmp_path / "dump2"), timeout=150)
    assert res.returncode == 0, res.stdout[-3000:]
    rows = progress(res.stdout)
    assert [r[0] for r in rows] == [5, 6, 7]
    assert all(frames == epoch * 2 * 8 * 32 for epoch, frames, _ in rows)
    assert "distributed: replicas identical on 2 ranks" in res.stdout
    before, after = load_dumps(tmp_path / "dump1", 2), load_dumps(tmp_path / "dump2", 2)
    assert_bitwise_identical(after)
    key = "0.running_mean_std.count"
    assert float(after[0][key]) > float(before[0][key])  # restored, then merged further
