"""The population's shared directory.

Layout (``directory`` of ``params.pbt``)::

    <directory>/<policy_idx:03d>/<iteration:06d>.pth    the member's scored checkpoint
    <directory>/<policy_idx:03d>/<iteration:06d>.yaml   its record: objective, frame, params
    <directory>/<policy_idx:03d>/restart.pth            the copy a restart loads (its own)
    <directory>/events.jsonl                            one JSON line per replacement

Every file is written to a temporary name in the same directory and renamed over its final
name (``os.replace``), the checkpoint before its record: a reader sees a whole record whose
checkpoint exists, or none. Nothing is locked, so a member that dies holds nothing up; its last
record simply ages (``stale_iterations``). Each member deletes only its own old files.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import yaml

from rl_games.training.checkpoint import atomic_write, load_checkpoint, save_checkpoint

log = logging.getLogger(__name__)

__all__ = ["PopulationStore"]

_RECORD = re.compile(r"^(\d{6,})\.yaml$")


class PopulationStore:
    """Read and write the records of a population of ``num_policies`` members."""

    def __init__(self, directory: str | Path, num_policies: int) -> None:
        self.root = Path(directory)
        self.num_policies = int(num_policies)

    def member_dir(self, policy_idx: int) -> Path:
        return self.root / f"{policy_idx:03d}"

    # ------------------------------------------------------------------ write
    def save(
        self, policy_idx: int, iteration: int, state: dict[str, Any], record: dict[str, Any]
    ) -> dict[str, Any]:
        """Write the checkpoint, then the record (with ``checkpoint``, ``iteration``,
        ``policy_idx`` and ``time`` filled in); returns the record."""
        folder = self.member_dir(policy_idx)
        ckpt = save_checkpoint(folder / f"{iteration:06d}.pth", state)
        full = {
            **record,
            "iteration": int(iteration),
            "policy_idx": int(policy_idx),
            "checkpoint": str(ckpt.resolve()),
            "time": time.time(),
        }
        text = yaml.safe_dump(full, sort_keys=True).encode()
        atomic_write(folder / f"{iteration:06d}.yaml", lambda fh: fh.write(text), "PBT record")
        return full

    def cleanup(self, policy_idx: int, keep: int) -> None:
        """Delete this member's records and checkpoints but the newest ``keep`` (record first,
        so no reader finds a record without its checkpoint)."""
        folder = self.member_dir(policy_idx)
        for it in self._iterations(folder)[max(keep, 1) :]:
            (folder / f"{it:06d}.yaml").unlink(missing_ok=True)
            (folder / f"{it:06d}.pth").unlink(missing_ok=True)

    def log_event(self, event: dict[str, Any]) -> None:
        """Append one JSON line to ``events.jsonl`` (one ``write`` on an ``O_APPEND`` file:
        lines of concurrent writers do not interleave)."""
        line = (json.dumps({"time": time.time(), **event}, sort_keys=True) + "\n").encode()
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / "events.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def events(self) -> list[dict[str, Any]]:
        path = self.root / "events.jsonl"
        if not path.exists():
            return []
        return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]

    # ------------------------------------------------------------------ read
    @staticmethod
    def _iterations(folder: Path) -> list[int]:
        """Record iterations in ``folder``, newest first (temporary files never match)."""
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return []
        found = (_RECORD.match(n) for n in names)
        return sorted((int(m.group(1)) for m in found if m), reverse=True)

    def latest(self, policy_idx: int, max_iteration: int | None = None) -> dict[str, Any] | None:
        """The member's newest readable record at or before ``max_iteration`` whose
        checkpoint still exists, else None."""
        folder = self.member_dir(policy_idx)
        for it in self._iterations(folder):
            if max_iteration is not None and it > max_iteration:
                continue
            try:
                record = yaml.safe_load((folder / f"{it:06d}.yaml").read_text())
            except (OSError, yaml.YAMLError):  # deleted by its owner meanwhile
                continue
            if isinstance(record, dict) and Path(record.get("checkpoint", "")).is_file():
                return record
        return None

    def population(
        self, max_iteration: int | None = None, stale_iterations: int = 0
    ) -> dict[int, dict[str, Any]]:
        """``{policy_idx: newest record}`` of the members that have one; with
        ``stale_iterations`` > 0, records more than that many iterations behind
        ``max_iteration`` are left out (a member that died)."""
        out = {}
        for idx in range(self.num_policies):
            record = self.latest(idx, max_iteration)
            if record is None:
                continue
            if stale_iterations > 0 and max_iteration is not None:
                if max_iteration - int(record["iteration"]) > stale_iterations:
                    continue
            out[idx] = record
        return out

    def copy_for_restart(
        self, policy_idx: int, source_checkpoint: str | Path, frame: int, epoch: int
    ) -> Path:
        """The source's checkpoint, copied into this member's folder with this member's frame
        and epoch counters (its owner may delete the original meanwhile). Raises OSError or
        a checkpoint error when the source is gone or unreadable."""
        dest = self.member_dir(policy_idx) / "restart.pth"
        tmp = dest.with_name(".restart.copy.pth")
        shutil.copyfile(source_checkpoint, tmp)
        state = load_checkpoint(tmp, map_location="cpu")
        tmp.unlink(missing_ok=True)
        state["frame"], state["epoch"] = int(frame), int(epoch)
        return save_checkpoint(dest, state)
