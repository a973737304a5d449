"""Rollout intra-op threads: which models/envs get a one-thread rollout, and that the thread
count is restored for the update (also when the rollout raises), in a real PPO epoch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from conftest import REPO
from torch import nn

from rl_games.runner import Runner
from rl_games.training.threads import intra_op_threads, rollout_threads

CPU = torch.device("cpu")


def test_rollout_threads_rule() -> None:
    mlp = nn.Sequential(nn.Linear(4, 8), nn.ELU(), nn.Linear(8, 2))
    cnn = nn.Sequential(nn.Conv2d(4, 8, 3), nn.Flatten())
    assert rollout_threads(mlp, CPU, env_tensor_mode=False) == 1  # numpy env (envpool, gym)
    assert rollout_threads(mlp, CPU, env_tensor_mode=True) is None  # the env is torch math
    assert rollout_threads(mlp, CPU, env_tensor_mode=None) is None  # not reset yet: unknown
    assert rollout_threads(cnn, CPU, env_tensor_mode=False) is None  # oneDNN conv kernels
    assert rollout_threads(mlp, torch.device("cuda"), env_tensor_mode=False) is None


def test_intra_op_threads_restores(one_thread: None) -> None:
    torch.set_num_threads(2)
    try:
        with intra_op_threads(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError), intra_op_threads(1):
            raise RuntimeError("rollout failed")
        assert torch.get_num_threads() == 2
        with intra_op_threads(None):
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


def test_ppo_rollout_runs_single_threaded_and_update_keeps_threads(
    tmp_path: Path, one_thread: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rl_games.algos.ppo.agent import PPOAgent

    seen: list[tuple[str, int]] = []
    play, update = PPOAgent.play_steps, PPOAgent.train_mini_epochs

    def spy_play(agent: Any) -> Any:
        seen.append(("rollout", torch.get_num_threads()))
        return play(agent)

    def spy_update(agent: Any) -> Any:
        seen.append(("update", torch.get_num_threads()))
        return update(agent)

    monkeypatch.setattr(PPOAgent, "play_steps", spy_play)
    monkeypatch.setattr(PPOAgent, "train_mini_epochs", spy_update)
    runner = Runner()
    cfg = yaml.safe_load((REPO / "configs" / "ppo_cartpole.yaml").read_text())
    runner.load(cfg, [f"config.train_dir={tmp_path}", "config.max_epochs=2", "torch_threads=2"])
    runner.run({"train": True})
    assert seen == [("rollout", 1), ("update", 2)] * 2
