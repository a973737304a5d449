"""Interop with the real rl-games 1.6.5: its checkpoints (tests/data/rl_games_1.6.5, written by
rl-games itself) play here with rl-games' own average reward and resume training here; a
checkpoint written here plays in rl-games' player (needs benchmarks/.venv-rlgames)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import DATA, REPO, run_cli

from rl_games.training.checkpoint import load_checkpoint

RLG = DATA / "rl_games_1.6.5"
RLG_PYTHON = REPO / "benchmarks" / ".venv-rlgames" / "bin" / "python"

# rl-games' player (see the README there): config.num_actors envs, envpool's default seed 42
# (it drops env_config.seed), average over every game finished by the step the last one ended.
EXPECTED = {
    "cartpole": (500.0, ["config.player.games_num=20"]),
    "pendulum": (-177.03, ["config.player.games_num=20"]),
    "halfcheetah": (
        1175.57,  # rl-games 1.6.5 with num_actors 8, games_num 8 (README)
        ["config.player.games_num=8", "config.player.num_actors=8", "config.env_config.seed=42"],
    ),
}


def _av_reward(stdout: str) -> float:
    found = re.search(r"^av reward: (-?[\d.]+)", stdout, re.M)
    assert found, stdout[-2000:]
    return float(found.group(1))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_rl_games_checkpoint_plays_with_rl_games_reward(tmp_path: Path, name: str) -> None:
    expected, sets = EXPECTED[name]
    args = ["--play", "--file", str(RLG / f"ppo_{name}_envpool.yaml")]
    args += ["--checkpoint", str(RLG / f"ppo_{name}_envpool.pth")]
    for s in ("config.player.print_stats=False", *sets):
        args += ["--set", s]
    proc = run_cli(*args, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert _av_reward(proc.stdout) == pytest.approx(expected, abs=0.05)


@pytest.fixture(scope="module")
def resumed_here(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """rl-games' CartPole checkpoint (epoch 587) trained on here until score_to_win (475)."""
    tmp = tmp_path_factory.mktemp("rlg_resume")
    args = ["--train", "--file", str(RLG / "ppo_cartpole_envpool.yaml")]
    args += ["--checkpoint", str(RLG / "ppo_cartpole_envpool.pth")]
    for s in (f"config.train_dir={tmp}", "config.full_experiment_name=run", "torch_threads=1"):
        args += ["--set", s]
    proc = run_cli(*args, cwd=tmp, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "(epoch 587, frame 300544)" in proc.stdout
    assert "epoch 588" in proc.stdout and "Maximum reward achieved" in proc.stdout
    return next((tmp / "run" / "nn").glob("cartpole_vel_info_ep_*_rew_*.pth"))


def test_rl_games_checkpoint_resumes_training_here(resumed_here: Path) -> None:
    state = load_checkpoint(resumed_here)
    original = load_checkpoint(RLG / "ppo_cartpole_envpool.pth")
    epochs = state["epoch"] - 587
    assert epochs > 0 and state["frame"] == 300544 + epochs * 16 * 32
    # Adam continued from rl-games' moments: 32 more steps per epoch (8 minibatches x 4)
    assert float(state["optimizer"]["state"][0]["step"]) == 18784 + epochs * 32
    assert float(state["last_mean_rewards"]) > float(original["last_mean_rewards"])


@pytest.mark.slow
@pytest.mark.skipif(not RLG_PYTHON.exists(), reason="needs benchmarks/.venv-rlgames")
def test_checkpoint_written_here_plays_in_rl_games(tmp_path: Path, resumed_here: Path) -> None:
    cfg = RLG / "ppo_cartpole_envpool.yaml"
    script = Path(__file__).with_name("rlg165_play.py")
    theirs = subprocess.run(
        [str(RLG_PYTHON), str(script), str(cfg), str(resumed_here), "20"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert theirs.returncode == 0, theirs.stdout[-3000:] + theirs.stderr[-3000:]
    ours = run_cli(
        "--play", "--file", str(cfg), "--checkpoint", str(resumed_here),
        "--set", "config.player.games_num=20", "--set", "config.player.print_stats=False",
        cwd=tmp_path,
    )  # fmt: skip
    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert _av_reward(theirs.stdout) == pytest.approx(_av_reward(ours.stdout), abs=0.05)
    assert _av_reward(theirs.stdout) >= 475
