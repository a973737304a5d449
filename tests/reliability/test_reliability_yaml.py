"""Hostile YAML through the real CLI: each refused with one line per problem and exit 2.

Alias bombs, recursive aliases, deep nesting, non-UTF-8 bytes, oversized files, a duplicated
top-level ``params`` and the same limits on ``--set`` values (docs/reliability.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, run_cli

from rl_games.cli import main
from rl_games.config import yaml_safe

CARTPOLE = REPO / "configs" / "ppo_cartpole.yaml"


def alias_bomb(levels: int = 9) -> str:
    """A billion-laughs document: 9 ** levels strings from a few hundred bytes."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*l{i - 1}"] * 9)
        lines.append(f"l{i}: &l{i} [{refs}]")
    lines.append(f"params: {{config: {{x: *l{levels - 1}}}}}")
    return "\n".join(lines) + "\n"


def check(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["--check", "--file", str(path), *extra]) == 2
    out = capsys.readouterr().out
    assert "Traceback" not in out
    return out


def test_alias_bomb_is_refused_before_it_expands(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    assert path.stat().st_size < 1500
    out = check(path, capsys)
    assert f"more than {yaml_safe.MAX_NODES} values once aliases are expanded" in out


def test_recursive_alias_is_refused(tmp_path: Path, capsys) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("params: &p\n  config: [*p]\n")
    assert "recursive alias *p" in check(path, capsys)


@pytest.mark.parametrize(
    "text",
    [
        "params: " + "[" * 5000 + "]" * 5000 + "\n",
        "params:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(100)),
    ],
    ids=["flow", "block"],
)
def test_deep_nesting_is_refused(tmp_path: Path, capsys, text: str) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    assert f"nesting deeper than {yaml_safe.MAX_DEPTH} levels" in check(path, capsys)


def test_non_utf8_file_names_the_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("params:\n  config: {name: caf\xe9}\n".encode("latin-1"))
    assert "not UTF-8 text (byte 0xe9 on line 2); save the file as UTF-8" in check(path, capsys)


def test_oversized_file_is_refused_without_parsing(tmp_path: Path, capsys) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("params:\n  x: [" + "1," * yaml_safe.MAX_FILE_BYTES + "1]\n")
    assert "the config size limit" in check(path, capsys)


def test_duplicate_top_level_params_is_an_error(tmp_path: Path, capsys) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(CARTPOLE.read_text() + "params:\n  seed: 1\n")
    out = check(path, capsys)
    assert "duplicate key 'params'" in out


def test_duplicate_keys_inside_blocks_keep_the_last_value(tmp_path: Path, capsys) -> None:
    text = CARTPOLE.read_text().replace("    gamma: 0.99\n", "    gamma: 0.5\n    gamma: 0.99\n")
    path = tmp_path / "dup_inner.yaml"
    path.write_text(text)
    assert main(["--check", "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "duplicate key 'gamma': the last value wins" in out
    assert "gamma: 0.99" in out


@pytest.mark.parametrize(
    "value, message",
    [
        ("&a [*a]", "recursive alias *a"),
        ("[" * 200, "nesting deeper than"),
        (alias_bomb().replace("\n", ", ").replace("l0:", "{l0:", 1) + "}", "aliases are expanded"),
    ],
    ids=["recursive", "deep", "bomb"],
)
def test_set_values_are_bounded_like_files(capsys, value: str, message: str) -> None:
    assert main(["--check", "--file", str(CARTPOLE), "--set", f"config.x={value}"]) == 2
    out = capsys.readouterr().out
    assert message in out and "Traceback" not in out


def test_alias_bomb_through_runner_py(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    proc = run_cli("--train", "--file", str(path), cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "refused: line" in proc.stdout and "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "runs").exists()
