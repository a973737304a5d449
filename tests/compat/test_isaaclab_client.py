"""Isaac Lab's rl_games train.py / play.py sequences, unchanged, on our package (the simulator is
a torch cart-pole with Isaac Lab's env contract; the wrapper has the shape of ``isaaclab_rl``'s).

Agent YAMLs are Isaac Lab's own (tests/data/client_configs/isaaclab); like a user on a machine
without CUDA we set ``config.device`` to cpu, and for the central-value runs we shrink the sizes
Isaac Lab tunes for 8192 GPU envs (as Hydra overrides would) so the test stays seconds long.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from conftest import DATA

pytest.importorskip("gym")
import isaaclab_like as il  # noqa: E402

from rl_games.common.player import BasePlayer  # noqa: E402
from rl_games.training.checkpoint import load_checkpoint  # noqa: E402

CFG = DATA / "client_configs" / "isaaclab"


def _agent_cfg(name: str, **config: object) -> dict:
    cfg = yaml.safe_load((CFG / name).read_text())
    cfg["params"]["config"].update({"device": "cpu", "device_name": "cpu", **config})
    return cfg


def _tb_tags(run_dir: Path) -> set[str]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir / "summaries"))
    acc.Reload()
    return set(acc.Tags()["scalars"])


def _checkpoints(run_dir: Path) -> list[Path]:
    return sorted((run_dir / "nn").glob("*.pth"), key=lambda p: p.stat().st_mtime)


def test_cartpole_trains_resumes_and_plays_with_another_num_envs(tmp_path, one_thread) -> None:
    name = "direct__cartpole__rl_games_ppo_cfg.yaml"
    cfg = _agent_cfg(name, max_epochs=10, save_best_after=5, save_frequency=5)
    run_dir = Path(il.train(copy.deepcopy(cfg), str(tmp_path / "logs"), num_envs=512))
    last = _checkpoints(run_dir)[-1]
    assert load_checkpoint(last)["epoch"] == 10
    tags = _tb_tags(run_dir)
    assert "Episode/Episode_Reward/alive" in tags  # extras['log'] -> IsaacAlgoObserver
    assert "rewards/iter" in tags

    # train.py --checkpoint: resume counts on from epoch 10
    cfg_resume = copy.deepcopy(cfg)
    cfg_resume["params"]["config"].update(max_epochs=12, full_experiment_name="resumed")
    resumed = Path(il.train(cfg_resume, str(tmp_path / "logs"), 512, checkpoint=str(last)))
    assert load_checkpoint(_checkpoints(resumed)[-1])["epoch"] == 12

    # play.py with 16 envs (trained with 512): every env finishes an episode within 250 steps
    # (200 is the time limit), and the trained policy balances far longer than chance (~20)
    out = il.play(copy.deepcopy(cfg), str(last), num_envs=16, steps=250)
    assert isinstance(out["player"], BasePlayer)
    lengths = out["lengths"]
    assert len(lengths) >= 16 and min(lengths) > 50, lengths


def test_observation_groups_as_dicts_train_and_play(tmp_path, one_thread) -> None:
    """``concate_obs_group=False``: observations are {group: tensor} with gym.spaces.Dict spaces."""
    cfg = _agent_cfg("direct__cartpole__rl_games_ppo_cfg.yaml", max_epochs=3, minibatch_size=2048)
    groups = {"obs": ["policy"], "states": []}
    kw = {"obs_groups": groups, "concate_obs_group": False}
    run_dir = Path(il.train(copy.deepcopy(cfg), str(tmp_path / "logs"), 64, **kw))
    last = _checkpoints(run_dir)[-1]
    out = il.play(copy.deepcopy(cfg), str(last), num_envs=8, steps=20, **kw)
    assert out["player"].get_batch_size  # played 20 steps on dict observations without error


@pytest.mark.parametrize(
    "name",
    [
        "direct__shadow_hand__rl_games_ppo_ff_cfg.yaml",
        "direct__shadow_hand__rl_games_ppo_lstm_cfg.yaml",
    ],
)
def test_shadow_hand_central_value_trains_and_plays_with_64_envs(
    tmp_path, one_thread, name
) -> None:
    """The asymmetric critic reads the ``critic`` group as ``states``. Training runs on sizes for
    64 envs; play then uses the YAML's own minibatch sizes (16384 / 32768) with 64 envs, which
    only training would need to divide (Isaac Lab: ``play.py --num_envs 64``)."""
    small = {"horizon_length": 8, "minibatch_size": 256, "max_epochs": 3, "save_best_after": 1}
    cfg = _agent_cfg(name, **small)
    cv = cfg["params"]["config"]["central_value_config"]
    cv["minibatch_size"] = 256
    for net in (cfg["params"]["network"], cv["network"]):
        net["mlp"]["units"] = [32]
        if "rnn" in net:
            net["rnn"]["units"] = 32
    run_dir = Path(il.train(copy.deepcopy(cfg), str(tmp_path / "logs"), num_envs=64))
    last = _checkpoints(run_dir)[-1]
    state = load_checkpoint(last)
    assert "assymetric_vf_nets" in state  # rl_games' (misspelled) central value key

    play_cfg = copy.deepcopy(cfg)
    original = yaml.safe_load((CFG / name).read_text())["params"]["config"]
    play_cfg["params"]["config"]["minibatch_size"] = original["minibatch_size"]
    play_cfg["params"]["config"]["central_value_config"]["minibatch_size"] = original[
        "central_value_config"
    ]["minibatch_size"]
    out = il.play(play_cfg, str(last), num_envs=64, steps=30)
    player = out["player"]
    assert player.is_rnn == ("lstm" in name)
    if player.is_rnn:
        assert all(s.shape[1] == 64 for s in player.states)
