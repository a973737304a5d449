#!/usr/bin/env python
"""One GPU check: every on-device measurement the project has not yet made on a GPU, in one
bounded run, written as a markdown section for docs/benchmarks.md.

    bash benchmarks/gpu_check.sh                      # on a CUDA machine; < 8 min on one H100
    python benchmarks/gpu_check.py --device cpu --out /tmp/gpu_check.md   # anywhere (tiny sizes)

Stages, in this order (``--stages`` picks a subset); each is guarded (a failure or a timeout is
recorded in its section and the next stage runs) and has its own time limit:

1. ``syncs``  host reads per PPO epoch (TorchCartPole, eager) at two horizons, and on CUDA the
              synchronizing CUDA calls (``torch.cuda.set_sync_debug_mode``); they must not grow
              with the horizon.
2. ``sac``    SAC on TorchPendulum-v1: env frames/s after the random warm-up.
3. ``mjlab``  mjlab Go1 velocity PPO (central value) training SPS; skipped when mjlab is absent.
4. ``pytest`` the CUDA tests: ``-m gpu``, and ``-k cuda`` among the unmarked ones.
5. ``ppo``    PPO TorchCartPole-v1 at each mode x size (eager and every torch_compile mode),
              mode by mode in the order given (eager, reduce-overhead, default,
              max-autotune-no-cudagraphs, max-autotune; sizes 4096, 65536, 16384); it gets
              the time the other stages left, and runs that do not fit are listed as skipped
              (a second pass: ``--stages ppo --modes ... --sizes ...``). Each run stops ``--ppo-cap`` s after its first
              epoch or once the mean reward reached ``--target`` with ``--ppo-min-epochs``
              epochs timed.

Everything runs in child processes (``benchmarks/gpu_check_runs.py``) with timeouts; the
markdown is rewritten after every stage, so even a killed run leaves its results.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import gpu_check_report as report  # noqa: E402

log = logging.getLogger("gpu_check")

STAGES = ("syncs", "sac", "mjlab", "pytest", "ppo")
#: run order (the table is sorted): CUDA graphs first, as small MLPs are launch-bound on a GPU;
#: max-autotune last, its autotuning is the slowest compile
MODES = ("eager", "reduce-overhead", "default", "max-autotune-no-cudagraphs", "max-autotune")
#: per-device sizes (PPO num_envs and cap s, SAC envs and batch, host-sync envs, mjlab)
DEFAULTS = {
    "cuda": {"sizes": [4096, 65536, 16384], "cap": 12.0, "sac_envs": 1024, "sac_batch": 4096,
             "sync_envs": 4096, "mjlab_envs": 4096, "mjlab_epochs": 6},
    "cpu": {"sizes": [64], "cap": 3.0, "sac_envs": 8, "sac_batch": 128,
            "sync_envs": 64, "mjlab_envs": 8, "mjlab_epochs": 2},
}  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--device", default="auto", help="cuda | cpu | auto (cuda when available)")
    p.add_argument("--out", default=None, help="markdown file (default: $OUT/gpu_check.md)")
    p.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    p.add_argument("--budget", type=float, default=450.0, help="seconds for all stages")
    p.add_argument("--sizes", type=int, nargs="+", default=None, help="PPO num_envs")
    p.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    p.add_argument("--ppo-cap", type=float, default=None, help="s per run after its 1st epoch")
    p.add_argument("--ppo-min-epochs", type=int, default=5)
    p.add_argument("--ppo-min-run", type=float, default=25.0, help="skip a run with less left")
    p.add_argument("--ppo-run-timeout", type=float, default=150.0)
    p.add_argument("--ppo-reserve", type=float, default=150.0, help="s kept for the PPO stage")
    p.add_argument("--horizon", type=int, default=32)
    p.add_argument("--target", type=float, default=475.0)
    p.add_argument("--sync-horizons", type=int, nargs=2, default=[8, 32])
    p.add_argument("--sync-epochs", type=int, default=4)
    p.add_argument("--sac-seconds", type=float, default=None)
    p.add_argument("--mjlab-envs", type=int, default=None)
    p.add_argument("--mjlab-epochs", type=int, default=None, help="epochs to run")
    p.add_argument("--mjlab-timeout", type=float, default=180.0, help="s (Warp compiles first)")
    p.add_argument("--pytest-paths", nargs="+", default=["tests"])
    p.add_argument("--stage-timeout", type=float, default=120.0, help="cap of a non-PPO stage")
    p.add_argument("--in-process", action="store_true", help="no child processes (tests)")
    return p.parse_args(argv)


def resolve_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def defaults(dev: str) -> dict[str, Any]:
    return DEFAULTS["cuda" if dev.startswith("cuda") else "cpu"]


def out_path(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    base = Path(os.environ["OUT"]) if os.environ.get("OUT") else HERE / "results"
    return base / "gpu_check.md"


class Budget:
    """A deadline for the whole check; stages take what is left minus what later ones need."""

    def __init__(self, seconds: float, start: float) -> None:
        self.deadline = start + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def timeout(self, cap: float, reserve: float = 0.0) -> float:
        return max(0.0, min(cap, self.left() - reserve))


def reserve(a: argparse.Namespace) -> float:
    """Seconds the stages before PPO leave to it."""
    return a.ppo_reserve if "ppo" in a.stages else 0.0


def child_env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def _read_progress(path: Path) -> dict:
    """What a killed child had written to its progress file (``{}`` if nothing readable)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def run_child(kind: str, job: dict[str, Any], timeout: float, in_process: bool) -> dict:
    """One measurement (gpu_check_runs.KINDS[kind]); errors and timeouts become ``error``."""
    if timeout < 5 and not in_process:
        return {"skipped": "out of time budget"}
    progress = Path(tempfile.mkstemp(prefix=f"gpu_check_{kind}_", suffix=".json")[1])
    t0 = time.monotonic()
    try:
        if in_process:
            import gpu_check_runs

            return gpu_check_runs.KINDS[kind](job, progress)
        script = str(HERE / "gpu_check_runs.py")
        cmd = [sys.executable, script, kind, json.dumps(job), str(progress)]
        proc = subprocess.run(
            cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, env=child_env()
        )
        if proc.returncode != 0:
            return {"error": f"exit {proc.returncode}: {_last_line(proc.stderr or proc.stdout)}"}
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return {**_read_progress(progress), "error": f"timeout after {time.monotonic() - t0:.0f} s"}
    except Exception as exc:  # noqa: BLE001 - a stage's failure is recorded, the check goes on
        return {"error": f"{type(exc).__name__}: {_last_line(str(exc))}"}
    finally:
        progress.unlink(missing_ok=True)


