"""Multi-discrete PPO and action masks: the masked test envs learn and never take a masked action;
the ``multi_discrete_a2c`` model's log-probs, entropies and masks follow rl_games' rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rl_games.algos.ppo.agent import PPOAgent
from rl_games.builders import build_model
from rl_games.config import parse_params
from rl_games.networks import distributions as D

pytestmark = pytest.mark.usefixtures("one_thread")


def _doc(env_name: str, model: str, space: str, tmp_path: Path, **config: object) -> dict:
    return {
        "params": {
            "seed": 1,
            "torch_threads": 1,
            "algo": {"name": "a2c_discrete"},
            "model": {"name": model},
            "network": {
                "name": "actor_critic",
                "separate": False,
                "space": {space: {}},
                "mlp": {"units": [64, 64], "activation": "relu"},
            },
            "config": {
                "name": "masked",
                "env_name": env_name,
                "device": "cpu",
                "use_action_masks": True,
                "gamma": 0.9,
                "tau": 0.9,
                "learning_rate": 3e-3,
                "score_to_win": 31.5,  # of 32: the right valid action on almost every step
                "truncate_grads": True,
                "num_actors": 64,
                "horizon_length": 32,
                "minibatch_size": 1024,
                "mini_epochs": 4,
                "critic_coef": 1,
                "max_epochs": 60,
                "save_best_after": 1000,
                "train_dir": str(tmp_path),
                **config,
            },
        }
    }


def _agent(doc: dict) -> PPOAgent:
    return PPOAgent("run", parse_params(doc).params)


def _assert_learns_without_violations(agent: PPOAgent) -> None:
    reward = agent.train()
    env = agent.env.env
    assert reward is not None and reward > 31.5, reward
    assert agent.epoch_num < 60
    assert int(env.violations) == 0  # counted by the env on every step of training
    # the last rollout's stored actions all lie inside the masks stored with them
    s = agent.experience_buffer
    actions = s["actions"].reshape(-1, len(env.nvec)) + env._offsets
    assert s["action_masks"].reshape(actions.shape[0], -1).gather(1, actions).all()


def test_multidiscrete_masked_env_learns_and_never_takes_a_masked_action(tmp_path: Path) -> None:
    doc = _doc("MultiDiscreteMaskedTest-v0", "multi_discrete_a2c", "multi_discrete", tmp_path)
    agent = _agent(doc)
    assert agent.experience_buffer["action_masks"].shape == (32, 64, 12)
    _assert_learns_without_violations(agent)


def test_discrete_masked_env_learns_and_never_takes_a_masked_action(tmp_path: Path) -> None:
    doc = _doc("MaskedDiscreteTest-v0", "discrete_a2c", "discrete", tmp_path)
    _assert_learns_without_violations(_agent(doc))


def test_without_masks_the_policy_takes_masked_actions(tmp_path: Path) -> None:
    doc = _doc(
        "MultiDiscreteMaskedTest-v0",
        "multi_discrete_a2c",
        "multi_discrete",
        tmp_path,
        use_action_masks=False,
    )
    agent = _agent(doc)
    assert "action_masks" not in agent.experience_buffer
    agent.obs = agent.env.reset()
    agent.collect_steps()
    assert int(agent.env.env.violations) > 0  # so masking is what keeps the trained agent clean


def _model() -> torch.nn.Module:
    doc = _doc("MultiDiscreteMaskedTest-v0", "multi_discrete_a2c", "multi_discrete", Path("."))
    return build_model(
        parse_params(doc).params,
        {"actions_num": [3, 4], "input_shape": (5,), "value_size": 1, "num_seqs": 8},
    )


def test_multidiscrete_model_sums_heads_and_applies_split_masks() -> None:
    torch.manual_seed(0)
    model = _model()
    obs = torch.randn(256, 5)
    masks = torch.ones(256, 7, dtype=torch.bool)
    masks[:, [0, 1]] = False  # head 0: only action 2 allowed
    masks[:128, 3] = False  # head 1: action 0 forbidden in the first half
    model.eval()
    res = model.act({"obs": obs, "action_masks": masks})
    actions = res["actions"]
    assert actions.shape == (256, 2) and actions.dtype == torch.long
    assert torch.all(actions[:, 0] == 2) and torch.all(actions[:128, 1] != 0)
    logits = res["logits"]
    assert [lg.shape[-1] for lg in logits] == [3, 4]
    expected = D.categorical_neglogp(logits[0], actions[:, 0]) + D.categorical_neglogp(
        logits[1], actions[:, 1]
    )
    assert torch.allclose(res["neglogpacs"], expected)
    model.train()
    ev = model.evaluate({"obs": obs, "prev_actions": actions, "action_masks": masks})
    assert torch.allclose(ev["prev_neglogp"], res["neglogpacs"], atol=1e-6)  # masked in training
    # head 0 has one valid action: its masked entropy is 0, so the sum is head 1's entropy
    h1 = D.categorical_entropy(D.apply_mask(logits[1], masks[:, 3:]), masks[:, 3:])
    assert torch.allclose(ev["entropy"], h1, atol=1e-6)
    det = model.act({"obs": obs, "action_masks": masks, "deterministic": True})["actions"]
    assert torch.equal(det[:, 1], torch.stack([lg.argmax(-1) for lg in logits])[1])
