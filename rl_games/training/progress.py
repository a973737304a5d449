"""The per-epoch console line: progress, ETA, reward, length and the three fps rates."""

from __future__ import annotations

import math


def _fmt_duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:d}:{s:02d}"


def eta_seconds(epoch: int, max_epochs: int, frame: int, max_frames: int, elapsed: float) -> float:
    """Remaining time from the fraction of the tightest budget that is done."""
    fractions = []
    if max_epochs > 0:
        fractions.append(epoch / max_epochs)
    if max_frames > 0:
        fractions.append(frame / max_frames)
    if not fractions:
        return math.nan
    done = min(max(fractions), 1.0)
    return elapsed * (1.0 - done) / done if done > 0 else math.nan


def progress_line(
    *,
    epoch: int,
    max_epochs: int,
    frame: int,
    max_frames: int,
    mean_reward: float | None,
    mean_length: float | None,
    fps_step: float,
    fps_step_inference: float,
    fps_total: float,
    elapsed: float,
) -> str:
    ep = f"epoch {epoch}" + (f"/{max_epochs}" if max_epochs > 0 else "")
    fr = f"frames {frame}" + (f"/{max_frames}" if max_frames > 0 else "")
    rew = "reward -" if mean_reward is None else f"reward {mean_reward:.2f}"
    length = "len -" if mean_length is None else f"len {mean_length:.1f}"
    eta = eta_seconds(epoch, max_epochs, frame, max_frames, elapsed)
    return (
        f"{ep} | {fr} | {rew} {length} | fps step {fps_step:.0f} step+inference "
        f"{fps_step_inference:.0f} total {fps_total:.0f} | elapsed {_fmt_duration(elapsed)}"
        f" ETA {_fmt_duration(eta)}"
    )