def stage_syncs(a: argparse.Namespace, dev: str, budget: Budget) -> dict:
    job = {"device": dev, "num_envs": defaults(dev)["sync_envs"], "epochs": a.sync_epochs,
           "horizons": a.sync_horizons}  # fmt: skip
    res = run_child("syncs", job, budget.timeout(a.stage_timeout, reserve(a)), a.in_process)
    return {"job": job, **res}


def stage_sac(a: argparse.Namespace, dev: str, budget: Budget) -> dict:
    d = defaults(dev)
    cap = a.sac_seconds or (20.0 if dev.startswith("cuda") else 2.0)
    job = {"device": dev, "num_envs": d["sac_envs"], "batch_size": d["sac_batch"],
           "updates_per_step": 1, "warmup_frames": 10 * d["sac_envs"], "skip_epochs": 5,
           "cap_s": cap}  # fmt: skip
    res = run_child("sac", job, budget.timeout(cap + 60, reserve(a)), a.in_process)
    return {"job": job, **res}


def stage_mjlab(a: argparse.Namespace, dev: str, budget: Budget) -> dict:
    n = a.mjlab_envs or defaults(dev)["mjlab_envs"]
    epochs = a.mjlab_epochs or defaults(dev)["mjlab_epochs"]
    horizon = 24 if dev.startswith("cuda") else 4
    job = {"device": dev, "num_envs": n, "horizon": horizon, "minibatches": 4,
           "epochs": epochs, "cap_s": 1e9, "min_epochs": 10**9, "target": None}  # fmt: skip
    res = run_child("mjlab", job, budget.timeout(a.mjlab_timeout, reserve(a)), a.in_process)
    return {"job": job, **res}


