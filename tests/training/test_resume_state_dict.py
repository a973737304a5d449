"""The trainer's own resume state (``state_dict`` / ``load_state_dict``, training/resume.py):
the rollout carry and the episode statistics under the checkpoint's keys."""

from __future__ import annotations

import logging

import pytest
import torch

from rl_games.training.episode_stats import EpisodeTracker
from rl_games.training.resume import ResumeStateMixin


class Carrier(ResumeStateMixin):
    resume_carry = ("obs", "rnn_states")

    def __init__(self) -> None:
        self.device = torch.device("cpu")
        self.obs = torch.zeros(2, 3)
        self.rnn_states: tuple[torch.Tensor, ...] | None = None
        self.episodes = EpisodeTracker(2, 1, 4, 10, self.device)


def test_state_dict_round_trip_and_old_keys(caplog: pytest.LogCaptureFixture) -> None:
    src = Carrier()
    src.obs += 1.5
    src.rnn_states = (torch.ones(1, 2, 4),)
    src.episodes.cur_reward += 2.0
    state = src.state_dict()
    assert set(state) == {"carry", "episode_stats"}  # the checkpoint's keys
    assert set(state["carry"]) == {"obs", "rnn_states"}
    src.obs += 1.0  # the state is a copy
    dst = Carrier()
    with caplog.at_level(logging.WARNING):
        dst.load_state_dict({**state, "carry": {**state["carry"], "gone": torch.ones(1)}})
    assert torch.equal(dst.obs, torch.full((2, 3), 1.5)) and isinstance(dst.rnn_states, tuple)
    assert not hasattr(dst, "gone") and "carries 'gone'" in caplog.text
    assert torch.equal(dst.episodes.cur_reward, torch.full((2, 1), 2.0))
    fresh = Carrier()  # no carry: the envs were reset, the running sums start at zero
    fresh.load_state_dict({"episode_stats": state["episode_stats"]})
    assert fresh.episodes.cur_reward.abs().sum() == 0 and fresh.obs.abs().sum() == 0
