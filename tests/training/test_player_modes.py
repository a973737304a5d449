"""Player keys with real envs (games_num / n_game_life counting, use_vecenv, render,
player.env_config, print_stats) and the evaluation mode picking up checkpoints written after it
started (a real ``--play`` subprocess)."""

from __future__ import annotations

import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pytest
import yaml
from conftest import DATA, REPO

from rl_games.config import apply_overrides, parse_params
from rl_games.training.player import PPOPlayer

RLG = DATA / "rl_games_1.6.5"
CARTPOLE_YAML = RLG / "ppo_cartpole_envpool.yaml"
CARTPOLE_PTH = RLG / "ppo_cartpole_envpool.pth"


def _player(cfg: Path, *sets: str) -> PPOPlayer:
    doc = apply_overrides(yaml.safe_load(cfg.read_text()), list(sets))
    return PPOPlayer(parse_params(doc, str(cfg), num_agents=1).params)


def test_single_env_counts_lives_and_games(caplog: pytest.LogCaptureFixture) -> None:
    player = _player(
        CARTPOLE_YAML,
        "config.player.use_vecenv=False",
        "config.player.games_num=3",
        "config.player.n_game_life=2",
    )
    assert player.env.num_envs == 1
    player.restore(CARTPOLE_PTH)
    with caplog.at_level(logging.INFO):
        res = player.run()
    assert res["games"] == 6  # games_num * n_game_life episodes
    assert res["av_reward"] == pytest.approx(1000.0)  # mean per life * n_game_life
    assert len([r for r in caplog.messages if r.startswith("reward: ")]) == 6


def test_vecenv_average_counts_every_game_of_the_last_step() -> None:
    player = _player(
        RLG / "ppo_pendulum_envpool.yaml",
        "config.player.games_num=20",
        "config.player.print_stats=False",
    )
    assert player.env.num_envs == 16
    player.restore(RLG / "ppo_pendulum_envpool.pth")
    res = player.run()
    assert res["games"] == 32  # 16 games end together at step 200, then 16 more
    assert res["av_reward"] == pytest.approx(-177.03, abs=0.05)


class RenderProbe(gymnasium.Env):
    """A 5-step env that records its render mode and counts human-mode frames."""

    metadata = {"render_modes": ["human", "rgb_array"]}
    observation_space = gymnasium.spaces.Box(-1, 1, (4,), np.float32)
    action_space = gymnasium.spaces.Discrete(2)
    modes: list[Any] = []
    frames = 0

    def __init__(self, render_mode: str | None = None) -> None:
        self.render_mode = render_mode
        RenderProbe.modes.append(render_mode)
        self.t = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(4, np.float32), {}

    def step(self, action):
        self.t += 1
        if self.render_mode == "human":
            RenderProbe.frames += 1
        return np.zeros(4, np.float32), 1.0, self.t >= 5, False, {}


def test_render_opens_gymnasium_envs_in_human_mode() -> None:
    if "RenderProbe-v0" not in gymnasium.registry:
        gymnasium.register("RenderProbe-v0", entry_point=RenderProbe)
    RenderProbe.modes.clear()
    RenderProbe.frames = 0
    sets = [
        "config.env_name=gymnasium",
        "config.player.env_config={env_name: RenderProbe-v0}",  # replaces config.env_config
        "config.player.render=True",
        "config.player.render_sleep=0",
        "config.player.games_num=2",
    ]
    player = _player(CARTPOLE_YAML, *sets)
    res = player.run()
    assert RenderProbe.modes and set(RenderProbe.modes) == {"human"}
    assert res["games"] == 2 and res["av_steps"] == 5.0
    assert RenderProbe.frames >= 10
    RenderProbe.modes.clear()
    _player(CARTPOLE_YAML, *sets[:-1], "config.player.env_config={env_name: RenderProbe-v0, "
            "render_mode: rgb_array}")  # fmt: skip
    assert set(RenderProbe.modes) == {"rgb_array"}


def _reader(stream: Any) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue, text: str, seen: list[str], timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return
    raise AssertionError(f"no line with {text!r} in:\n{''.join(seen)[-3000:]}")


def test_evaluation_picks_up_checkpoints_written_after_start(tmp_path: Path) -> None:
    watch = tmp_path / "nn"
    watch.mkdir()
    shutil.copyfile(CARTPOLE_PTH, watch / "before.pth")  # already there: not evaluated
    cmd = [sys.executable, str(REPO / "runner.py"), "--play", "--file", str(CARTPOLE_YAML)]
    for s in ("config.player.evaluation=True", f"config.player.dir_to_monitor={watch}",
              "config.player.games_num=2", "config.player.print_stats=False"):  # fmt: skip
        cmd += ["--set", s]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    seen: list[str] = []
    try:
        lines = _reader(proc.stdout)
        _wait_for(lines, "evaluation: watching", seen)
        (watch / "broken.pth").write_bytes(CARTPOLE_PTH.read_bytes()[:2000])
        _wait_for(lines, "skipping", seen)
        shutil.copyfile(CARTPOLE_PTH, watch / "new.pth")  # a plain (non-atomic) copy
        _wait_for(lines, f"evaluation: '{watch / 'new.pth'}': av reward 500.00", seen)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        while not lines.empty():
            seen.append(lines.get())
    finally:
        if proc.poll() is None:
            proc.kill()
    out = "".join(seen)
    assert proc.returncode == 0, out[-3000:]
    assert "before.pth" not in out
    assert "evaluation stopped: 1 checkpoint evaluation(s)" in out
