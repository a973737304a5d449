"""IsaacGymEnvs' Hydra ``train.py``, unchanged in what it hands rl_games: an OmegaConf config with
interpolations and ListConfig lists, an env creator with a positional ``seed``, an ``RLGPUEnv``
that only reports ``get_env_info``, its observers; then ``test=True`` plays the checkpoint."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("gym")
pytest.importorskip("omegaconf")
import isaacgymenvs_like as ige  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:register_new_resolver")

from rl_games.training.checkpoint import load_checkpoint  # noqa: E402


def test_hydra_train_then_test_play(tmp_path, one_thread, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # train.py writes runs/ under the working directory
    runner, observer, _ = ige.launch(["max_iterations=12", "num_envs=128"])
    assert observer.seen_infos > 0 and observer.algo is runner.agent
    ckpts = sorted(Path("runs").glob("Cartpole*/nn/last_*.pth"), key=os.path.getmtime)
    assert ckpts, list(Path("runs").rglob("*"))
    assert load_checkpoint(ckpts[-1])["epoch"] == 12
    assert runner.agent.epoch_num == 12

    # python train.py test=True checkpoint=<file> num_envs=16: plays player.games_num games
    _, _, result = ige.launch(["test=True", f"checkpoint={ckpts[-1]}", "num_envs=16"])
    assert result["games"] >= 64
    assert result["av_steps"] > 30, result  # an untrained policy falls within ~20 steps
