"""Config problems: collected, then reported together."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(ValueError):
    """Every problem found in a config, reported at once."""

    def __init__(self, problems: list[Problem], source: str = "config") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        head = f"{self.source}: {n} problem{'s' if n != 1 else ''} found"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])
