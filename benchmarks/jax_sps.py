"""Brax / MuJoCo Playground: training SPS vs the simulator's raw SPS at the same num_envs.

Raw SPS: the vecenv stepped with uniform random actions in [-1, 1] made by torch, through the
same DLPack path training uses (compile excluded). Training SPS: PPO with the repo config for
``--epochs`` epochs (the trainer's total frames / wall time of the epochs after the first, which
carries the compile). Prints one markdown row per config and writes JSON with ``--out``.

    python benchmarks/jax_sps.py                       # both configs, num_envs from the YAML
    python benchmarks/jax_sps.py --num-envs 256 --epochs 30
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIGS = ("brax_inverted_pendulum.yaml", "playground_cartpole_balance.yaml")
logger = logging.getLogger("jax_sps")


def raw_sps(doc: dict[str, Any], num_envs: int, steps: int, repeats: int, cache: str) -> float:
    """Median env-steps/s of the vecenv with random actions (after two untimed steps)."""
    from rl_games.envs import create_vec_env

    cfg = doc["params"]["config"]
    env_cfg = {**cfg["env_config"], "compilation_cache_dir": cache}
    env = create_vec_env(cfg["env_name"], num_envs, seed=0, device="cpu", **env_cfg)
    env.reset()
    generator = torch.Generator().manual_seed(0)
    actions = torch.rand(steps, num_envs, env.action_space.shape[0], generator=generator) * 2 - 1
    env.step(actions[0])
    env.step(actions[1])
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for t in range(steps):
            _, rewards, _, _ = env.step(actions[t])
        rewards.sum().item()  # wait for the last step
        rates.append(steps * num_envs / (time.perf_counter() - start))
    return statistics.median(rates)


def train_sps(doc: dict[str, Any], num_envs: int, epochs: int, cache: str) -> tuple[float, float]:
    """(frames/s over epochs 2..epochs, best mean reward) of a PPO run of the config."""
    from rl_games.runner import Runner

    doc["params"]["config"]["env_config"]["compilation_cache_dir"] = cache
    stamps: list[tuple[float, int]] = []

    def stop_fn(agent: Any) -> bool:
        stamps.append((time.perf_counter(), int(agent.frame)))
        return False

    with tempfile.TemporaryDirectory() as tmp:
        runner = Runner()
        sets = [
            f"config.train_dir={tmp}",
            f"config.num_actors={num_envs}",
            f"config.max_epochs={epochs}",
            "config.score_to_win=1e9",
        ]
        runner.load(doc, sets)
        runner.run({"train": True, "stop_fn": stop_fn})
    (t0, f0), (t1, f1) = stamps[0], stamps[-1]
    return (f1 - f0) / (t1 - t0), float(runner.agent.best_reward)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="*", default=list(CONFIGS))
    parser.add_argument("--num-envs", type=int, default=None, help="default: the YAML's")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    cache = os.environ.get("JAX_COMPILATION_CACHE_DIR", str(REPO / ".cache" / "jax"))
    rows = []
    for name in args.configs:
        doc = yaml.safe_load((REPO / "configs" / name).read_text())
        num_envs = args.num_envs or int(doc["params"]["config"]["num_actors"])
        raw = raw_sps(doc, num_envs, args.steps, args.repeats, cache)
        train, reward = train_sps(doc, num_envs, args.epochs, cache)
        rows.append(
            {
                "config": name,
                "num_envs": num_envs,
                "raw_sps": raw,
                "train_sps": train,
                "ratio": train / raw,
                "best_reward": reward,
                "load": os.getloadavg()[0],
            }
        )
    print("| config | num_envs | training SPS | raw SPS (random actions) | ratio | load |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['config']} | {r['num_envs']} | {r['train_sps']:,.0f} | {r['raw_sps']:,.0f} "
            f"| {r['ratio']:.2f} | {r['load']:.1f} |"
        )
    if args.out is not None:
        args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