def _pytest(args: list[str], paths: list[str], timeout: float) -> dict:
    # no test uses hypothesis; its pytest plugin alone costs seconds of start-up
    cmd = [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider",
           "-p", "no:hypothesispytest", "--continue-on-collection-errors", *args, *paths]  # fmt: skip
    t0 = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, env=child_env()
        )
    except subprocess.TimeoutExpired as exc:
        tail = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        return {"args": args, "error": f"timeout after {timeout:.0f} s", "tail": _last_line(tail)}
    out = proc.stdout + proc.stderr
    failed = [ln for ln in out.splitlines() if ln.startswith(("FAILED", "ERROR"))]
    return {
        "args": args,
        "rc": proc.returncode,
        "summary": _last_line(proc.stdout).strip("= "),
        "failed": failed[:12],
        "wall_s": round(time.monotonic() - t0, 1),
    }


def stage_pytest(a: argparse.Namespace, dev: str, budget: Budget) -> dict:
    runs = []
    for args in (["-m", "gpu"], ["-m", "not gpu and not slow", "-k", "cuda"]):
        timeout = budget.timeout(a.stage_timeout, reserve(a))
        if timeout < 10:
            runs.append({"args": args, "error": "skipped: out of time budget"})
            continue
        runs.append(_pytest(args, a.pytest_paths, timeout))
    return {"runs": runs}


def ppo_jobs(a: argparse.Namespace, dev: str) -> list[dict]:
    sizes = a.sizes or defaults(dev)["sizes"]
    cap = a.ppo_cap or defaults(dev)["cap"]
    base = {"device": dev, "horizon": a.horizon, "minibatches": 4, "cap_s": cap,
            "min_epochs": a.ppo_min_epochs, "target": a.target}  # fmt: skip
    return [{**base, "mode": m, "num_envs": n} for m in a.modes for n in sizes]


def stage_ppo(a: argparse.Namespace, dev: str, budget: Budget, on_run: Any = None) -> dict:
    runs = []
    for job in ppo_jobs(a, dev):
        left = budget.left() - 5.0
        if left < a.ppo_min_run:
            runs.append({"job": job, "skipped": "out of time budget"})
            continue
        log.info("ppo %s x %d (%.0f s left)", job["mode"], job["num_envs"], left)
        res = run_child("ppo", job, min(left, a.ppo_run_timeout), a.in_process)
        runs.append({"job": job, **res})
        if on_run is not None:
            on_run({"runs": runs})
    return {"runs": runs}


STAGE_FUNCS = {
    "syncs": stage_syncs,
    "sac": stage_sac,
    "mjlab": stage_mjlab,
    "pytest": stage_pytest,
    "ppo": stage_ppo,
}


def write(path: Path, info: dict, results: dict) -> str:
    text = report.render(info, results)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    path.with_suffix(".json").write_text(json.dumps({"info": info, "results": results}, indent=1))
    return text


def run_stages(a: argparse.Namespace, dev: str, path: Path, info: dict, t0: float) -> dict:
    budget, results = Budget(a.budget, t0), {}
    for name in STAGES:
        if name not in a.stages:
            results[name] = {"skipped": "not requested (--stages)"}
            continue
        log.info("stage %s (%.0f s left)", name, budget.left())
        s0 = time.monotonic()

        def partial(res: dict, name: str = name) -> None:
            results[name] = res
            write(path, info, results)

        try:
            if name == "ppo":
                res = stage_ppo(a, dev, budget, partial)
            else:
                res = STAGE_FUNCS[name](a, dev, budget)
        except Exception as exc:  # noqa: BLE001 - recorded; the next stage runs
            res = {"error": f"{type(exc).__name__}: {_last_line(str(exc))}"}
        res["stage_wall_s"] = round(time.monotonic() - s0, 1)
        results[name] = res
        info["total_wall_s"] = round(time.monotonic() - t0, 1)
        write(path, info, results)
    return results


def main(argv: list[str] | None = None) -> int:
    t0 = time.monotonic()  # the budget counts from here (torch is imported below)
    logging.basicConfig(level=logging.INFO, format="[gpu_check] %(message)s", stream=sys.stderr)
    a = parse_args(argv)
    dev = resolve_device(a.device)
    path = out_path(a.out)
    info = report.environment(dev, a)
    for line in report.header_lines(info):
        log.info("%s", line)
    results = run_stages(a, dev, path, info, t0)
    sys.stdout.write(write(path, info, results))
    log.info("wrote %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
