#!/usr/bin/env python
"""Throughput of the torch-native envs (vecenv type TORCH): raw env SPS and PPO training SPS,
eager vs each torch.compile mode, for several env counts.

    # GPU (the numbers the issue asks for)
    python benchmarks/torch_env_sps.py --device cuda --num-envs 4096 16384 65536 \
        --modes eager default reduce-overhead max-autotune
    # CPU (small counts; runs anywhere)
    python benchmarks/torch_env_sps.py --device cpu --num-envs 64 256 --modes eager default \
        --epochs 6 --threads 1

Every (env, num_envs, mode) runs in its own process (fresh dynamo / CUDA-graph state): it builds
the PPO config below for the env (TorchCartPole-v1: discrete, TorchPendulum-v1: continuous),
trains ``--epochs`` epochs through ``rl_games.runner.Runner`` with ``config.torch_compile`` set
to the mode (``eager`` = false), and reports

  env_sps            raw env steps/s with random actions (pre-generated on the device), no policy
  train_sps          median over epochs after ``--warmup-epochs`` of frames / epoch wall time
                     (rollout + GAE + update + logging; the device is synchronized per epoch)
  first_epoch_s      wall time of epoch 1 (includes compilation for the compiled modes)
  train_over_env     train_sps / env_sps
  peak_mem_mib       CUDA peak allocated memory (CUDA only)

Batch geometry: ``horizon_length`` (default 16) steps x num_envs frames per epoch, split into
``--minibatches`` (default 4) minibatches, ``mini_epochs`` 4. Results: a markdown table on
stdout and JSON under benchmarks/results/ (gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from hostload import cpu_busy_s  # benchmarks/hostload.py (scripts run from benchmarks/)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

DISCRETE_NET = {"discrete": None}
CONTINUOUS_NET = {
    "continuous": {
        "mu_activation": "None",
        "sigma_activation": "None",
        "mu_init": {"name": "default"},
        "sigma_init": {"name": "const_initializer", "val": 0},
        "fixed_sigma": True,
    }
}


def ppo_config(env: str, num_envs: int, horizon: int, minibatches: int, device: str) -> dict:
    """An rl_games PPO config for a torch-native env (CartPole: discrete; Pendulum: continuous)."""
    continuous = "Pendulum" in env
    return {
        "params": {
            "seed": 5,
            "algo": {"name": "a2c_continuous" if continuous else "a2c_discrete"},
            "model": {"name": "continuous_a2c_logstd" if continuous else "discrete_a2c"},
            "network": {
                "name": "actor_critic",
                "separate": False,
                "space": CONTINUOUS_NET if continuous else DISCRETE_NET,
                "mlp": {"units": [64, 64], "activation": "elu", "initializer": {"name": "default"}},
            },
            "config": {
                "name": f"bench_{env}",
                "env_name": env,
                "device": device,
                "reward_shaper": {"scale_value": 0.01 if continuous else 0.1},
                "normalize_advantage": True,
                "normalize_input": True,
                "normalize_value": True,
                "value_bootstrap": True,
                "gamma": 0.99,
                "tau": 0.95,
                "learning_rate": 3e-4,
                "lr_schedule": "adaptive" if continuous else None,
                "kl_threshold": 0.016,
                "grad_norm": 1.0,
                "entropy_coef": 0.0,
                "truncate_grads": True,
                "e_clip": 0.2,
                "clip_value": False,
                "num_actors": num_envs,
                "horizon_length": horizon,
                "minibatch_size": num_envs * horizon // minibatches,
                "mini_epochs": 4,
                "critic_coef": 2,
                "bounds_loss_coef": 0.0001 if continuous else 0.0,
                "print_stats": False,
                "save_best_after": 10**9,
                "score_to_win": 1e9,
            },
        }
    }


# ------------------------------------------------------------------------------------ child
def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def env_sps(env_name: str, num_envs: int, device: str, seconds: float) -> float:
    """Raw env steps/s with pre-generated random actions on ``device``."""
    import torch
    from gymnasium import spaces

    from rl_games.envs.registry import create_vec_env

    env = create_vec_env(env_name, num_envs, device=device, seed=0)
    space = env.get_env_info()["action_space"]
    gen = torch.Generator(device=device).manual_seed(0)
    if isinstance(space, spaces.Discrete):
        acts = torch.randint(0, int(space.n), (16, num_envs), device=device, generator=gen)
    else:
        low = torch.as_tensor(space.low, device=device)
        high = torch.as_tensor(space.high, device=device)
        u = torch.rand((16, num_envs, *space.shape), device=device, generator=gen)
        acts = low + (high - low) * u
    env.reset()
    with torch.inference_mode():
        for i in range(20):
            env.step(acts[i % 16])
        _sync(device)
        steps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            for i in range(16):
                env.step(acts[i])
            steps += 16
            _sync(device)
        dt_s = time.perf_counter() - t0
    return steps * num_envs / dt_s


def train_sps(job: dict[str, Any]) -> dict[str, Any]:
    """PPO epochs through the real Runner; per-epoch wall times via the stop_fn hook."""
    import torch

    from rl_games.runner import Runner

    cfg = ppo_config(job["env"], job["num_envs"], job["horizon"], job["minibatches"], job["device"])
    mode = job["mode"]
    overrides = [
        f"config.torch_compile={'False' if mode == 'eager' else mode}",
        f"config.max_epochs={job['epochs'] + 1}",
        f"config.train_dir={tempfile.mkdtemp(prefix='torch_env_sps_')}",
        "config.full_experiment_name=bench",
        f"torch_threads={job['threads']}",
        *job["sets"],
    ]
    runner = Runner()
    runner.load(cfg, overrides)
    stamps: list[float] = []

    def per_epoch(agent: Any) -> bool:
        _sync(job["device"])
        stamps.append(time.perf_counter())
        return False

    t0 = time.perf_counter()
    runner.run({"train": True, "stop_fn": per_epoch})
    frames = runner.agent.batch_size
    times = [b - a for a, b in zip([t0, *stamps], stamps, strict=False)]
    steady = times[job["warmup_epochs"] :] or times
    out = {
        "first_epoch_s": round(times[0], 2),
        "train_sps": frames / statistics.median(steady),
        "epochs_timed": len(steady),
        "frames_per_epoch": frames,
    }
    if job["device"].startswith("cuda"):
        out["peak_mem_mib"] = round(torch.cuda.max_memory_allocated() / 2**20)
    return out


def child(job: dict[str, Any]) -> dict[str, Any]:
    import torch

    torch.set_num_threads(job["threads"])
    res = dict(job)
    busy0, self0, t0 = cpu_busy_s(), time.process_time(), time.time()
    res["env_sps"] = env_sps(job["env"], job["num_envs"], job["device"], job["env_seconds"])
    res.update(train_sps(job))
    busy1, wall = cpu_busy_s(), time.time() - t0
    if busy0 is not None and busy1 is not None:
        others = max(0.0, busy1 - busy0 - (time.process_time() - self0))
        res["other_load"] = round(others / (wall * (os.cpu_count() or 1)), 2)
    res["train_over_env"] = res["train_sps"] / res["env_sps"]
    return res


# ----------------------------------------------------------------------------------- parent
def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--envs", nargs="+", default=["TorchCartPole-v1"])
    p.add_argument("--num-envs", type=int, nargs="+", default=[4096, 16384, 65536])
    p.add_argument(
        "--modes",
        nargs="+",
        default=["eager", "default", "reduce-overhead", "max-autotune"],
        help="eager and/or torch.compile modes",
    )
    p.add_argument("--device", default="cuda")
    p.add_argument("--epochs", type=int, default=10, help="timed PPO epochs per run")
    p.add_argument("--warmup-epochs", type=int, default=2, help="epochs left out of the median")
    p.add_argument("--horizon", type=int, default=16)
    p.add_argument("--minibatches", type=int, default=4)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--env-seconds", type=float, default=2.0, help="raw env timing per run")
    p.add_argument("--timeout", type=float, default=1200.0, help="seconds per run")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="PATH=VALUE")
    p.add_argument("--out-dir", default=os.path.join(HERE, "results"))
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _run_child(job: dict[str, Any], timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(job)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    try:
        r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {**job, "error": f"timeout after {timeout:.0f} s"}
    if r.returncode != 0:
        return {**job, "error": (r.stderr or r.stdout).strip().splitlines()[-1][:300]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def _versions() -> dict[str, Any]:
    import torch

    v: dict[str, Any] = {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "machine": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    if torch.cuda.is_available():
        v["gpu"] = torch.cuda.get_device_name(0)
        v["cuda"] = torch.version.cuda
    return v


def _fmt(x: Any, nd: int = 0) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return str(x)


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        "| env | num_envs | mode | env SPS | train SPS | train / env | first epoch s | peak MiB "
        "| other load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(
                f"| {r['env']} | {r['num_envs']} | {r['mode']} | error: {r['error']} ||||||"
            )
            continue
        lines.append(
            f"| {r['env']} | {r['num_envs']:,} | {r['mode']} | {_fmt(r['env_sps'])} | "
            f"{_fmt(r['train_sps'])} | {_fmt(r['train_over_env'], 3)} | "
            f"{_fmt(r['first_epoch_s'], 1)} | {_fmt(r.get('peak_mem_mib'))} | "
            f"{_fmt(r.get('other_load'), 2)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    a = _parse(argv)
    if a.child:
        print(json.dumps(child(json.loads(a.child))))
        return 0
    keys = ("device", "epochs", "warmup_epochs", "horizon", "minibatches", "threads", "sets")
    base = {k: getattr(a, k) for k in keys} | {"env_seconds": a.env_seconds}
    results = []
    for env in a.envs:
        for n in a.num_envs:
            for mode in a.modes:
                job = {**base, "env": env, "num_envs": n, "mode": mode}
                print(f"[run] {env} x {n} {mode}", file=sys.stderr, flush=True)
                results.append(_run_child(job, a.timeout))
    md = report(results)
    print(md)
    os.makedirs(a.out_dir, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(a.out_dir, f"{stamp}_torch_env_sps.json")
    with open(path, "w") as f:
        json.dump({"args": vars(a), "versions": _versions(), "results": results}, f, indent=1)
    print(f"\nwrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
