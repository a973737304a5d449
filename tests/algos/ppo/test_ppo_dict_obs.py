"""Dict observations: per-key rollout storage and normalizers, ``network.obs_keys`` routing into
the MLP, and a dict-observation env that trains (and its checkpoint plays)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from conftest import REPO

from rl_games.algos.ppo.agent import PPOAgent
from rl_games.builders import build_model
from rl_games.config import apply_overrides, parse_params
from rl_games.networks.normalization import RunningMeanStdObs
from rl_games.training.player import PPOPlayer

pytestmark = pytest.mark.usefixtures("one_thread")


def _params(tmp_path: Path, *sets: str):
    doc = yaml.safe_load((REPO / "configs" / "ppo_cartpole_torch.yaml").read_text())
    base = [
        "config.env_name=DictObsTest-v0",
        "config.normalize_input=True",
        f"config.train_dir={tmp_path}",
        "config.full_experiment_name=run",
    ]
    return parse_params(apply_overrides(doc, [*base, *sets])).params


def test_dict_obs_env_trains_with_per_key_normalization(tmp_path: Path) -> None:
    agent = PPOAgent("run", _params(tmp_path, "config.score_to_win=300"))
    obs_buf = agent.experience_buffer["obses"]
    assert set(obs_buf) == {"pos", "vel"} and obs_buf["vel"].shape == (32, 64, 2)
    rms = agent.model.running_mean_std
    assert isinstance(rms, RunningMeanStdObs)
    reward = agent.train()
    assert reward is not None and reward > 300, reward
    assert agent.env.tensor_mode is True
    state = agent.model.state_dict()
    pos_var = state["running_mean_std.running_mean_std.pos.running_var"]
    vel_var = state["running_mean_std.running_mean_std.vel.running_var"]
    assert float(vel_var.min()) > 10 * float(pos_var.max())  # 'vel' is scaled by 10: own stats

    best = tmp_path / "run" / "nn" / "cartpole_torch.pth"
    params = _params(tmp_path, "config.player.games_num=4", "config.player.num_actors=4")
    player = PPOPlayer(params)
    player.restore(best)
    result = player.run()
    assert result["games"] >= 4 and result["av_reward"] > 200


def _net(obs_keys: list[str] | None) -> torch.nn.Module:
    keys = {} if obs_keys is None else {"network.obs_keys": obs_keys}
    params = _params(Path("."), *(f"{k}={v}" for k, v in keys.items()))
    shapes = {"vel": (2,), "pos": (2,), "img": (3, 2)}
    model = build_model(params, {"actions_num": 2, "input_shape": shapes, "value_size": 1})
    return model.a2c_network


def test_obs_keys_route_named_keys_into_the_mlp() -> None:
    net = _net(None)  # default: every key, flattened, in sorted order
    assert net.obs_keys == ["img", "pos", "vel"] and net.actor_mlp[0].in_features == 10
    obs = {"vel": torch.ones(5, 2), "pos": torch.zeros(5, 2), "img": torch.full((5, 3, 2), 2.0)}
    assert torch.equal(net._input(obs)[0], torch.tensor([2.0] * 6 + [0.0] * 2 + [1.0] * 2))
    logits, value, _ = net({"obs": obs})
    assert logits.shape == (5, 2) and value.shape == (5, 1)
    net = _net(["vel", "pos"])
    assert net.obs_keys == ["vel", "pos"] and net.actor_mlp[0].in_features == 4
    assert torch.equal(net._input(obs)[0], torch.tensor([1.0, 1.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="obs_keys"):
        _net(["velocity"])
