"""torchrun --standalone --nproc_per_node=2 (gloo, CPU): PPO on CartPole and SAC on Pendulum reach
their scores, every epoch counts both ranks' frames, and both ranks end with bitwise-identical
parameters and normalizer statistics (each rank dumps its state through RL_GAMES_TEST_DUMP_DIR).

Two ranks do twice the CPU work of one process on a 2-core machine, so the CI variant of the PPO
run halves each rank's share (8 envs per rank, minibatch 128, lr 1e-3: the same 512 frames per
epoch as configs/ppo_cartpole.yaml); the config as written and the SAC learning run are ``slow``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
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

PPO_CFG = REPO / "configs" / "ppo_cartpole_multi_gpu.yaml"
SAC_CFG = REPO / "configs" / "sac_pendulum.yaml"
CV_CFG = REPO / "configs" / "ppo_asymmetric_cartpole_cv.yaml"
PPO_FAST = ("config.num_actors=8", "config.minibatch_size=128", "config.learning_rate=1e-3")


def _train(cfg: Path, tmp_path: Path, frames_per_epoch: int, *sets: str) -> tuple[str, list]:
    """One 2-rank job; checks frames, replica identity (log line and dumps), rank-0-only output."""
    cmd = torchrun_cmd(standalone(2), cfg, run_sets(tmp_path, *sets))
    res = run_job(cmd, job_env(tmp_path / "dump"), timeout=400)
    out = res.stdout
    assert res.returncode == 0, out[-4000:]
    rows = progress(out)
    assert rows, out[-3000:]
    for epoch, frames, _ in rows:
        assert frames == epoch * frames_per_epoch, (epoch, frames, frames_per_epoch)
    assert "distributed: replicas identical on 2 ranks" in out, out[-3000:]
    states = load_dumps(tmp_path / "dump", 2)
    assert_bitwise_identical(states)
    assert states[0]["frame"] == states[0]["epoch"] * frames_per_epoch
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["run"]  # rank 0 writes alone
    return out, rows


def _check_ppo_won(out: str, rows: list, tmp_path: Path) -> None:
    assert rows[-1][2] is not None and rows[-1][2] >= 475.0, rows[-3:]
    assert out.count("Maximum reward achieved") == 1  # logged (and saved) by rank 0 only
    assert list((tmp_path / "runs" / "run" / "nn").glob("cartpole_multi_gpu_ep_*_rew_*.pth"))


def test_ppo_cartpole_two_ranks_reach_475(tmp_path: Path) -> None:
    out, rows = _train(PPO_CFG, tmp_path, 2 * 8 * 32, *PPO_FAST)
    _check_ppo_won(out, rows, tmp_path)


@pytest.mark.slow
def test_ppo_cartpole_multi_gpu_config_as_written_reaches_475(tmp_path: Path) -> None:
    out, rows = _train(PPO_CFG, tmp_path, 2 * 16 * 32)
    _check_ppo_won(out, rows, tmp_path)


def test_sac_two_ranks_stay_identical(tmp_path: Path) -> None:
    """Short SAC run past warmup: gradients, obs normalizer and temperature stay in sync."""
    sets = ("config.multi_gpu=True", "config.max_epochs=150", "config.num_warmup_frames=400")
    _, rows = _train(SAC_CFG, tmp_path, 2 * 8, *sets)
    dump = load_dumps(tmp_path / "dump", 2)[0]
    assert dump["epoch"] == 150 and dump["frame"] == 150 * 16
    assert float(dump["log_alpha"]) != 0.0  # init_alpha 1.0: the temperature was trained
    # prior 1 + both ranks' reset obs and 150 steps of 8 envs: every frame counted once
    assert float(dump["0.running_mean_std.count"]) == 1 + 2 * 8 * 151


@pytest.mark.slow
def test_sac_pendulum_two_ranks_reach_minus_200(tmp_path: Path) -> None:
    sets = ("config.multi_gpu=True", "config.max_frames=40000")
    out, rows = _train(SAC_CFG, tmp_path, 2 * 8 * 1, *sets)
    assert out.count("Maximum reward achieved") == 1, rows[-3:]
    assert rows[-1][1] <= 40000


def test_central_value_two_ranks_stay_identical(tmp_path: Path) -> None:
    """Actor and central-value critic (weights, optimizers' effect, state/value normalizers) stay
    bitwise identical on both ranks, and each epoch counts both ranks' frames."""
    sets = (
        "config.multi_gpu=True",
        "config.max_epochs=8",
        "config.num_actors=16",
        "config.minibatch_size=256",
        "config.central_value_config.minibatch_size=256",
    )
    _, rows = _train(CV_CFG, tmp_path, 2 * 16 * 32, *sets)
    dump = load_dumps(tmp_path / "dump", 2)[0]
    assert dump["epoch"] == 8
    assert any(k.startswith("1.") for k in dump), "the critic is one of the synced replicas"
