"""``rl_games.algos_torch.torch_ext`` as research code calls it (IsaacGymEnvs' AMP and PBT)."""

from __future__ import annotations

import torch

from rl_games.algos_torch import torch_ext
from rl_games.training.checkpoint import CheckpointError


def test_checkpoint_round_trip_and_compile_prefix(tmp_path) -> None:
    state = {"model": {"_orig_mod.a2c_network.w": torch.ones(2)}, "epoch": 3}
    path = torch_ext.save_checkpoint(str(tmp_path / "agent"), state)  # rl_games appends .pth
    assert path.name == "agent.pth"
    loaded = torch_ext.load_checkpoint(str(path))
    assert loaded["epoch"] == 3 and list(loaded["model"]) == ["a2c_network.w"]
    raw = torch_ext.safe_save({"x": torch.zeros(1)}, tmp_path / "pbt_state.bin")
    assert raw.name == "pbt_state.bin" and torch_ext.safe_load(raw)["x"].shape == (1,)


def test_pickled_code_is_refused(tmp_path) -> None:
    evil = tmp_path / "evil.pth"
    torch.save({"model": {}, "hook": print}, evil)  # a pickled global, not a tensor
    try:
        torch_ext.load_checkpoint(evil)
    except CheckpointError as exc:
        assert "arbitrary code" in str(exc) or "refused" in str(exc)
    else:
        raise AssertionError("a checkpoint holding a pickled function was loaded")


def test_safe_filesystem_op_retries_os_errors_then_gives_up(tmp_path) -> None:
    calls: list[int] = []

    def flaky(path):
        calls.append(1)
        if len(calls) < 3:
            raise OSError("stale file handle")
        return path.write_text("ok")

    torch_ext.safe_filesystem_op(flaky, tmp_path / "f", first_wait=0.001)
    assert len(calls) == 3 and (tmp_path / "f").read_text() == "ok"

    def broken():
        raise OSError("disk gone")

    try:
        torch_ext.safe_filesystem_op(broken, attempts=2, first_wait=0.001)
    except RuntimeError as exc:
        assert "2 times" in str(exc)
    else:
        raise AssertionError("a failing operation did not raise")
