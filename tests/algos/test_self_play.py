"""Self-play (rl_games/algos/self_play.py) on real PPO agents playing Connect Four: the update
rule with hand numbers, the rotation over envs, the opponent pool and its sampling, resume, the
TensorBoard tag, and learning (the policy beats a random player and its own early snapshot)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from conftest import REPO

from rl_games.algos.ppo.agent import PPOAgent
from rl_games.algos.self_play import (
    TAG,
    SelfPlayManager,
    should_update,
    split_groups,
    update_window,
    window_mean,
)
from rl_games.config import apply_overrides, parse_params
from rl_games.config.errors import ConfigError
from rl_games.config.schema import SelfPlayConfig
from rl_games.envs.connect_four import ConnectFour, evaluate_checkpoint, play_match
from rl_games.training.checkpoint import load_checkpoint
from rl_games.training.observers import DefaultAlgoObserver

pytestmark = pytest.mark.usefixtures("one_thread")

CONFIG = REPO / "configs" / "ppo_connect_four_self_play.yaml"
SP = "config.self_play_config"


def _doc(tmp_path: Path, *sets: str) -> dict[str, Any]:
    doc = yaml.safe_load(CONFIG.read_text())
    base = [
        f"config.train_dir={tmp_path}",
        "config.full_experiment_name=run",
        "config.num_actors=16",
        "config.horizon_length=16",
        "config.minibatch_size=64",
        "config.print_stats=False",
        "config.env_config.random_fraction=0.0",  # every board may get a snapshot
    ]
    return apply_overrides(doc, [*base, *sets])


def _agent(tmp_path: Path, *sets: str) -> PPOAgent:
    return PPOAgent("run", parse_params(_doc(tmp_path, *sets)).params)


def _scalars(run: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run / "summaries"))
    acc.Reload()
    return {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}


def _games(agent: PPOAgent, *rewards: float) -> None:
    agent.episodes.rewards.extend(np.array([r], dtype=np.float32) for r in rewards)


def test_rule_parts_with_hand_numbers() -> None:
    assert window_mean([1, -1, 1, 1], 5) is None  # fewer games than games_to_check
    assert window_mean([1, -1, 1, 1], 3) == pytest.approx(1 / 3)  # the last three only
    assert window_mean([0.5, 0.0], 2) == pytest.approx(0.25)
    assert not should_update(0.25, 0.25) and should_update(0.26, 0.25)  # strictly above
    assert not should_update(None, -1.0)
    assert update_window(14, 4, 16).tolist() == [14, 15, 0, 1]
    assert update_window(0, 40, 16).tolist() == list(range(16))  # at most every env once
    assert [g.tolist() for g in split_groups(np.arange(5), 2)] == [[0, 1, 2], [3, 4]]
    assert [g.tolist() for g in split_groups(np.arange(1), 3)] == [[0]]


def test_config_is_typed_and_checked(tmp_path: Path) -> None:
    params = parse_params(_doc(tmp_path)).params
    sp = params.config.self_play_config
    assert isinstance(sp, SelfPlayConfig) and sp.env_update_num == 32 and sp.pool_size == 16
    with pytest.raises(ConfigError) as err:
        parse_params(_doc(tmp_path, f"{SP}.games_to_chek=3", f"{SP}.opponent_sampling=best"))
    text = str(err.value)
    assert "self_play_config.games_to_chek: unknown key" in text
    assert "opponent_sampling: expected latest, uniform or latest_prob" in text
    loaded = parse_params(_doc(tmp_path, f"{SP}.pool_size=0", f"{SP}.opponent_sampling=uniform"))
    assert any("opponent_sampling: has no effect with pool_size: 0" in w for w in loaded.warnings)
    assert not any("not implemented" in w for w in loaded.warnings)


def test_update_pushes_weights_rotates_clears_stats_and_logs_the_tag(tmp_path: Path) -> None:
    agent = _agent(
        tmp_path,
        f"{SP}.update_score=0.25",
        f"{SP}.games_to_check=4",
        f"{SP}.env_update_num=6",
        f"{SP}.pool_size=0",
        f"{SP}.opponent_sampling=latest",
        f"{SP}.opponents_per_update=1",
    )
    agent.setup_run_dir()
    manager, env = agent.self_play_manager, agent.env.env
    assert agent.has_self_play_config and isinstance(env, ConnectFour)
    _games(agent, -1, 1, 1, 0)
    assert not manager.update(agent)  # mean of the last 4 is 0.25: not above
    _games(agent, 1)  # the last 4: 1, 1, 0, 1 -> 0.75
    agent.best_reward, agent.frame = 0.9, 1234
    assert manager.update(agent)
    assert env.opponents.owner.tolist() == [0] * 6 + [-1] * 10
    theirs = env.opponents.slots[0].model.state_dict()
    for name, value in agent.model.state_dict().items():
        assert torch.equal(theirs[name], value)
    assert len(agent.episodes.rewards) == 0 and agent.best_reward == -math.inf
    for _ in range(2):  # the next six envs, then wrapping around after 16
        _games(agent, 1, 1, 1, 1)
        assert manager.update(agent)
    assert env.opponents.owner.tolist() == [2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2]
    agent.writer.close()
    assert _scalars(tmp_path / "run")[TAG] == [(1234, 2.0), (1234, 1.0), (1234, 1.0)]


def test_check_scores_reads_the_default_observers_scores(tmp_path: Path) -> None:
    agent = _agent(tmp_path, f"{SP}.check_scores=True", f"{SP}.games_to_check=3")
    observer = DefaultAlgoObserver()
    agent.observer = observer
    observer.after_init(agent)
    _games(agent, -1, -1, -1)  # rewards say lose; scores say win
    observer.scores.extend([1.0, 0.5, 1.0])
    assert agent.self_play_manager.update(agent)
    assert len(observer.scores) == 0  # clear_stats told the observer


def test_pool_sampling_rules() -> None:
    def manager(rule: str, prob: float = 0.5) -> SelfPlayManager:
        cfg = SelfPlayConfig(
            update_score=0.0,
            games_to_check=1,
            pool_size=2,
            opponent_sampling=rule,
            latest_prob=prob,
        )
        m = SelfPlayManager(cfg, num_envs=4, seed=0)
        for k in range(3):  # the oldest of three leaves the pool of two
            m._add_snapshot({"model": {"k": torch.tensor(k)}})
        return m

    latest = {"model": {"k": torch.tensor(9)}}
    assert [int(w["model"]["k"]) for w in manager("latest").pool] == [1, 2]
    assert all(manager("latest")._draw(latest) is latest for _ in range(5))
    assert all(manager("latest_prob", 1.0)._draw(latest) is latest for _ in range(5))
    m = manager("latest_prob", 0.0)
    assert {int(m._draw(latest)["model"]["k"]) for _ in range(40)} == {1, 2}
    m = manager("uniform")
    drawn = [int(m._draw(latest)["model"]["k"]) for _ in range(300)]
    assert set(drawn) == {1, 2, 9} and all(60 < drawn.count(k) < 140 for k in (1, 2, 9))


def test_pool_and_opponents_survive_resume(tmp_path: Path) -> None:
    sets = (
        f"{SP}.update_score=-2",  # every epoch updates
        f"{SP}.games_to_check=1",
        f"{SP}.env_update_num=5",
        f"{SP}.pool_size=3",
        f"{SP}.snapshot_every=1",
        f"{SP}.opponent_sampling=uniform",
        f"{SP}.opponents_per_update=2",
        "config.max_epochs=3",
    )
    agent = _agent(tmp_path, *sets)
    agent.train()
    manager = agent.self_play_manager
    assert len(manager.pool) == 3 and manager.next_env == 15 % 16
    first, last = manager.pool[0]["model"], manager.pool[-1]["model"]
    assert any(not torch.equal(first[k], last[k]) for k in first)  # snapshots of other epochs
    assert [v for _, v in _scalars(tmp_path / "run")[TAG]] == [1.0, 1.0, 1.0]
    (ckpt,) = (tmp_path / "run" / "nn").glob("last_*.pth")
    assert "self_play" in load_checkpoint(ckpt)
    resumed = _agent(tmp_path / "again", *sets)
    resumed.restore(ckpt)
    again = resumed.self_play_manager
    assert (again.next_env, again.epochs, len(again.pool)) == (15, 3, 3)
    for saved, loaded in zip(manager.pool, again.pool, strict=True):
        assert all(torch.equal(saved["model"][k], loaded["model"][k]) for k in saved["model"])
    assert torch.equal(again.generator.get_state(), manager.generator.get_state())
    env, env2 = agent.env.env.opponents, resumed.env.env.opponents
    assert env2.owner.tolist() == env.owner.tolist() and len(env2.slots) == len(env.slots)


def test_an_env_without_set_weights_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="set_weights"):
        _agent(
            tmp_path,
            "config.env_name=MaskedDiscreteTest-v0",
            "config.env_config={}",
            "network.mlp.units=[8]",
        )


def test_a_short_run_beats_a_random_player(tmp_path: Path) -> None:
    """~10 s: 16 epochs; the sampled (not argmax) policy wins >= 75% against a uniformly random
    player, where the untrained one wins about half."""
    agent = _agent(
        tmp_path,
        "config.num_actors=128",
        "config.horizon_length=32",
        "config.minibatch_size=1024",
        "config.learning_rate=1e-3",
        "config.max_epochs=16",
    )
    env = ConnectFour(250, seed=1, random_agent=True)
    before = play_match(agent.model, env, 500, deterministic=False)
    agent.train()
    after = play_match(agent.model, env, 500, deterministic=False)
    print(f"sampled policy vs random: before {before}, after {after}")
    assert before.win_rate < 0.6 and after.win_rate >= 0.75, (before, after)


@pytest.mark.slow
def test_the_shipped_config_beats_random_and_its_early_self(tmp_path: Path) -> None:
    """The config as shipped (minutes): argmax play beats a random player in >= 90% of games and
    its snapshot of epoch 10 in most games."""
    sets = [f"config.train_dir={tmp_path}", "config.full_experiment_name=run"]
    doc = apply_overrides(yaml.safe_load(CONFIG.read_text()), [*sets, "config.save_frequency=10"])
    cfg = doc["params"]["config"]
    agent = PPOAgent("run", parse_params(doc).params)
    agent.train()
    nn_dir = tmp_path / "run" / "nn"
    final = next(nn_dir.glob(f"last_*_ep_{cfg['max_epochs']}_*.pth"))
    early = next(nn_dir.glob("last_*_ep_10_*.pth"))
    vs_random = evaluate_checkpoint(str(CONFIG), str(final), games=2000)
    vs_early = evaluate_checkpoint(str(CONFIG), str(final), opponent=str(early), games=2000)
    updates = _scalars(tmp_path / "run")[TAG]
    print(f"{len(updates)} opponent updates; vs random {vs_random}, vs epoch 10 {vs_early}")
    assert len(updates) >= 5  # the learner kept beating its snapshots
    assert vs_random.win_rate >= 0.9, vs_random
    assert vs_early.win_rate > 0.5, vs_early
