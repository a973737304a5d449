"""rl_games-style observers driven by the real PPO and SAC loops (envpool CartPole / Pendulum):
hook order and arguments, the default observer's ``scores/*`` tags read back from TensorBoard,
``config.algo_observer`` selection, and hooks left as base no-ops never being called."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from conftest import REPO

from rl_games.runner import Runner
from rl_games.training.observe import ObserverHooks
from rl_games.training.observers import AlgoObserver, DefaultAlgoObserver, IsaacAlgoObserver

CARTPOLE = REPO / "configs" / "ppo_cartpole.yaml"
SAC = REPO / "configs" / "sac_pendulum.yaml"


class Recorder(AlgoObserver):
    """Records every hook call; checks the done indices against the env's dones as it goes."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.algo: Any = None

    def before_init(self, base_name: str, config: Any, experiment_name: str) -> None:
        self.calls.append(("before_init", base_name, config["name"], experiment_name))

    def after_init(self, algo: Any) -> None:
        self.algo = algo
        self.calls.append(("after_init", algo.epoch_num))

    def process_infos(self, infos: Any, done_indices: Any) -> None:
        assert isinstance(done_indices, torch.Tensor) and done_indices.dim() == 2
        self.calls.append(("process_infos", done_indices.reshape(-1).tolist(), infos["scores"]))

    def after_steps(self) -> None:
        self.calls.append(("after_steps",))

    def after_clear_stats(self) -> None:
        self.calls.append(("after_clear_stats",))

    def after_print_stats(self, frame: int, epoch_num: int, total_time: float) -> None:
        self.calls.append(("after_print_stats", frame, epoch_num, total_time))


def _run(cfg: Path, tmp: Path, observer: Any, *sets: str) -> Runner:
    runner = Runner(observer)
    base = [f"config.train_dir={tmp}", "config.full_experiment_name=run", "torch_threads=1"]
    runner.load(yaml.safe_load(cfg.read_text()), [*base, *sets])
    runner.run({"train": True})
    return runner


def _names(calls: list[tuple]) -> list[str]:
    return [c[0] for c in calls]


def test_ppo_calls_every_hook_in_rl_games_order(tmp_path: Path) -> None:
    rec = Recorder()
    runner = _run(CARTPOLE, tmp_path, rec, "config.max_epochs=3")
    horizon = runner.params.config.horizon_length
    assert rec.calls[0] == ("before_init", "run", "cartpole", "run")
    assert rec.calls[1] == ("after_init", 0) and rec.algo is runner.agent
    assert rec.calls[2] == ("after_clear_stats",)
    epoch = ["process_infos"] * horizon + ["after_steps", "after_print_stats"]
    assert _names(rec.calls[3:]) == epoch * 3
    prints = [c for c in rec.calls if c[0] == "after_print_stats"]
    batch = runner.agent.batch_size
    assert [(c[1], c[2]) for c in prints] == [(batch, 1), (2 * batch, 2), (3 * batch, 3)]
    assert all(b[3] >= a[3] > 0 for a, b in zip(prints, prints[1:], strict=False))
    # CartPole episodes end within 3 x 128 steps: done indices appear, and the score at a done
    # index is that episode's return (>= 8 steps, CartPole's shortest game)
    dones = [(idx, scores) for _, idx, scores in (c for c in rec.calls if c[0] == "process_infos")]
    finished = [(i, s) for idx, s in dones for i in idx]
    assert finished and all(s[i] >= 8 for i, s in finished)


def test_sac_calls_hooks_per_step_and_per_print(tmp_path: Path) -> None:
    rec = Recorder()
    runner = _run(SAC, tmp_path, rec, "config.max_frames=600")
    names = _names(rec.calls)
    steps = runner.agent.frame // runner.params.config.num_actors
    assert names[:3] == ["before_init", "after_init", "after_clear_stats"]
    assert names.count("process_infos") == names.count("after_steps") == steps
    assert names[-1] == "after_print_stats"  # the final write at the stop
    assert rec.calls[-1][1] == runner.agent.frame


