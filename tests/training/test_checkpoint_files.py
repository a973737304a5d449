"""Checkpoint files written by real training runs: rl_games names and keys, atomic writes (also
under SIGKILL), safe and clear loading errors, compile prefixes, CUDA-tagged files on CPU."""

from __future__ import annotations

import argparse
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from conftest import REPO, run_cli

from rl_games.training.checkpoint import (
    CheckpointError,
    load_checkpoint,
    load_optimizer_state,
    save_checkpoint,
)

CARTPOLE = str(REPO / "configs" / "ppo_cartpole.yaml")
RL_GAMES_KEYS = {"model", "epoch", "frame", "optimizer", "last_mean_rewards", "env_state"}


def _train(tmp: Path, name: str, *sets: str, checkpoint: Path | None = None) -> Path:
    args = ["--train", "--file", CARTPOLE, "--set", f"config.train_dir={tmp}"]
    for s in (f"config.full_experiment_name={name}", "torch_threads=1", *sets):
        args += ["--set", s]
    if checkpoint is not None:
        args += ["--checkpoint", str(checkpoint)]
    proc = run_cli(*args, cwd=tmp, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return tmp / name


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-epoch CartPole (envpool) run: best, save_frequency and max_epochs checkpoints."""
    tmp = tmp_path_factory.mktemp("ckpt_run")
    return _train(
        tmp, "run", "config.max_epochs=4", "config.save_frequency=2", "config.save_best_after=1"
    )


def test_no_finished_game_names_the_last_checkpoint_like_rl_games(tmp_path: Path) -> None:
    """No episode ends in 4 steps of CartPole: the reward is rl_games' bare -inf placeholder."""
    run = _train(
        tmp_path,
        "short",
        "config.max_epochs=1",
        "config.horizon_length=4",
        "config.minibatch_size=64",
    )
    names = [p.name for p in (run / "nn").iterdir()]
    assert names == ["last_cartpole_ep_1_rew_-inf.pth"], names


def test_run_writes_rl_games_names_keys_and_the_resolved_config(trained: Path) -> None:
    nn = trained / "nn"
    names = sorted(p.name for p in nn.iterdir())
    assert "cartpole.pth" in names
    assert any(n.startswith("last_cartpole_ep_2_rew_") and "rew__" not in n for n in names)
    assert any(n.startswith("last_cartpole_ep_4_rew__") and n.endswith("_.pth") for n in names)
    assert not [n for n in names if n.startswith(".")], names  # no temp files left
    state = load_checkpoint(next(nn.glob("last_cartpole_ep_4_rew__*_.pth")))
    assert RL_GAMES_KEYS <= set(state)
    assert state["epoch"] == 4 and state["frame"] == 4 * 16 * 32
    assert isinstance(state["last_mean_rewards"], np.float32)
    assert "a2c_network.actor_mlp.0.weight" in state["model"]
    assert {"rng", "episode_stats", "carry", "lr", "scheduler"} <= set(state)
    cfg = yaml.safe_load((trained / "config.yaml").read_text())["params"]["config"]
    assert cfg["save_frequency"] == 2 and cfg["max_epochs"] == 4
    assert "minibatch_size_per_env" in cfg  # resolved: defaults are filled in


def test_failed_save_keeps_the_previous_file(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "x", {"w": torch.arange(5.0)})
    with pytest.raises(Exception):  # noqa: B017 - any pickling failure
        save_checkpoint(path, {"w": torch.zeros(5), "bad": lambda: None})
    assert torch.equal(load_checkpoint(path)["w"], torch.arange(5.0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.pth"]


def test_sigkill_during_saves_never_leaves_a_truncated_checkpoint(tmp_path: Path) -> None:
    target = tmp_path / "big.pth"
    code = (
        "import torch, sys\n"
        "from rl_games.training.checkpoint import save_checkpoint\n"
        "state = {'w': torch.randn(6_000_000)}\n"
        "print('ready', flush=True)\n"
        "for i in range(1000):\n"
        "    state['i'] = i\n"
        f"    save_checkpoint({str(target)!r}, state)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    deadline = time.time() + 30
    while not target.exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.37)  # somewhere in the middle of a later write
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    state = load_checkpoint(target)  # the last complete write, never a partial one
    assert state["w"].numel() == 6_000_000 and state["i"] >= 0


def _corrupt(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "bitflip":
        flipped = bytearray(data)
        flipped[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(flipped))
    elif how == "random":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif how == "empty":
        path.write_bytes(b"")
    else:
        path.write_text("not a checkpoint\n")


@pytest.mark.parametrize("how", ["truncated", "bitflip", "random", "empty", "text"])
def test_corrupted_files_get_a_clear_error_naming_the_file(tmp_path: Path, how: str) -> None:
    path = save_checkpoint(tmp_path / "model", {"model": {"w": torch.randn(4096)}})
    _corrupt(path, how)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    msg = str(err.value)
    assert f"'{path}'" in msg
    assert "corrupted" in msg


def test_pickled_object_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    torch.save({"model": {}, "args": argparse.Namespace(lr=1.0)}, path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    msg = str(err.value)
    assert f"'{path}'" in msg and "argparse.Namespace" in msg and "arbitrary code" in msg


def test_cli_reports_bad_checkpoints_in_one_line(tmp_path: Path, trained: Path) -> None:
    bad = tmp_path / "cut.pth"
    bad.write_bytes((trained / "nn" / "cartpole.pth").read_bytes()[:3000])
    proc = run_cli("--play", "--file", CARTPOLE, "--checkpoint", str(bad), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"error: checkpoint '{bad}' is truncated, corrupted" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_compile_prefix_is_stripped_at_every_depth(tmp_path: Path) -> None:
    state = {
        "model": {"_orig_mod.a2c_network.mu.weight": torch.ones(1)},
        "assymetric_vf_nets": {"model._orig_mod.a2c_network.value.bias": torch.ones(1)},
    }
    loaded = load_checkpoint(save_checkpoint(tmp_path / "c", state))
    assert list(loaded["model"]) == ["a2c_network.mu.weight"]
    assert list(loaded["assymetric_vf_nets"]) == ["model.a2c_network.value.bias"]


def test_optimizer_of_another_network_is_a_clear_error() -> None:
    small = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))])
    big = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))])
    with pytest.raises(CheckpointError, match="different network"):
        load_optimizer_state(small, big.state_dict())


