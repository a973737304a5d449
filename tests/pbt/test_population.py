"""A real population: 3 envpool CartPole members started by the launcher, member 2 with a
learning rate that cannot learn (1e-7). It is replaced by a leader's weights with the leader's
(mutated) hyperparameters, and every member reaches the score; TensorBoard shows each member's
hyperparameters over time."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from rl_games.pbt.store import PopulationStore

REPO = Path(__file__).resolve().parents[2]
pytest.importorskip("envpool")
pytestmark = pytest.mark.slow  # about 2 minutes of CPU for the three members


def _scalars(summaries: Path, tag: str) -> list[tuple[int, float]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(summaries))
    acc.Reload()
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def test_bad_member_is_replaced_and_the_population_reaches_the_score(tmp_path: Path):
    pop = tmp_path / "pop"
    cmd = [
        sys.executable, "-m", "rl_games.pbt.launch", "--file", "configs/ppo_cartpole_pbt.yaml",
        "--num-policies", "3", "--directory", str(pop), "--seed", "1",
        "--member-set", "2:config.learning_rate=1e-7",
    ]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - start
    logs = {i: (pop / "logs" / f"member_{i}.log").read_text() for i in range(3)}
    assert proc.returncode == 0, proc.stderr[-2000:] + logs[2][-3000:]
    for i in range(3):  # every member stopped at score_to_win (475)
        assert "Maximum reward achieved" in logs[i], logs[i][-2000:]

    events = PopulationStore(pop, 3).events()
    first = next(e for e in events if e["policy_idx"] == 2)
    assert first["old_params"]["config.learning_rate"] == 1e-7
    assert first["source"] in (0, 1) and first["source_objective"] > first["objective"]
    assert first["new_params"]["config.learning_rate"] > 1e-5  # the leader's, maybe mutated

    summaries = pop / "runs" / "cartpole_pbt_pbt2" / "summaries"
    lrs = _scalars(summaries, "pbt/config.learning_rate")
    assert lrs[0][1] == pytest.approx(1e-7) and lrs[-1][1] > 1e-5
    assert [s for s, _ in lrs] == sorted(s for s, _ in lrs)
    for i in (0, 1):  # the leaders log their hyperparameters too
        summaries = pop / "runs" / f"cartpole_pbt_pbt{i}" / "summaries"
        assert len(_scalars(summaries, "pbt/config.gamma")) >= 2
    print(f"population of 3 reached 475 in {wall:.0f} s wall; {len(events)} replacements")
