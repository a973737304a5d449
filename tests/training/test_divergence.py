"""Divergence through the real CLI: nan/inf losses or weights stop training with exit 3 and a
message saying what and when; no checkpoint holds nan/inf; such a file is refused by --play,
--checkpoint resume and --export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from conftest import REPO, run_cli

from rl_games.training.checkpoint import (
    CheckpointError,
    find_non_finite,
    load_checkpoint,
)

CARTPOLE = str(REPO / "configs" / "ppo_cartpole.yaml")
SAC = str(REPO / "configs" / "sac_pendulum.yaml")
PENDULUM = str(REPO / "configs" / "ppo_pendulum.yaml")


def cli(tmp_path: Path, cfg: str, *sets: str, mode: str = "--train", extra: tuple = ()) -> str:
    args = [mode, "--file", cfg, "--set", f"config.train_dir={tmp_path}"]
    for s in ("config.full_experiment_name=run", *sets):
        args += ["--set", s]
    proc = run_cli(*args, *extra, cwd=tmp_path, timeout=300)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    cli.returncode = proc.returncode  # type: ignore[attr-defined]
    return out


def test_ppo_nan_from_the_first_epoch_stops_with_exit_3(tmp_path: Path) -> None:
    out = cli(tmp_path, CARTPOLE, "config.learning_rate=1e10", "config.max_epochs=50")
    assert cli.returncode == 3, out  # type: ignore[attr-defined]
    assert "error: training diverged at epoch 1 (frame 512): non-finite a_loss=nan" in out
    assert "non-finite values in 'model.a2c_network." in out
    assert "this run wrote no checkpoint" in out and "epoch 2/" not in out
    assert not list((tmp_path / "run" / "nn").glob("*.pth"))


def test_ppo_reward_scale_1e30_on_pendulum_stops_with_exit_3(tmp_path: Path) -> None:
    out = cli(tmp_path, PENDULUM, "config.reward_shaper.scale_value=1e30", "config.max_epochs=20")
    assert cli.returncode == 3, out  # type: ignore[attr-defined]
    assert "error: training diverged at epoch" in out
    for f in (tmp_path / "run" / "nn").glob("*.pth"):  # whatever was written is finite
        load_checkpoint(f)


def test_sac_divergence_after_warmup_keeps_the_good_checkpoints(tmp_path: Path) -> None:
    """The warm-up (no updates) writes good checkpoints; the first updates diverge."""
    sets = ("config.critic_lr=1e10", "config.num_warmup_frames=400", "config.save_frequency=25")
    out = cli(tmp_path, SAC, *sets, "config.max_epochs=2000")
    assert cli.returncode == 3, out  # type: ignore[attr-defined]
    assert "error: training diverged between epoch" in out
    # found by the next checkpoint write (every 25 epochs) or the loss read (every second)
    assert "was not written" in out or "c1_loss=" in out
    files = sorted((tmp_path / "run" / "nn").glob("*.pth"))
    assert any("_ep_50_" in f.name for f in files), files
    for f in files:  # every file on disk is finite (load_checkpoint checks)
        load_checkpoint(f)
    assert "is intact" in out


def test_non_finite_checkpoint_is_refused_by_play_resume_and_export(tmp_path: Path) -> None:
    out = cli(tmp_path, CARTPOLE, "config.max_epochs=1")
    good = next((tmp_path / "run" / "nn").glob("last_*.pth"))
    state = torch.load(good, weights_only=False)
    state["model"]["a2c_network.logits.bias"][0] = float("nan")
    bad = tmp_path / "bad.pth"
    torch.save(state, bad)
    want = "holds non-finite values (nan/inf) in 'model/a2c_network.logits.bias'"
    for mode, extra in (
        ("--play", ("--checkpoint", str(bad))),
        ("--train", ("--checkpoint", str(bad))),
        ("--export=onnx", ("--checkpoint", str(bad), "--output", str(tmp_path / "p.onnx"))),
    ):
        where = tmp_path / mode.strip("-").replace("=", "_")
        where.mkdir()
        out = cli(where, CARTPOLE, mode=mode, extra=extra)
        assert cli.returncode == 1 and want in out, (mode, out)  # type: ignore[attr-defined]
    assert not (tmp_path / "p.onnx").exists()
    try:
        load_checkpoint(bad)
    except CheckpointError as exc:
        assert "bad.pth" in str(exc)
    else:
        raise AssertionError("a nan checkpoint loaded")
    assert load_checkpoint(bad, allow_non_finite=True)["epoch"] == 1  # opt-out for inspection


def test_find_non_finite_checks_learned_state_only() -> None:
    state = {
        "model": {"w": torch.ones(2), "count": torch.tensor(3, dtype=torch.long)},
        "optimizer": {"state": {0: {"exp_avg": torch.zeros(2)}}},
        "last_mean_rewards": np.float32(-np.inf),  # no game finished yet: legitimate
        "episode_stats": {"rewards": torch.tensor([[float("-inf")]])},  # env data: not checked
        "carry": {"obs": torch.tensor([float("inf")])},
    }
    assert find_non_finite(state) is None
    state["optimizer"]["state"][0]["exp_avg"][1] = float("inf")
    assert find_non_finite(state) == "optimizer/state/0/exp_avg"
