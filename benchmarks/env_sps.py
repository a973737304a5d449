#!/usr/bin/env python
"""Raw envpool throughput with random actions: the physical ceiling for training SPS.

Runs under any Python that has envpool + numpy (ours or benchmarks/.venv-rlgames).

    python benchmarks/env_sps.py --env CartPole-v1 --num-envs 16 --threads 2 --steps 20000

Steps the pool synchronously (batch_size == num_envs, as rl_games' and our envpool wrappers do),
times `--steps` batched steps after `--warmup` batched steps, `--repeats` times, and prints one
JSON object. SPS counts env frames: batched steps x num_envs. Random actions are drawn up front
(a ring of pre-generated batches), so the timing is envpool alone.

Note: env cost depends on the actions (e.g. a trained Ant steps faster than a random one), so this
is a random-policy number, not exactly what a training run sees.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

import numpy as np
from hostload import cpu_busy_s  # benchmarks/hostload.py (scripts run from benchmarks/)


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--env", required=True, help="envpool task id, e.g. CartPole-v1, Ant-v5")
    p.add_argument("--num-envs", type=int, default=16)
    p.add_argument(
        "--num-threads",
        type=int,
        default=0,
        help="envpool num_threads (0 = envpool default: min(num_envs, cores))",
    )
    p.add_argument(
        "--threads", type=int, default=None, help="torch.set_num_threads (if torch is importable)"
    )
    p.add_argument(
        "--steps", type=int, default=None, help="timed batched steps (default: ~2s worth)"
    )
    p.add_argument("--warmup", type=int, default=200, help="untimed batched steps first")
    p.add_argument(
        "--repeats", type=int, default=3, help="timed repetitions; the median is reported"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--env-type", default="gymnasium", help="envpool env_type (gym/gymnasium/dm)")
    p.add_argument("--json-out", default=None, help="also write the JSON here")
    return p.parse_args()


def _action_sampler(space, num_envs: int, rng: np.random.Generator, ring: int = 64):
    if hasattr(space, "n"):  # Discrete
        batches = [
            rng.integers(0, int(space.n), size=num_envs, dtype=np.int32) for _ in range(ring)
        ]
    elif hasattr(space, "nvec"):  # MultiDiscrete
        nvec = np.asarray(space.nvec)
        batches = [
            (rng.random((num_envs, *nvec.shape)) * nvec).astype(np.int32) for _ in range(ring)
        ]
    else:  # Box
        low = np.broadcast_to(np.asarray(space.low, dtype=np.float64), space.shape)
        high = np.broadcast_to(np.asarray(space.high, dtype=np.float64), space.shape)
        low = np.where(np.isfinite(low), low, -1.0)
        high = np.where(np.isfinite(high), high, 1.0)
        batches = [
            rng.uniform(low, high, size=(num_envs, *space.shape)).astype(space.dtype)
            for _ in range(ring)
        ]
    return batches


def _self_cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main() -> int:
    args = _parse()
    torch_threads = None
    if args.threads is not None:
        try:
            import torch

            torch.set_num_threads(args.threads)
            torch_threads = torch.get_num_threads()
        except ImportError:
            pass

    import warnings

    warnings.filterwarnings("ignore", message=".*precision lowered.*")
    import envpool

    env = envpool.make(
        args.env,
        env_type=args.env_type,
        num_envs=args.num_envs,
        batch_size=args.num_envs,
        num_threads=args.num_threads,
        seed=args.seed,
    )
    ids = np.arange(args.num_envs, dtype=np.int32)
    rng = np.random.default_rng(args.seed)
    actions = _action_sampler(env.action_space, args.num_envs, rng)
    env.reset(ids)

    def run(n: int, k0: int = 0) -> float:
        t0 = time.perf_counter()
        for i in range(n):
            env.step(actions[(k0 + i) % len(actions)], ids)
        return time.perf_counter() - t0

    run(args.warmup)
    steps = args.steps
    if steps is None:  # calibrate to roughly 2 s per repeat
        probe = max(50, args.warmup)
        dt = run(probe)
        steps = int(max(200, min(200_000, probe * 2.0 / max(dt, 1e-6))))

    sps = []
    busy0, self0, w0 = cpu_busy_s(), _self_cpu_s(), time.perf_counter()
    for r in range(args.repeats):
        dt = run(steps, r * 7)
        sps.append(steps * args.num_envs / dt)

    busy1, self1, w1 = cpu_busy_s(), _self_cpu_s(), time.perf_counter()
    other_load = None
    if busy0 is not None and busy1 is not None:
        other_load = max(0.0, (busy1 - busy0) - (self1 - self0)) / (
            (w1 - w0) * (os.cpu_count() or 1)
        )
    result = {
        "env": args.env,
        "num_envs": args.num_envs,
        "envpool_num_threads": args.num_threads,
        "envpool_num_threads_effective": (
            args.num_threads if args.num_threads > 0 else min(args.num_envs, os.cpu_count() or 1)
        ),
        "torch_threads": torch_threads,
        "batched_steps_per_repeat": steps,
        "repeats": args.repeats,
        "sps_median": statistics.median(sps),
        "sps_all": [round(s, 1) for s in sps],
        "sps_max": max(sps),
        "other_load": None if other_load is None else round(other_load, 3),
        "envpool_version": envpool.__version__,
        "python": sys.version.split()[0],
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
    }
    env.close()
    text = json.dumps(result)
    print(text)
    if args.json_out:
        with open(args.json_out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
