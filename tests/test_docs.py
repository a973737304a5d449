"""The docs stay true: the config reference matches the schema, links resolve, and the examples
in the pages (YAML blocks, ``runner.py --check`` commands) run."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import yaml
from conftest import REPO

from rl_games.cli import main
from rl_games.config import docs as config_docs
from rl_games.config import parse_params

DOCS = REPO / "docs"
REFERENCE = DOCS / "config_reference.md"
REGENERATE = "python -m rl_games.config.docs > docs/config_reference.md"
# Pages whose examples this suite runs (other pages have their own tests).
EXAMPLE_PAGES = ("index.md", "ppo.md", "sac.md", "central_value.md", "onnx_export.md")
# Linked from docs/index.md and written by other people; a missing one is not an error yet.
PENDING_PAGES = {"environments.md", "distributed.md", "checkpoints.md"}
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_config_reference_matches_schema() -> None:
    expected = config_docs.generate()
    actual = REFERENCE.read_text() if REFERENCE.exists() else ""
    assert actual == expected, f"docs/config_reference.md is out of date; run: {REGENERATE}"


def test_config_reference_documents_every_key() -> None:
    text = config_docs.generate()
    sections = config_docs.all_sections()
    assert {s.cls for s in sections} >= set(config_docs.reachable_blocks())
    for section in sections:
        block = text.split(f'<a id="{section.anchor}"></a>', 1)[1].split("<a id=", 1)[0]
        for fld in dataclasses.fields(section.cls):
            skip = section.exclude and fld.name in {
                f.name for f in dataclasses.fields(section.exclude)
            }
            if skip or fld.name in config_docs.INTERNAL_FIELDS:
                continue
            assert f"| `{fld.name}` |" in block, (section.title, fld.name)
            assert fld.metadata.get("doc"), f"{section.cls.__name__}.{fld.name} has no doc"


def test_config_docs_module_prints_the_reference(capsys: pytest.CaptureFixture) -> None:
    assert config_docs.main() == 0
    assert capsys.readouterr().out == config_docs.generate()


def _links(page: Path) -> Iterator[tuple[str, str]]:
    for target in LINK.findall(page.read_text()):
        if not re.match(r"[a-z]+://|mailto:", target):
            yield target.partition("#")[0], target.partition("#")[2]


def test_docs_links_resolve() -> None:
    pages = [*sorted(DOCS.glob("*.md")), REPO / "README.md"]
    broken = []
    for page in pages:
        for path, anchor in _links(page):
            target = (page.parent / path).resolve() if path else page
            if not target.exists():
                if target.name not in PENDING_PAGES:
                    broken.append(f"{page.name} -> {path}")
                continue
            if anchor and target.suffix == ".md":
                if f'<a id="{anchor}">' not in target.read_text():
                    broken.append(f"{page.name} -> {path}#{anchor}")
    assert not broken, broken
    assert "docs/index.md" in (REPO / "README.md").read_text()


def _blocks(lang: str) -> Iterator[tuple[str, str]]:
    for name in EXAMPLE_PAGES:
        for block in re.findall(rf"```{lang}\n(.*?)```", (DOCS / name).read_text(), flags=re.S):
            yield name, block


def test_docs_yaml_examples_are_valid_configs() -> None:
    blocks = [(name, b) for name, b in _blocks("yaml") if b.lstrip().startswith("params:")]
    assert blocks
    for name, block in blocks:
        parse_params(yaml.safe_load(block), source=name)  # raises ConfigError on any problem


@contextlib.contextmanager
def _restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level, threads = root.handlers[:], root.level, torch.get_num_threads()
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        torch.set_num_threads(threads)


def test_docs_check_commands_pass(capsys: pytest.CaptureFixture) -> None:
    commands = [
        line.split("runner.py", 1)[1].split()
        for _, block in _blocks("bash")
        for line in block.splitlines()
        if re.search(r"runner\.py --check --file configs/\S+\.yaml", line)
    ]
    assert commands
    for argv in commands:
        argv = [str(REPO / a) if a.startswith("configs/") else a for a in argv]
        with _restored_logging():
            rc = main(argv)
        out = capsys.readouterr().out
        assert rc == 0 and "config OK" in out, (argv, out[-2000:])
