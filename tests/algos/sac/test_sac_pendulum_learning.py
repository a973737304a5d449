"""CI learning check: SAC on Pendulum-v1 (envpool, configs/sac_pendulum.yaml) reaches a mean
reward of -200 within 20,000 env frames, then the SAC player plays the best checkpoint."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import yaml

from rl_games.runner import Runner

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "sac_pendulum.yaml"
log = logging.getLogger(__name__)


def test_pendulum_reaches_minus_200_within_20k_frames(tmp_path: Path) -> None:
    doc = yaml.safe_load(CONFIG.read_text())
    overrides = [f"config.train_dir={tmp_path}", "config.full_experiment_name=run"]
    runner = Runner()
    runner.load(doc, overrides)
    t0 = time.perf_counter()
    mean_reward = runner.run({"train": True})
    agent = runner.agent
    log.info("reached %s at frame %d in %.1f s", mean_reward, agent.frame, time.perf_counter() - t0)
    assert agent.cfg.max_frames == 20_000
    assert mean_reward is not None and mean_reward >= -200.0, (mean_reward, agent.frame)
    assert agent.frame <= 20_000

    best = tmp_path / "run" / "nn" / "pendulum_sac.pth"
    assert best.is_file()
    player = Runner()
    player.load(doc, ["config.player.games_num=8"])
    result = player.run({"play": True, "checkpoint": str(best)})
    assert result["games"] == 8 and result["av_reward"] > -400.0
