"""Shared test helpers: the repo root and running the real CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """``python runner.py <args>``; returns the completed process (stdout+stderr captured)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "WANDB_MODE": "offline"}
    return subprocess.run(
        [sys.executable, str(REPO / "runner.py"), *args],
        cwd=str(cwd or REPO),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture
def one_thread():
    """Small MLPs train fastest on one torch thread (and the CI machine's cores are shared)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(autouse=True)
def restore_registries():
    """Registrations a test makes (env names, vecenv types, networks, ...) end with the test, as
    they end with the process for a user: later tests see the built-in registries only."""
    from rl_games import builders
    from rl_games.envs import registry as env_registry

    regs = [
        env_registry.ENV_CONFIGURATIONS,
        env_registry.VECENV_TYPES,
        builders.ALGORITHMS,
        builders.PLAYERS,
        builders.MODELS,
        builders.NETWORKS,
    ]
    saved = [dict(r._entries) for r in regs]
    yield
    for reg, entries in zip(regs, saved, strict=True):
        reg._entries.clear()
        reg._entries.update(entries)


def cli_main(*argv: str) -> int:
    """``rl_games.cli.main`` in-process; the logging handlers and torch threads the CLI sets are
    put back afterwards."""
    import logging

    import torch

    from rl_games.cli import main

    root = logging.getLogger()
    handlers, level, threads = root.handlers[:], root.level, torch.get_num_threads()
    try:
        return main(list(argv))
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        torch.set_num_threads(threads)


@pytest.fixture
def restore_logging():
    """``rl_games.cli.main`` points the root logger at the (captured) stdout; undo that after."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
