"""PPO learns through the real CLI with real envs (CartPole via envpool and gymnasium, Pendulum),
its checkpoint plays, and the TensorBoard summaries carry rl_games' tags."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO, run_cli

CARTPOLE = str(REPO / "configs" / "ppo_cartpole.yaml")
PENDULUM = str(REPO / "configs" / "ppo_pendulum.yaml")


def _final_reward(stdout: str) -> float:
    rewards = re.findall(r"reward (-?[\d.]+) len", stdout)
    assert rewards, stdout[-2000:]
    return float(rewards[-1])


def _train(cfg: str, tmp_path: Path, *sets: str) -> tuple[str, Path]:
    args = [
        "--train",
        "--file",
        cfg,
        "--set",
        f"config.train_dir={tmp_path}",
        "--set",
        "config.full_experiment_name=run",
        "--set",
        "torch_threads=1",
    ]
    for s in sets:
        args += ["--set", s]
    tmp_path.mkdir(parents=True, exist_ok=True)
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout, tmp_path / "run"


def _scalars(summaries: Path) -> dict[str, list]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(summaries))
    acc.Reload()
    return {tag: acc.Scalars(tag) for tag in acc.Tags()["scalars"]}


def test_cartpole_envpool_reaches_475_then_plays(tmp_path: Path) -> None:
    out, run = _train(CARTPOLE, tmp_path, "config.max_frames=600000")
    assert "Maximum reward achieved" in out
    assert _final_reward(out) >= 475
    best = run / "nn" / "cartpole.pth"
    assert best.is_file()
    assert list((run / "nn").glob("cartpole_ep_*_rew_*.pth"))
    assert (run / "config.yaml").is_file()

    tags = _scalars(run / "summaries")
    for tag in (
        "rewards/step",
        "rewards/iter",
        "rewards/time",
        "episode_lengths/step",
        "shaped_rewards/step",
        "losses/a_loss",
        "losses/c_loss",
        "losses/entropy",
        "info/last_lr",
        "info/kl",
        "info/epochs",
        "info/e_clip",
        "performance/step_fps",
        "performance/step_inference_fps",
        "performance/step_inference_rl_update_fps",
        "performance/rl_update_time",
        "performance/step_inference_time",
        "performance/step_time",
    ):
        assert tag in tags, f"missing TensorBoard tag {tag}"
    assert tags["rewards/step"][-1].value >= 475
    epochs = tags["info/epochs"]
    assert [e.value for e in epochs] == list(range(1, len(epochs) + 1))  # one point per epoch

    play = run_cli(
        "--play",
        "--file",
        CARTPOLE,
        "--checkpoint",
        str(best),
        "--set",
        "config.player.games_num=8",
        cwd=tmp_path,
        timeout=300,
    )
    assert play.returncode == 0, play.stdout + play.stderr
    games = re.findall(r"^reward: (-?[\d.]+) steps: ([\d.]+)$", play.stdout, re.M)
    assert len(games) == 8
    av = re.search(r"^av reward: (-?[\d.]+) av steps: ([\d.]+)$", play.stdout, re.M)
    assert av and float(av.group(1)) >= 450, play.stdout


def test_cartpole_gymnasium_reaches_475(tmp_path: Path) -> None:
    out, _ = _train(
        CARTPOLE,
        tmp_path,
        "config.env_name=CartPole-v1",
        "config.env_config={}",
        "config.max_frames=600000",
    )
    assert "Maximum reward achieved" in out
    assert _final_reward(out) >= 475


def test_pendulum_continuous_reaches_minus_250(tmp_path: Path) -> None:
    out, run = _train(PENDULUM, tmp_path, "config.score_to_win=-250", "config.max_frames=600000")
    assert _final_reward(out) >= -250
    assert list((run / "nn").glob("pendulum_ep_*_rew_*.pth"))
    # bounds_loss_coef: 0 is set, so the tag is written (rl_games logs it whenever set)
    assert "losses/bounds_loss" in _scalars(run / "summaries")


def test_mujoco_envpool_runs_a_few_epochs(tmp_path: Path) -> None:
    cfg = str(REPO / "configs" / "ppo_halfcheetah_envpool.yaml")
    out, run = _train(
        cfg, tmp_path, "config.max_epochs=3", "config.horizon_length=64", "config.name=halfcheetah"
    )
    assert "MAX EPOCHS NUM!" in out
    assert list((run / "nn").glob("last_halfcheetah_ep_3_rew_*.pth"))


@pytest.mark.slow
def test_cartpole_three_seeds(tmp_path: Path) -> None:
    for seed in (1, 2, 3):
        out, _ = _train(CARTPOLE, tmp_path / str(seed), f"seed={seed}")
        assert _final_reward(out) >= 475
