"""Recurrent PPO on CartPole with the velocities masked (envpool): states stored per sequence,
training sequences replay the rollout exactly (episode resets inside sequences, envpool reset
rows), and an LSTM learns what an MLP cannot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
import yaml
from conftest import REPO, run_cli

from rl_games.algos.ppo.agent import PPOAgent
from rl_games.config import apply_overrides, parse_params
from rl_games.envs import create_vec_env

CFG = REPO / "configs" / "ppo_cartpole_masked_velocity_rnn.yaml"
SMALL = ("config.num_actors=4", "config.horizon_length=32", "config.minibatch_size=64")


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """In-process agents: one torch thread (the CLI's torch_threads; 2 threads on a busy
    2-core machine are many times slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _agent(*sets: str) -> PPOAgent:
    doc = apply_overrides(yaml.safe_load(CFG.read_text()), ["seed=3", *SMALL, *sets])
    agent = PPOAgent("run", parse_params(doc).params)
    agent.obs = agent.env.reset()
    agent.dones = torch.ones(agent.num_envs)
    return agent


def test_masked_velocity_env_zeroes_velocities() -> None:
    env = create_vec_env("CartPoleMaskedVelocity-v1", 3)
    obs = env.reset()
    for _ in range(5):
        obs, *_ = env.step([0, 1, 1])
        assert obs.shape == (3, 4)
        assert (obs[:, [1, 3]] == 0).all() and (obs[:, [0, 2]] != 0).any()
    env.close()


def _batch(agent: PPOAgent) -> dict:
    """The training dataset of the filled experience buffer (GAE, normalizations)."""
    agent.prepare_dataset(agent.compute_batch_dict())
    return agent.dataset.values_dict


@pytest.mark.parametrize(
    "sets",
    [
        (),  # LSTM, separate towers, rnn after the mlp with concat_input and layer_norm
        ("network.rnn.name=gru", "network.separate=False", "network.rnn.before_mlp=True"),
    ],
    ids=["lstm_separate", "gru_shared_before_mlp"],
)
def test_training_sequences_replay_the_rollout(sets: tuple[str, ...]) -> None:
    """Re-evaluating the whole batch from the stored per-sequence states (with in-sequence
    resets) reproduces the rollout's log-probs and values exactly."""
    torch.manual_seed(0)
    agent = _agent("config.seq_length=8", "config.horizon_length=64", *sets)
    first_states = agent.rnn_states
    agent.collect_steps()
    s = agent.experience_buffer
    assert s.rnn_states.shape[:2] == (64 // 8, len(first_states))
    assert all(torch.equal(s.rnn_states[0, i], st) for i, st in enumerate(first_states))
    inside = s["dones"][torch.arange(64) % 8 != 0]  # episode starts inside a sequence
    assert inside.sum() >= 2
    batch = _batch(agent)
    assert batch["rnn_states"].shape[2] == 4 * (64 // 8)  # envs * sequences per env
    agent.model.eval()
    with torch.no_grad():
        inp = {
            "obs": batch["obs"],
            "prev_actions": batch["actions"],
            "rnn_states": tuple(batch["rnn_states"]),
            "seq_length": 8,
            "dones": batch["dones"],
        }
        res = agent.model.evaluate(inp)
        stale = agent.model.evaluate({**inp, "dones": None})
    assert torch.allclose(res["prev_neglogp"], batch["old_logp_actions"], atol=1e-5)
    assert torch.allclose(res["values"], batch["old_values"], atol=1e-5)
    assert not torch.allclose(stale["prev_neglogp"], batch["old_logp_actions"], atol=1e-3)


def test_minibatches_are_whole_sequences_and_update_runs() -> None:
    torch.manual_seed(0)
    agent = _agent("config.seq_length=16", "config.mini_epochs=2")
    agent.collect_steps()
    batch = _batch(agent)
    before = {k: v.clone() for k, v in agent.model.state_dict().items()}
    agent.set_train()
    stats = agent.train_mini_epochs()
    assert all(torch.isfinite(torch.tensor(v)) for v in stats.values())
    changed = [k for k, v in agent.model.state_dict().items() if not torch.equal(v, before[k])]
    assert any(".a_rnn.rnn." in k for k in changed) and any(".c_rnn.rnn." in k for k in changed)
    assert "rnn_states" in batch  # the update reads the states without consuming them


def _train(tmp_path: Path, *sets: str, cfg: Path = CFG) -> str:
    args = ["--train", "--file", str(cfg), "--set", f"config.train_dir={tmp_path}"]
    args += ["--set", "config.full_experiment_name=run"]
    for s in sets:
        args += ["--set", s]
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _best_reward(stdout: str) -> float:
    rewards = [float(r) for r in re.findall(r"reward (-?[\d.]+) len", stdout)]
    assert rewards, stdout[-2000:]
    return max(rewards)


def test_lstm_learns_masked_velocity_cartpole(tmp_path: Path) -> None:
    """An MLP plateaus near 50 on this env (test_mlp_baseline_on_masked_cartpole); the LSTM
    passes 150 within 80k frames."""
    out = _train(tmp_path, "config.max_frames=80000", "config.score_to_win=200")
    assert _best_reward(out) >= 150


def test_gru_policy_runs(tmp_path: Path) -> None:
    out = _train(tmp_path, "network.rnn.name=gru", "config.max_epochs=3", "config.max_frames=-1")
    assert "epoch 3/3" in out
    ckpt = next((tmp_path / "run" / "nn").glob("last_*.pth"))
    names = torch.load(ckpt, map_location="cpu", weights_only=False)["model"]
    assert "a2c_network.a_rnn.rnn.weight_hh_l0" in names
    assert names["a2c_network.a_rnn.rnn.weight_hh_l0"].shape == (3 * 64, 64)  # GRU gates


@pytest.mark.slow
def test_mlp_baseline_on_masked_cartpole(tmp_path: Path) -> None:
    """The same budget without the LSTM: memoryless policies stay far below the LSTM."""
    doc = yaml.safe_load(CFG.read_text())
    del doc["params"]["network"]["rnn"]
    mlp_cfg = tmp_path / "mlp.yaml"
    mlp_cfg.write_text(yaml.safe_dump(doc))
    sets = ("network.mlp.units=[64, 64]", "config.max_frames=80000", "config.score_to_win=200")
    out = _train(tmp_path, *sets, cfg=mlp_cfg)
    assert _best_reward(out) < 100
