"""The measurements of ``benchmarks/gpu_check.py``, one function per kind of run.

Each takes a job dict and returns a JSON-able dict; ``python benchmarks/gpu_check_runs.py KIND
JOB_JSON PROGRESS_FILE`` runs one in a fresh process (fresh dynamo / CUDA-graph state) and prints
its result as the last stdout line. A run also rewrites PROGRESS_FILE with what it has so far, so
a run killed by its timeout still reports its epochs.

- ``ppo``: PPO on TorchCartPole-v1 (configs/ppo_cartpole_torch.yaml) at ``num_envs`` with one
  ``torch_compile`` mode: median epoch SPS, first epoch (compile) time, time and frames to a
  mean reward of ``target`` (wall seconds from ``Runner.load``, so env build and compile count).
- ``sac``: SAC (configs/sac_pendulum.yaml) on TorchPendulum-v1: env frames/s after the random
  warm-up.
- ``mjlab``: PPO with the central value on mjlab's Go1 velocity task (rl_games 2.0's config).
- ``syncs``: host reads (tests/host_syncs.py, any device) and, on CUDA, synchronizing CUDA
  calls (``torch.cuda.set_sync_debug_mode``) per PPO epoch, for several horizons.
"""

from __future__ import annotations

import collections
import importlib.util
import json
import math
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))  # the host-read counter the tests use

from host_syncs import HostReadCounter  # noqa: E402  (tests/host_syncs.py)

CARTPOLE_YAML = REPO / "configs" / "ppo_cartpole_torch.yaml"
SAC_YAML = REPO / "configs" / "sac_pendulum.yaml"
MJLAB_YAML = REPO / "tests" / "data" / "client_configs" / "mjlab" / "ppo_go1_velocity.yaml"
MJLAB_INSTALL = "pip install -c constraints.txt '.[mjlab]'"


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _common_sets(device: str, name: str) -> list[str]:
    return [
        f"config.device={device}",
        f"config.train_dir={tempfile.mkdtemp(prefix='gpu_check_')}",
        f"config.full_experiment_name={name}",
        "config.print_stats=False",
        "config.save_frequency=0",
        "config.save_best_after=1000000000",
    ]


def _train(doc: dict, sets: list[str], stop_fn: Callable[[Any], bool]) -> Any:
    """Train through the real Runner; returns the agent."""
    from rl_games.runner import Runner

    runner = Runner()
    runner.load(doc, sets)
    runner.run({"train": True, "stop_fn": stop_fn})
    return runner.agent


def _compile_status(agent: Any, mode: str) -> str:
    """'eager', 'compiled' or why the run fell back to eager."""
    from rl_games.training import compile as C

    if mode == "eager":
        return "eager"
    if all(C.is_compiled(agent.model, name) for name in C.hot_methods(agent.model)):
        return "compiled"
    return "fell back to eager: " + (", ".join(sorted(C._warned)) or "not compiled")


def _peak_gib(device: str) -> float | None:
    if not device.startswith("cuda"):
        return None
    return round(torch.cuda.max_memory_allocated() / 2**30, 2)


class EpochClock:
    """A ``stop_fn``: stamps every epoch end, writes progress, stops after ``cap_s`` seconds
    past the first epoch, after ``epochs`` epochs (if given), or once ``target`` is reached and
    ``min_epochs`` epochs are timed."""

    def __init__(self, job: dict[str, Any], progress: Path | None) -> None:
        self.job, self.progress = job, progress
        self.t0 = time.perf_counter()
        self.stamps: list[tuple[float, int, float | None]] = []  # (s since t0, frame, reward)
        self.reached: tuple[float, int] | None = None

    def __call__(self, agent: Any) -> bool:
        _sync(self.job["device"])
        now = time.perf_counter() - self.t0
        reward = agent.mean_rewards
        reward = float(reward) if reward is not None and math.isfinite(reward) else None
        self.stamps.append((now, int(agent.frame), reward))
        target = self.job.get("target")
        if self.reached is None and target is not None and reward is not None:
            if reward >= target:
                self.reached = (round(now, 2), int(agent.frame))
        if self.progress is not None:  # replaced whole: a kill never leaves half a file
            tmp = self.progress.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.summary(agent.batch_size)))
            tmp.replace(self.progress)
        timed = len(self.stamps) - 1
        if now - self.stamps[0][0] >= self.job["cap_s"]:
            return True
        if len(self.stamps) >= self.job.get("epochs", math.inf):
            return True
        return self.reached is not None and timed >= self.job["min_epochs"]

    def summary(self, frames_per_epoch: int) -> dict[str, Any]:
        times = [b[0] - a[0] for a, b in zip(self.stamps, self.stamps[1:], strict=False)]
        rewards = [r for _, _, r in self.stamps if r is not None]
        out: dict[str, Any] = {
            "epochs": len(self.stamps),
            "first_epoch_s": round(self.stamps[0][0], 2) if self.stamps else None,
            "sps": frames_per_epoch / statistics.median(times) if times else None,
            "frames_per_epoch": frames_per_epoch,
            "best_reward": round(max(rewards), 1) if rewards else None,
            "last_reward": round(rewards[-1], 1) if rewards else None,
            "time_to_target_s": self.reached[0] if self.reached else None,
            "frames_to_target": self.reached[1] if self.reached else None,
            "wall_s": round(self.stamps[-1][0], 2) if self.stamps else None,
        }
        return out


