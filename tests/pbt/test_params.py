"""rl_games' runtime parameter API on real agents: values reach the optimizer, the schedule and
the loss config, and survive a checkpoint round trip (a changed launch config wins)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rl_games.algos.ppo.agent import PPOAgent
from rl_games.config import apply_overrides, parse_params

REPO = Path(__file__).resolve().parents[2]


def _ppo(tmp_path: Path, *sets: str) -> PPOAgent:
    doc = yaml.safe_load((REPO / "configs" / "ppo_cartpole_torch.yaml").read_text())
    base = [f"config.train_dir={tmp_path}", "config.full_experiment_name=run", *sets]
    return PPOAgent("run", parse_params(apply_overrides(doc, base)).params)


def test_set_param_reaches_optimizer_schedule_and_loss_config(tmp_path: Path):
    agent = _ppo(tmp_path, "config.lr_schedule=linear", "config.max_epochs=100")
    agent.epoch_num = 50  # half way: lr_now = min + (start - min) * 0.5
    agent.set_param("learning_rate", 1e-3)
    assert agent.get_param("learning_rate") == 1e-3
    assert [g["lr"] for g in agent.optimizer.param_groups] == [1e-3]
    sched = agent.scheduler
    assert sched.start_lr == pytest.approx(sched.min_lr + (1e-3 - sched.min_lr) / 0.5)
    lr, _ = sched.update(agent.last_lr, agent.entropy_coef, 50, 0, 0.0)
    assert lr == pytest.approx(1e-3)  # the schedule goes on from the new value
    agent.set_params({"e_clip": 0.1, "gamma": 0.95, "mini_epochs_num": 2.0, "entropy_coef": 0.02})
    assert (agent.e_clip, agent.gamma, agent.cfg.mini_epochs, agent.entropy_coef) == (
        0.1, 0.95, 2, 0.02,
    )  # fmt: skip
    assert agent.params.config.e_clip == 0.2  # the launch config is kept
    with pytest.raises(NotImplementedError, match="supported"):
        agent.get_param("nope")


def test_adaptive_kl_threshold_and_checkpoint_round_trip(tmp_path: Path):
    agent = _ppo(tmp_path, "config.lr_schedule=adaptive")
    agent.set_params({"kl_threshold": 0.02, "learning_rate": 5e-4, "e_clip": 0.15})
    assert agent.scheduler.kl_threshold == 0.02
    state = agent.get_full_state_weights()
    same = _ppo(tmp_path, "config.lr_schedule=adaptive")
    same.set_full_state_weights(state)  # a resume: the changed values carry over
    assert same.get_params() == agent.get_params()
    assert same.optimizer.param_groups[0]["lr"] == 5e-4
    changed = _ppo(tmp_path, "config.lr_schedule=adaptive", "config.e_clip=0.3")
    changed.set_full_state_weights(state)  # --set config.e_clip=0.3: the config wins
    assert changed.e_clip == 0.3 and changed.get_param("learning_rate") == 5e-4


def test_sac_learning_rates_and_discount(tmp_path: Path):
    from rl_games.algos.sac.agent import SACAgent

    doc = yaml.safe_load((REPO / "configs" / "sac_pendulum.yaml").read_text())
    sets = [
        f"config.train_dir={tmp_path}",
        "config.full_experiment_name=run",
        "config.num_actors=2",
    ]
    agent = SACAgent("run", parse_params(apply_overrides(doc, sets)).params)
    assert {"actor_lr", "critic_lr", "alpha_lr", "gamma", "critic_tau"} <= set(agent.get_params())
    agent.set_params({"critic_lr": 1e-4, "gamma": 0.9, "critic_tau": 0.01})
    assert agent.critic_optimizer.param_groups[0]["lr"] == 1e-4
    assert (agent.gamma, agent.critic_tau) == (0.9, 0.01)  # what the update reads