def _save_tagged_as_cuda(state: dict, path: Path) -> None:
    """Write ``state`` with every storage tagged 'cuda:0', byte for byte what torch.save writes
    for tensors on a GPU (this machine may have none)."""
    import torch.serialization as ser

    entry = (0, lambda s: "cuda:0" if s.device.type == "cpu" else None, lambda o, loc: None)
    ser._package_registry.insert(0, entry)
    try:
        torch.save(state, path)
    finally:
        ser._package_registry.remove(entry)


def test_cuda_checkpoint_resumes_and_plays_on_cpu(tmp_path: Path, trained: Path) -> None:
    src = next((trained / "nn").glob("last_cartpole_ep_4_rew__*_.pth"))
    cuda_file = tmp_path / "from_gpu.pth"
    _save_tagged_as_cuda(load_checkpoint(src), cuda_file)
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(cuda_file, weights_only=True)  # really a CUDA checkpoint
    run = _train(tmp_path, "resumed", "config.max_epochs=5", checkpoint=cuda_file)
    resumed = load_checkpoint(next((run / "nn").glob("last_cartpole_ep_5_rew__*_.pth")))
    assert resumed["epoch"] == 5 and resumed["optimizer"]["state"][0]["step"].device.type == "cpu"
    play = run_cli(
        "--play", "--file", CARTPOLE, "--checkpoint", str(cuda_file),
        "--set", "config.player.games_num=2", cwd=tmp_path,
    )  # fmt: skip
    assert play.returncode == 0, play.stdout + play.stderr
    assert "av reward:" in play.stdout


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cpu_checkpoint_resumes_on_cuda(tmp_path: Path, trained: Path) -> None:
    src = next((trained / "nn").glob("last_cartpole_ep_4_rew__*_.pth"))
    run = _train(tmp_path, "gpu", "config.max_epochs=5", "config.device=cuda:0", checkpoint=src)
    state = torch.load(next((run / "nn").glob("last_cartpole_ep_5_*.pth")), weights_only=False)
    assert state["model"]["a2c_network.actor_mlp.0.weight"].device.type == "cuda"
    assert not math.isnan(float(state["last_mean_rewards"]))
