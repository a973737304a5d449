"""The PBT observer inside a real training run (in-process, a Runner the rl_games way): the
replacement decision copies the checkpoint with this member's counters, logs the event, writes
``pbt/*`` scalars, and hands the restart command to ``exec_fn`` (recorded here instead of
replacing the test process; tests/pbt/test_member_restart.py runs the real re-exec)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from rl_games.pbt.member import PbtAlgoObserver
from rl_games.pbt.store import PopulationStore
from rl_games.runner import Runner
from rl_games.training.checkpoint import load_checkpoint
from rl_games.training.observe import MultiObserver
from rl_games.training.observers import DefaultAlgoObserver

REPO = Path(__file__).resolve().parents[2]
pytest.importorskip("envpool")


def test_observer_decides_copies_and_restarts_with_mutated_params(tmp_path: Path, one_thread):
    doc = yaml.safe_load((REPO / "configs" / "ppo_cartpole_pbt.yaml").read_text())
    sets = [
        f"pbt.directory={tmp_path / 'pop'}",
        f"config.train_dir={tmp_path / 'runs'}",
        "config.full_experiment_name=m0",
        "pbt.num_policies=1",
        "pbt.dbg_mode=true",
        "pbt.interval_steps=1024",
        "pbt.start_after=0",
        "pbt.initial_delay=0",
        "pbt.mutation_rate=1.0",
        "config.max_frames=2048",
    ]
    runner = Runner()
    params = runner.load(doc, sets)
    argv = ["runner.py", "--train", "--file", "cfg.yaml", "--set", "config.learning_rate=1e-7"]
    member = PbtAlgoObserver(params, argv=argv)
    calls = []
    member.exec_fn = lambda algo, command: calls.append((algo.frame, command))
    runner.algo_observer = MultiObserver([DefaultAlgoObserver(), member])
    runner.run({"train": True})
    assert runner.agent.observer is runner.algo_observer  # not wrapped a second time

    assert len(calls) == 1  # at frame 1024; none at the last epoch
    frame, command = calls[0]
    restart = tmp_path / "pop" / "000" / "restart.pth"
    assert frame == 1024 and command[:3] == [sys.executable, "runner.py", "--train"]
    event = PopulationStore(tmp_path / "pop", 1).events()[0]
    new = event["new_params"]
    assert command[3:7] == ["--file", "cfg.yaml", "--checkpoint", str(restart)]
    sets = command[7:]
    assert sets[::2] == ["--set"] * (len(new) + 1)  # the old learning rate --set is gone
    assert sorted(sets[1::2]) == sorted(
        [*(f"{k}={v!r}" for k, v in new.items()), "config.full_experiment_name=m0"]
    )
    assert all(new[k] != v for k, v in event["old_params"].items())
    assert event["old_params"]["config.learning_rate"] == 2e-4
    state = load_checkpoint(restart, map_location="cpu")
    assert (state["frame"], state["epoch"]) == (1024, 2)
    record = PopulationStore(tmp_path / "pop", 1).latest(0)
    assert record["iteration"] == 2 and record["frame"] == 2048  # the last epoch still scores


def test_objective_read_from_the_infos_stays_on_the_device_until_an_iteration(tmp_path: Path):
    """``pbt.objective`` as an address into the env infos (rl_games): the observer is called
    only on steps whose infos hold its first key, and keeps the mean as a tensor (no host read
    per env step) until the iteration reads it."""
    import torch

    doc = yaml.safe_load((REPO / "configs" / "ppo_cartpole_pbt.yaml").read_text())
    doc["params"]["pbt"]["objective"] = "stats.score"
    observer = PbtAlgoObserver(doc)
    assert observer.info_keys == ("stats",)
    assert observer.objective() is None
    observer.process_infos({"stats": {"score": torch.tensor([1.0, 2.0, 6.0])}}, None)
    assert isinstance(observer.score, torch.Tensor)
    assert observer.objective() == 3.0
    observer.process_infos({"other": 1}, None)  # not an address of these infos: kept
    assert observer.objective() == 3.0
