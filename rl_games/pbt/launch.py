"""Start a population on one machine: one training process per member.

    python -m rl_games.pbt.launch --file cfg.yaml --num-policies 4 [--directory DIR]
        [--set path=value ...] [--member-set IDX:path=value ...] [--seed N]

Member ``i`` runs ``python -m rl_games.cli --train --file cfg.yaml --set pbt.enabled=true
--set pbt.num_policies=N --set pbt.policy_idx=i --set pbt.directory=DIR
--set config.train_dir=DIR/runs --set config.full_experiment_name=<name>_pbt<i> --set seed=N+i
[--set ...]`` with its output in ``DIR/logs/member_<i>.log``. A member that exits (its score
reached, an error) leaves the others running; a restart keeps its pid (``os.execv``). Ctrl-C or
SIGTERM: every member gets SIGINT (each saves a last checkpoint), then SIGKILL after
``--grace`` seconds. The exit code is 0 when every member exited with 0.
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("rl_games.pbt.launch")

__all__ = ["main", "member_command"]


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m rl_games.pbt.launch", description=__doc__)
    ap.add_argument("-f", "--file", required=True, help="the YAML config with a params.pbt block")
    ap.add_argument("-n", "--num-policies", type=int, required=True, help="population size")
    ap.add_argument("--directory", default=None, help="shared directory (default pbt_<name>)")
    ap.add_argument("--seed", type=int, default=None, help="member i gets seed + i")
    ap.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="all")
    ap.add_argument(
        "--member-set",
        action="append",
        default=[],
        metavar="IDX:PATH=VALUE",
        help="for one member, e.g. 2:config.learning_rate=1e-6",
    )
    ap.add_argument("--grace", type=float, default=30.0, help="seconds to stop after Ctrl-C")
    return ap


def member_command(args: argparse.Namespace, idx: int, name: str, directory: Path) -> list[str]:
    """The CLI command line of member ``idx``."""
    sets = [
        "pbt.enabled=true",
        f"pbt.num_policies={args.num_policies}",
        f"pbt.policy_idx={idx}",
        f"pbt.directory={directory.resolve()}",
        f"config.train_dir={(directory / 'runs').resolve()}",
        f"config.full_experiment_name={name}_pbt{idx}",
    ]
    if args.seed is not None:
        sets.append(f"seed={args.seed + idx}")
    sets += args.set
    for item in args.member_set:
        who, sep, rest = item.partition(":")
        if not sep or not who.isdigit():
            raise SystemExit(f"--member-set {item!r}: expected IDX:path=value")
        if int(who) == idx:
            sets.append(rest)
    out = [sys.executable, "-m", "rl_games.cli", "--train", "--file", str(args.file)]
    for item in sets:
        out += ["--set", item]
    return out


def _config_name(path: str) -> str:
    from rl_games.config import load_yaml

    config = (load_yaml(path).get("params") or {}).get("config") or {}
    return str(config.get("name") or Path(path).stem)


def _stop_all(procs: dict[int, subprocess.Popen], grace: float) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + grace
    for proc in procs.values():
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait(procs: dict[int, subprocess.Popen]) -> dict[int, int]:
    codes: dict[int, int] = {}
    while len(codes) < len(procs):
        for idx, proc in procs.items():
            if idx not in codes and proc.poll() is not None:
                codes[idx] = proc.returncode
                level = logging.INFO if proc.returncode == 0 else logging.WARNING
                log.log(level, "member %d exited with %d", idx, proc.returncode)
        time.sleep(0.5)
    return codes


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    name = _config_name(args.file)
    directory = Path(args.directory or f"pbt_{name}")
    (directory / "logs").mkdir(parents=True, exist_ok=True)
    procs: dict[int, subprocess.Popen] = {}
    logs: list[Any] = []
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        for idx in range(args.num_policies):
            fh = open(directory / "logs" / f"member_{idx}.log", "ab")  # noqa: SIM115
            logs.append(fh)
            cmd = member_command(args, idx, name, directory)
            procs[idx] = subprocess.Popen(
                cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
            )
            log.info("member %d: pid %d, log %s", idx, procs[idx].pid, fh.name)
        codes = _wait(procs)
    except KeyboardInterrupt:
        log.warning("stopping the population (SIGINT to every member)")
        _stop_all(procs, args.grace)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        for fh in logs:
            fh.close()
    return 0 if all(c == 0 for c in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
