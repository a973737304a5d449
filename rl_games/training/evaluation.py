"""Evaluation mode (``player.evaluation: True``): watch ``player.dir_to_monitor`` and evaluate
every checkpoint written there after the start, while training runs elsewhere.

No extra dependency: the directory is polled (``*.pth``, by modification time and size; hidden
files such as our in-progress ``.<name>.tmp`` writes are ignored). Each new or rewritten file is
loaded (a file that is still being written or is corrupted is skipped with a warning and picked
up again when it changes) and played for ``games_num`` games; one line per checkpoint reports
the average reward. Every ``update_checkpoint_freq`` env steps the directory is polled again:
new files are queued, and a rewrite of the checkpoint under evaluation (e.g. a new best
``<name>.pth``) ends its evaluation so that the newer version is evaluated next. The loop runs
until SIGINT / SIGTERM; ``run_evaluation`` then returns the results.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rl_games.config.errors import ConfigError, Problem
from rl_games.training.base import TerminateOnSignal
from rl_games.training.checkpoint import CheckpointError

if TYPE_CHECKING:
    from rl_games.training.player import PPOPlayer

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5


class CheckpointWatcher:
    """Reports ``*.pth`` files of a directory that appeared or changed since the last poll."""

    def __init__(self, directory: str | Path, include_existing: bool = False) -> None:
        self.directory = Path(directory)
        self._seen: dict[str, tuple[int, int]] = {} if include_existing else self._scan()

    def _scan(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        if not self.directory.is_dir():
            return out
        for path in self.directory.glob("*.pth"):
            if path.name.startswith("."):
                continue
            try:
                st = path.stat()
            except FileNotFoundError:  # removed between glob and stat
                continue
            out[path.name] = (st.st_mtime_ns, st.st_size)
        return out

    def poll(self) -> list[Path]:
        """New or modified files since the previous poll, oldest first."""
        current = self._scan()
        changed = [name for name, sig in current.items() if self._seen.get(name) != sig]
        self._seen = current
        changed.sort(key=lambda name: current[name][0])
        return [self.directory / name for name in changed]


def _enqueue(queue: list[Path], paths: list[Path]) -> None:
    for path in paths:
        if path not in queue:
            queue.append(path)


def evaluate_checkpoint(
    player: PPOPlayer, path: Path, watcher: CheckpointWatcher, queue: list[Path]
) -> dict[str, Any] | None:
    """Load ``path`` and play; None when it cannot be loaded (it is retried once rewritten)."""
    try:
        player.restore(path)
    except CheckpointError as exc:
        log.warning("evaluation: skipping '%s': %s", path, exc)
        return None

    def superseded(_steps: int) -> bool:
        changed = watcher.poll()
        _enqueue(queue, changed)
        return path in changed

    res = player.play_games(stop_check=superseded)
    res["checkpoint"] = str(path)
    if res["stopped"]:
        log.info("evaluation: '%s' was rewritten during its evaluation: evaluating it again", path)
    return res


def _report(res: dict[str, Any]) -> None:
    log.info(
        "evaluation: '%s': av reward %.2f av steps %.1f (%d games)",
        res["checkpoint"],
        res["av_reward"],
        res["av_steps"],
        res["games"],
    )


def run_evaluation(player: PPOPlayer) -> list[dict[str, Any]]:
    """Evaluate every checkpoint that appears in ``dir_to_monitor`` until SIGINT/SIGTERM."""
    directory = player.pcfg.dir_to_monitor
    if not directory:
        raise ConfigError(
            [Problem("params.config.player.dir_to_monitor", "evaluation: True needs a directory")]
        )
    Path(directory).mkdir(parents=True, exist_ok=True)
    watcher = CheckpointWatcher(directory)
    queue: list[Path] = []
    results: list[dict[str, Any]] = []
    log.info("evaluation: watching '%s' for new checkpoints (*.pth); Ctrl-C to stop", directory)
    try:
        with TerminateOnSignal():
            while True:
                _enqueue(queue, watcher.poll())
                if not queue:
                    time.sleep(POLL_SECONDS)
                    continue
                res = evaluate_checkpoint(player, queue.pop(0), watcher, queue)
                if res is not None and not res["stopped"]:
                    results.append(res)  # counted before it is reported: a signal may follow
                    _report(res)
    except KeyboardInterrupt:
        log.info("evaluation stopped: %d checkpoint evaluation(s)", len(results))
    return results
