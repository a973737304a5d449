"""Training-only geometry (batch / minibatch, central-value batch, sequences) does not stop play
or export: Isaac Lab's play.py overrides ``num_actors`` with ``--num_envs`` and loads before it is
known whether training or play follows. Training and ``--check`` still fail with the message."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from rl_games.cli import main
from rl_games.config import ConfigError, parse_params
from rl_games.runner import Runner

CV_MESSAGE = (
    "params.config.central_value_config.minibatch_size: central value batch "
    "(horizon_length * num_actors) = 1024 is not divisible by minibatch_size 32768"
)
NUM_ENVS = ["config.num_actors=64"]  # play.py --num_envs 64


def shadow_hand_like(train_dir: Path) -> dict[str, Any]:
    """The shape of Isaac Lab's shadow hand central-value config, on AsymmetricCartPole-v0:
    16384 actors * horizon 16 split into 32768-sample minibatches (actor and critic)."""
    mlp = {"units": [16, 16], "activation": "elu", "initializer": {"name": "default"}}
    return {
        "params": {
            "seed": 1,
            "torch_threads": 1,
            "algo": {"name": "a2c_discrete"},
            "model": {"name": "discrete_a2c"},
            "network": {
                "name": "actor_critic",
                "separate": False,
                "space": {"discrete": {}},
                "mlp": mlp,
            },
            "config": {
                "name": "shadow_hand_like",
                "env_name": "AsymmetricCartPole-v0",
                "device": "cpu",
                "train_dir": str(train_dir),
                "learning_rate": 5e-4,
                "num_actors": 16384,
                "horizon_length": 16,
                "minibatch_size": 32768,
                "mini_epochs": 5,
                "max_epochs": 2,
                "central_value_config": {
                    "network": {"name": "actor_critic", "central_value": True, "mlp": mlp},
                    "learning_rate": 5e-4,
                    "mini_epochs": 5,
                    "minibatch_size": 32768,
                },
                "player": {"games_num": 6, "print_stats": False},
            },
        }
    }


def test_load_keeps_training_only_problems_apart(tmp_path: Path) -> None:
    runner = Runner()
    runner.load(shadow_hand_like(tmp_path), NUM_ENVS)  # does not raise
    (found,) = [str(p) for p in runner.loaded.training_problems]
    assert found.startswith(CV_MESSAGE)  # the actor's batch: a warning (agents per env unknown)
    # the full-size run has no problem at all
    runner.load(shadow_hand_like(tmp_path))
    assert runner.loaded.training_problems == []


def test_play_with_num_envs_64_warns_and_plays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from rl_games.common.player import BasePlayer

    runner = Runner()
    runner.load(shadow_hand_like(tmp_path), NUM_ENVS)
    with caplog.at_level(logging.WARNING):
        player = runner.create_player()
    assert isinstance(player, BasePlayer)
    assert f"{CV_MESSAGE}; use a divisor such as 1024 (training only; ignored for play)" in (
        caplog.text
    )
    summary = player.run()
    assert summary["games"] >= 6 and summary["av_steps"] > 0
    # Isaac Lab's own loop: the actor reads 'obs' of the env's {'obs', 'states'}
    obs = player.env.reset()["obs"]
    assert player.get_batch_size(obs, 1) == player.env.num_envs
    actions = player.get_action(player.obs_to_torch(obs), player.is_deterministic)
    assert actions.shape == (player.env.num_envs,)


def test_training_fails_with_the_message_before_building_anything(tmp_path: Path) -> None:
    runner = Runner()
    runner.load(shadow_hand_like(tmp_path / "runs"), NUM_ENVS)
    with pytest.raises(ConfigError) as exc:
        runner.run({"train": True})
    assert CV_MESSAGE in str(exc.value)
    assert runner.agent is None and not (tmp_path / "runs").exists()


def test_check_fails_and_export_only_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture, restore_logging: None
) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(shadow_hand_like(tmp_path / "runs")))
    assert main(["--check", "-q", "--file", str(cfg), "--set", NUM_ENVS[0]]) == 2
    out = capsys.readouterr().out
    assert f"error: {cfg}: 1 problem found" in out and CV_MESSAGE in out
    assert main(["--check", "-q", "--file", str(cfg)]) == 0  # 16384 actors: the batches divide
    capsys.readouterr()

    runner = Runner()
    runner.load(shadow_hand_like(tmp_path / "runs"), NUM_ENVS)
    ckpt, onnx_file = tmp_path / "policy.pth", tmp_path / "policy.onnx"
    torch.save({"model": runner.create_player().model.state_dict()}, ckpt)
    args = ["--export", "onnx", "--file", str(cfg), "--checkpoint", str(ckpt)]
    assert main([*args, "--output", str(onnx_file), "--set", NUM_ENVS[0]]) == 0
    out = capsys.readouterr().out
    assert (
        f"warning: {CV_MESSAGE}; use a divisor such as 1024 (training only; ignored for export)"
        in out
    )
    assert onnx_file.stat().st_size > 0


def test_parse_params_raises_training_problems_unless_deferred(tmp_path: Path) -> None:
    doc = shadow_hand_like(tmp_path)
    doc["params"]["config"]["num_actors"] = 64
    doc["params"]["network"]["rnn"] = {"name": "lstm", "units": 8}
    doc["params"]["config"]["seq_length"] = 5
    with pytest.raises(ConfigError) as exc:
        parse_params(copy.deepcopy(doc))
    loaded = parse_params(copy.deepcopy(doc), defer_training=True)
    deferred = [str(p) for p in loaded.training_problems]
    assert deferred == [str(p) for p in exc.value.problems]
    assert any(p.startswith(CV_MESSAGE) for p in deferred)
    assert (
        "params.config.seq_length: horizon_length 16 must be divisible by seq_length 5" in deferred
    )
    assert loaded.training_error() is not None and CV_MESSAGE in str(loaded.training_error())

    # a problem play has too is raised, listed with the training-only ones
    doc["params"]["config"]["gamma"] = 2.0
    with pytest.raises(ConfigError) as both:
        parse_params(copy.deepcopy(doc), defer_training=True)
    assert str(both.value.problems[0]).startswith("params.config.gamma: must be in (0, 1]")
    assert CV_MESSAGE in str(both.value)
