"""Every config shipped in the rl-games 1.6.5 wheel passes ``runner.py --check``.

The wheel is fetched with ``pip download`` (skipped when that fails or is slow, e.g. offline) and
every file is checked in this one process through ``rl_games.cli.main``.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from rl_games.cli import main

WHEEL_SPEC = "rl-games==1.6.5"
DOWNLOAD_TIMEOUT_S = 120
MISSING_PARAMS = "missing: a runner config has a top-level 'params' block"


@pytest.fixture(scope="session")
def rl_games_configs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The YAML files under ``rl_games/configs/`` of the rl-games 1.6.5 wheel (once a session)."""
    root = tmp_path_factory.mktemp("rl_games_1.6.5")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        WHEEL_SPEC,
        "--no-deps",
        "--disable-pip-version-check",
        "--quiet",
        "--timeout",
        "20",
        "--retries",
        "1",
        "-d",
        str(root),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.skip(f"pip download {WHEEL_SPEC} took more than {DOWNLOAD_TIMEOUT_S} s")
    wheels = sorted(root.glob("rl_games-1.6.5-*.whl"))
    if proc.returncode != 0 or not wheels:
        pytest.skip(f"pip download {WHEEL_SPEC} failed: {proc.stderr.strip()[-300:]}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        members = [
            m for m in wheel.namelist() if m.startswith("rl_games/configs/") and m.endswith(".yaml")
        ]
        wheel.extractall(root / "unpacked", members=members)
    return sorted((root / "unpacked").rglob("*.yaml"))


@pytest.fixture
def quiet_cli(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """``cli.main`` configures the root logger; put it back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_every_rl_games_config_passes_check(
    rl_games_configs: list[Path], quiet_cli: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(rl_games_configs) > 100, "the wheel's configs were not found"
    failures: list[str] = []
    without_params: list[str] = []
    for path in rl_games_configs:
        has_params = "params" in (yaml.safe_load(path.read_text()) or {})
        code = main(["--check", "--file", str(path), "-q"])
        output = capsys.readouterr().out
        name = str(path).split("rl_games/configs/")[-1]
        if has_params and code != 0:
            failures.append(f"{name}: exit {code}\n{output}")
        elif not has_params:
            # SMAC env_configs: settings for the SMAC env, not runner configs.
            without_params.append(name)
            if code != 2 or MISSING_PARAMS not in output:
                failures.append(f"{name}: expected exit 2 with {MISSING_PARAMS!r}\n{output}")
    assert not failures, "\n\n".join(failures)
    assert len(without_params) == 6, without_params
    assert all(name.startswith("smac/") for name in without_params)
