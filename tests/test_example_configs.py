"""Every example config under ``configs/`` trains for one or two epochs through the CLI.

Each config runs as written except for the sizes: ``--set`` overrides shrink the rollout (4 envs,
16 steps), the update and the replay warm-up, and send the run directory to a temp dir. Configs run
in-process through ``rl_games.cli.main`` (the code ``runner.py`` runs, without a new interpreter per
config); ``multi_gpu`` configs run as ``python runner.py`` subprocesses, as users launch them.

A config is skipped (with the reason) when training stops at start with a clear "not implemented"
error or a missing optional package; any other failure fails the test.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from conftest import REPO, run_cli

from rl_games.cli import main

CONFIGS = sorted((REPO / "configs").glob("*.yaml"))
# Large networks / expensive physics / image observations: one epoch.
HEAVY = re.compile(r"humanoid|(^|_)ant(_|$)|atari", re.I)
SKIP_REASONS = re.compile(
    r"not implemented|NotImplementedError|needs the python package|is not installed|"
    r"No module named|ROM",
)
PPO_ALGOS = ("a2c_continuous", "a2c_discrete")


def _ppo_sets(cfg: dict[str, Any]) -> list[str]:
    sets = [
        "config.horizon_length=16",
        "config.minibatch_size=32",
        "config.mini_epochs=1",
        "config.torch_compile=False",
    ]
    for key in ("seq_length", "seq_len"):
        if key in cfg:
            sets.append(f"config.{key}=4")
    if isinstance(cfg.get("central_value_config"), dict):
        sets += [
            "config.central_value_config.minibatch_size=32",
            "config.central_value_config.mini_epochs=1",
        ]
    return sets


def _sac_sets() -> list[str]:
    # 2 warm-up epochs of random actions, then updates on 16-row batches.
    return [
        "config.num_warmup_frames=8",
        "config.batch_size=16",
        "config.replay_buffer_size=1000",
        "config.num_steps_per_episode=2",
    ]


def smoke_overrides(path: Path, train_dir: Path) -> tuple[list[str], int]:
    """``--set`` values that make ``path`` a short run, and the epochs it runs."""
    params = yaml.safe_load(path.read_text())["params"]
    cfg, algo = params.get("config") or {}, (params.get("algo") or {}).get("name")
    epochs = 1 if HEAVY.search(path.stem) else 2
    if algo == "sac":
        epochs += 2  # the warm-up epochs
    sets = [
        f"config.train_dir={train_dir}",
        f"config.full_experiment_name={path.stem}",
        "config.num_actors=4",
        f"config.max_epochs={epochs}",
        "config.save_best_min_interval=0",
    ]
    if algo in PPO_ALGOS:
        sets += _ppo_sets(cfg)
    elif algo == "sac":
        sets += _sac_sets()
    return sets, epochs


@contextlib.contextmanager
def _restored_process_state() -> Iterator[None]:
    """``main`` sets logging handlers, torch threads and seeds; give them back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    threads = torch.get_num_threads()
    rng = torch.get_rng_state()
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        torch.set_num_threads(threads)
        torch.set_rng_state(rng)


def _run(path: Path, args: list[str], capsys: pytest.CaptureFixture, multi_gpu: bool) -> tuple:
    if multi_gpu:
        proc = run_cli(*args, cwd=path.parent, timeout=120)
        return proc.returncode, proc.stdout + proc.stderr
    with _restored_process_state():
        rc = main(args)
    out = capsys.readouterr()
    return rc, out.out + out.err


@pytest.mark.parametrize("path", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_example_config_trains(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sets, epochs = smoke_overrides(path, tmp_path / "runs")
    args = ["--train", "-q", "--file", str(path), *(a for s in sets for a in ("--set", s))]
    multi_gpu = bool(
        (yaml.safe_load(path.read_text())["params"].get("config") or {}).get("multi_gpu")
    )
    rc, output = _run(path, args, capsys, multi_gpu)
    if rc != 0:
        errors = [line for line in output.splitlines() if line.startswith("error:")]
        reason = errors[-1] if errors else output.strip().splitlines()[-1:]
        if SKIP_REASONS.search(str(reason)):
            pytest.skip(f"{path.name}: {reason}")
        pytest.fail(f"{path.name} exited {rc}:\n{output[-4000:]}")
    nn_dir = tmp_path / "runs" / path.stem / "nn"
    last = sorted(p.name for p in nn_dir.glob("last_*.pth"))
    assert last and f"_ep_{epochs}_" in last[0], (last, output[-2000:])
