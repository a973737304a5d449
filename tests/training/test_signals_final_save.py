"""Signals after a stop was requested, through the real CLI with real signals: the final checkpoint
is always written completely with consistent counters, exit 0, no traceback; a third signal
aborts the write and leaves the files written before intact.

``RL_GAMES_TEST_SLOW_SAVE_S`` (test-only, rl_games/training/checkpoint.py) makes every save sleep
between writing its temporary file and renaming it, so a signal lands inside the save."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO

from rl_games.training.checkpoint import SLOW_SAVE_ENV, load_checkpoint

FRAMES_PER_EPOCH = 16 * 128  # num_actors * horizon_length below


def start(tmp_path: Path, *sets: str, slow_save: float = 0.0) -> subprocess.Popen:
    cmd = [sys.executable, str(REPO / "runner.py"), "--train", "--file"]
    cmd.append(str(REPO / "configs" / "ppo_cartpole.yaml"))
    for s in (f"config.train_dir={tmp_path}", "config.full_experiment_name=run",
              "config.score_to_win=100000", "config.save_best_after=100000",
              "config.horizon_length=128", "config.minibatch_size=512",
              "config.max_epochs=100", *sets):  # fmt: skip
        cmd += ["--set", s]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if slow_save:
        env[SLOW_SAVE_ENV] = str(slow_save)
    return subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )


def wait_for(proc: subprocess.Popen, text: str, seen: list[str], timeout: float = 120) -> None:
    """Read lines (kept in ``seen``) until one contains ``text``."""
    assert proc.stdout is not None
    deadline = time.time() + timeout
    for line in proc.stdout:
        seen.append(line)
        if text in line:
            return
        assert time.time() < deadline, "".join(seen)
    raise AssertionError(f"'{text}' never appeared:\n" + "".join(seen))


def finish(proc: subprocess.Popen, seen: list[str]) -> str:
    out = "".join(seen) + proc.communicate(timeout=120)[0]
    assert "Traceback" not in out, out
    return out


def last_checkpoints(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "run" / "nn").glob("last_cartpole_ep_*_rew_*.pth"))


def assert_consistent(path: Path, frames_per_epoch: int = FRAMES_PER_EPOCH) -> int:
    state = load_checkpoint(path)
    assert state["frame"] == state["epoch"] * frames_per_epoch, (state["epoch"], state["frame"])
    assert f"_ep_{state['epoch']}_" in path.name
    return state["epoch"]


def test_second_signal_during_the_final_save_does_not_break_it(tmp_path: Path) -> None:
    proc, seen = start(tmp_path, slow_save=3.0), []
    wait_for(proc, "epoch 2/100", seen)
    proc.send_signal(signal.SIGTERM)
    wait_for(proc, "saving a last checkpoint", seen)  # the save now sleeps 3 s before its rename
    proc.send_signal(signal.SIGINT)
    out = finish(proc, seen)
    assert proc.returncode == 0, out
    assert "SIGINT: the last checkpoint is being written" in out
    (ckpt,) = last_checkpoints(tmp_path)
    assert assert_consistent(ckpt) >= 2
    assert not list((tmp_path / "run" / "nn").glob(".*.tmp"))


def test_signal_after_the_final_save_is_ignored(tmp_path: Path) -> None:
    proc, seen = start(tmp_path), []
    wait_for(proc, "epoch 2/100", seen)
    proc.send_signal(signal.SIGINT)
    wait_for(proc, "=> saving checkpoint", seen)  # logged once the file is in place
    proc.send_signal(signal.SIGTERM)
    out = finish(proc, seen)
    assert proc.returncode == 0, out
    assert_consistent(last_checkpoints(tmp_path)[0])


def test_second_signal_mid_epoch_saves_consistent_counters(tmp_path: Path) -> None:
    proc, seen = start(tmp_path, "config.horizon_length=1024"), []  # epochs of about 0.5 s
    wait_for(proc, "epoch 2/100", seen)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)  # in epoch 3
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)  # still in epoch 3: stop at once
    out = finish(proc, seen)
    assert proc.returncode == 0, out
    assert "stopping now" in out and "epoch 3 was cut short" in out
    (ckpt,) = last_checkpoints(tmp_path)
    assert assert_consistent(ckpt, 16 * 1024) == 2  # the cut epoch is not counted


def test_third_signal_aborts_the_save_and_keeps_earlier_files(tmp_path: Path) -> None:
    proc, seen = start(tmp_path, "config.save_frequency=2", slow_save=2.0), []
    wait_for(proc, "last_cartpole_ep_2_", seen)  # a periodic checkpoint is in place
    proc.send_signal(signal.SIGINT)
    wait_for(proc, "saving a last checkpoint", seen)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)  # the third: abort the final write
    out = "".join(seen) + proc.communicate(timeout=120)[0]
    assert proc.returncode == 130, out
    assert "aborting the last checkpoint" in out and "Traceback" not in out, out
    files = last_checkpoints(tmp_path)
    assert [f.name.split("_rew_")[0] for f in files] == ["last_cartpole_ep_2"], files
    assert_consistent(files[0])  # intact and loadable
    assert not list((tmp_path / "run" / "nn").glob(".*.tmp"))
