"""Learning-rate (and entropy-coefficient) schedules for PPO.

All schedulers share ``update(current_lr, entropy_coef, epoch, frames, kl) -> (lr, entropy)``
and ``state_dict()`` / ``load_state_dict()`` for checkpoint resume.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

__all__ = ["AdaptiveScheduler", "IdentityScheduler", "LinearScheduler"]

_MIN_ENTROPY_COEF = 1e-4


class IdentityScheduler:
    """Keeps the learning rate and entropy coefficient unchanged."""

    def update(
        self,
        current_lr: float,
        entropy_coef: float,
        epoch: int,
        frames: int,
        kl: float | Tensor,
    ) -> tuple[float, float]:
        """Return the inputs unchanged."""
        return current_lr, entropy_coef

    def state_dict(self) -> dict[str, Any]:
        """Stateless: empty dict."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Stateless: nothing to restore."""


class AdaptiveScheduler(IdentityScheduler):
    """KL-adaptive learning rate.

    ``kl > 2 * thr``: ``lr = max(lr / mult, min_lr)``; ``kl < 0.5 * thr``:
    ``lr = min(lr * mult, max_lr)``; otherwise unchanged.
    """

    def __init__(
        self,
        kl_threshold: float,
        min_lr: float = 1e-6,
        max_lr: float = 1e-2,
        lr_multiplier: float = 1.5,
    ) -> None:
        self.kl_threshold = float(kl_threshold)
        self.min_lr = float(min_lr)
        self.max_lr = float(max_lr)
        self.lr_multiplier = float(lr_multiplier)

    def update(
        self,
        current_lr: float,
        entropy_coef: float,
        epoch: int,
        frames: int,
        kl: float | Tensor,
    ) -> tuple[float, float]:
        """Shrink/grow the lr by ``lr_multiplier`` depending on ``kl`` vs the threshold."""
        # one host read per minibatch / mini-epoch (not per env step)
        kl_value = float(kl.detach().item()) if isinstance(kl, torch.Tensor) else float(kl)
        lr = current_lr
        if kl_value > 2.0 * self.kl_threshold:
            lr = max(current_lr / self.lr_multiplier, self.min_lr)
        elif kl_value < 0.5 * self.kl_threshold:
            lr = min(current_lr * self.lr_multiplier, self.max_lr)
        return lr, entropy_coef


class LinearScheduler(IdentityScheduler):
    """Linear decay from ``start_lr`` to ``min_lr`` over ``max_steps`` epochs or frames.

    ``mul = max(0, max_steps - steps) / max_steps`` with ``steps = epoch`` (``use_epochs``) or
    ``frames``; ``lr = min_lr + (start_lr - min_lr) * mul``. With ``apply_to_entropy``:
    ``entropy = 1e-4 + (start_entropy_coef - 1e-4) * mul``.
    """

    def __init__(
        self,
        start_lr: float,
        min_lr: float = 1e-6,
        max_steps: int = 1_000_000,
        use_epochs: bool = True,
        apply_to_entropy: bool = False,
        start_entropy_coef: float = 0.0,
    ) -> None:
        if max_steps <= 0:
            raise ValueError(f"LinearScheduler needs max_steps > 0, got {max_steps}")
        self.start_lr = float(start_lr)
        self.min_lr = float(min_lr)
        self.max_steps = int(max_steps)
        self.use_epochs = bool(use_epochs)
        self.apply_to_entropy = bool(apply_to_entropy)
        self.start_entropy_coef = float(start_entropy_coef)

    def _multiplier(self, epoch: int, frames: int) -> float:
        """``max(0, max_steps - steps) / max_steps``."""
        steps = epoch if self.use_epochs else frames
        return max(0, self.max_steps - steps) / self.max_steps

    def update(
        self,
        current_lr: float,
        entropy_coef: float,
        epoch: int,
        frames: int,
        kl: float | Tensor,
    ) -> tuple[float, float]:
        """Linearly interpolate lr (and optionally the entropy coefficient)."""
        mul = self._multiplier(epoch, frames)
        lr = self.min_lr + (self.start_lr - self.min_lr) * mul
        if self.apply_to_entropy:
            entropy_coef = _MIN_ENTROPY_COEF + (self.start_entropy_coef - _MIN_ENTROPY_COEF) * mul
        return lr, entropy_coef
