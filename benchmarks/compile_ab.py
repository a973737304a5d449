#!/usr/bin/env python
"""Eager vs torch.compile epoch times of a PPO config, measured as a paired in-process A/B.

    python benchmarks/compile_ab.py --file configs/ppo_cartpole.yaml --mode default --rounds 60
    python benchmarks/compile_ab.py --file configs/ppo_halfcheetah_envpool.yaml --rounds 8

One agent and one env; the model's ``act``/``evaluate`` are switched between the eager methods and
``rl_games.training.compile`` compiled ones every epoch (ABBA order), so host load and env state
hit both alike. That makes the ratio usable on a shared machine where separate runs are not.
The first compiled epoch (compilation, with whatever inductor cache the machine has) is timed
separately, then 2 compiled and 3 eager warm-up epochs run untimed.

Per variant it prints medians over rounds: rollout ms (``play_steps``), update ms (GAE, batch,
minibatch updates), epoch ms, main-thread CPU ms, and fps = frames per epoch / epoch time.
Torch runs with ``--threads`` threads (default 1, as the shipped configs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import yaml
from hostload import cpu_busy_s  # benchmarks/hostload.py (scripts run from benchmarks/)

from rl_games.builders import ALGORITHMS
from rl_games.runner import Runner, seed_everything
from rl_games.training import compile as C

METHODS = ("act", "evaluate")


def build_agent(cfg: str, sets: list[str]) -> Any:
    runner = Runner()
    overrides = [f"config.train_dir={tempfile.mkdtemp()}", "config.full_experiment_name=ab", *sets]
    runner.load(yaml.safe_load(Path(cfg).read_text()), overrides)
    seed_everything(int(runner.params.seed or 5))
    agent = ALGORITHMS.get(runner.params.algo.name)(base_name="run", params=runner.params)
    agent.obs = agent.env.reset()
    agent.dones = torch.ones(agent.num_envs, device=agent.device)
    return agent


def epoch(agent: Any) -> tuple[float, float, float, float]:
    """(rollout s, update s, epoch s, main-thread CPU s) of one PPO epoch."""
    c0, w0 = time.thread_time(), time.perf_counter()
    batch_dict = agent.play_steps()
    w1 = time.perf_counter()
    agent.prepare_dataset(batch_dict)
    agent.set_train()
    agent.train_mini_epochs()
    w2 = time.perf_counter()
    agent.episodes.flush(agent.cfg.horizon_length)
    return w1 - w0, w2 - w1, w2 - w0, time.thread_time() - c0


def measure(agent: Any, mode: str, rounds: int) -> dict[str, Any]:
    model = agent.model
    C.compile_methods(model, METHODS, mode)
    compiled = {name: vars(model)[name] for name in METHODS}

    def use(on: bool) -> None:
        for name, fn in compiled.items():
            if on:
                object.__setattr__(model, name, fn)
            else:
                vars(model).pop(name, None)

    use(True)
    first = epoch(agent)[2]
    for _ in range(2):
        epoch(agent)
    use(False)
    for _ in range(3):
        epoch(agent)
    rows: dict[str, list] = {"eager": [], "compiled": []}
    for i in range(rounds):
        for name in ("eager", "compiled") if i % 2 == 0 else ("compiled", "eager"):
            use(name == "compiled")
            rows[name].append(epoch(agent))
    out: dict[str, Any] = {"first_compiled_epoch_s": round(first, 2)}
    for name, vals in rows.items():
        med = [statistics.median(v[i] for v in vals) for i in range(4)]
        out[name] = {
            "rollout_ms": round(1e3 * med[0], 2),
            "update_ms": round(1e3 * med[1], 2),
            "epoch_ms": round(1e3 * med[2], 2),
            "main_thread_cpu_ms": round(1e3 * med[3], 2),
            "fps": round(agent.batch_size / med[2]),
        }
    out["compiled_over_eager_epoch"] = round(
        out["compiled"]["epoch_ms"] / out["eager"]["epoch_ms"], 3
    )
    return out


def other_load(busy0: float | None, self0: float, wall: float) -> float | None:
    """CPU used by other processes / (wall x cores) since ``busy0`` / ``self0``."""
    busy1 = cpu_busy_s()
    if busy0 is None or busy1 is None or wall <= 0:
        return None
    others = max(0.0, (busy1 - busy0) - (time.process_time() - self0))
    return round(others / (wall * (os.cpu_count() or 1)), 2)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--file", "-f", required=True, help="PPO YAML")
    p.add_argument("--mode", default="default", choices=C.COMPILE_MODES)
    p.add_argument("--rounds", type=int, default=20, help="epochs per variant")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="PATH=VALUE")
    a = p.parse_args(argv)
    agent = build_agent(a.file, [f"torch_threads={a.threads}", *a.sets])
    torch.set_num_threads(a.threads)
    t0, busy0, self0 = time.time(), cpu_busy_s(), time.process_time()
    res = measure(agent, a.mode, a.rounds)
    res["other_load"] = other_load(busy0, self0, time.time() - t0)
    agent.env.close()
    res.update(
        file=a.file,
        mode=a.mode,
        rounds=a.rounds,
        threads=a.threads,
        torch=torch.__version__,
        wall_s=round(time.time() - t0, 1),
        loadavg_1m_end=round(os.getloadavg()[0], 2),
    )
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
