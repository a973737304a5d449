"""``--profile``: ``torch.profiler`` around training.

``profile_training(enabled, trace_dir)`` wraps a block (the Runner wraps ``agent.train()``) in
``torch.profiler.profile`` recording CPU activity, plus CUDA activity when CUDA is available.
When the block ends normally it logs the 10 ops with the most self CPU time and writes a Chrome
trace, ``profile_trace.json`` (open it in ``chrome://tracing`` or https://ui.perfetto.dev), into
``trace_dir`` (the run directory; the current directory when None). Under torchrun only rank 0
profiles; the other ranks run the block as it is.

The profiler keeps every event in memory until the end: profile short runs (a few epochs).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity

log = logging.getLogger(__name__)

TRACE_FILE = "profile_trace.json"
TABLE_ROWS = 10
SORT_BY = "self_cpu_time_total"


def profiler_activities() -> list[ProfilerActivity]:
    """CPU, plus CUDA when a GPU is visible."""
    activities = [ProfilerActivity.CPU]
    if torch.cuda.is_available():
        activities.append(ProfilerActivity.CUDA)
    return activities


@contextmanager
def profile_training(
    enabled: bool, trace_dir: str | Path | None = None, rank: int = 0
) -> Iterator[torch.profiler.profile | None]:
    """Profile the block when ``enabled`` and ``rank == 0`` (yields the profiler, else None).

    On a normal exit: logs the top-10 table by self CPU time and exports
    ``<trace_dir or cwd>/profile_trace.json``. An exception stops the profiler and propagates
    without a report.
    """
    if not enabled or rank != 0:
        yield None
        return
    activities = profiler_activities()
    prof = torch.profiler.profile(activities=activities)
    log.info("profile: torch.profiler records %s", ", ".join(a.name for a in activities))
    with prof:
        yield prof
    report(prof, trace_dir)


def report(prof: torch.profiler.profile, trace_dir: str | Path | None = None) -> Path:
    """Log the top-10 ops by self CPU time and export the Chrome trace; returns its path."""
    table = prof.key_averages().table(sort_by=SORT_BY, row_limit=TABLE_ROWS)
    log.info("profile: top %d ops by self CPU time\n%s", TABLE_ROWS, table)
    directory = Path(trace_dir) if trace_dir is not None else Path.cwd()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / TRACE_FILE
    prof.export_chrome_trace(str(path))
    log.info("profile: Chrome trace written to %s", path)
    return path
