"""rl_games import path ``rl_games.algos_torch.torch_ext``: the helpers research code calls.

Re-exports only. Checkpoints load with ``weights_only=True`` (a file holding pickled code is
refused with a clear message instead of running it); ``safe_filesystem_op`` retries ``OSError``
only (other errors will not heal by waiting).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rl_games.algos.ppo.diagnostics import explained_variance
from rl_games.training.checkpoint import load_checkpoint as _load
from rl_games.training.checkpoint import save_checkpoint as _save
from rl_games.training.checkpoint import strip_compile_prefix
from rl_games.utils.files import retry_filesystem_op as safe_filesystem_op
from rl_games.utils.meters import AverageMeter
from rl_games.utils.tensor_ops import (
    NUMPY_TO_TORCH_DTYPE,
    TORCH_TO_NUMPY_DTYPE,
    apply_masks,
    get_mean,
    mean_list,
    mean_mask,
    normalization_with_masks,
    policy_clip_fraction,
    policy_kl,
    random_sample,
    shape_cwh_to_whc,
    shape_whc_to_cwh,
)
from rl_games.utils.tensor_ops import mean_std_with_masks as get_mean_std_with_masks
from rl_games.utils.tensor_ops import mean_var_with_masks as get_mean_var_with_masks

numpy_to_torch_dtype_dict = NUMPY_TO_TORCH_DTYPE
torch_to_numpy_dtype_dict = TORCH_TO_NUMPY_DTYPE


def save_checkpoint(filename: str | Path, state: dict[str, Any]) -> Path:
    """Atomic write of ``state`` to ``filename`` (``.pth`` appended when missing)."""
    return safe_filesystem_op(_save, filename, state)


def load_checkpoint(filename: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    """Safe load (``weights_only``) with ``_orig_mod.`` prefixes removed."""
    return _load(filename, map_location=map_location)


def safe_save(state: dict[str, Any], filename: str | Path) -> Path:
    """rl_games' argument order: ``(state, filename)``; the file name is kept as given."""
    return safe_filesystem_op(_save, filename, state, keep_suffix=True)


def safe_load(filename: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    return load_checkpoint(filename, map_location)


__all__ = [
    "AverageMeter",
    "apply_masks",
    "explained_variance",
    "get_mean",
    "get_mean_std_with_masks",
    "get_mean_var_with_masks",
    "load_checkpoint",
    "mean_list",
    "mean_mask",
    "normalization_with_masks",
    "numpy_to_torch_dtype_dict",
    "policy_clip_fraction",
    "policy_kl",
    "random_sample",
    "safe_filesystem_op",
    "safe_load",
    "safe_save",
    "save_checkpoint",
    "shape_cwh_to_whc",
    "shape_whc_to_cwh",
    "strip_compile_prefix",
    "torch_to_numpy_dtype_dict",
]
