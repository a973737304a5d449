"""``player.balance_env_rewards``: the per-env-first average (hand-computed numbers) and a real
envpool CartPole played with and without it on the same games."""

from __future__ import annotations

import math
from collections import defaultdict

import pytest
import torch
import yaml
from conftest import DATA

from rl_games.config import apply_overrides, parse_params
from rl_games.training.player import PPOPlayer, average_games

CARTPOLE_YAML = DATA / "rl_games_1.6.5" / "ppo_cartpole_envpool.yaml"


def test_average_games_by_hand() -> None:
    # env 0: 10, 20 (mean 15); env 1: 100 (mean 100); env 2: 1..6 (mean 3.5), interleaved
    values = [10.0, 1.0, 2.0, 100.0, 3.0, 20.0, 4.0, 5.0, 6.0]
    envs = [0, 2, 2, 1, 2, 0, 2, 2, 2]
    assert average_games(values, envs) == pytest.approx(151 / 9)  # plain: 16.78
    assert average_games(values, envs, balance=True) == pytest.approx((15 + 100 + 3.5) / 3)
    # env ids need not be contiguous; envs without games do not count
    assert average_games([4.0, 8.0, 30.0], [7, 7, 3], balance=True) == pytest.approx(18.0)
    # one env, or one game per env: both averages agree
    assert average_games([1.0, 2.0, 6.0], [5, 5, 5], balance=True) == pytest.approx(3.0)
    assert average_games([1.0, 2.0, 6.0], [0, 1, 2], balance=True) == pytest.approx(3.0)
    assert math.isnan(average_games([], [], balance=True))
    assert math.isnan(average_games([], []))
    with pytest.raises(ValueError, match="2 values but 1 env ids"):
        average_games([1.0, 2.0], [0])


def _play(balance: bool) -> tuple[dict, list[tuple[int, float, float]]]:
    """An untrained (seeded) policy on 4 envpool CartPole envs: short games of uneven length, so
    the envs finish different numbers of games. Returns the result and every finished game as
    (env, reward, length), read from the done flags independently of the player's bookkeeping."""
    sets = [
        "seed=0",
        "torch_threads=1",
        "config.player.games_num=12",
        "config.player.num_actors=4",
        "config.player.print_stats=False",
        f"config.player.balance_env_rewards={balance}",
    ]
    doc = apply_overrides(yaml.safe_load(CARTPOLE_YAML.read_text()), sets)
    torch.manual_seed(0)  # the network's initial weights
    player = PPOPlayer(parse_params(doc, str(CARTPOLE_YAML), num_agents=1).params)
    games: list[tuple[int, float, float]] = []
    record = player._record_games

    def spy(dones: torch.Tensor, cur_r: torch.Tensor, cur_len: torch.Tensor, *rest: list) -> None:
        for i in torch.nonzero(dones).flatten().tolist():
            games.append((i, float(cur_r[i]), float(cur_len[i])))
        record(dones, cur_r, cur_len, *rest)

    player._record_games = spy  # type: ignore[method-assign]
    return player.run(), games


def test_balance_env_rewards_through_the_player() -> None:
    plain, games = _play(balance=False)
    balanced, games_again = _play(balance=True)
    assert games == games_again  # the same games were played both times
    assert plain["games"] == balanced["games"] == len(games) >= 12

    per_env: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for env, reward, length in games:
        per_env[env].append((reward, length))
    counts = sorted(len(v) for v in per_env.values())
    assert counts[0] != counts[-1], f"the envs must finish different numbers of games: {counts}"

    assert plain["av_reward"] == pytest.approx(sum(g[1] for g in games) / len(games))
    assert plain["av_steps"] == pytest.approx(sum(g[2] for g in games) / len(games))
    env_means_r = [sum(r for r, _ in v) / len(v) for v in per_env.values()]
    env_means_s = [sum(s for _, s in v) / len(v) for v in per_env.values()]
    assert balanced["av_reward"] == pytest.approx(sum(env_means_r) / len(env_means_r))
    assert balanced["av_steps"] == pytest.approx(sum(env_means_s) / len(env_means_s))
    assert balanced["av_reward"] != pytest.approx(plain["av_reward"])  # the option matters here
