"""TensorBoard event files carry rl_games' tags (read back with tensorboard's reader), resumed
runs continue the x axes, and ``--track`` with WANDB_MODE=offline writes a W&B run directory
holding the synced scalars and the resolved config."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, run_cli

CARTPOLE = str(REPO / "configs" / "ppo_cartpole.yaml")
PERFORMANCE = ["step_fps", "step_inference_fps", "step_inference_rl_update_fps"]
PERFORMANCE += ["rl_update_time", "step_inference_time", "step_time"]
EPISODES = [f"{k}/{x}" for k in ("rewards", "shaped_rewards", "episode_lengths")
            for x in ("step", "iter", "time")]  # fmt: skip
PPO_TAGS = [
    *(f"performance/{t}" for t in PERFORMANCE),
    *(f"losses/{t}" for t in ("a_loss", "c_loss", "entropy")),
    *(f"info/{t}" for t in ("last_lr", "lr_mul", "e_clip", "kl", "epochs")),
    *EPISODES,
]


def _train(tmp: Path, name: str, *extra: str, epochs: int = 3) -> str:
    args = ["--train", "--file", CARTPOLE, "--set", f"config.train_dir={tmp}"]
    for s in (
        f"config.full_experiment_name={name}",
        "torch_threads=1",
        f"config.max_epochs={epochs}",
    ):
        args += ["--set", s]
    proc = run_cli(*args, *extra, cwd=tmp, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _scalars(summaries: Path) -> dict[str, list]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(summaries))
    acc.Reload()
    return {tag: acc.Scalars(tag) for tag in acc.Tags()["scalars"]}


def test_tensorboard_tags_and_axes(tmp_path: Path) -> None:
    _train(tmp_path, "run")
    tags = _scalars(tmp_path / "run" / "summaries")
    missing = [t for t in PPO_TAGS if t not in tags]
    assert not missing, f"missing tags {missing}; got {sorted(tags)}"
    assert [e.step for e in tags["info/epochs"]] == [512, 1024, 1536]  # x = frame
    assert [e.value for e in tags["info/epochs"]] == [1, 2, 3]
    assert [e.step for e in tags["rewards/iter"]] == [1, 2, 3]  # x = epoch
    last = next((tmp_path / "run" / "nn").glob("last_cartpole_ep_3_*.pth"))
    _train(tmp_path, "run", "--checkpoint", str(last), epochs=4)  # resume into the same run
    tags = _scalars(tmp_path / "run" / "summaries")
    assert [e.step for e in tags["info/epochs"]] == [512, 1024, 1536, 2048]
    assert [e.step for e in tags["rewards/iter"]] == [1, 2, 3, 4]


def test_wandb_offline_run_directory(tmp_path: Path) -> None:
    out = _train(tmp_path, "tracked", "--track", "--wandb-project-name", "rlr-test")
    runs = list((tmp_path / "wandb").glob("offline-run-*"))
    assert len(runs) == 1, out[-3000:]
    record = next(runs[0].glob("run-*.wandb")).read_bytes()
    for tag in (b"rewards/step", b"losses/a_loss", b"info/last_lr", b"performance/step_fps"):
        assert tag in record, tag  # TensorBoard scalars synced
    assert b"horizon_length" in record and b"minibatch_size_per_env" in record  # resolved config
    assert b"tracked" in record  # run name = experiment name
