"""stop_fn: as a callable in Runner.run(args) (wins over the config), as 'pkg.mod:fn' /
'pkg.mod.fn' in the config, for PPO and SAC; a bad target is a ValueError before any env."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, run_cli

from rl_games.runner import Runner

CARTPOLE = REPO / "configs" / "ppo_cartpole.yaml"
SAC = REPO / "configs" / "sac_pendulum.yaml"


def _runner(cfg: Path, tmp: Path, *sets: str) -> Runner:
    runner = Runner()
    base = [f"config.train_dir={tmp}", "config.full_experiment_name=run", "torch_threads=1"]
    runner.load(yaml.safe_load(cfg.read_text()), [*base, *sets])
    return runner


def test_callable_in_args_wins_and_sees_the_algorithm(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    def stop_at_3(algo: Any) -> bool:
        seen.append(
            {
                "epoch": algo.epoch_num,
                "frame": algo.frame,
                "best": algo.last_mean_rewards,
                "mean": algo.mean_rewards,
                "games": algo.game_rewards.current_size,
                "rew": algo.game_rewards.get_mean(),
                "len": algo.game_lengths.get_mean(),
                "name": algo.config["name"],
            }
        )
        return algo.epoch_num >= 3

    runner = _runner(CARTPOLE, tmp_path, "config.stop_fn=operator:truth")  # would stop at 1
    runner.run({"train": True, "stop_fn": stop_at_3})
    assert [s["epoch"] for s in seen] == [1, 2, 3]
    assert [s["frame"] for s in seen] == [512, 1024, 1536]
    last = seen[-1]
    assert last["name"] == "cartpole" and last["games"] > 0
    assert last["mean"] == pytest.approx(float(last["rew"][0]))
    assert last["len"][0] > 0 and isinstance(last["best"], float)
    assert (tmp_path / "run" / "nn" / "last_cartpole_custom_stop_ep_3.pth").is_file()


def test_config_string_stops_ppo_through_the_cli(tmp_path: Path) -> None:
    proc = run_cli(
        "--train", "--file", str(CARTPOLE), "--set", f"config.train_dir={tmp_path}",
        "--set", "config.full_experiment_name=run", "--set", "config.stop_fn=operator:truth",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "stop_fn asked to stop" in proc.stdout
    assert (tmp_path / "run" / "nn" / "last_cartpole_custom_stop_ep_1.pth").is_file()


def test_dotted_string_stops_sac(tmp_path: Path) -> None:
    runner = _runner(SAC, tmp_path, "config.stop_fn=operator.truth")
    runner.run({"train": True})
    assert runner.agent.epoch_num == 1
    assert (tmp_path / "run" / "nn" / "last_pendulum_sac_custom_stop_ep_1.pth").is_file()


@pytest.mark.parametrize(
    "where,value,message",
    [
        ("config", "no_such_module_xyz:fn", "cannot import"),
        ("config", "math:pi", "not a callable"),
        ("config", "nodots", "is not 'pkg.module:function'"),
        ("args", 42, "not a callable"),
        ("args", "operator:no_such_function", "cannot import"),
    ],
)
def test_bad_stop_fn_is_a_value_error_at_startup(
    tmp_path: Path, where: str, value: Any, message: str
) -> None:
    sets = [f"config.stop_fn={value}"] if where == "config" else []
    runner = _runner(CARTPOLE, tmp_path, *sets)
    args: dict[str, Any] = {"train": True}
    if where == "args":
        args["stop_fn"] = value
    with pytest.raises(ValueError, match=message):
        runner.run(args)
    assert runner.agent is None  # nothing was built
    assert not (tmp_path / "run").exists()


def test_cli_exits_2_on_an_unimportable_stop_fn(tmp_path: Path) -> None:
    proc = run_cli(
        "--train", "--file", str(CARTPOLE), "--set", "config.stop_fn=no_such_module_xyz.fn",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "params.config.stop_fn: cannot import 'no_such_module_xyz.fn'" in proc.stdout
