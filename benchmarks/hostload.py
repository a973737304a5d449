"""Machine-wide CPU accounting for the benchmark scripts' ``other load`` column (stdlib only, so
it also runs under benchmarks/.venv-rlgames)."""

from __future__ import annotations

import os


def cpu_busy_s() -> float | None:
    """Machine-wide busy CPU seconds so far (all cores), from /proc/stat; None where unavailable."""
    try:
        with open("/proc/stat") as f:
            vals = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    return (sum(vals[:8]) - idle) / os.sysconf("SC_CLK_TCK")
