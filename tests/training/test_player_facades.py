"""rl_games' player import paths (``rl_games.common.player.BasePlayer``,
``rl_games.algos_torch.players``): real classes, the base of every player the runner creates,
constructible from rl_games' raw ``params`` dict and extensible through ``player_factory``."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from conftest import REPO

from rl_games.builders import PLAYERS
from rl_games.runner import Runner

CONFIGS = REPO / "configs"


def _doc(name: str) -> dict[str, Any]:
    return yaml.safe_load((CONFIGS / name).read_text())


def _runner(name: str, *sets: str) -> Runner:
    runner = Runner()
    runner.load(_doc(name), ["torch_threads=1", *sets])
    return runner


@pytest.fixture
def restore_players() -> Iterator[None]:
    saved = {name: PLAYERS.get(name) for name in PLAYERS.names()}
    yield
    for name, entry in saved.items():
        PLAYERS.register(name, entry)


def test_rl_games_import_paths_name_our_player_classes() -> None:
    from rl_games.algos_torch import players
    from rl_games.common.player import BasePlayer
    from rl_games.training import player, player_base, sac_player

    assert BasePlayer is player_base.BasePlayer
    assert players.BasePlayer is BasePlayer
    assert players.SACPlayer is sac_player.SACPlayer
    assert players.PpoPlayerContinuous is player.PpoPlayerContinuous
    for cls in (players.PpoPlayerContinuous, players.PpoPlayerDiscrete, players.SACPlayer):
        assert issubclass(cls, BasePlayer), cls
    assert issubclass(players.PpoPlayerDiscrete, player.PPOPlayer)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("ppo_cartpole_torch.yaml", "PpoPlayerDiscrete"),
        ("ppo_pendulum_torch.yaml", "PpoPlayerContinuous"),
        ("sac_pendulum.yaml", "SACPlayer"),
    ],
)
def test_runner_players_are_base_players(config: str, expected: str) -> None:
    from rl_games.common.player import BasePlayer

    player = _runner(config, "config.player.num_actors=2").create_player()
    assert isinstance(player, BasePlayer)
    assert type(player).__name__ == expected
    obs = player.obs_to_torch(player.env.reset())
    obs = obs["obs"] if isinstance(obs, dict) else obs
    assert player.get_batch_size(obs, 1) == 2
    player.reset()
    assert player.states is None and not player.is_rnn and player.is_deterministic
    actions = player.get_action(obs, player.is_deterministic)
    assert actions.shape[0] == 2


def test_a_registered_subclass_is_what_create_player_returns(restore_players: None) -> None:
    from rl_games.algos_torch.players import PpoPlayerContinuous

    class MyPlayer(PpoPlayerContinuous):
        def __init__(self, params: Any, **kwargs: Any) -> None:
            super().__init__(params, **kwargs)
            self.calls = 0

        def get_action(self, obs: Any, is_deterministic: bool = False) -> torch.Tensor:
            self.calls += 1
            return super().get_action(obs, is_deterministic)

    runner = _runner("ppo_pendulum_torch.yaml", "config.player.num_actors=3")
    runner.player_factory.register_builder("a2c_continuous", lambda **kw: MyPlayer(**kw))
    player = runner.create_player()
    assert type(player) is MyPlayer
    obs = player.env.reset()
    player.get_batch_size(obs, 1)
    actions = player.get_action(obs, True)
    assert player.calls == 1 and actions.shape == (3, 1)
    assert actions.abs().max() <= 2.0  # TorchPendulum's Box is [-2, 2]


def test_players_accept_rl_games_raw_params_dict(caplog: pytest.LogCaptureFixture) -> None:
    from rl_games.algos_torch.players import PpoPlayerContinuous
    from rl_games.config import Params

    params = _doc("ppo_pendulum_torch.yaml")["params"]
    params["config"]["player"]["num_actors"] = 4
    params["config"]["minibatch_size"] = 1000  # 128 * 16 is not divisible: training only
    params["config"]["mini_epochs"] = 0  # only the update reads it
    with caplog.at_level(logging.WARNING):
        player = PpoPlayerContinuous(params=copy.deepcopy(params))
    assert isinstance(player.params, Params)
    assert player.params.config.minibatch_size == 1000
    assert "not divisible by minibatch_size 1000" in caplog.text
    assert (
        "params.config.mini_epochs: mini_epochs must be > 0, got 0 "
        "(training only; ignored for play)" in caplog.text
    )
    obs = np.zeros((4, 3), dtype=np.float64)
    player.get_batch_size(obs, 1)
    assert player.get_action(obs, True).shape == (4, 1)


def test_sac_player_has_the_player_api() -> None:
    from rl_games.algos_torch.players import SACPlayer

    params = _doc("sac_pendulum.yaml")["params"]
    params["config"]["player"]["num_actors"] = 2
    player = SACPlayer(params)
    obs = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -8.0], [-1.0, 0.0, 8.0]])
    assert player.get_batch_size(obs, 1) == 3
    actions = player.get_action(player.obs_to_torch(obs), is_deterministic=True)
    assert actions.shape == (3, 1) and actions.abs().max() <= 2.0
    torch.testing.assert_close(actions, player.get_action(obs, is_deterministic=True))
    single = player.get_action(obs[0], is_deterministic=True)
    assert player.get_batch_size(obs[0], 1) == 1 and single.shape == (1,)


def test_masked_action_picks_only_allowed_actions() -> None:
    player = _runner("ppo_cartpole_torch.yaml", "config.player.num_actors=2").create_player()
    obs = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    player.get_batch_size(obs, 1)
    only_right = np.tile(np.array([False, True]), (5, 1))
    only_left = ~only_right
    assert player.get_masked_action(obs, only_right, True).tolist() == [1] * 5
    assert player.get_masked_action(obs, only_left, False).tolist() == [0] * 5
