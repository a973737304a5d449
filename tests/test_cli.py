"""The command line, run as users run it: ``python runner.py ...`` in a subprocess.

``--check`` of every shipped config and a few extra error paths run ``rl_games.cli.main``
in-process instead (the same code without an interpreter start per case).
"""

from __future__ import annotations

import logging
import subprocess
import textwrap
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import REPO, run_cli

from rl_games.cli import main

CONFIGS = sorted((REPO / "configs").glob("*.yaml"))
CARTPOLE = REPO / "configs" / "ppo_cartpole.yaml"

GOOD = """
params:
  seed: 3
  algo: {name: a2c_discrete}
  model: {name: discrete_a2c}
  network: {name: actor_critic, space: {discrete: }, mlp: {units: [16]}}
  config:
    name: cli_test
    env_name: CartPole-v1
    device: cpu
    num_actors: 4
    horizon_length: 8
    minibatch_size: 16
    max_epochs: 1
"""


@dataclass
class Launch:
    cwd: Path
    future: Future[subprocess.CompletedProcess]

    def wait(self) -> tuple[Path, subprocess.CompletedProcess]:
        return self.cwd, self.future.result()


def write(tmp_path: Path, text: str, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def edited(**config: object) -> str:
    doc = yaml.safe_load(GOOD)
    doc["params"]["config"].update(config)
    return yaml.safe_dump(doc)


def resolved(stdout: str) -> dict:
    """The YAML document ``--check`` prints (log lines share stdout)."""
    start = stdout.index("params:\n")
    lines = [ln for ln in stdout[start:].splitlines() if ln != "config OK"]
    return yaml.safe_load("\n".join(lines))


def assert_resolved_matches(shown: dict, config: Path) -> None:
    given = yaml.safe_load(config.read_text())["params"]
    params = shown["params"]
    assert params["config"]["name"] == given["config"]["name"]
    assert params["algo"]["name"] == given["algo"]["name"]
    assert params["config"]["gamma"] is not None  # defaults are filled in


def assert_clean_failure(proc: object) -> None:
    output = proc.stdout + proc.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in output, output


# ------------------------------------------------------------------------- subprocess
# Every subprocess starts a fresh interpreter (torch, envpool: seconds each), so the module starts
# them all at once on a small pool and each test waits for its own.
@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Launch]]:
    jobs: dict[str, tuple[tuple[str, ...], Path]] = {}

    def job(key: str, cwd: Path, *args: str) -> None:
        jobs[key] = (args, cwd)

    job("check", tmp_path_factory.mktemp("check"), "--check", "--file", str(CARTPOLE))

    typo = tmp_path_factory.mktemp("typo")
    job("typo", typo, "--train", "--file", str(write(typo, edited(learning_rat=1e-3))))

    three = tmp_path_factory.mktemp("three")
    doc = yaml.safe_load(edited(learning_rat=1e-3, minibatch_size=24))
    doc["params"]["network"]["mlp"]["activaton"] = "relu"
    job("three", three, "--check", "--file", str(write(three, yaml.safe_dump(doc))))

    unreg = tmp_path_factory.mktemp("unregistered")
    cfg = write(unreg, edited(env_name="CartPole-v9", train_dir=str(unreg / "runs")))
    job("unregistered:check", unreg, "--check", "-q", "--file", str(cfg))
    job("unregistered:train", unreg, "--train", "--file", str(cfg))

    seed = tmp_path_factory.mktemp("seed")
    job("seed0", seed, "--check", "-q", "--seed", "0", "--file", str(write(seed, GOOD)))

    with ThreadPoolExecutor(max_workers=3) as pool:
        yield {
            key: Launch(cwd, pool.submit(run_cli, *args, cwd=cwd, timeout=300))
            for key, (args, cwd) in jobs.items()
        }


def test_help_lists_the_flags() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0, proc.stderr
    for flag in (
        "--file",
        "--train",
        "--play",
        "--check",
        "--checkpoint",
        "--seed",
        "--num_actors",
        "--sigma",
        "--track",
        "--wandb-project-name",
        "--wandb-entity",
        "--set",
        "--profile",
    ):
        assert flag in proc.stdout, flag


def test_check_prints_the_resolved_config(launched: dict[str, Launch]) -> None:
    cwd, proc = launched["check"].wait()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "config OK" in proc.stdout
    assert_resolved_matches(resolved(proc.stdout), CARTPOLE)
    assert list(cwd.iterdir()) == []  # nothing written


def test_typo_exits_2_naming_the_typo_and_creates_nothing(launched: dict[str, Launch]) -> None:
    cwd, proc = launched["typo"].wait()
    assert proc.returncode == 2
    output = proc.stdout + proc.stderr
    assert "params.config.learning_rat: unknown key (did you mean 'learning_rate'?)" in output
    assert_clean_failure(proc)
    assert sorted(p.name for p in cwd.iterdir()) == ["cfg.yaml"]


