"""TensorBoard writer (rank 0 only) with rl_games' tags; no-op writer elsewhere."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


class NullWriter:
    def add_scalar(self, tag: str, value: float, step: int) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def make_writer(summaries_dir: Path | None):
    if summaries_dir is None:
        return NullWriter()
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(str(summaries_dir), flush_secs=10)
