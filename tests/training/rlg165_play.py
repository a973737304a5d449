"""Play a checkpoint with the real rl-games 1.6.5 player (run with benchmarks/.venv-rlgames).

Usage: rlg165_play.py CONFIG.yaml CHECKPOINT.pth GAMES
Prints rl-games' own ``av reward: R av steps: S`` line. CPU, torch.compile off, envpool vecenv.
"""

from __future__ import annotations

import sys

import yaml


def main(config: str, checkpoint: str, games: int) -> None:
    with open(config) as fh:
        cfg = yaml.safe_load(fh)
    c = cfg["params"]["config"]
    c["device"] = c["device_name"] = "cpu"
    c["torch_compile"] = False
    player = c.setdefault("player", {})
    player.update(use_vecenv=True, games_num=games, print_stats=False)
    from rl_games.torch_runner import Runner

    runner = Runner()
    runner.load(cfg)
    runner.run({"train": False, "play": True, "checkpoint": checkpoint, "sigma": None})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
