"""SAC checkpoints: rl_games' key set, and a save/restore round trip into a fresh agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import yaml
from conftest import DATA

from rl_games.algos.sac.agent import SACAgent
from rl_games.runner import Runner
from rl_games.training.checkpoint import load_checkpoint

REFERENCE_CKPT = DATA / "rl_games_1.6.5" / "sac_pendulum_envpool.pth"
REFERENCE_CFG = DATA / "rl_games_1.6.5" / "sac_pendulum_envpool.yaml"

SAC_KEYS = {
    "actor",
    "critic",
    "critic_target",
    "log_alpha",
    "actor_optimizer",
    "critic_optimizer",
    "log_alpha_optimizer",
    "epoch",
    "frame",
    "last_mean_rewards",
    "env_state",
}


def make_agent(tmp_path: Path, **config: Any) -> SACAgent:
    doc = {
        "params": {
            "seed": 0,
            "algo": {"name": "sac"},
            "model": {"name": "soft_actor_critic"},
            "network": {
                "name": "soft_actor_critic",
                "separate": True,
                "mlp": {
                    "units": [16, 16],
                    "activation": "relu",
                    "initializer": {"name": "default"},
                },
                "log_std_bounds": [-5, 2],
            },
            "config": {
                "name": "ck",
                "env_name": "envpool",
                "env_config": {"env_name": "Pendulum-v1", "seed": 0},
                "device": "cpu",
                "num_actors": 2,
                "batch_size": 16,
                "replay_buffer_size": 100,
                "num_warmup_steps": 5,
                "normalize_input": True,
                "save_replay_buffer": True,
                "train_dir": str(tmp_path),
                "full_experiment_name": "run",
                "reward_shaper": {},
                **config,
            },
        }
    }
    return SACAgent("run", Runner().load(doc))


def _assert_same_tree(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _assert_same_tree(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same_tree(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    agent = make_agent(tmp_path, max_epochs=40, print_stats=False)
    agent.train()  # 5 warmup epochs, then updates: optimizers and log_alpha have moved
    assert agent.num_updates > 0 and agent.log_alpha.item() != 0.0
    path = next((tmp_path / "run" / "nn").glob("last_ck_ep_40_*.pth"))
    state = load_checkpoint(path)
    assert SAC_KEYS | {"running_mean_std", "replay_buffer"} <= set(state)
    assert set(state["actor"]) == {f"trunk.{i}.{w}" for i in (0, 2, 4) for w in ("weight", "bias")}

    fresh = make_agent(tmp_path / "fresh")
    fresh.restore(path)
    _assert_same_tree(agent.get_full_state_weights(), fresh.get_full_state_weights())
    assert fresh.epoch_num == 40 and fresh.frame == 80 and fresh.num_updates == agent.num_updates
    assert torch.equal(fresh.log_alpha, agent.log_alpha) and fresh.log_alpha.requires_grad
    assert len(fresh.replay_buffer) == len(agent.replay_buffer) == 80


def test_resume_continues_training(tmp_path: Path) -> None:
    agent = make_agent(tmp_path, max_epochs=12, print_stats=False, save_replay_buffer=False)
    agent.train()
    path = next((tmp_path / "run" / "nn").glob("last_ck_ep_12_*.pth"))
    assert "replay_buffer" not in load_checkpoint(path)
    resumed = make_agent(tmp_path / "b", max_epochs=30, print_stats=False)
    resumed.restore(path)
    before = resumed.num_updates
    resumed.train()  # empty buffer: collects batch_size rows before updating again
    assert resumed.epoch_num == 30 and resumed.num_updates == before + 30 - 12 - 7


def test_restores_rl_games_checkpoint() -> None:
    params = Runner().load(yaml.safe_load(REFERENCE_CFG.read_text()))
    agent = SACAgent("run", params)
    agent.restore(REFERENCE_CKPT)  # strict actor / critic / critic_target, optimizers, rms
    assert agent.epoch_num == 4823 and agent.frame == 38584
    assert agent.model.running_mean_std.count.item() > 1
