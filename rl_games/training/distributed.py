"""Multi-process training on ``torch.distributed`` (launched by ``torchrun``).

Process-group setup/teardown (``nccl`` on CUDA, ``gloo`` on CPU, with a timeout so a dead peer
ends the job), the collectives the trainers use (one flattened gradient all-reduce, flattened
broadcasts, small scalar broadcasts), the pooled merge of running normalizer statistics and the
end-of-run replica check. Nothing happens at import time. See ``docs/distributed.md``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn

from rl_games.networks.normalization import RunningMeanStd, merge_moments

log = logging.getLogger(__name__)

TIMEOUT_ENV = "RL_GAMES_DIST_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 60.0
DUMP_DIR_ENV = "RL_GAMES_TEST_DUMP_DIR"
# ordered: an all-reduce MAX lets any rank's "interrupted" win over rank 0's decision
STOP_REASONS: tuple[str | None, ...] = (
    None,
    "score_to_win",
    "max_epochs",
    "max_frames",
    "stop_fn",
    "interrupted",
)


@dataclasses.dataclass(frozen=True)
class DistContext:
    """Where this process sits in the job (torchrun's LOCAL_RANK, RANK, WORLD_SIZE)."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    local_world_size: int = 1
    backend: str | None = None

    @property
    def initialized(self) -> bool:
        return self.backend is not None

    def trainer_kwargs(self) -> dict[str, int]:
        return {"rank": self.rank, "world_size": self.world_size}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def env_ranks() -> DistContext:
    """The ranks torchrun exported (defaults 0/0/1 outside torchrun)."""
    world = _env_int("WORLD_SIZE", 1)
    return DistContext(
        rank=_env_int("RANK", 0),
        local_rank=_env_int("LOCAL_RANK", 0),
        world_size=world,
        local_world_size=_env_int("LOCAL_WORLD_SIZE", world),
    )


def timeout_seconds() -> float:
    """Collective timeout: ``RL_GAMES_DIST_TIMEOUT_S`` or 60 s."""
    value = os.environ.get(TIMEOUT_ENV, "").strip()
    return float(value) if value else DEFAULT_TIMEOUT_S


def rank_device(requested: str, local_rank: int) -> str:
    """``cuda:LOCAL_RANK`` when CUDA is asked for and present, else the requested device."""
    if torch.device(requested).type == "cuda" and torch.cuda.is_available():
        return f"cuda:{local_rank}"
    return "cpu" if torch.device(requested).type == "cuda" else requested


def init_process_group(device: str) -> DistContext:
    """Join the job's process group (env:// rendezvous from torchrun); idempotent."""
    ctx = env_ranks()
    if ctx.world_size <= 1:
        log.warning("multi_gpu: True but WORLD_SIZE is 1 (not under torchrun): one process")
        return ctx
    backend = "nccl" if torch.device(device).type == "cuda" else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(torch.device(device))
    if not dist.is_initialized():
        dist.init_process_group(
            backend,
            rank=ctx.rank,
            world_size=ctx.world_size,
            timeout=timedelta(seconds=timeout_seconds()),
        )
    log.info(
        "distributed: rank %d/%d (local %d) backend %s device %s",
        ctx.rank,
        ctx.world_size,
        ctx.local_rank,
        backend,
        device,
    )
    return dataclasses.replace(ctx, backend=backend)


def setup(params: Any) -> tuple[Any, DistContext]:
    """Process group + per-rank params: device ``cuda:LOCAL_RANK`` (CUDA), seeds ``seed + rank``.

    A missing seed becomes rank 0's clock seed so every rank offsets the same base.
    """
    cfg = params.config
    device = rank_device(cfg.device, env_ranks().local_rank)
    ctx = init_process_group(device)
    seed = params.seed if params.seed is not None else int(time.time())
    if ctx.initialized and params.seed is None:
        seed = int(broadcast_floats([float(seed)])[0])
    env_config = dict(cfg.env_config)
    if "seed" in env_config and env_config["seed"] is not None:
        env_config["seed"] = int(env_config["seed"]) + ctx.rank
    config = dataclasses.replace(cfg, device=device, env_config=env_config)
    return dataclasses.replace(params, seed=seed + ctx.rank, config=config), ctx


def teardown() -> None:
    """Leave the process group after a normal finish.

    Every rank first meets the others at a barrier (rank 0 may still be writing the final
    checkpoint): a rank that destroys its gloo group and exits while a peer is still using the
    connection was seen to abort (SIGABRT, "terminate called without an active exception").
    A peer that never arrives only costs the collective timeout and a warning.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    try:
        if dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=timedelta(seconds=timeout_seconds()))
        else:
            dist.barrier()
    except RuntimeError as exc:  # a peer died or timed out: leave anyway
        log.warning("distributed: ranks did not meet before teardown: %s", exc)
    dist.destroy_process_group()


# ---------------------------------------------------------------------------------- collectives
def _comm_device() -> torch.device:
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _groups(tensors: Iterable[Tensor]) -> dict[tuple[torch.dtype, torch.device], list[Tensor]]:
    out: dict[tuple[torch.dtype, torch.device], list[Tensor]] = {}
    for t in tensors:
        out.setdefault((t.dtype, t.device), []).append(t)
    return out


@torch.no_grad()
def broadcast_tensors(tensors: Iterable[Tensor], src: int = 0) -> None:
    """In-place broadcast of ``tensors`` from ``src``: one collective per (dtype, device)."""
    for (dtype, _), group in _groups(tensors).items():
        flat = torch.cat([t.detach().reshape(-1) for t in group])
        if dtype == torch.bool:
            flat = flat.to(torch.uint8)
        dist.broadcast(flat, src=src)
        offset = 0
        for t in group:
            n = t.numel()
            t.copy_(flat[offset : offset + n].view_as(t).to(dtype))
            offset += n


@torch.no_grad()
def all_reduce_gradients(params: Iterable[Tensor], world_size: int) -> None:
    """Average gradients over ranks with one flattened all-reduce (per dtype/device).

    A parameter without a gradient contributes zeros and keeps ``grad = None`` (the optimizer
    skips it, as in one process); the ranks run the same code, so they agree on which those are.
    """
    params = [p for p in params if p.requires_grad]
    for group in _groups(params).values():
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in group]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        flat.div_(world_size)
        offset = 0
        for p in group:
            n = p.numel()
            if p.grad is not None:
                p.grad.copy_(flat[offset : offset + n].view_as(p))
            offset += n


def all_reduce_mean(value: Tensor, world_size: int) -> Tensor:
    """Mean of a tensor over ranks (a new tensor; the input is unchanged)."""
    out = value.detach().to(_comm_device(), torch.float64).clone()
    dist.all_reduce(out, op=dist.ReduceOp.SUM)
    return (out / world_size).to(value.device, value.dtype)


def broadcast_floats(values: Sequence[float], src: int = 0) -> list[float]:
    """``values`` as held by ``src`` (float64)."""
    t = torch.tensor([float(v) for v in values], dtype=torch.float64, device=_comm_device())
    dist.broadcast(t, src=src)
    return t.tolist()


def agree_stop(reason: str | None) -> str | None:
    """One stop decision for all ranks: rank 0's (it alone evaluates the stop rules), unless a
    rank was interrupted (SIGINT/SIGTERM): then all ranks stop as ``interrupted``."""
    code = torch.tensor([float(STOP_REASONS.index(reason))], device=_comm_device())
    dist.all_reduce(code, op=dist.ReduceOp.MAX)
    return STOP_REASONS[int(code.item())]


def all_gather_strings(text: str) -> list[str]:
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, text)
    return [str(x) for x in out]


# ---------------------------------------------------------------------------------- normalizers
def normalizers(modules: Iterable[nn.Module]) -> list[RunningMeanStd]:
    """Every RunningMeanStd inside ``modules`` (dict-obs children included), in module order."""
    return [m for mod in modules for m in mod.modules() if isinstance(m, RunningMeanStd)]


def _local_delta(rms: RunningMeanStd, snap: tuple[Tensor, Tensor, Tensor]) -> Tensor:
    """``[count, mean..., M2...]`` of the data merged into ``rms`` since ``snap`` (Chan inverted)."""
    m0, v0, n0 = snap
    m, v, n = rms.running_mean, rms.running_var, rms.count
    nb = n - n0
    safe = torch.where(nb > 0, nb, torch.ones_like(nb))
    d = (m - m0) * n / safe
    m2 = (v * n - v0 * n0 - d**2 * n0 * nb / n).clamp(min=0.0)
    valid = nb > 0
    mean_b = torch.where(valid, m0 + d, m0)
    m2 = torch.where(valid, m2, torch.zeros_like(m2))
    count = torch.where(valid, nb, torch.zeros_like(nb))
    return torch.cat([count.reshape(1), mean_b.reshape(-1), m2.reshape(-1)])


class StatsSync:
    """Keeps RunningMeanStd statistics identical across ranks.

    ``pooled``: every rank's statistics gathered since the last merge are combined (Chan) with
    the shared snapshot, in rank order, so all ranks compute the same bits. ``broadcast``:
    rank 0's statistics are copied to every rank.
    """

    def __init__(self, modules: Iterable[nn.Module], mode: str = "pooled") -> None:
        if mode not in ("pooled", "broadcast"):
            raise ValueError(f"multi_gpu_sync_stats_mode: expected pooled or broadcast, got {mode}")
        self.rms = normalizers(modules)
        self.mode = mode
        self.snapshot: list[tuple[Tensor, Tensor, Tensor]] = []
        self.reset()

    def reset(self) -> None:
        """Take the current (identical on every rank) statistics as the shared snapshot."""
        self.snapshot = [
            (r.running_mean.clone(), r.running_var.clone(), r.count.clone()) for r in self.rms
        ]

    def buffers(self) -> list[Tensor]:
        return [b for r in self.rms for b in (r.running_mean, r.running_var, r.count)]

    @torch.no_grad()
    def sync(self) -> None:
        if not self.rms:
            return
        if self.mode == "broadcast":
            broadcast_tensors(self.buffers())
        else:
            self._pooled()
        self.reset()

    def _pooled(self) -> None:
        local = torch.cat(
            [_local_delta(r, s) for r, s in zip(self.rms, self.snapshot, strict=True)]
        )
        local = local.to(_comm_device())
        gathered = [torch.empty_like(local) for _ in range(dist.get_world_size())]
        dist.all_gather(gathered, local)
        rows = [g.to(self.rms[0].count.device) for g in gathered]
        offset = 0
        for r, (m0, v0, n0) in zip(self.rms, self.snapshot, strict=True):
            k = r.running_mean.numel()
            mean, var, count = m0, v0, n0
            for row in rows:  # a rank with no new data (count 0) leaves the moments unchanged
                nb = row[offset]
                mb = row[offset + 1 : offset + 1 + k].view_as(m0)
                m2 = row[offset + 1 + k : offset + 1 + 2 * k].view_as(m0)
                mean, var, count = merge_moments(mean, var, count, mb, m2 / nb.clamp(min=1), nb)
            r.running_mean.copy_(mean)
            r.running_var.copy_(var)
            r.count.copy_(count.reshape(r.count.shape))
            offset += 1 + 2 * k


# ---------------------------------------------------------------------------------- replica check
def state_digest(state: dict[str, Tensor]) -> str:
    """sha256 over the exact bytes of every tensor (sorted by name)."""
    h = hashlib.sha256()
    for key in sorted(state):
        t = state[key].detach().to("cpu").contiguous()
        h.update(key.encode())
        h.update(str(t.dtype).encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def check_replicas(state: dict[str, Tensor], rank: int) -> bool:
    """All-gather the digest of ``state``; logs (rank 0) whether every rank holds the same bits."""
    digests = all_gather_strings(state_digest(state))
    same = len(set(digests)) == 1
    if rank == 0:
        if same:
            log.info("distributed: replicas identical on %d ranks (%s)", len(digests), digests[0])
        else:
            log.error("distributed: replicas differ across ranks: %s", digests)
    return same


def maybe_dump_state(state: dict[str, Any], rank: int) -> Path | None:
    """Test hook: with ``RL_GAMES_TEST_DUMP_DIR`` set, every rank saves ``rank<r>.pt`` there."""
    folder = os.environ.get(DUMP_DIR_ENV, "").strip()
    if not folder:
        return None
    path = Path(folder) / f"rank{rank}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {k: v.detach().to("cpu") if isinstance(v, Tensor) else v for k, v in state.items()}, path
    )
    return path
