"""Resume through the real CLI: N epochs + resume equals an uninterrupted run bit for bit on CPU
(gymnasium envs, whose state is saved); envpool resumes are deterministic; limits count the
whole run."""

from __future__ import annotations

from pathlib import Path

import pytest
from ckpt_helpers import assert_same, final, train
from conftest import REPO

from rl_games.training.checkpoint import load_checkpoint

CARTPOLE = str(REPO / "configs" / "ppo_cartpole.yaml")
PENDULUM = str(REPO / "configs" / "ppo_pendulum.yaml")
GYM_CASES = {
    "cartpole": (CARTPOLE, ["config.env_name=CartPole-v1", "config.env_config={}"]),
    "pendulum": (
        PENDULUM,
        [
            "config.env_name=Pendulum-v1",
            "config.env_config={}",
            "config.num_actors=4",
            "config.horizon_length=128",
            "config.minibatch_size=128",
            "config.normalize_input=True",
            "config.normalize_value=True",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(GYM_CASES))
def test_resume_equals_uninterrupted(tmp_path: Path, case: str) -> None:
    cfg, sets = GYM_CASES[case]
    full = tmp_path / "full"
    train(cfg, tmp_path, "full", *sets, "config.max_epochs=6", "config.save_frequency=3")
    mid = next((full / "nn").glob(f"last_{case}_ep_3_rew_*.pth"))
    assert "env_snapshot" in load_checkpoint(mid)
    proc = train(cfg, tmp_path, "resumed", *sets, "config.max_epochs=6", checkpoint=mid)
    assert "exact continuation" in proc.stdout
    assert "epoch 4/6" in proc.stdout and "epoch 3/6" not in proc.stdout
    a, b = final(full, 6, case), final(tmp_path / "resumed", 6, case)
    assert_same(a, b)  # weights, Adam moments, normalizers, lr, counters, RNG, env, episodes
    assert a["epoch"] == 6


def test_envpool_resume_is_deterministic(tmp_path: Path) -> None:
    train(CARTPOLE, tmp_path, "a", "config.max_epochs=2")
    ckpt = next((tmp_path / "a" / "nn").glob("last_cartpole_ep_2_rew__*_.pth"))
    runs = []
    for name in ("b", "c"):
        proc = train(CARTPOLE, tmp_path, name, "config.max_epochs=3", checkpoint=ckpt)
        assert "envs were re-seeded and reset" in proc.stdout
        runs.append(final(tmp_path / name, 3, "cartpole"))
    assert_same(runs[0], runs[1])
    assert runs[0]["frame"] == 3 * 16 * 32


def test_limits_count_the_whole_run(tmp_path: Path) -> None:
    """rl-games' CartPole checkpoint is at epoch 587: max_epochs 500 leaves nothing to do."""
    ckpt = REPO / "tests" / "data" / "rl_games_1.6.5" / "ppo_cartpole_envpool.pth"
    proc = train(CARTPOLE, tmp_path, "d", "config.max_epochs=500", checkpoint=ckpt)
    assert "nothing to train: the checkpoint is at epoch 587 >= max_epochs 500" in proc.stdout
    assert not (tmp_path / "d").exists()
