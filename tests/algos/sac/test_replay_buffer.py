"""Tests for rl_games.storage.replay.ReplayBuffer."""

from __future__ import annotations

import pytest
import torch

from rl_games.storage.replay import ReplayBuffer, ring_positions


def _rows(start: int, n: int, obs_dim: int = 2) -> dict[str, torch.Tensor]:
    """Transitions whose every field encodes its id (start .. start+n-1)."""
    ids = torch.arange(start, start + n, dtype=torch.float32)
    return {
        "obs": ids[:, None].repeat(1, obs_dim),
        "actions": -ids[:, None],
        "rewards": ids * 10,
        "next_obs": ids[:, None].repeat(1, obs_dim) + 0.5,
        "terminated": (ids % 2 == 0),
        "truncated": (ids % 3 == 0),
    }


def _add(buf: ReplayBuffer, rows: dict, valid: torch.Tensor | None = None) -> None:
    buf.add(
        rows["obs"],
        rows["actions"],
        rows["rewards"],
        rows["next_obs"],
        rows["terminated"],
        rows["truncated"],
        valid,
    )


def _stored_ids(buf: ReplayBuffer) -> list[int]:
    return buf.data[: len(buf), 0].long().tolist()


def test_ring_positions_skip_invalid_rows() -> None:
    pos, ptr = ring_positions(torch.tensor(3), torch.tensor([True, False, True, True]), 5)
    assert pos.tolist() == [3, 5, 4, 0]  # invalid row -> scratch slot 5; wraps at 5
    assert int(ptr) == 1


def test_wrap_around_keeps_latest_rows() -> None:
    buf = ReplayBuffer(5, obs_dim=2, action_dim=1)
    _add(buf, _rows(0, 3))
    assert len(buf) == 3 and int(buf.ptr) == 3
    _add(buf, _rows(3, 3))  # ids 3, 4 fill the end, id 5 wraps to slot 0
    assert len(buf) == 5 and int(buf.ptr) == 1
    assert _stored_ids(buf) == [5, 1, 2, 3, 4]
    _add(buf, _rows(6, 3))
    assert _stored_ids(buf) == [5, 6, 7, 8, 4] and int(buf.ptr) == 4
    assert buf.state_dict()["full"] is True


def test_invalid_rows_are_not_stored() -> None:
    buf = ReplayBuffer(10, obs_dim=2, action_dim=1)
    _add(buf, _rows(0, 4), valid=torch.tensor([True, False, False, True]))
    assert len(buf) == 2 and _stored_ids(buf) == [0, 3]
    _add(buf, _rows(4, 4), valid=torch.tensor([False, False, False, False]))
    assert len(buf) == 2 and int(buf.ptr) == 2
    assert buf.rows_offered == 8


def test_sample_returns_consistent_stored_transitions() -> None:
    torch.manual_seed(0)
    buf = ReplayBuffer(6, obs_dim=2, action_dim=1)
    _add(buf, _rows(0, 4), valid=torch.tensor([True, True, False, True]))
    b = buf.sample(500)
    ids = b.obs[:, 0].long()
    assert set(ids.tolist()) == {0, 1, 3}
    torch.testing.assert_close(b.actions[:, 0], -ids.float())
    torch.testing.assert_close(b.rewards, ids.float() * 10)
    torch.testing.assert_close(b.next_obs[:, 1], ids.float() + 0.5)
    torch.testing.assert_close(b.terminated, (ids % 2 == 0).float())
    torch.testing.assert_close(b.truncated, (ids % 3 == 0).float())
    assert b.rewards.shape == (500,) and b.obs.shape == (500, 2)


def test_state_dict_round_trip_uses_rl_games_keys() -> None:
    buf = ReplayBuffer(4, obs_dim=2, action_dim=1)
    _add(buf, _rows(0, 3))
    state = buf.state_dict()
    assert set(state) == {
        "obses",
        "next_obses",
        "actions",
        "rewards",
        "dones",
        "truncated",
        "idx",
        "full",
    }
    assert state["idx"] == 3 and state["full"] is False and state["dones"].dtype == torch.bool
    other = ReplayBuffer(4, obs_dim=2, action_dim=1)
    other.load_state_dict(state)
    assert len(other) == 3 and int(other.ptr) == 3
    torch.testing.assert_close(other.data[:4], buf.data[:4])
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(5, obs_dim=2, action_dim=1).load_state_dict(state)


def test_too_many_rows_for_capacity() -> None:
    with pytest.raises(ValueError, match="capacity"):
        _add(ReplayBuffer(2, obs_dim=2, action_dim=1), _rows(0, 3))
