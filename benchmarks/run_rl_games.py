#!/usr/bin/env python
"""Train with the reference tool, rl-games 1.6.5, on an rl_games YAML.

Run it with the rl-games venv (benchmarks/setup_rl_games_venv.sh creates it):

    benchmarks/.venv-rlgames/bin/python benchmarks/run_rl_games.py \
        --file benchmarks/configs/ppo_cartpole.yaml --seed 1 --threads 2 \
        --train_dir benchmarks/results/runs --name cartpole_rlg_s1

The rl-games wheel ships no runner.py; this is the few lines that replace it: load the YAML
(safe_load), apply overrides, `rl_games.torch_runner.Runner().load(cfg)`, then
`.run({'train': True, 'play': False, ...})`.

TensorBoard summaries land in `<train_dir>/<name>/summaries/` (tags `rewards/time` with x = int
seconds of rollout+update time, `rewards/step` with x = frames, and
`performance/step_inference_rl_update_fps`).

Overrides (all optional):
  --seed S            params.seed (rl_games leaves env_config.seed alone if the YAML sets it)
  --device D          config.device and config.device_name (default: cpu)
  --threads N         params.torch_threads (rl_games' default 'auto' is min(4, cpus))
  --max_frames F      config.max_frames
  --train_dir / --name   config.train_dir / config.full_experiment_name
  --set path=value    any key, path relative to `params` (value parsed as YAML), repeatable,
                      e.g. --set config.torch_compile=False --set config.player.use_vecenv=True
  --stop-score X      stop at the end of the first epoch whose 100-game mean reward >= X
                      (rl_games itself only checks score_to_win on a new best once
                      epoch >= save_best_after; this makes the process wall-clock comparable)

Quirks of rl-games 1.6.5 handled or documented here:
  * env types gym/openai_gym/gymnasium need Ray (RayVecEnv); only envpool configs are used.
  * config.device defaults to 'cuda:0' and player device_name to 'cuda': both set from --device.
  * envpool players need config.player.use_vecenv: True (set by default here, harmless in train).
  * torch.compile is ON unless config.torch_compile: False (cold inductor cache: ~27 s first epoch).
  * setting only config.max_steps crashes (np.max(a, b) takes b as the axis): use max_frames.
"""

from __future__ import annotations

import time

T_PROCESS_START = time.time()  # before the heavy imports: startup counts in wall-clock

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import yaml  # noqa: E402


def _set_path(params: dict, path: str, value) -> None:
    keys = path.split(".")
    node = params
    for k in keys[:-1]:
        if not isinstance(node.get(k), dict):
            node[k] = {}
        node = node[k]
    node[keys[-1]] = value


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--file", "-f", required=True)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--max_frames", "--max-frames", type=int, default=None)
    p.add_argument("--train_dir", "--train-dir", default=None)
    p.add_argument("--name", "--full_experiment_name", dest="name", default=None)
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="PATH=VALUE")
    p.add_argument("--stop-score", type=float, default=None)
    p.add_argument("--meta-out", default=None, help="write timing/meta JSON here at exit")
    return p.parse_args()


def main() -> int:
    args = _parse()
    warnings.filterwarnings("ignore", message=".*precision lowered.*")

    with open(args.file) as f:
        cfg = yaml.safe_load(f)
    params = cfg["params"]
    config = params.setdefault("config", {})

    if args.seed is not None:
        params["seed"] = args.seed
    if args.device:
        config["device"] = args.device
        config["device_name"] = args.device
    if args.threads is not None:
        params["torch_threads"] = args.threads
    if args.max_frames is not None:
        config["max_frames"] = args.max_frames
    if args.train_dir is not None:
        config["train_dir"] = args.train_dir
    if args.name is not None:
        config["full_experiment_name"] = args.name
    if config.get("env_name") == "envpool":
        config.setdefault("player", {}).setdefault("use_vecenv", True)
    for item in args.sets:
        if "=" not in item:
            print(f"--set expects path=value, got {item!r}", file=sys.stderr)
            return 2
        path, raw = item.split("=", 1)
        _set_path(params, path.strip(), yaml.safe_load(raw))

    import torch

    from rl_games.torch_runner import Runner
    from rl_games.training.observers import DefaultAlgoObserver

    class StopAtScore(DefaultAlgoObserver):
        """Ends training at the first epoch whose mean reward reaches `score`.

        after_print_stats runs inside write_stats, before the epoch's rewards/* points are
        written and before the max_frames check, so setting max_frames to the current frame makes
        rl_games write this epoch's rewards, save a `last_*` checkpoint and exit normally.
        """

        def __init__(self, score: float | None):
            super().__init__()
            self.score = score
            self.hit = None

        def after_print_stats(self, frame, epoch_num, total_time):
            super().after_print_stats(frame, epoch_num, total_time)
            if self.score is None or self.hit is not None:
                return
            gr = getattr(self.algo, "game_rewards", None)
            if gr is None or gr.current_size == 0:
                return
            mean = float(gr.get_mean()[0])
            if mean >= self.score:
                self.hit = {
                    "epoch": int(epoch_num),
                    "frame": int(self.algo.frame),
                    "mean_reward": mean,
                }
                print(
                    f"[run_rl_games] stop score {self.score} reached: {mean:.3f} at epoch {epoch_num}"
                )
                self.algo.max_frames = max(1, int(self.algo.frame))

    observer = StopAtScore(args.stop_score)
    t_imports = time.time()
    runner = Runner(algo_observer=observer)
    runner.load(cfg)
    print(f"[run_rl_games] torch {torch.__version__}, torch threads {torch.get_num_threads()}")
    rc = 0
    try:
        runner.run({"train": True, "play": False, "checkpoint": None, "sigma": None})
    except KeyboardInterrupt:
        rc = 130
    t_end = time.time()
    meta = {
        "tool": "rl_games",
        "t_process_start": T_PROCESS_START,
        "t_after_imports": t_imports,
        "t_end": t_end,
        "wall_s": t_end - T_PROCESS_START,
        "torch_threads": torch.get_num_threads(),
        "stop_hit": observer.hit,
    }
    print("[run_rl_games] " + json.dumps(meta))
    if args.meta_out:
        os.makedirs(os.path.dirname(os.path.abspath(args.meta_out)), exist_ok=True)
        with open(args.meta_out, "w") as f:
            json.dump(meta, f)
    return rc


if __name__ == "__main__":
    sys.exit(main())
