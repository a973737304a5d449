"""What a trainer does under torchrun: which tensors every rank holds identically, gradient
all-reduce, start-of-training broadcast, normalizer merging, the agreed stop decision and the
end-of-training replica check. Every method is a no-op for a single process."""

from __future__ import annotations

from typing import Any

import torch

from rl_games.training import distributed as dist_utils


class ReplicaMixin:
    """Mixed into :class:`rl_games.training.base.TrainerBase` (which sets the attributes used)."""

    rank: int
    world_size: int
    cfg: Any
    epoch_num: int
    frame: int
    interrupt_requested: str | None
    _stats_sync: dist_utils.StatsSync | None

    def stop_reason(self, mean_reward: float | None) -> str | None:
        raise NotImplementedError

    def replica_modules(self) -> list[torch.nn.Module]:
        """Modules kept identical on every rank (parameters broadcast, normalizers merged)."""
        model = getattr(self, "model", None)
        return [model] if isinstance(model, torch.nn.Module) else []

    def replica_tensors(self, buffers: bool = True) -> dict[str, torch.Tensor]:
        """Named tensors that every rank must hold bitwise-identically; trainers may add more."""
        out: dict[str, torch.Tensor] = {}
        for i, module in enumerate(self.replica_modules()):
            named = [*module.named_parameters(), *(module.named_buffers() if buffers else ())]
            out.update((f"{i}.{name}", t) for name, t in named)
        return out

    def all_reduce_gradients(self, params: Any) -> None:
        """Average ``params``' gradients over ranks (one flattened all-reduce); no-op alone."""
        if self.world_size > 1:
            dist_utils.all_reduce_gradients(params, self.world_size)

    def broadcast_replicas(self) -> None:
        """Training start (after any restore): rank 0's parameters and buffers on every rank."""
        if self.world_size <= 1:
            return
        dist_utils.broadcast_tensors(self.replica_tensors().values())
        if getattr(self.cfg, "multi_gpu_sync_stats", True):
            mode = getattr(self.cfg, "multi_gpu_sync_stats_mode", "pooled")
            self._stats_sync = dist_utils.StatsSync(self.replica_modules(), mode)

    def sync_stats(self) -> None:
        """Merge normalizer statistics across ranks (every epoch, after the update)."""
        if self._stats_sync is not None:
            self._stats_sync.sync()

    def decide_stop(self, mean_reward: float | None) -> str | None:
        """``stop_reason`` on rank 0 (any rank's interrupt too), agreed so all ranks leave together."""
        if self.world_size <= 1:
            return self.stop_reason(mean_reward)
        if self.rank == 0:
            reason = self.stop_reason(mean_reward)
        else:
            reason = "interrupted" if self.interrupt_requested is not None else None
        agreed = dist_utils.agree_stop(reason)
        if agreed == "interrupted" and self.interrupt_requested is None:
            self.interrupt_requested = "signal to another rank"
        return agreed

    def finish_replicas(self, reason: str | None) -> None:
        """End of training: check (log) that all ranks hold the same bits; test dump hook."""
        if self.world_size <= 1 or reason == "interrupted":
            return
        state = self.replica_tensors(buffers=self._stats_sync is not None)
        dist_utils.check_replicas(state, self.rank)
        extra = {"epoch": self.epoch_num, "frame": self.frame, "lr": getattr(self, "last_lr", None)}
        dist_utils.maybe_dump_state({**state, **extra}, self.rank)
