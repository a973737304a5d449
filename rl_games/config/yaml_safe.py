"""Bounded YAML reading: a config file or ``--set`` value cannot exhaust the machine.

Limits (docs/reliability.md):

* ``MAX_FILE_BYTES``: a config file larger than this is refused before it is parsed (real configs
  are a few KB; pure-Python YAML parses about 1 MB per second).
* ``MAX_NODES``: the document's node count *with every alias expanded* (the consumers of the
  loaded dict copy it, so an alias bomb costs its expanded size in memory).
* ``MAX_ALIASES``: alias uses (``*name``) per document.
* ``MAX_DEPTH``: nesting depth (deep nesting would otherwise end in a RecursionError).
* A recursive alias (an alias inside the node it names) is refused.
* A duplicated top-level ``params`` key is an error (the first block would be dropped); other
  duplicate keys keep rl_games' behaviour, the last value wins, with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

MAX_FILE_BYTES = 1 << 20
MAX_NODES = 200_000
MAX_ALIASES = 10_000
MAX_DEPTH = 64


class YamlLimitError(yaml.YAMLError):
    """A document refused by a limit; ``str()`` is one line."""

    def __init__(self, message: str, mark: Any = None) -> None:
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        super().__init__(where + message)


@dataclass
class _Counts:
    nodes: int = 0
    aliases: int = 0
    depth: int = 0
    sizes: dict[int, int] = field(default_factory=dict)  # id(node) -> expanded size (finished)
    duplicates: list[str] = field(default_factory=list)


class BoundedSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that counts expanded nodes, alias uses and depth while composing."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.counts = _Counts()

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        c = self.counts
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in c.sizes:
                raise YamlLimitError(
                    f"recursive alias *{event.anchor} (it refers to a node that contains it); "
                    "remove the alias",
                    event.start_mark,
                )
            node = super().compose_node(parent, index)
            c.aliases += 1
            if c.aliases > MAX_ALIASES:
                raise YamlLimitError(
                    f"more than {MAX_ALIASES} alias uses; write the values out", event.start_mark
                )
            self._add(c.sizes.get(id(node), 1), event.start_mark)
            return node
        mark = self.peek_event().start_mark
        c.depth += 1
        if c.depth > MAX_DEPTH:
            raise YamlLimitError(
                f"nesting deeper than {MAX_DEPTH} levels; flatten the document", mark
            )
        before = c.nodes
        node = super().compose_node(parent, index)
        c.depth -= 1
        c.sizes[id(node)] = c.nodes - before + 1
        self._add(1, mark)
        if isinstance(node, MappingNode):
            self._duplicates(node, top=c.depth == 0)
        return node

    def _add(self, n: int, mark: Any) -> None:
        self.counts.nodes += n
        if self.counts.nodes > MAX_NODES:
            raise YamlLimitError(
                f"more than {MAX_NODES} values once aliases are expanded (an alias bomb?); "
                "a config needs far fewer",
                mark,
            )

    def _duplicates(self, node: MappingNode, top: bool) -> None:
        seen: set[str] = set()
        for key, _ in node.value:
            if not isinstance(key, ScalarNode) or key.value == "<<":
                continue
            if key.value in seen:
                if top and key.value == "params":
                    raise YamlLimitError(
                        "duplicate key 'params': the first params block would be silently "
                        "dropped; keep one",
                        key.start_mark,
                    )
                line = key.start_mark.line + 1
                self.counts.duplicates.append(
                    f"line {line}: duplicate key '{key.value}': the last value wins"
                )
            seen.add(key.value)


def safe_load(text: str) -> tuple[Any, list[str]]:
    """``yaml.safe_load`` within the limits: ``(document, warnings)``.

    Raises ``yaml.YAMLError`` (``YamlLimitError`` for a limit) on a bad or refused document."""
    loader = BoundedSafeLoader(text)
    try:
        return loader.get_single_data(), loader.counts.duplicates
    finally:
        loader.dispose()


def read_text(path: Path) -> str:
    """The file as UTF-8 text, at most ``MAX_FILE_BYTES`` read (a device or a huge file is refused
    without reading it all). Raises ``OSError`` or ``ValueError`` (one-line reason)."""
    with path.open("rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(
            f"file is larger than {MAX_FILE_BYTES // 1024} KiB, the config size limit "
            "(a config is a few KB); check that this is the config you meant"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValueError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save the file as UTF-8"
        ) from None


def one_line(exc: yaml.YAMLError) -> str:
    """A YAML error as one line: what went wrong and where."""
    if isinstance(exc, YamlLimitError):
        return str(exc)
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem is None:
        return " ".join(str(exc).split())
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    context = getattr(exc, "context", None)
    return where + (f"{problem} ({context})" if context else problem)
