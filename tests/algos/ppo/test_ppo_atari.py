"""Atari through envpool on the CNN path: the Pong CNN and ResNet configs train a couple of
epochs end to end, and with lives (Breakout, episodic life) a game is counted only when the last
life is lost."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from conftest import REPO, run_cli

from rl_games.algos.ppo.agent import PPOAgent
from rl_games.config import apply_overrides, parse_params
from rl_games.envs.envpool_env import EnvpoolVecEnv

CNN = REPO / "configs" / "atari_pong_envpool_cnn.yaml"
RESNET = REPO / "configs" / "atari_pong_envpool_resnet.yaml"
TINY = (
    "config.device=cpu",
    "torch_threads=1",
    "config.num_actors=4",
    "config.horizon_length=16",
    "config.minibatch_size=32",
    "config.mini_epochs=1",
    "config.max_epochs=2",
)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """In-process agents: one torch thread (the CLI's torch_threads; 2 threads on a busy
    2-core machine are many times slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _train_two_epochs(cfg: Path, tmp_path: Path) -> dict:
    args = ["--train", "--file", str(cfg), "--set", f"config.train_dir={tmp_path}"]
    for s in ("config.full_experiment_name=run", *TINY):
        args += ["--set", s]
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "epoch 2/2" in proc.stdout
    ckpt = next((tmp_path / "run" / "nn").glob("last_*.pth"))
    return torch.load(ckpt, map_location="cpu", weights_only=False)["model"]


def test_pong_cnn_config_trains(tmp_path: Path) -> None:
    model = _train_two_epochs(CNN, tmp_path)
    assert model["a2c_network.actor_cnn.0.weight"].shape == (32, 4, 8, 8)
    assert model["a2c_network.actor_mlp.0.weight"].shape == (512, 64 * 7 * 7)
    assert model["a2c_network.logits.weight"].shape == (6, 512)
    assert model["running_mean_std.running_mean"].shape == (4, 84, 84)


def test_pong_resnet_config_trains(tmp_path: Path) -> None:
    model = _train_two_epochs(RESNET, tmp_path)
    assert model["a2c_network.cnn.0.conv.weight"].shape == (16, 4, 3, 3)
    assert model["a2c_network.mlp.0.weight"].shape == (512, 32 * 11 * 11)
    assert {k.split(".")[1] for k in model if k.startswith("a2c_network.")} == {
        "cnn",
        "mlp",
        "value",
        "logits",
    }


def test_envpool_lives_game_dones() -> None:
    """episodic_life ends an episode per life; infos['game_dones'] only when lives hit 0."""
    env = EnvpoolVecEnv(
        "envpool", 4, env_name="Breakout-v5", episodic_life=True, has_lives=True, seed=1
    )
    env.reset()
    rng = np.random.default_rng(0)
    life_ends = game_ends = 0
    for _ in range(400):
        _obs, _r, dones, infos = env.step(rng.integers(0, 4, 4))
        game = infos["game_dones"]
        assert not (game & ~dones).any()
        assert np.array_equal(game, dones & ((infos["lives"] == 0) | infos["time_outs"]))
        assert (infos["scores"][dones & ~game] >= 0).all()
        life_ends += int(dones.sum())
        game_ends += int(game.sum())
    env.close()
    assert game_ends >= 1 and life_ends >= 4 * game_ends


def test_episode_stats_count_games_not_lives() -> None:
    doc = yaml.safe_load(CNN.read_text())
    sets = [*TINY, "config.horizon_length=192", "config.env_config.env_name=Breakout-v5"]
    agent = PPOAgent("run", parse_params(apply_overrides(doc, ["seed=1", *sets])).params)
    agent.obs = agent.env.reset()
    agent.dones = torch.ones(agent.num_envs)
    torch.manual_seed(0)
    agent.collect_steps()
    games = agent.episodes.flush(192)
    lives_lost = int(agent.experience_buffer["dones"][1:].sum())
    assert games >= 1 and lives_lost >= 4 * games
    # a game spans all 5 lives, so its length is well above one life's
    assert min(agent.episodes.lengths) > 60