def test_default_observer_writes_scores_to_tensorboard(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    runner = _run(CARTPOLE, tmp_path, None, "config.max_epochs=3")
    assert type(runner.agent.observer) is DefaultAlgoObserver
    acc = EventAccumulator(str(tmp_path / "run" / "summaries"))
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert {"scores/mean", "scores/iter", "scores/time"} <= set(tags)
    scores, rewards = acc.Scalars("scores/iter"), acc.Scalars("rewards/iter")
    assert [e.step for e in scores] == [e.step for e in rewards] == [1, 2, 3]
    # CartPole's score is its raw return: the same 100-game window as rewards/*
    np.testing.assert_allclose([e.value for e in scores], [e.value for e in rewards], rtol=1e-5)


def test_config_algo_observer_isaac_is_used(tmp_path: Path) -> None:
    runner = _run(CARTPOLE, tmp_path, None, "config.max_epochs=1", "config.algo_observer=isaac")
    assert type(runner.agent.observer) is IsaacAlgoObserver
    assert runner.agent.observer.algo is runner.agent


def test_default_observer_counts_games_not_lives() -> None:
    class Writer:
        def __init__(self) -> None:
            self.scalars: list[tuple[str, float, float]] = []

        def add_scalar(self, tag: str, value: float, step: float) -> None:
            self.scalars.append((tag, value, step))

    algo = type("Algo", (), {"writer": Writer()})()
    obs = DefaultAlgoObserver()
    obs.after_init(algo)
    scores = np.array([3.0, -21.0, 5.0, 7.0], dtype=np.float32)
    game_dones = np.array([False, True, False, True])
    # envs 0, 1 and 3 lost a life; only 1 and 3 lost their last one
    obs.process_infos({"scores": scores, "game_dones": game_dones}, torch.tensor([[0], [1], [3]]))
    obs.process_infos({"battle_won": torch.tensor([1.0, 0.0])}, torch.tensor([[0]]))
    obs.process_infos({"other": 1}, torch.tensor([[0]]))
    assert list(obs.scores) == [-21.0, 7.0, 1.0]
    obs.after_print_stats(frame=640, epoch_num=2, total_time=3.5)
    mean = (-21.0 + 7.0 + 1.0) / 3
    assert algo.writer.scalars == [
        ("scores/mean", pytest.approx(mean), 640),
        ("scores/iter", pytest.approx(mean), 2),
        ("scores/time", pytest.approx(mean), 3.5),
    ]
    obs.after_clear_stats()
    obs.after_print_stats(frame=700, epoch_num=3, total_time=4.0)
    assert len(algo.writer.scalars) == 3  # empty window: nothing written


def test_hooks_skip_base_no_ops_and_unwanted_steps() -> None:
    class Picky(AlgoObserver):
        info_keys = ("wanted",)

        def __init__(self) -> None:
            self.seen: list[list[int]] = []

        def process_infos(self, infos: Any, done_indices: Any) -> None:
            self.seen.append(done_indices.reshape(-1).tolist())

    base = ObserverHooks(AlgoObserver())
    assert base._infos is None and base._after_print is None
    base.step({"scores": 1}, torch.ones(3, dtype=torch.bool))  # nothing to call: no error
    ObserverHooks(None).after_print_stats(1, 1, 1.0)
    picky = Picky()
    hooks = ObserverHooks(picky, num_agents=2)
    dones = torch.tensor([True, True, False, False, True, True])
    hooks.step({"other": 1}, dones)
    hooks.step({"wanted": 1}, dones)
    assert picky.seen == [[0, 4]]  # every num_agents-th done row, as rl_games slices them


def test_done_indices_come_from_the_host_for_numpy_envs() -> None:
    from rl_games.envs import TorchVecEnv, create_vec_env

    seen: list[torch.Tensor] = []

    class Rec(AlgoObserver):
        def process_infos(self, infos: Any, done_indices: Any) -> None:
            seen.append(done_indices)

    hooks = ObserverHooks(Rec())
    dones = torch.tensor([False, True, False, True])
    hooks.step({}, dones, host_dones=dones.numpy().copy())
    hooks.step({}, dones)
    assert seen[0].device.type == "cpu" and torch.equal(seen[0], seen[1])
    assert seen[0].reshape(-1).tolist() == [1, 3]
    pool = TorchVecEnv(create_vec_env("envpool", 2, env_name="CartPole-v1"))
    pool.reset()
    _, _, d, _, _ = pool.step(torch.zeros(2, dtype=torch.long))
    assert isinstance(pool.host_dones, np.ndarray) and pool.host_dones.tolist() == d.tolist()
    torch_env = TorchVecEnv(create_vec_env("TorchCartPole-v1", 2, seed=0))
    torch_env.reset()
    torch_env.step(torch.zeros(2, dtype=torch.long))
    assert torch_env.host_dones is None  # tensors stay on their device
