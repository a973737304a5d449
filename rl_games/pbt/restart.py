"""A PBT restart through our own CLI: the member's command line, with the leader's checkpoint
and the new hyperparameters, replaces the running process (``os.execv``).

``python runner.py --train --file cfg.yaml --set pbt.policy_idx=2 ...`` becomes
``python runner.py --train --file cfg.yaml --set pbt.policy_idx=2 ... --checkpoint <copy>
--set config.learning_rate=0.00031 --set config.full_experiment_name=<its run dir>``: earlier
``--checkpoint`` and ``--set`` of the same paths are dropped, everything else is kept.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["build_restart_argv", "command_for", "exec_restart"]

_CHECKPOINT_FLAGS = ("--checkpoint", "-c")


def _set_path(item: str) -> str:
    return item.partition("=")[0].strip()


def build_restart_argv(argv: Sequence[str], checkpoint: str, sets: Mapping[str, Any]) -> list[str]:
    """``argv`` (``sys.argv[1:]`` of the CLI) without its ``--checkpoint`` and without the
    ``--set`` of any path in ``sets``; then ``--checkpoint checkpoint`` and ``--set
    path=value`` for each of ``sets`` (values written so YAML reads them back unchanged)."""
    out: list[str] = []
    skip = False
    args = list(argv)
    for i, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg in _CHECKPOINT_FLAGS:
            skip = True
            continue
        if any(arg.startswith(f"{flag}=") for flag in _CHECKPOINT_FLAGS):
            continue
        if arg == "--set" and i + 1 < len(args) and _set_path(args[i + 1]) in sets:
            skip = True
            continue
        if arg.startswith("--set=") and _set_path(arg[len("--set=") :]) in sets:
            continue
        out.append(arg)
    out += ["--checkpoint", str(checkpoint)]
    for path, value in sets.items():
        out += ["--set", f"{path}={_yaml_scalar(value)}"]
    return out


def _yaml_scalar(value: Any) -> str:
    """repr of a float keeps every digit and reads back as the same float in YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def command_for(argv0: str, launcher: str = "") -> list[str]:
    """The program part: ``[python, runner.py]`` for a script, ``[python, -m, rl_games.cli]``
    when the CLI module itself was run (``python -m rl_games.cli``)."""
    exe = launcher or sys.executable
    norm = os.path.normpath(argv0)
    if norm.endswith(os.path.join("rl_games", "cli.py")) or argv0 in ("-m", "-c", ""):
        return [exe, "-m", "rl_games.cli"]
    return [exe, argv0]


def exec_restart(algo: Any, command: list[str]) -> None:
    """Flush and close the TensorBoard writer, close the env, flush logs and replace this
    process with ``command`` (same pid: a launcher waiting on it keeps waiting)."""
    for what, close in (("writer", getattr(algo, "writer", None)), ("env", algo.env)):
        try:
            if close is not None:
                close.close()
        except Exception as exc:  # a failing close must not stop the restart
            log.warning("PBT restart: closing the %s failed: %s", what, exc)
    _continue_wandb()
    log.info("PBT restart: %s", " ".join(command))
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)


def _continue_wandb() -> None:
    """A W&B run (``--track``) goes on in the restarted process under the same run id."""
    wandb = sys.modules.get("wandb")
    run = getattr(wandb, "run", None) if wandb is not None else None
    if run is None:
        return
    os.environ["WANDB_RUN_ID"] = run.id
    os.environ.setdefault("WANDB_RESUME", "allow")
    run.finish()
