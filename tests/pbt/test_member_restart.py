"""One member through the real CLI with ``dbg_mode`` (replaced at every PBT iteration): the
process re-executes itself with the copied checkpoint and mutated hyperparameters, keeps its
run directory, and TensorBoard shows the hyperparameters change over time."""

from __future__ import annotations

from pathlib import Path

import pytest

from rl_games.pbt.store import PopulationStore
from rl_games.training.checkpoint import load_checkpoint
from tests.conftest import run_cli

pytest.importorskip("envpool")
pytestmark = pytest.mark.slow  # two CLI processes: ~20 s of CPU, a minute on a busy machine


def _scalars(summaries: Path) -> dict[str, list]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(summaries))  # every event file of the directory, in order
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_member_restarts_itself_through_the_cli(tmp_path: Path):
    sets = [
        f"pbt.directory={tmp_path / 'pop'}",
        f"config.train_dir={tmp_path / 'runs'}",
        "config.full_experiment_name=m0",
        "pbt.num_policies=1",
        "pbt.dbg_mode=true",
        "pbt.interval_steps=2048",
        "pbt.start_after=0",
        "pbt.initial_delay=0",
        "pbt.mutation_rate=1.0",
        "config.max_frames=4096",
        "config.save_best_after=1000",
    ]
    args = ["--train", "--file", "configs/ppo_cartpole_pbt.yaml"]
    for item in sets:
        args += ["--set", item]
    proc = run_cli(*args, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.count("PBT restart:") == 1  # at frame 2048; not at the last epoch

    events = PopulationStore(tmp_path / "pop", 1).events()
    assert [(e["frame"], e["source"]) for e in events] == [(2048, 0)]
    for event in events:
        for key, old in event["old_params"].items():
            assert event["new_params"][key] != old  # mutation_rate 1: every listed key moved

    tags = _scalars(tmp_path / "runs" / "m0" / "summaries")
    lrs = tags["pbt/config.learning_rate"]
    assert [step for step, _ in lrs] == sorted(step for step, _ in lrs)
    values = [v for _, v in lrs]
    assert values[0] == pytest.approx(2e-4)
    assert values[-1] == pytest.approx(events[-1]["new_params"]["config.learning_rate"])
    assert len({round(v, 12) for v in values}) == 2

    last = sorted((tmp_path / "runs" / "m0" / "nn").glob("last_*frame_4096*.pth"))
    state = load_checkpoint(last[-1], map_location="cpu")
    assert state["runtime_params"]["values"]["learning_rate"] == pytest.approx(
        events[-1]["new_params"]["config.learning_rate"]
    )  # the mutated value was trained with to the end
