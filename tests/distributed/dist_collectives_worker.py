"""Run under torchrun (2 ranks, gloo) by test_dist_collectives.py: exercises every helper of
rl_games.training.distributed in a real process group and prints ``rank <r> ok`` when all pass."""

from __future__ import annotations

import logging
import sys

import torch
import yaml
from torch import nn

from rl_games.networks.normalization import RunningMeanStd
from rl_games.runner import Runner
from rl_games.training import distributed as D

log = logging.getLogger("dist_collectives_worker")


def check_setup(cfg_path: str) -> D.DistContext:
    doc = yaml.safe_load(open(cfg_path))
    doc["params"]["config"]["env_config"]["seed"] = 100
    runner = Runner()
    runner.load(doc)
    params, ctx = D.setup(runner.params)
    assert ctx.initialized and ctx.world_size == 2 and ctx.backend == "gloo"
    assert params.seed == 5 + ctx.rank, params.seed
    assert params.config.env_config["seed"] == 100 + ctx.rank
    assert params.config.device == "cpu"
    return ctx


def check_broadcast(rank: int) -> None:
    ts = [
        torch.full((3,), float(rank)),
        torch.full((2, 2), rank + 0.5, dtype=torch.float64),
        torch.tensor([rank, 7]),
        torch.tensor([rank == 1, True]),
    ]
    D.broadcast_tensors(ts)
    assert torch.equal(ts[0], torch.zeros(3)) and torch.equal(
        ts[1], torch.full((2, 2), 0.5).double()
    )
    assert ts[2].tolist() == [0, 7] and ts[3].tolist() == [False, True]
    assert D.broadcast_floats([rank + 1.0, 3e-4]) == [1.0, 3e-4]
    assert D.agree_stop("max_epochs" if rank == 0 else None) == "max_epochs"
    assert D.agree_stop(None) is None
    assert D.agree_stop("score_to_win" if rank == 0 else "interrupted") == "interrupted"
    mean = D.all_reduce_mean(torch.tensor(float(rank), dtype=torch.float32), 2)
    assert mean.dtype == torch.float32 and float(mean) == 0.5


def check_gradients(rank: int) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    for i, p in enumerate(model.parameters()):
        p.grad = None if i == 3 else torch.full_like(p, float(rank + i))
    D.all_reduce_gradients(model.parameters(), 2)
    for i, p in enumerate(model.parameters()):
        if i == 3:  # no gradient on any rank: stays None (the optimizer skips it)
            assert p.grad is None
        else:  # (rank 0 + rank 1) / 2
            assert torch.equal(p.grad, torch.full_like(p, i + 0.5)), (i, p.grad)


def _batches(rank: int, round_: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(1000 * round_ + rank)
    sizes = [5 + rank, 17] if rank == 0 else [9]
    return [torch.randn(n, 3, generator=g) * (rank + 1) + rank for n in sizes]


def check_stats(rank: int) -> None:
    model = nn.Module()
    model.rms = RunningMeanStd((3,))
    reference = RunningMeanStd((3,))
    sync = D.StatsSync([model], "pooled")
    for round_ in range(3):
        if round_ != 1 or rank == 0:  # round 1: rank 1 adds nothing
            for x in _batches(rank, round_):
                model.rms.update(x)
        for r in range(2):
            if round_ != 1 or r == 0:
                for x in _batches(r, round_):
                    reference.update(x)
        sync.sync()
        assert float(model.rms.count) == float(reference.count)
        torch.testing.assert_close(
            model.rms.running_mean, reference.running_mean, rtol=1e-10, atol=1e-12
        )
        torch.testing.assert_close(
            model.rms.running_var, reference.running_var, rtol=1e-10, atol=1e-12
        )
        assert D.check_replicas(dict(model.state_dict()), rank)
    model.rms.update(torch.randn(4, 3) + rank)
    assert not D.check_replicas(dict(model.state_dict()), rank)
    D.StatsSync([model], "broadcast").sync()
    assert D.check_replicas(dict(model.state_dict()), rank)


def main() -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    ctx = check_setup(sys.argv[1])
    check_broadcast(ctx.rank)
    check_gradients(ctx.rank)
    check_stats(ctx.rank)
    D.teardown()
    log.info("rank %d ok", ctx.rank)
    return 0


if __name__ == "__main__":
    sys.exit(main())