def test_three_problems_are_reported_in_one_run(launched: dict[str, Launch]) -> None:
    _, proc = launched["three"].wait()
    assert proc.returncode == 2
    output = proc.stdout + proc.stderr
    assert "3 problems found" in output
    assert "params.config.learning_rat: unknown key (did you mean 'learning_rate'?)" in output
    assert "params.network.mlp.activaton: unknown key (did you mean 'activation'?)" in output
    assert "is not divisible by minibatch_size 24" in output
    assert_clean_failure(proc)


def test_unregistered_env_warns_on_check(launched: dict[str, Launch]) -> None:
    _, check = launched["unregistered:check"].wait()
    assert check.returncode == 0, check.stdout + check.stderr
    assert "warning: params.config.env_name: unknown env name 'CartPole-v9'" in check.stdout
    assert "did you mean 'CartPole-v1'?" in check.stdout


def test_unregistered_env_fails_cleanly_on_train(launched: dict[str, Launch]) -> None:
    cwd, train = launched["unregistered:train"].wait()
    assert train.returncode != 0
    assert "error: unknown env name 'CartPole-v9'" in train.stdout + train.stderr
    assert_clean_failure(train)
    assert not (cwd / "runs").exists()


def test_seed_zero_without_env_config(launched: dict[str, Launch]) -> None:
    _, proc = launched["seed0"].wait()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    params = resolved(proc.stdout)["params"]
    assert params["seed"] == 0
    assert params["config"]["env_config"] == {"seed": 0}


# ------------------------------------------------------------------------- in-process
@pytest.fixture
def in_process(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """``cli.main`` configures the root logger; put it back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("config", CONFIGS, ids=[c.name for c in CONFIGS])
def test_check_passes_on_every_shipped_config(
    config: Path, in_process: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process: one interpreter start per file would dominate the suite's time.
    code = main(["--check", "-q", "--file", str(config)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert_resolved_matches(resolved(out), config)


def test_override_typo_is_reported_like_a_file_typo(
    tmp_path: Path, in_process: None, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write(tmp_path, GOOD)
    assert main(["--check", "--file", str(cfg), "--set", "config.horizon_lenght=4"]) == 2
    out = capsys.readouterr().out
    assert "params.config.horizon_lenght: unknown key (did you mean 'horizon_length'?)" in out


def test_unreadable_file_exits_2(
    tmp_path: Path, in_process: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--check", "--file", str(tmp_path / "absent.yaml")]) == 2
    assert "cannot read file" in capsys.readouterr().out


def test_invalid_yaml_exits_2(
    tmp_path: Path, in_process: None, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write(tmp_path, "params: {algo: [\n")
    assert main(["--check", "--file", str(cfg)]) == 2
    assert "invalid YAML" in capsys.readouterr().out


def test_missing_import_module_exits_2(
    tmp_path: Path, in_process: None, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write(tmp_path, edited(import_modules=["rlrunner_test_no_such_module"]))
    assert main(["--check", "--file", str(cfg)]) == 2
    out = capsys.readouterr().out
    assert "params.config.import_modules: cannot import 'rlrunner_test_no_such_module'" in out


@pytest.fixture
def env_needing_a_missing_package() -> Iterator[str]:
    """An env name whose vecenv type needs a package that is not installed."""
    from rl_games.envs.registry import (
        ENV_CONFIGURATIONS,
        VECENV_TYPES,
        register_env,
        register_vecenv,
    )

    def factory(config_name: str, num_actors: int, **kwargs: object) -> None:
        raise AssertionError("never called: the package check comes first")

    register_vecenv("TEST_CLI_NEEDS_PKG", factory, requires=("rlrunner_test_missing_pkg",))
    register_env("test_cli_needs_pkg", {"vecenv_type": "TEST_CLI_NEEDS_PKG"})
    yield "test_cli_needs_pkg"
    ENV_CONFIGURATIONS.unregister("test_cli_needs_pkg")
    VECENV_TYPES.unregister("TEST_CLI_NEEDS_PKG")


def test_missing_env_package_warns_on_check_and_errors_with_the_hint_on_train(
    tmp_path: Path,
    in_process: None,
    capsys: pytest.CaptureFixture[str],
    env_needing_a_missing_package: str,
) -> None:
    cfg = write(
        tmp_path, edited(env_name=env_needing_a_missing_package, train_dir=str(tmp_path / "runs"))
    )
    hint = "needs the python package 'rlrunner_test_missing_pkg', which is not installed"
    assert main(["--check", "-q", "--file", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert f"warning: params.config.env_name: env '{env_needing_a_missing_package}' {hint}" in out
    assert "pip install rlrunner_test_missing_pkg" in out

    assert main(["--train", "--file", str(cfg)]) == 1
    out = capsys.readouterr().out
    assert f"error: env '{env_needing_a_missing_package}' {hint}" in out
    assert "pip install rlrunner_test_missing_pkg" in out
    assert not (tmp_path / "runs").exists()
