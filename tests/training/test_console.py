"""Progress and checkpoint lines reach the console when the host program configured no logging
(Isaac Lab's and IsaacGymEnvs' scripts), and appear once when it did (before or after us)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO

SCRIPT = """
import logging, sys, yaml
from rl_games.torch_runner import Runner
{before}
cfg = yaml.safe_load(open({cfg!r}))
cfg["params"]["config"].update(max_epochs=2, train_dir={train_dir!r}, save_frequency=1)
runner = Runner()
runner.load(cfg)
{between}
runner.run({{"train": True}})
"""


def _run(tmp_path, before: str = "", between: str = "") -> str:
    code = SCRIPT.format(
        before=before,
        between=between,
        cfg=str(REPO / "configs" / "ppo_cartpole_torch.yaml"),
        train_dir=str(tmp_path / "runs"),
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=str(tmp_path),
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout + out.stderr


def _count(text: str, needle: str) -> int:
    return sum(needle in line for line in text.splitlines())


def test_unconfigured_host_still_sees_progress_and_checkpoints(tmp_path) -> None:
    text = _run(tmp_path)
    assert _count(text, "epoch 1/2") == 1 and _count(text, "epoch 2/2") == 1, text
    assert _count(text, "=> saving checkpoint") >= 1, text


@pytest.mark.parametrize(
    "before,between",
    [
        ("logging.basicConfig(level=logging.INFO, stream=sys.stdout)", ""),
        ("", "logging.basicConfig(level=logging.INFO, stream=sys.stdout)"),
    ],
    ids=["configured-before", "configured-after-load"],
)
def test_configured_host_sees_each_line_once(tmp_path, before: str, between: str) -> None:
    text = _run(tmp_path, before=before, between=between)
    assert _count(text, "epoch 2/2") == 1, text
    assert _count(text, "=> saving checkpoint") >= 1, text


def test_a_host_that_silenced_info_stays_silent(tmp_path) -> None:
    text = _run(tmp_path, before="logging.basicConfig(level=logging.WARNING)")
    assert _count(text, "epoch 2/2") == 0, text
