"""Does a checkpoint fit the model built from the config and the env's spaces? Strict loads
whose error names the first mismatching tensor and both shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from rl_games.training.checkpoint import CheckpointError


def load_module_state(
    module: torch.nn.Module, sd: dict[str, Any], path: str | Path, key: str
) -> None:
    """``module.load_state_dict(sd)`` (strict), the module built from the config and the env's
    spaces; a mismatch is a :class:`CheckpointError` naming the first mismatching tensor."""
    try:
        module.load_state_dict(sd)
    except RuntimeError as exc:
        raise CheckpointError(mismatch_message(path, {key: module}, {key: sd}, exc)) from None


def mismatch_message(
    path: str | Path,
    modules: dict[str, torch.nn.Module],
    state: dict[str, Any],
    exc: BaseException | None = None,
) -> str:
    """``checkpoint '<file>' does not fit this config: ...`` with the first tensor of
    ``state[key]`` that does not match ``modules[key]`` (missing, extra or another shape);
    torch's first specific line of ``exc`` when every compared tensor matches."""
    detail = None
    for key, module in modules.items():
        if isinstance(state.get(key), dict):
            detail = first_mismatch(module.state_dict(), state[key], key)
            if detail:
                break
    if detail is None and exc is not None:
        lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
        detail = next((ln for ln in lines if not ln.endswith(":")), lines[0] if lines else "")
    config = Path(path).resolve().parent.parent / "config.yaml"
    hint = f" (saved beside it: '{config}')" if config.is_file() else ""
    return (
        f"checkpoint '{path}' does not fit this config: it does not match the model built from "
        f"the config and the env's spaces: {detail}; use the config it was trained with{hint}"
    )


def first_mismatch(own: dict[str, Any], theirs: dict[str, Any], key: str) -> str | None:
    """The first tensor that differs between a model's state_dict (``own``) and a
    checkpoint's (``theirs``): missing, unexpected or of another shape; None if all match."""
    for name, mine in own.items():
        other = theirs.get(name)
        if other is None:
            return f"'{key}/{name}' {_shape(mine)} is missing from the checkpoint"
        if isinstance(other, torch.Tensor) and isinstance(mine, torch.Tensor):
            same = other.shape == mine.shape or other.numel() == mine.numel() == 1
            if not same:
                return (
                    f"'{key}/{name}' has shape {_shape(other)} in the checkpoint, "
                    f"{_shape(mine)} in the model"
                )
    extra = next((name for name in theirs if name not in own), None)
    if extra is not None:
        return f"'{key}/{extra}' {_shape(theirs[extra])} in the checkpoint is not in the model"
    return None


def _shape(value: Any) -> str:
    shape = getattr(value, "shape", None)
    return "(not a tensor)" if shape is None else str(list(shape))


def restore_mismatch(model: Any, path: str | Path, state: dict[str, Any], exc: Exception) -> str:
    """The message of a resume whose checkpoint does not fit the trainer's ``model`` (PPO: the
    model; SAC: its ``actor`` and ``critic``), else of the error ``exc`` it raised."""
    modules: dict[str, torch.nn.Module] = {}
    sac = getattr(model, "sac_network", None)
    if sac is not None:
        modules = {k: getattr(sac, k) for k in ("actor", "critic") if hasattr(sac, k)}
    elif isinstance(model, torch.nn.Module):
        modules = {"model": model}
    if isinstance(exc, KeyError):  # a missing top-level entry: name it
        exc = RuntimeError(f"the checkpoint has no {exc} entry (keys: {sorted(state)})")
    return mismatch_message(path, modules, state, exc)
