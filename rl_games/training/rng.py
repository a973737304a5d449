"""Random-number-generator state for checkpoints: torch (CPU and CUDA), numpy and ``random``.

Everything is stored as tensors, tuples and ints, so the checkpoint still loads with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import numpy as np
import torch

log = logging.getLogger(__name__)


def capture_rng() -> dict[str, Any]:
    """The global RNG states (torch CPU, every CUDA device when CUDA is up, numpy, random)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "kind": str(kind),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "python": random.getstate(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng`; CUDA states are skipped when the devices differ."""
    if "torch" in state:
        torch.set_rng_state(torch.as_tensor(state["torch"], dtype=torch.uint8).cpu())
    np_state = state.get("numpy")
    if np_state is not None:
        keys = np.asarray(torch.as_tensor(np_state["keys"]).cpu().numpy(), dtype=np.uint32)
        np.random.set_state(
            (
                np_state["kind"],
                keys,
                int(np_state["pos"]),
                int(np_state["has_gauss"]),
                float(np_state["cached_gaussian"]),
            )
        )
    if "python" in state:
        random.setstate(_as_tuple(state["python"]))
    cuda = state.get("cuda")
    if cuda:
        if torch.cuda.is_available() and torch.cuda.device_count() == len(cuda):
            torch.cuda.set_rng_state_all([torch.as_tensor(s).cpu() for s in cuda])
        else:
            log.info(
                "checkpoint has CUDA RNG states for %d device(s): not restored here", len(cuda)
            )


def _as_tuple(obj: Any) -> Any:
    """``random.setstate`` needs tuples all the way down (a list may come back from a file)."""
    if isinstance(obj, (list, tuple)):
        return tuple(_as_tuple(x) for x in obj)
    return obj


def derive_seed(seed: int, epoch: int) -> int:
    """A 31-bit seed that depends on both ``seed`` and ``epoch`` (for re-seeding envs)."""
    words = np.random.SeedSequence([int(seed) % (2**63), int(epoch)]).generate_state(1)
    return int(words[0]) & 0x7FFFFFFF
