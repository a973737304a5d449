#!/usr/bin/env python
"""mjlab (vecenv type MJLAB): raw simulator SPS with random actions vs PPO training SPS, at the
same num_envs, on this machine.

    python benchmarks/mjlab_sps.py --num-envs 64 --epochs 10
    python benchmarks/mjlab_sps.py --config tests/data/client_configs/mjlab/ppo_go1_velocity.yaml \
        --num-envs 4096 --device cuda --epochs 20          # on a GPU

raw SPS     MjlabVecEnv.step with uniform random actions in [-1, 1] made on the device, median of
            ``--repeats`` timings of ``--steps`` steps after a warm-up (Warp compile excluded)
train SPS   the config trained ``--epochs`` epochs through ``Runner`` with ``num_actors`` set;
            median of ``performance/step_inference_rl_update_fps`` (rollout + update) over the
            epochs after the first

Set WARP_CACHE_PATH to keep the Warp kernels between runs. Prints one markdown row.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO / "configs" / "mjlab_cartpole.yaml"


def raw_sps(env_config: dict, num_envs: int, steps: int, repeats: int) -> float:
    """Env steps/s of the bare vecenv with random actions (median of ``repeats``)."""
    from rl_games.envs import create_vec_env

    env = create_vec_env("mjlab", num_envs, **env_config)
    env.reset()
    dim = env.action_space.shape[0]
    device = env.device
    for _ in range(20):  # warm-up: first-call paths
        env.step(torch.rand(num_envs, dim, device=device) * 2 - 1)
    rates = []
    for _ in range(repeats):
        actions = torch.rand(steps, num_envs, dim, device=device) * 2 - 1
        start = time.perf_counter()
        for t in range(steps):
            env.step(actions[t])
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        rates.append(steps * num_envs / (time.perf_counter() - start))
    env.close()
    return statistics.median(rates)


def train_sps(doc: dict, num_envs: int, epochs: int, device: str, train_dir: str) -> float:
    """Median rollout+update frames/s of ``epochs`` PPO epochs after the first."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from rl_games.runner import Runner

    cfg = doc["params"]["config"]
    horizon = int(cfg["horizon_length"])
    batch = horizon * num_envs
    sets = [
        f"config.train_dir={train_dir}",
        "config.full_experiment_name=sps",
        f"config.num_actors={num_envs}",
        f"config.max_epochs={epochs}",
        f"config.minibatch_size={min(int(cfg['minibatch_size']), batch)}",
        f"config.device={device}",
        f"config.env_config.device={device}",
        "config.score_to_win=1e9",
        "config.save_frequency=0",
    ]
    if "central_value_config" in cfg:
        cv_mb = min(int(cfg["central_value_config"]["minibatch_size"]), batch)
        sets.append(f"config.central_value_config.minibatch_size={cv_mb}")
    runner = Runner()
    runner.load(doc, sets)
    runner.run({"train": True})
    acc = EventAccumulator(str(Path(train_dir) / "sps" / "summaries"))
    acc.Reload()
    fps = [e.value for e in acc.Scalars("performance/step_inference_rl_update_fps")]
    return statistics.median(fps[1:] or fps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    os.environ.setdefault("WARP_CACHE_PATH", str(REPO / ".cache" / "warp"))
    doc = yaml.safe_load(args.config.read_text())
    env_config = {**doc["params"]["config"].get("env_config", {}), "device": args.device}
    raw = raw_sps(env_config, args.num_envs, args.steps, args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        train = train_sps(doc, args.num_envs, args.epochs, args.device, tmp)
    load = os.getloadavg()[0]
    print("| config | num_envs | device | training SPS | raw SPS (random actions) | ratio | load |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.config.name} | {args.num_envs} | {args.device} | {train:,.0f} | {raw:,.0f} "
        f"| {train / raw:.2f} | {load:.1f} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
