"""The environment header and the markdown of ``benchmarks/gpu_check.py`` (a docs/benchmarks.md
section: one table per stage, errors and skips spelled out in the table or under it)."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
#: modules the stages import (the GPU image may lack them: carry wheels in .whl/)
NEEDED = ("gymnasium", "yaml", "tensorboard", "pytest")

MODE_ORDER = ("eager", "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
SECTIONS = (
    "#### Host syncs per PPO epoch",
    "#### SAC on TorchPendulum-v1",
    "#### mjlab Go1 velocity",
    "#### CUDA tests",
    "#### PPO CartPole",
)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cmd(args: list[str]) -> str | None:
    try:
        out = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def environment(device: str, args: Any) -> dict[str, Any]:
    """Versions, the device and the commit (what the header of the section says)."""
    import torch

    info: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "device": device,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "triton": _version("triton"),
        "mjlab": _version("mjlab"),
        "commit": _cmd(["git", "rev-parse", "--short", "HEAD"]),
        "dirty": bool(_cmd(["git", "status", "--porcelain", "--untracked-files=no"])),
        "missing": [m for m in NEEDED if importlib.util.find_spec(m) is None],
        "budget_s": args.budget,
        "argv": " ".join(sys.argv[1:]),
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info["gpu"] = props.name
        info["gpu_detail"] = f"sm_{props.major}{props.minor}, {props.total_memory / 2**30:.1f} GiB"
        info["cudnn"] = torch.backends.cudnn.version()
        info["driver"] = _cmd(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"])
    elif device.startswith("cuda"):
        info["gpu"] = "CUDA requested but torch.cuda.is_available() is False"
    return info


def header_lines(info: dict[str, Any]) -> list[str]:
    gpu = info.get("gpu")
    dev = f"{gpu} ({info.get('gpu_detail', '')})" if gpu else f"{info['device']} (no GPU)"
    if info.get("driver"):
        dev += f", driver {info['driver']}"
    commit = info["commit"] or "unknown"
    return [
        f"- device: {dev}",
        f"- torch {info['torch']}, CUDA {info['cuda'] or '-'}, cuDNN {info.get('cudnn') or '-'}, "
        f"triton {info['triton'] or '-'}, Python {info['python']}, {info['cpus']} CPU cores",
        f"- commit {commit}{' (with local changes)' if info['dirty'] else ''}, "
        f"mjlab {info['mjlab'] or 'not installed'}, {info['platform']}",
        f"- `python benchmarks/gpu_check.py {info['argv']}`",
        f"- total wall {info.get('total_wall_s', '-')} s (budget {info['budget_s']:.0f} s)",
    ] + ([f"- **missing Python modules**: {', '.join(info['missing'])}"] if info["missing"] else [])


def _n(x: Any, nd: int = 0) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, list):
        return ", ".join(_n(v, nd) for v in x)
    return str(x).replace("|", "/")


def _status(res: dict[str, Any]) -> list[str]:
    """Lines for a stage that did not (fully) run."""
    if "skipped" in res:
        return ["", f"Skipped: {res['skipped']}."]
    if "error" in res:
        return ["", f"**Error**: `{_n(res['error'])}`"]
    return []


def render_syncs(res: dict[str, Any]) -> list[str]:
    job = res.get("job", {})
    out = [f"{SECTIONS[0]} (TorchCartPole-v1, eager, {_n(job.get('num_envs'))} envs)", ""]
    runs = res.get("runs", [])
    if runs:
        out += [
            "| horizon | host reads per epoch (epochs 2+) | epoch 1 | CUDA sync calls per epoch "
            "(epochs 2+) |",
            "|---|---|---|---|",
        ]
        for r in runs:
            cuda = r.get("cuda_syncs")
            out.append(
                f"| {r['horizon']} | {_n(r['reads'][1:])} | {_n(r['reads'][:1])} | "
                f"{_n(cuda[1:]) if cuda else '- (not CUDA)'} |"
            )
        steady = [tuple(sorted(set(r["reads"][1:]))) for r in runs]
        flat = len(set(steady)) == 1 and len(steady[0]) == 1
        out += ["", f"Same count at every horizon (no per-step host reads): **{flat}**."]
        where = ", ".join(f"`{w}` x{c}" for w, c in runs[-1]["where"])
        out.append(f"Where (whole last run, final checkpoint included): {where}.")
        if runs[-1].get("cuda_where"):
            cw = ", ".join(f"`{w}` x{c}" for w, c in runs[-1]["cuda_where"])
            out.append(f"CUDA sync calls from: {cw}.")
    return out + _status(res)


def render_sac(res: dict[str, Any]) -> list[str]:
    job = res.get("job", {})
    out = [f"{SECTIONS[1]} (`configs/sac_pendulum.yaml` with the torch env)", ""]
    if "wall_s" in res:
        out += [
            "| envs | batch | updates per env step | warm-up frames | env frames/s | updates/s "
            "| timed frames | last mean reward | peak GiB |",
            "|---|---|---|---|---|---|---|---|---|",
            f"| {_n(job.get('num_envs'))} | {_n(job.get('batch_size'))} | "
            f"{_n(job.get('updates_per_step'))} | {_n(job.get('warmup_frames'))} | "
            f"{_n(res.get('sps'))} | {_n(res.get('updates_per_s'))} | "
            f"{_n(res.get('timed_frames'))} | {_n(res.get('last_reward'), 1)} | "
            f"{_n(res.get('peak_gib'), 2)} |",
        ]
    return out + _status(res)


def render_mjlab(res: dict[str, Any]) -> list[str]:
    job = res.get("job", {})
    out = [
        f"{SECTIONS[2]} (`tests/data/client_configs/mjlab/ppo_go1_velocity.yaml`, central value)",
        "",
    ]
    if "epochs" in res:
        out += [
            "| envs | horizon | SPS (median epoch) | s to epoch 1 | epochs | last mean reward "
            "| peak GiB |",
            "|---|---|---|---|---|---|---|",
            f"| {_n(job.get('num_envs'))} | {_n(job.get('horizon'))} | {_n(res.get('sps'))} | "
            f"{_n(res.get('first_epoch_s'), 1)} | {_n(res.get('epochs'))} | "
            f"{_n(res.get('last_reward'), 1)} | {_n(res.get('peak_gib'), 2)} |",
        ]
    return out + _status(res)


def render_pytest(res: dict[str, Any]) -> list[str]:
    out = [SECTIONS[3], ""]
    runs = res.get("runs", [])
    if runs:
        out += ["| selection | result | wall s |", "|---|---|---|"]
        for r in runs:
            result = r.get("error") or r.get("summary") or f"exit {r.get('rc')}"
            out.append(f"| `pytest {' '.join(r['args'])}` | {_n(result)} | {_n(r.get('wall_s'))} |")
        failed = [f for r in runs for f in r.get("failed", [])]
        out += ["", "Failures: " + ("; ".join(f"`{f}`" for f in failed) if failed else "none.")]
    return out + _status(res)


def _ppo_row(r: dict[str, Any], eager_sps: dict[int, float], target: str) -> str:
    job = r["job"]
    n, sps = job["num_envs"], r.get("sps")
    ratio = sps / eager_sps[n] if sps and eager_sps.get(n) and job["mode"] != "eager" else None
    note = r.get("skipped") or r.get("error") or ""
    reached = r.get("time_to_target_s")
    if reached is None and r.get("epochs"):
        reached = f"not in {_n(r.get('wall_s'), 0)} s"
    return (
        f"| {n:,} | {job['mode']} | {_n(r.get('compile'))} | {_n(sps)} | {_n(ratio, 2)} | "
        f"{_n(r.get('first_epoch_s'), 1)} | {_n(r.get('epochs'))} | {_n(reached)} | "
        f"{_n(r.get('frames_to_target'))} | {_n(r.get('best_reward'), 1)} | "
        f"{_n(r.get('peak_gib'), 2)} | {_n(note)} |"
    )


def render_ppo(res: dict[str, Any]) -> list[str]:
    runs = res.get("runs", [])
    job = runs[0]["job"] if runs else {}
    target = _n(job.get("target"), 0)
    out = [
        f"{SECTIONS[4]} (TorchCartPole-v1, `configs/ppo_cartpole_torch.yaml`, horizon "
        f"{_n(job.get('horizon'))}, 4 minibatches): eager vs torch.compile",
        "",
    ]
    if runs:
        out += [
            f"| num_envs | mode | compiled | SPS (median epoch) | vs eager | s to epoch 1 | "
            f"epochs | time to {target} s | frames to {target} | best reward | peak GiB | note |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        eager = {r["job"]["num_envs"]: r.get("sps") for r in runs if r["job"]["mode"] == "eager"}
        order = {m: i for i, m in enumerate(MODE_ORDER)}
        rows = sorted(runs, key=lambda r: (r["job"]["num_envs"], order.get(r["job"]["mode"], 9)))
        out += [_ppo_row(r, eager, target) for r in rows]
        out += [
            "",
            f"Each run stops {_n(job.get('cap_s'), 1)} s after its first epoch, or once the "
            f"mean reward reached {target} with {job.get('min_epochs')} epochs timed; time to "
            f"{target} and to epoch 1 count from `Runner.load` (env build and compilation "
            "included).",
        ]
    return out + _status(res)


RENDERERS = {
    "syncs": render_syncs,
    "sac": render_sac,
    "mjlab": render_mjlab,
    "pytest": render_pytest,
    "ppo": render_ppo,
}


def render(info: dict[str, Any], results: dict[str, dict[str, Any]]) -> str:
    title = info.get("gpu") or f"{info['device']}, no GPU"
    lines = [f"### GPU check: {title} ({info['date']})", "", *header_lines(info)]
    for name, fn in RENDERERS.items():
        res = results.get(name, {"skipped": "not run yet (the check stopped before it)"})
        lines += ["", *fn(res)]
    text = "\n".join(lines) + "\n"
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text
