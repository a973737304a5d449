"""SAC resume through the real CLI: with ``save_replay_buffer`` (and a gymnasium env, whose state
is saved) N epochs + resume + N epochs equals 2N epochs bit for bit on CPU; without the buffer
the resume says what it loses."""

from __future__ import annotations

from pathlib import Path

from ckpt_helpers import assert_same, final, train
from conftest import REPO

from rl_games.training.checkpoint import load_checkpoint

SAC = str(REPO / "configs" / "sac_pendulum.yaml")
SMALL = [
    "config.env_name=Pendulum-v1",
    "config.env_config={}",
    "config.num_actors=4",
    "config.num_warmup_frames=64",
    "config.batch_size=32",
    "config.replay_buffer_size=1000",  # smaller than the 1200 frames: the ring wraps
    "config.max_epochs=300",  # Pendulum games last 200 steps: games end in the second half
    "config.max_frames=0",
    "config.save_best_after=100000",
    "network.mlp.units=[16,16]",
]


def test_sac_resume_with_replay_buffer_is_exact(tmp_path: Path) -> None:
    sets = [*SMALL, "config.save_replay_buffer=True"]
    train(SAC, tmp_path, "full", *sets, "config.save_frequency=150")
    mid = next((tmp_path / "full" / "nn").glob("last_pendulum_sac_ep_150_rew_*.pth"))
    state = load_checkpoint(mid)
    assert {"replay_buffer", "env_snapshot", "running_mean_std"} <= set(state)
    assert state["replay_rows_offered"] == 600
    proc = train(SAC, tmp_path, "resumed", *sets, checkpoint=mid)
    assert "exact continuation" in proc.stdout and "no replay buffer" not in proc.stdout
    a, b = (
        final(tmp_path / "full", 300, "pendulum_sac"),
        final(tmp_path / "resumed", 300, "pendulum_sac"),
    )
    # actor, critics, target, log_alpha, three Adams, input normalizer (counts included),
    # replay ring, counters, RNG, env state, episode windows
    assert_same(a, b)
    assert a["epoch"] == 300 and a["frame"] == 1200
    assert a["running_mean_std"]["count"] > 1200  # every frame counted once (plus the prior)


def test_sac_resume_without_replay_buffer_warns(tmp_path: Path) -> None:
    sets = [*SMALL, "config.max_epochs=30", "config.save_frequency=15"]
    train(SAC, tmp_path, "a", *sets)
    mid = next((tmp_path / "a" / "nn").glob("last_pendulum_sac_ep_15_rew_*.pth"))
    assert "replay_buffer" not in load_checkpoint(mid)
    proc = train(SAC, tmp_path, "b", *sets, checkpoint=mid)
    assert "holds no replay buffer" in proc.stdout
    assert "restarts from an empty buffer" in proc.stdout
