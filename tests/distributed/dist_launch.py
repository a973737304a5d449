"""Helpers for the torchrun tests: launch real ``torchrun`` jobs of ``runner.py`` and read back
their progress lines and the per-rank state dumps (``RL_GAMES_TEST_DUMP_DIR``)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import torch
from conftest import REPO

PROGRESS = re.compile(r"^epoch (\d+)(?:/\d+)? \| frames (\d+)(?:/\d+)? \| reward (\S+)", re.M)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def job_env(dump_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONWARNINGS": "ignore",
        "WANDB_MODE": "offline",
        "OMP_NUM_THREADS": "1",
        "RL_GAMES_TEST_DUMP_DIR": str(dump_dir),
    }
    env.update(extra)
    return env


def torchrun_cmd(launch: list[str], cfg: Path, sets: list[str]) -> list[str]:
    """``python -m torch.distributed.run <launch> runner.py --train --file cfg --set ...``."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--max-restarts=0", *launch]
    cmd += [str(REPO / "runner.py"), "--train", "--file", str(cfg)]
    for item in sets:
        cmd += ["--set", item]
    return cmd


def standalone(nproc: int) -> list[str]:
    return ["--standalone", f"--nproc_per_node={nproc}"]


def node(rank: int, nnodes: int, port: int) -> list[str]:
    """One 'node' of a static multi-node job on localhost."""
    return [
        f"--nnodes={nnodes}",
        f"--node_rank={rank}",
        "--nproc_per_node=1",
        f"--rdzv_endpoint=127.0.0.1:{port}",
    ]


def run_sets(tmp_path: Path, *extra: str) -> list[str]:
    return [f"config.train_dir={tmp_path / 'runs'}", "config.full_experiment_name=run", *extra]


def run_job(cmd: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd,
        cwd=str(REPO),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def progress(out: str) -> list[tuple[int, int, float | None]]:
    """(epoch, frames, mean reward) of every progress line (rank 0 prints them)."""
    rows = []
    for ep, frames, rew in PROGRESS.findall(out):
        rows.append((int(ep), int(frames), None if rew == "-" else float(rew)))
    return rows


def load_dumps(dump_dir: Path, world_size: int) -> list[dict]:
    paths = [dump_dir / f"rank{r}.pt" for r in range(world_size)]
    missing = [str(p) for p in paths if not p.is_file()]
    assert not missing, f"missing rank dumps: {missing}"
    return [torch.load(p, weights_only=False) for p in paths]


def assert_bitwise_identical(states: list[dict]) -> None:
    """Same keys, same scalars, tensors equal bit for bit (NaN-safe: compares raw bytes)."""
    ref = states[0]
    for rank, other in enumerate(states[1:], start=1):
        assert set(other) == set(ref), f"rank {rank} keys differ"
        for key, value in ref.items():
            if isinstance(value, torch.Tensor):
                a = value.contiguous().reshape(-1).view(torch.uint8)
                b = other[key].contiguous().reshape(-1).view(torch.uint8)
                assert value.dtype == other[key].dtype and torch.equal(a, b), f"{key} differs"
            else:
                assert value == other[key], f"{key}: {value} != {other[key]}"


def worker_pids(parent: int) -> list[int]:
    """Children of a torchrun process, from /proc (Linux)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            out.append(int(entry.name))
    return out


def rank_of(pid: int) -> int | None:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    for item in environ:
        if item.startswith(b"RANK="):
            return int(item[5:])
    return None


def wait_for_line(proc: subprocess.Popen, prefix: str, timeout: float) -> list[str]:
    """Read stdout until a line starts with ``prefix``; returns the lines read."""
    assert proc.stdout is not None
    deadline, lines = time.time() + timeout, []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith(prefix) or time.time() > deadline:
            break
    return lines


def signal_rank(torchrun_pid: int, rank: int, sig: int = signal.SIGKILL) -> int:
    """Send ``sig`` to the worker of ``rank``; returns its pid."""
    for pid in worker_pids(torchrun_pid):
        if rank_of(pid) == rank:
            os.kill(pid, sig)
            return pid
    raise AssertionError(f"no worker with RANK={rank} under pid {torchrun_pid}")