def ppo(job: dict[str, Any], progress: Path | None = None) -> dict[str, Any]:
    """TorchCartPole-v1 PPO at ``num_envs`` with ``mode`` (eager or a torch_compile mode)."""
    n, horizon, mode = job["num_envs"], job["horizon"], job["mode"]
    sets = [
        *_common_sets(job["device"], f"ppo_{n}_{mode}"),
        f"config.num_actors={n}",
        f"config.horizon_length={horizon}",
        f"config.minibatch_size={n * horizon // job['minibatches']}",
        f"config.torch_compile={'False' if mode == 'eager' else mode}",
        "config.score_to_win=1e9",  # stop_fn decides; 475 is only recorded
        "config.max_frames=0",
    ]
    clock = EpochClock(job, progress)
    agent = _train(yaml.safe_load(CARTPOLE_YAML.read_text()), sets, clock)
    return {
        **clock.summary(agent.batch_size),
        "compile": _compile_status(agent, mode),
        "peak_gib": _peak_gib(job["device"]),
    }


def _sac_doc(job: dict[str, Any]) -> dict:
    doc = yaml.safe_load(SAC_YAML.read_text())
    cfg = doc["params"]["config"]
    cfg.pop("env_config", None)
    cfg.pop("utd_ratio", None)
    cfg.update(
        env_name="TorchPendulum-v1",
        num_actors=job["num_envs"],
        batch_size=job["batch_size"],
        num_updates_per_step=job["updates_per_step"],
        num_warmup_frames=job["warmup_frames"],
        score_to_win=1e9,
        max_frames=0,
    )
    return doc


def sac(job: dict[str, Any], progress: Path | None = None) -> dict[str, Any]:
    """SAC env frames/s after the warm-up (no per-epoch sync: the clock reads host time only)."""
    stamps: list[tuple[float, int]] = []
    t0 = time.perf_counter()
    first: list[float] = []  # end of the first epoch (the cap counts from there)

    def on_epoch(agent: Any) -> bool:
        now = time.perf_counter() - t0
        if not first:
            first.append(now)
        if agent.epoch_num > agent.warmup_epochs + job["skip_epochs"]:
            stamps.append((now, int(agent.frame)))
        return now - first[0] >= job["cap_s"]

    agent = _train(_sac_doc(job), _common_sets(job["device"], "sac"), on_epoch)
    _sync(job["device"])
    end = (time.perf_counter() - t0, int(agent.frame))
    out: dict[str, Any] = {
        "warmup_epochs": agent.warmup_epochs,
        "first_epoch_s": round(first[0], 2) if first else None,
        "wall_s": round(end[0], 2),
    }
    if stamps and end[0] > stamps[0][0]:
        frames, secs = end[1] - stamps[0][1], end[0] - stamps[0][0]
        out["sps"] = frames / secs
        out["updates_per_s"] = frames / agent.num_actors * job["updates_per_step"] / secs
        out["timed_frames"] = frames
    mean = agent.mean_rewards
    out["last_reward"] = None if mean is None or math.isnan(mean) else round(mean, 1)
    out["peak_gib"] = _peak_gib(job["device"])
    return out


