"""Command line: ``python runner.py --train|--play|--check|--export onnx --file cfg.yaml [...]``."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from typing import Any

import yaml

from rl_games.training.console import ConsoleFormatter

log = logging.getLogger("rl_games")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="runner.py",
        description="Train or play rl_games-compatible YAML configs (PPO, SAC, central value).",
    )
    ap.add_argument(
        "-f", "--file", required=True, help="YAML config with a top-level 'params' block"
    )
    ap.add_argument("-t", "--train", action="store_true", help="train (the default)")
    ap.add_argument("-p", "--play", action="store_true", help="play a checkpoint")
    ap.add_argument("-c", "--checkpoint", default=None, help="checkpoint to resume from or to play")
    ap.add_argument(
        "--seed", type=int, default=None, help="seed (0 is a valid seed); also env seed"
    )
    ap.add_argument("-na", "--num_actors", type=int, default=0, help="override config.num_actors")
    ap.add_argument("-s", "--sigma", type=float, default=None, help="set a fixed sigma (log-std)")
    ap.add_argument(
        "--track",
        nargs="?",
        const=True,
        default=False,
        type=_strtobool,
        help="log to Weights & Biases (tensorboard synced)",
    )
    ap.add_argument("--wandb-project-name", default="rl_games", help="W&B project")
    ap.add_argument("--wandb-entity", default=None, help="W&B entity")
    ap.add_argument(
        "--check",
        action="store_true",
        help="validate the config, print the resolved config and exit (0 ok, 2 errors)",
    )
    ap.add_argument(
        "--export",
        choices=("onnx",),
        default=None,
        help="export the --checkpoint policy to --output (no env is created) and exit",
    )
    ap.add_argument("-o", "--output", default=None, help="output file of --export")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a key relative to params, e.g. --set config.learning_rate=1e-3",
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help="run training under torch.profiler: log the top-10 ops by self CPU time and write "
        "a Chrome trace, profile_trace.json, into the run directory (use a few epochs)",
    )
    ap.add_argument("-tf", "--tf", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    return ap


def _strtobool(text: str) -> bool:
    low = str(text).lower()
    if low in ("1", "true", "yes", "y", "on"):
        return True
    if low in ("0", "false", "no", "n", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected a boolean, got {text!r}")


def setup_logging(quiet: bool = False) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(ConsoleFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING if quiet else logging.INFO)


def cli_overrides(args: argparse.Namespace) -> list[str]:
    sets = list(args.set)
    if args.seed is not None:
        sets += [f"seed={args.seed}", f"config.env_config.seed={args.seed}"]
    if args.num_actors > 0:
        sets.append(f"config.num_actors={args.num_actors}")
    return sets


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.quiet)
    from rl_games.config import ConfigError, load_yaml
    from rl_games.registry import RegistryError
    from rl_games.runner import Runner

    try:
        doc = load_yaml(args.file)
        runner = Runner()
        runner.load(doc, cli_overrides(args), source=args.file)
    except ConfigError as exc:
        _report(exc)
        return 2
    if args.check:
        return _check(runner)
    if args.export:
        runner.warn_training_only("export")
        return _export(args, runner)
    run_args: dict[str, Any] = {
        "train": args.train or not args.play,
        "play": args.play,
        "checkpoint": args.checkpoint,
        "sigma": args.sigma,
        "profile": args.profile,
    }
    wandb_run = _start_wandb(args, runner) if args.track and not args.play else None
    try:
        runner.run(run_args)
    except (ConfigError, RegistryError, NotImplementedError) as exc:
        _report(exc)
        return 2
    except KeyboardInterrupt:  # play's Ctrl-C, or a third signal that aborted the final save
        what = "play" if args.play else "training (earlier checkpoints are intact)"
        log.error("interrupted: %s stopped", what)
        return 130
    except Exception as exc:  # known user-facing failures get one clean line
        from rl_games.envs.registry import EnvCreationError
        from rl_games.training.checkpoint import CheckpointError, WriteError

        if isinstance(exc, (EnvCreationError, CheckpointError, WriteError)):
            _report(exc)
            return 1
        from rl_games.training.divergence import TrainingDivergedError

        if isinstance(exc, TrainingDivergedError):  # nan/inf: exit 3 (docs/checkpoints.md)
            log.error("%s", exc)
            return exc.exit_code
        raise
    finally:
        if wandb_run is not None:
            wandb_run.finish()
        _release_env(runner)
    return 0


# Under torchrun, how long a rank other than 0 waits before exiting with a config error: rank 0
# (which prints the message) then fails first, so torchrun reports it as the root cause and does
# not stop it with SIGTERM before it has printed.
QUIET_RANK_DELAY_S = 3.0


def _report(exc: BaseException) -> None:
    """Log a user-facing error once: under torchrun every rank fails the same way (config
    errors come before the process group exists), so only rank 0 prints it; the other ranks
    exit with the same code, quietly."""
    import time

    from rl_games.training.distributed import env_ranks

    ranks = env_ranks()
    if ranks.rank == 0:
        log.error("%s", exc)
    elif ranks.world_size > 1:
        time.sleep(QUIET_RANK_DELAY_S)


def _release_env(runner: Any) -> None:
    """Close the trained agent's env and drop it now, so that native env pools (envpool's
    worker threads) shut down before the interpreter does, not during its finalization."""
    agent = getattr(runner, "agent", None)
    env = getattr(agent, "env", None)
    if env is None:
        return
    try:
        env.close()
    except Exception as exc:  # a failing close must not turn a finished run into an error
        log.warning("closing the env failed: %s", exc)
    agent.env = None
    gc.collect()


def _export(args: argparse.Namespace, runner: Any) -> int:
    from rl_games.export import ExportError, export_onnx
    from rl_games.training.checkpoint import CheckpointError, WriteError

    if not args.checkpoint or not args.output:
        log.error("--export %s needs --checkpoint ckpt.pth and --output FILE", args.export)
        return 2
    try:
        export_onnx(runner.params, args.checkpoint, args.output, check_env=True)
    except (CheckpointError, WriteError) as exc:
        log.error("%s", exc)
        return 1
    except (ExportError, NotImplementedError) as exc:
        log.error("%s", exc)
        return 2
    return 0


def _check(runner: Any) -> int:
    """Validate for training: the training-only problems are errors here (exit 2)."""
    from rl_games.config import ConfigError, to_dict

    try:
        runner.check_training()
        runner.check_env_config()  # an env name the backend does not have (e.g. envpool task)
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    for warning in runner.check_warnings():
        log.warning("%s", warning)
    print(yaml.safe_dump({"params": to_dict(runner.params)}, sort_keys=False), end="")
    log.info("config OK")
    return 0


def _start_wandb(args: argparse.Namespace, runner: Any) -> Any:
    """``--track``: a W&B run (rank 0 only) that syncs the TensorBoard scalars; its config is the
    resolved config. Files go to ``<train_dir>/wandb/``; ``WANDB_MODE=offline`` works."""
    import os
    from datetime import datetime
    from pathlib import Path

    multi = getattr(runner.params.config, "multi_gpu", False)
    if multi and int(os.environ.get("RANK", "0")) != 0:
        return None  # torchrun: rank 0 logs
    try:
        import wandb
    except ImportError:
        log.error("--track needs wandb: pip install wandb")
        raise SystemExit(2) from None
    from rl_games.config import to_dict

    cfg = runner.params.config
    name = cfg.full_experiment_name or cfg.name + datetime.now().strftime("_%d-%H-%M-%S")
    Path(cfg.train_dir).mkdir(parents=True, exist_ok=True)
    run = wandb.init(
        project=args.wandb_project_name,
        entity=args.wandb_entity,
        sync_tensorboard=True,
        config={"params": to_dict(runner.params)},
        name=name,
        dir=str(cfg.train_dir),
        save_code=False,
    )
    log.info("wandb: run '%s' (project %s), files in %s", name, args.wandb_project_name, run.dir)
    return run


if __name__ == "__main__":
    sys.exit(main())
