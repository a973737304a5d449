"""The shared directory: concurrent writers and readers, stale members, cleanup."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import torch

from rl_games.pbt.store import PopulationStore
from rl_games.training.checkpoint import load_checkpoint

ITERATIONS = 12


def _writer(root: str, idx: int) -> None:
    store = PopulationStore(root, 3)
    for it in range(1, ITERATIONS + 1):
        state = {"model": {"w": torch.full((256,), float(idx * 100 + it))}, "frame": it}
        store.save(idx, it, state, {"true_objective": float(idx * 100 + it), "params": {}})
        store.cleanup(idx, keep=2)
        store.log_event({"policy_idx": idx, "iteration": it})


def _reader(root: str, out: mp.Queue) -> None:
    """Reads the population while it is written; every record must come with its checkpoint
    holding the weights that record scored (else: a torn or mismatched read)."""
    store, seen, bad = PopulationStore(root, 3), 0, []
    deadline = time.monotonic() + 60
    done = False
    while not done and time.monotonic() < deadline:
        population = store.population()
        done = len(population) == 3 and all(
            r["iteration"] == ITERATIONS for r in population.values()
        )
        for idx, record in population.items():
            try:
                state = load_checkpoint(record["checkpoint"], map_location="cpu")
            except Exception:  # deleted by its owner's cleanup after we read the record: fine
                continue
            seen += 1
            if float(state["model"]["w"][0]) != record["true_objective"]:
                bad.append((idx, record["iteration"]))
    out.put((seen, bad))


def test_concurrent_writers_and_a_reader_see_only_whole_records(tmp_path: Path):
    ctx = mp.get_context("spawn")  # not fork: JAX threads may be running in this process
    queue = ctx.Queue()
    reader = ctx.Process(target=_reader, args=(str(tmp_path), queue))
    writers = [ctx.Process(target=_writer, args=(str(tmp_path), i)) for i in range(3)]
    reader.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join(60)
        assert w.exitcode == 0
    seen, bad = queue.get(timeout=60)
    reader.join(60)
    assert bad == [] and seen > 0
    store = PopulationStore(tmp_path, 3)
    population = store.population()
    assert {i: r["iteration"] for i, r in population.items()} == {0: 12, 1: 12, 2: 12}
    assert sorted(p.name for p in store.member_dir(1).iterdir()) == [
        "000011.pth", "000011.yaml", "000012.pth", "000012.yaml",
    ]  # fmt: skip
    events = store.events()  # 36 whole lines from 3 concurrent appenders
    assert len(events) == 3 * ITERATIONS
    assert sorted((e["policy_idx"], e["iteration"]) for e in events) == [
        (i, it) for i in range(3) for it in range(1, ITERATIONS + 1)
    ]


def test_a_dead_members_stale_record_is_ignored_and_leftovers_do_not_count(tmp_path: Path):
    store = PopulationStore(tmp_path, 3)
    state = {"model": {"w": torch.zeros(1)}}
    store.save(0, 2, state, {"true_objective": 500.0, "params": {}})  # died at iteration 2
    store.save(1, 9, state, {"true_objective": 100.0, "params": {}})
    # a crashed writer's temporary file and a record whose checkpoint is gone
    store.save(2, 9, state, {"true_objective": 50.0, "params": {}})
    (store.member_dir(2) / ".000010.yaml.abc.tmp").write_text("iteration: 10")
    Path(store.latest(2)["checkpoint"]).unlink()
    assert set(store.population(9, stale_iterations=0)) == {0, 1}
    assert set(store.population(9, stale_iterations=5)) == {1}
    assert store.latest(1, max_iteration=8) is None