def mjlab(job: dict[str, Any], progress: Path | None = None) -> dict[str, Any]:
    """rl_games 2.0's mjlab Go1 velocity config (central value) at ``num_envs``."""
    if importlib.util.find_spec("mjlab") is None:
        return {"skipped": f"mjlab is not installed ({MJLAB_INSTALL})"}
    n, horizon = job["num_envs"], job["horizon"]
    minibatch = n * horizon // job["minibatches"]
    sets = [
        *_common_sets(job["device"], "mjlab_go1"),
        f"config.env_config.device={job['device']}",
        f"config.num_actors={n}",
        f"config.horizon_length={horizon}",
        f"config.minibatch_size={minibatch}",
        f"config.central_value_config.minibatch_size={minibatch}",
    ]
    clock = EpochClock(job, progress)
    agent = _train(yaml.safe_load(MJLAB_YAML.read_text()), sets, clock)
    return {**clock.summary(agent.batch_size), "peak_gib": _peak_gib(job["device"])}


class CudaSyncCounter:
    """Counts the CUDA runtime's synchronizing calls (``set_sync_debug_mode("warn")`` warnings)."""

    MESSAGE = "synchronizing CUDA operation"

    def __init__(self) -> None:
        self.where: collections.Counter[str] = collections.Counter()
        self.records: list[warnings.WarningMessage] = []
        self._catch = warnings.catch_warnings(record=True)
        self._mode = 0

    def total(self) -> int:
        """Synchronizing calls so far."""
        self.where.update(
            f"{os.path.basename(w.filename)}:{w.lineno}"
            for w in self.records
            if self.MESSAGE in str(w.message)
        )
        self.records.clear()  # the list catch_warnings appends to
        return sum(self.where.values())

    def __enter__(self) -> CudaSyncCounter:
        self.records = self._catch.__enter__()
        warnings.simplefilter("always")
        self._mode = torch.cuda.get_sync_debug_mode()
        torch.cuda.set_sync_debug_mode("warn")
        return self

    def __exit__(self, *exc: Any) -> None:
        torch.cuda.set_sync_debug_mode(self._mode)
        self.total()
        self._catch.__exit__(*exc)


def _short(where: str) -> str:
    """``.../rl_games/x/y.py:12`` -> ``rl_games/x/y.py:12``."""
    parts = where.split(os.sep)
    return os.sep.join(parts[parts.index("rl_games") :]) if "rl_games" in parts else parts[-1]


def _count_epochs(job: dict[str, Any], horizon: int) -> dict[str, Any]:
    """Per-epoch host reads (and CUDA sync calls) of eager PPO with ``horizon``."""
    n = job["num_envs"]
    sets = [
        *_common_sets(job["device"], f"syncs_{horizon}"),
        f"config.num_actors={n}",
        f"config.horizon_length={horizon}",
        f"config.minibatch_size={n * horizon // 4}",
        f"config.max_epochs={job['epochs'] + 1}",  # the last epoch ends without stop_fn
        "config.torch_compile=False",
        "config.max_frames=0",
    ]
    reads, cuda = HostReadCounter(), None
    per_epoch: list[int] = []
    cuda_per_epoch: list[int] = []

    def on_epoch(agent: Any) -> bool:
        per_epoch.append(reads.count - sum(per_epoch))
        if cuda is not None:
            cuda_per_epoch.append(cuda.total() - sum(cuda_per_epoch))
        return False

    doc = yaml.safe_load(CARTPOLE_YAML.read_text())
    if job["device"].startswith("cuda"):
        cuda = CudaSyncCounter()
        with cuda, reads:
            _train(doc, sets, on_epoch)
    else:
        with reads:
            _train(doc, sets, on_epoch)
    where = collections.Counter(f"{r.what} @ {_short(r.where)}" for r in reads.reads)
    where = where.most_common(8)
    out = {"horizon": horizon, "reads": per_epoch, "where": where}
    if cuda is not None:
        out.update(cuda_syncs=cuda_per_epoch, cuda_where=cuda.where.most_common(8))
    return out


def syncs(job: dict[str, Any], progress: Path | None = None) -> dict[str, Any]:
    """Host reads per PPO epoch at each horizon in ``job['horizons']``."""
    return {"runs": [_count_epochs(job, h) for h in job["horizons"]]}


KINDS: dict[str, Callable[[dict[str, Any], Path | None], dict[str, Any]]] = {
    "ppo": ppo,
    "sac": sac,
    "mjlab": mjlab,
    "syncs": syncs,
}


def main(argv: list[str]) -> int:
    kind, job = argv[0], json.loads(argv[1])
    progress = Path(argv[2]) if len(argv) > 2 else None
    torch.set_num_threads(job.get("threads", 1))
    result = KINDS[kind](job, progress)
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
