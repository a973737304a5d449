#!/usr/bin/env python
"""Side-by-side benchmark: ours vs rl-games 1.6.5 on the SAME rl_games YAML (envpool envs).

Run with the project's Python (it needs `tensorboard` for EventAccumulator, and envpool for the
raw env SPS); rl-games runs in benchmarks/.venv-rlgames (benchmarks/setup_rl_games_venv.sh):

    python benchmarks/compare.py --file benchmarks/configs/ppo_cartpole.yaml --seeds 1 2 3
    python benchmarks/compare.py --file benchmarks/configs/ppo_pendulum.yaml --seeds 1 2 3
    python benchmarks/compare.py --file benchmarks/configs/halfcheetah.yaml --seeds 1 --timeout 900
    python benchmarks/compare.py --file benchmarks/configs/ant.yaml --seeds 1 --timeout 1200
    python benchmarks/compare.py --file benchmarks/configs/sac_pendulum.yaml --seeds 1 2 3

SAC configs (algo.name: sac) are handled too: the warm-up run covers the random-action warm-up
frames plus 50 update epochs, and the SPS median / e2e SPS leave out the random-action warm-up
epochs (no gradient updates, so they run many times faster). rl-games 1.6.5 SAC writes TB points
every epoch (num_actors x num_steps_per_episode frames), ours about once a second.

For every seed it runs, one process at a time, alternating so that host drift hits both alike:
  ours:     python runner.py --train --file <yaml> --seed S --set config.train_dir=<dir>
                 --set config.full_experiment_name=<name> --set config.max_frames=<cap>
                 --set torch_threads=<N>
  rl-games: .venv-rlgames/bin/python benchmarks/run_rl_games.py --file <yaml> --seed S
                 --train_dir <dir> --name <name> --max_frames <cap> --threads <N>
Both get the same torch thread count (params.torch_threads plus OMP_NUM_THREADS/MKL_NUM_THREADS).
Then it reads `<train_dir>/<name>/summaries/` of both with TensorBoard's EventAccumulator and
runs benchmarks/env_sps.py for the same env and num_envs.

Metrics per run:
  wall_to_target_s   PRIMARY. Seconds from launching the process to the TensorBoard write of the
                     first `rewards/*` point >= target (event wall_time - launch time). Includes
                     interpreter start, imports, env/model build, torch.compile and every bit of
                     per-epoch overhead: what a user waits. Same definition for both tools.
  train_s_to_target  x of the first `rewards/time` point >= target: the tool's own clock. In
                     rl-games 1.6.5 that is int(sum of rollout+update time), which leaves out
                     checkpoint saves, TB writes and startup, so it flatters rl-games.
  frames_to_target   x of the first `rewards/step` point >= target. rl-games' continuous PPO logs
                     the frame count before adding the epoch (one epoch lower than discrete), and
                     counts envpool's auto-reset rows as frames.
  sps_median         median `performance/step_inference_rl_update_fps` over epochs, first epoch
                     (compile) excluded: frames / (rollout + update) time, rl-games' "fps total".
  e2e_sps            frames / wall between the first and last epoch writes (first epoch
                     excluded): steady-state rate including checkpoints and logging.
  process_wall_s     launch to exit (with the frame cap and the tool's own stop rules).
A run that never reaches the target reports "not reached" and its best 100-game mean.

Ratios (medians over seeds): wall-to-target ours/theirs (< 1 means ours is faster; speedup is the
inverse), SPS ours/theirs, SPS / raw env SPS for each tool.
Results: a markdown table on stdout, and JSON + markdown under benchmarks/results/ (gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import os
import platform
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import time

import yaml
from hostload import cpu_busy_s  # benchmarks/hostload.py (scripts run from benchmarks/)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_RLG_PY = os.path.join(HERE, ".venv-rlgames", "bin", "python")

TAG_REWARD_TIME = "rewards/time"
TAG_REWARD_STEP = "rewards/step"
TAG_FPS = "performance/step_inference_rl_update_fps"


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--file", "-f", help="rl_games YAML (envpool env)")
    p.add_argument(
        "--target", type=float, default=None, help="score to reach (default: config.score_to_win)"
    )
    p.add_argument(
        "--max-frames", type=int, default=None, help="frame cap (default: config.max_frames)"
    )
    p.add_argument("--seeds", type=int, nargs="+", default=[1])
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads for both tools (default: cpu count)",
    )
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per training process")
    p.add_argument("--only", choices=["both", "ours", "rlgames"], default="both")
    p.add_argument("--rlg-python", default=DEFAULT_RLG_PY)
    p.add_argument(
        "--ours-cmd",
        default=f"{shlex.quote(sys.executable)} runner.py",
        help="how to start our runner (run from the repo root)",
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override for BOTH tools, path relative to params (e.g. config.torch_compile=False)",
    )
    p.add_argument("--ours-set", action="append", default=[], metavar="PATH=VALUE")
    p.add_argument("--rlg-set", action="append", default=[], metavar="PATH=VALUE")
    p.add_argument(
        "--rlg-stop-at-target",
        action="store_true",
        help="stop rl-games at the first epoch >= target (its own score_to_win needs a new "
        "best after save_best_after); only changes process_wall_s, not the TB metrics",
    )
    p.add_argument(
        "--no-warmup",
        action="store_true",
        help="skip the short untimed run of each tool that fills the torch.compile cache",
    )
    p.add_argument(
        "--warmup-frames",
        type=int,
        default=None,
        help="frame cap of the warm-up runs (default: 3 epochs)",
    )
    p.add_argument("--no-env-sps", action="store_true")
    p.add_argument("--out-dir", default=os.path.join(HERE, "results"))
    p.add_argument("--tag", default="", help="suffix for the result file names")
    p.add_argument(
        "--reuse",
        default=None,
        help="do not train: re-read the JSON of an earlier compare.py and re-report it",
    )
    return p.parse_args()


def _get(d: dict, path: str, default=None):
    node = d
    for k in path.split("."):
        if not isinstance(node, dict) or k not in node:
            return default
        node = node[k]
    return node


def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def _fmt(x, nd=1, suffix=""):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if abs(x) >= 1000 and nd <= 1:
        return f"{x:,.0f}{suffix}"
    return f"{x:.{nd}f}{suffix}"


def _find_summaries(train_dir: str, name: str) -> str | None:
    exact = os.path.join(train_dir, name, "summaries")
    if glob.glob(os.path.join(exact, "events.out.tfevents.*")):
        return exact
    hits = sorted(
        glob.glob(
            os.path.join(train_dir, name + "*", "**", "events.out.tfevents.*"), recursive=True
        )
    )
    return os.path.dirname(hits[0]) if hits else None


def _read_scalars(summ_dir: str) -> dict:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(summ_dir, size_guidance={"scalars": 0})
    acc.Reload()
    out = {}
    for tag in acc.Tags().get("scalars", []):
        out[tag] = [(e.wall_time, e.step, e.value) for e in acc.Scalars(tag)]
    return out


def _metrics(scalars: dict, target: float | None, t_launch: float, skip_frames: int = 0) -> dict:
    """``skip_frames`` > 0 (SAC): SPS points at or below that frame count (random-action warm-up,
    no updates) are left out of the SPS statistics; otherwise the first epoch is left out."""
    m: dict = {"tags": sorted(scalars)}
    rt = sorted(scalars.get(TAG_REWARD_TIME, []), key=lambda e: e[0])
    rs = sorted(scalars.get(TAG_REWARD_STEP, []), key=lambda e: e[0])
    fps = sorted(scalars.get(TAG_FPS, []), key=lambda e: (e[1], e[0]))
    rewards = rs or rt
    if rewards:
        m["best_reward"] = max(v for _, _, v in rewards)
        m["final_reward"] = rewards[-1][2]
        m["n_reward_points"] = len(rewards)
    if rs:
        m["final_reward_frames"] = rs[-1][1]
    if target is not None:
        hit_s = next((e for e in rs if e[2] >= target), None)
        hit_t = next((e for e in rt if e[2] >= target), None)
        hit = hit_s or hit_t
        m["reached"] = hit is not None
        if hit is not None:
            m["wall_to_target_s"] = hit[0] - t_launch
            m["reward_at_hit"] = hit[2]
        if hit_s is not None:
            m["frames_to_target"] = hit_s[1]
        if hit_t is not None:
            m["train_s_to_target"] = float(hit_t[1])
    if fps:
        m["frames_total"] = fps[-1][1]
        m["first_epoch_end_s"] = min(e[0] for e in fps) - t_launch
        steady = fps[1:] if len(fps) > 1 else fps
        if skip_frames > 0:
            steady = [e for e in fps if e[1] > skip_frames] or fps[-1:]
        m["sps_median"] = statistics.median(v for _, _, v in steady)
        vals = sorted(v for _, _, v in steady)
        m["sps_p10"] = vals[len(vals) // 10]
        m["n_epochs_logged"] = len(fps)
        if len(steady) >= 2:
            # frames logged at epoch k cover epochs up to k (discrete) or k-1 (continuous):
            # the difference between two points is the frames in between either way.
            w0, f0 = steady[0][0], steady[0][1]
            w1, f1 = steady[-1][0], steady[-1][1]
            if w1 > w0:
                m["e2e_sps"] = (f1 - f0) / (w1 - w0)
    return m


def _children_cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _run_proc(cmd: list[str], log_path: str, timeout: float, env: dict) -> dict:
    """Run one training process; also measure how busy the rest of the host was meanwhile.

    other_load = CPU seconds used by everything else on the machine / (wall x cores). On a shared
    2-core box anything above ~0.1 means the timings are contaminated (oversubscribed torch/envpool
    threads stall for whole time slices); rerun when the host is quiet.
    """
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    busy0, child0, load0 = cpu_busy_s(), _children_cpu_s(), os.getloadavg()[0]
    print(f"  $ {' '.join(shlex.quote(c) for c in cmd)}", flush=True)
    with open(log_path, "w") as log:
        log.write("# " + " ".join(shlex.quote(c) for c in cmd) + "\n")
        log.flush()
        t0 = time.time()
        proc = subprocess.Popen(
            cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        timed_out = False
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                rc = proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                rc = proc.wait()
        t1 = time.time()
    busy1, child1, load1 = cpu_busy_s(), _children_cpu_s(), os.getloadavg()[0]
    res = {
        "cmd": cmd,
        "log": log_path,
        "rc": rc,
        "timed_out": timed_out,
        "t_launch": t0,
        "process_wall_s": t1 - t0,
        "cpu_s": child1 - child0,
        "loadavg_1m": [load0, load1],
    }
    if busy0 is not None and busy1 is not None and t1 > t0:
        others = max(0.0, (busy1 - busy0) - (child1 - child0))
        res["other_load"] = others / ((t1 - t0) * (os.cpu_count() or 1))
    if rc != 0 and not timed_out:
        with open(log_path) as f:
            tail = f.read()[-1500:]
        print(f"  ! exit code {rc}; log tail:\n{tail}", flush=True)
    return res


def _ours_cmd(a, yaml_path, seed, train_dir, name, max_frames, threads, extra_sets):
    cmd = shlex.split(a.ours_cmd) + [
        "--train",
        "--file",
        yaml_path,
        "--seed",
        str(seed),
        "--set",
        f"config.train_dir={train_dir}",
        "--set",
        f"config.full_experiment_name={name}",
        "--set",
        f"torch_threads={threads}",
    ]
    if max_frames is not None:
        cmd += ["--set", f"config.max_frames={max_frames}"]
    for s in extra_sets:
        cmd += ["--set", s]
    return cmd


def _rlg_cmd(a, yaml_path, seed, train_dir, name, max_frames, threads, extra_sets, stop_score):
    cmd = [
        a.rlg_python,
        os.path.join(HERE, "run_rl_games.py"),
        "--file",
        yaml_path,
        "--seed",
        str(seed),
        "--train_dir",
        train_dir,
        "--name",
        name,
        "--threads",
        str(threads),
        "--device",
        "cpu",
    ]
    if max_frames is not None:
        cmd += ["--max_frames", str(max_frames)]
    if stop_score is not None:
        cmd += ["--stop-score", str(stop_score)]
    for s in extra_sets:
        cmd += ["--set", s]
    return cmd


def _env_sps(a, env_id, num_envs, threads, envpool_threads, out_json):
    py = sys.executable
    try:
        import envpool  # noqa: F401
    except ImportError:
        py = a.rlg_python
    cmd = [
        py,
        os.path.join(HERE, "env_sps.py"),
        "--env",
        env_id,
        "--num-envs",
        str(num_envs),
        "--threads",
        str(threads),
        "--num-threads",
        str(envpool_threads),
        "--json-out",
        out_json,
    ]
    print(f"  $ {' '.join(shlex.quote(c) for c in cmd)}", flush=True)
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        print(f"  ! env_sps failed: {r.stderr[-800:]}")
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def _sac_warmup_frames(params: dict, frames_per_epoch: int) -> int:
    """SAC: frames of the random-action warm-up, as both tools compute it (whole epochs)."""
    warm = _get(params, "config.num_warmup_frames")
    if warm is None:
        warm_epochs = int(_get(params, "config.num_warmup_steps", 1000) or 0)
    else:
        warm_epochs = -(-int(warm) // frames_per_epoch)  # ceil
    return warm_epochs * frames_per_epoch


def _versions(a) -> dict:
    v = {
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import torch

        v["torch_ours"] = torch.__version__
    except ImportError:
        pass
    if os.path.exists(a.rlg_python):
        code = (
            "import importlib.metadata as m, json; print(json.dumps({p: m.version(p) for p in "
            "('rl-games','torch','envpool','gymnasium','numpy')}))"
        )
        r = subprocess.run([a.rlg_python, "-c", code], capture_output=True, text=True)
        if r.returncode == 0:
            v["rlgames_venv"] = json.loads(r.stdout)
    try:
        v["git_head"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        pass
    return v


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def _summarise(runs: list[dict], tool: str) -> dict:
    rs = [r for r in runs if r["tool"] == tool]
    if not rs:
        return {}
    reached = [r for r in rs if r["metrics"].get("reached")]
    s = {
        "n": len(rs),
        "n_reached": len(reached),
        "wall_to_target_s": _median([r["metrics"].get("wall_to_target_s") for r in reached]),
        "train_s_to_target": _median([r["metrics"].get("train_s_to_target") for r in reached]),
        "frames_to_target": _median([r["metrics"].get("frames_to_target") for r in reached]),
        "sps_median": _median([r["metrics"].get("sps_median") for r in rs]),
        "e2e_sps": _median([r["metrics"].get("e2e_sps") for r in rs]),
        "process_wall_s": _median([r["process_wall_s"] for r in rs]),
        "best_reward": _median([r["metrics"].get("best_reward") for r in rs]),
        "final_reward": _median([r["metrics"].get("final_reward") for r in rs]),
    }
    return s


def _report(res: dict) -> str:
    target = res["target"]
    env_sps = (res.get("env_sps") or {}).get("sps_median")
    lines = []
    lines.append(
        f"### {os.path.basename(res['file'])} ({res.get('algo', 'ppo')}): {res['env_id']}, "
        f"{res['num_envs']} envs, "
        f"target {target}, frame cap {res['max_frames']}, torch threads {res['threads']}"
    )
    lines.append("")
    lines.append(
        "| tool | seed | wall to target s (primary) | train s to target (tool clock) | frames to target "
        "| best / final reward | SPS median (fps total) | e2e SPS | SPS / env SPS | process wall s | other load |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in res["runs"]:
        m = r["metrics"]
        if target is None:
            wt = "-"
        elif m.get("reached"):
            wt = _fmt(m.get("wall_to_target_s"))
        else:
            wt = f"not reached (best {_fmt(m.get('best_reward'))})"
        if r.get("timed_out"):
            wt += " [timeout]"
        if r.get("rc") not in (0, None) and not r.get("timed_out"):
            wt += f" [rc {r['rc']}]"
        if m.get("error"):
            wt += f" [{m['error']}]"
        lines.append(
            f"| {r['tool']} | {r['seed']} | {wt} | {_fmt(m.get('train_s_to_target'), 0)} | "
            f"{_fmt(m.get('frames_to_target'), 0)} | {_fmt(m.get('best_reward'))} / {_fmt(m.get('final_reward'))} | "
            f"{_fmt(m.get('sps_median'), 0)} | {_fmt(m.get('e2e_sps'), 0)} | "
            f"{_fmt(_ratio(m.get('sps_median'), env_sps), 2)} | {_fmt(r['process_wall_s'])} | "
            f"{_fmt(r.get('other_load'), 2)} |"
        )
    for tool in ("ours", "rlgames"):
        s = res["summary"].get(tool)
        if not s:
            continue
        lines.append(
            f"| **{tool} median** | {s['n_reached']}/{s['n']} reached | **{_fmt(s['wall_to_target_s'])}** | "
            f"{_fmt(s['train_s_to_target'], 0)} | {_fmt(s['frames_to_target'], 0)} | "
            f"{_fmt(s['best_reward'])} / {_fmt(s['final_reward'])} | {_fmt(s['sps_median'], 0)} | "
            f"{_fmt(s['e2e_sps'], 0)} | {_fmt(_ratio(s['sps_median'], env_sps), 2)} | {_fmt(s['process_wall_s'])} | |"
        )
    lines.append("")
    rt = res["ratios"]
    lines.append("| ratio | value |")
    lines.append("|---|---|")
    lines.append(
        f"| wall to target, ours / rl-games (primary; < 1 is better) | {_fmt(rt.get('wall_to_target'), 2)} "
        f"(speedup {_fmt(_ratio(1.0, rt.get('wall_to_target')) if rt.get('wall_to_target') else None, 2)}x) |"
    )
    lines.append(f"| frames to target, ours / rl-games | {_fmt(rt.get('frames_to_target'), 2)} |")
    lines.append(f"| SPS (fps total), ours / rl-games | {_fmt(rt.get('sps'), 2)} |")
    lines.append(f"| e2e SPS, ours / rl-games | {_fmt(rt.get('e2e_sps'), 2)} |")
    lines.append(f"| ours SPS / raw env SPS | {_fmt(rt.get('ours_sps_over_env'), 2)} |")
    lines.append(f"| rl-games SPS / raw env SPS | {_fmt(rt.get('rlg_sps_over_env'), 2)} |")
    lines.append(f"| process wall, ours / rl-games | {_fmt(rt.get('process_wall'), 2)} |")
    lines.append("")
    lines.append(f"Raw envpool SPS (random actions, {res['num_envs']} envs): {_fmt(env_sps, 0)}")
    lines.append("")
    lines.append(
        "other load = CPU used by other processes / (wall x cores) during the run; above ~0.1 the "
        "host was shared and the timings are contaminated."
    )
    return "\n".join(lines)


def _ratios(res: dict) -> dict:
    o, t = res["summary"].get("ours", {}), res["summary"].get("rlgames", {})
    env_sps = (res.get("env_sps") or {}).get("sps_median")
    return {
        "wall_to_target": _ratio(o.get("wall_to_target_s"), t.get("wall_to_target_s")),
        "frames_to_target": _ratio(o.get("frames_to_target"), t.get("frames_to_target")),
        "sps": _ratio(o.get("sps_median"), t.get("sps_median")),
        "e2e_sps": _ratio(o.get("e2e_sps"), t.get("e2e_sps")),
        "process_wall": _ratio(o.get("process_wall_s"), t.get("process_wall_s")),
        "ours_sps_over_env": _ratio(o.get("sps_median"), env_sps),
        "rlg_sps_over_env": _ratio(t.get("sps_median"), env_sps),
    }


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------
def main() -> int:
    a = _parse()
    if a.reuse:
        with open(a.reuse) as f:
            res = json.load(f)
        res["summary"] = {t: _summarise(res["runs"], t) for t in ("ours", "rlgames")}
        res["ratios"] = _ratios(res)
        print(_report(res))
        return 0

    if not a.file:
        print("--file is required (unless --reuse)", file=sys.stderr)
        return 2
    yaml_path = os.path.abspath(a.file)
    with open(yaml_path) as f:
        cfg = yaml.safe_load(f)
    params = cfg["params"]
    if _get(params, "config.env_name") != "envpool":
        print(
            "compare.py expects an envpool config (config.env_name: envpool): rl-games 1.6.5 needs Ray "
            "for gym/gymnasium envs.",
            file=sys.stderr,
        )
        return 2
    env_id = _get(params, "config.env_config.env_name")
    num_envs = int(_get(params, "config.num_actors", 16))
    horizon = int(_get(params, "config.horizon_length", 32))
    target = a.target if a.target is not None else _get(params, "config.score_to_win")
    target = float(target) if target is not None else None
    max_frames = a.max_frames if a.max_frames is not None else _get(params, "config.max_frames")
    threads = a.threads or os.cpu_count() or 1
    envpool_threads = int(_get(params, "config.env_config.num_threads", 0) or 0)
    algo = str(_get(params, "algo.name", "a2c"))
    skip_frames = 0
    if algo == "sac":  # an epoch is num_steps_per_episode env steps
        horizon = int(_get(params, "config.num_steps_per_episode", 1) or 1)
        skip_frames = _sac_warmup_frames(params, num_envs * horizon)

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = os.path.splitext(os.path.basename(yaml_path))[0] + (f"_{a.tag}" if a.tag else "")
    out_dir = os.path.abspath(a.out_dir)
    run_root = os.path.join(out_dir, "runs", f"{stamp}_{stem}")
    train_dir = os.path.join(run_root, "train")
    os.makedirs(train_dir, exist_ok=True)

    env = dict(os.environ)
    env.update(
        {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1"}
    )
    env.pop("CUDA_VISIBLE_DEVICES", None)

    tools = ["ours", "rlgames"] if a.only == "both" else [a.only]
    if "rlgames" in tools and not os.path.exists(a.rlg_python):
        print(
            f"{a.rlg_python} not found: run benchmarks/setup_rl_games_venv.sh first",
            file=sys.stderr,
        )
        return 2
    ours_sets = a.sets + a.ours_set
    rlg_sets = a.sets + a.rlg_set

    print(
        f"compare: {yaml_path} env={env_id} num_envs={num_envs} target={target} max_frames={max_frames} "
        f"threads={threads} seeds={a.seeds}\n  results under {run_root}",
        flush=True,
    )

    # Warm-up: fill the torch.compile / inductor caches so a cold cache (~20-30 s on this CPU)
    # does not land on whichever tool happens to run first. Untimed.
    if not a.no_warmup:
        wf = a.warmup_frames or 3 * num_envs * horizon
        if algo == "sac" and not a.warmup_frames:
            wf = skip_frames + 50 * num_envs * horizon
        for tool in tools:
            name = f"warmup_{tool}"
            print(f"[warmup] {tool} ({wf} frames)", flush=True)
            if tool == "ours":
                cmd = _ours_cmd(a, yaml_path, a.seeds[0], train_dir, name, wf, threads, ours_sets)
            else:
                cmd = _rlg_cmd(
                    a, yaml_path, a.seeds[0], train_dir, name, wf, threads, rlg_sets, None
                )
            _run_proc(cmd, os.path.join(run_root, "logs", name + ".log"), min(a.timeout, 600), env)

    runs = []
    for seed in a.seeds:
        order = tools if seed % 2 == 1 else list(reversed(tools))
        for tool in order:
            name = f"{stem}_{tool}_s{seed}"
            print(f"[run] {tool} seed {seed}", flush=True)
            if tool == "ours":
                cmd = _ours_cmd(a, yaml_path, seed, train_dir, name, max_frames, threads, ours_sets)
            else:
                stop = target if a.rlg_stop_at_target else None
                cmd = _rlg_cmd(
                    a, yaml_path, seed, train_dir, name, max_frames, threads, rlg_sets, stop
                )
            r = _run_proc(cmd, os.path.join(run_root, "logs", name + ".log"), a.timeout, env)
            r.update({"tool": tool, "seed": seed, "name": name})
            summ = _find_summaries(train_dir, name)
            r["summaries"] = summ
            if summ is None:
                r["metrics"] = {"error": "no TB summaries"}
            else:
                try:
                    r["metrics"] = _metrics(_read_scalars(summ), target, r["t_launch"], skip_frames)
                except Exception as e:  # noqa: BLE001 - report and keep going
                    r["metrics"] = {"error": f"TB read failed: {e}"}
            missing = [
                t
                for t in (TAG_REWARD_TIME, TAG_REWARD_STEP, TAG_FPS)
                if t not in r["metrics"].get("tags", [])
            ]
            if missing and summ is not None:
                r["metrics"]["missing_tags"] = missing
                print(f"  ! missing TB tags {missing}", flush=True)
            m = r["metrics"]
            print(
                f"  -> rc={r['rc']} wall={r['process_wall_s']:.1f}s reached={m.get('reached')} "
                f"wall_to_target={_fmt(m.get('wall_to_target_s'))} frames_to_target={m.get('frames_to_target')} "
                f"best={_fmt(m.get('best_reward'))} sps={_fmt(m.get('sps_median'), 0)} "
                f"other_load={_fmt(r.get('other_load'), 2)}",
                flush=True,
            )
            runs.append(r)

    env_sps = None
    if not a.no_env_sps and env_id:
        print(f"[env_sps] {env_id} x {num_envs}", flush=True)
        env_sps = _env_sps(
            a, env_id, num_envs, threads, envpool_threads, os.path.join(run_root, "env_sps.json")
        )

    res = {
        "file": yaml_path,
        "env_id": env_id,
        "algo": algo,
        "sps_skip_frames": skip_frames,
        "num_envs": num_envs,
        "target": target,
        "max_frames": max_frames,
        "threads": threads,
        "seeds": a.seeds,
        "stamp": stamp,
        "versions": _versions(a),
        "runs": runs,
        "env_sps": env_sps,
    }
    res["summary"] = {t: _summarise(runs, t) for t in ("ours", "rlgames")}
    res["ratios"] = _ratios(res)
    md = _report(res)
    print()
    print(md)
    base = os.path.join(out_dir, f"{stamp}_{stem}")
    with open(base + ".json", "w") as f:
        json.dump(res, f, indent=1, default=str)
    with open(base + ".md", "w") as f:
        f.write(md + "\n")
    print(f"\nwrote {base}.json and {base}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
