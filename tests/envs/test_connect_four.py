"""Connect Four (rl_games/envs/connect_four.py): the rules on hand-made boards, the env's step
contract (rewards, infos, masks, who starts), the opponents it holds and their env state."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rl_games.envs import TorchVecEnv, create_vec_env
from rl_games.envs.connect_four import (
    COLS,
    ROWS,
    ConnectFour,
    drop,
    four_in_a_row,
    legal_moves,
)


def board(*cells: tuple[int, int]) -> torch.Tensor:
    """A ``[1, 6, 7]`` plane with stones at ``(row, col)`` (row 0 is the bottom)."""
    plane = torch.zeros(1, ROWS, COLS, dtype=torch.bool)
    for r, c in cells:
        plane[0, r, c] = True
    return plane


@pytest.mark.parametrize(
    ("cells", "four"),
    [
        (((0, 0), (0, 1), (0, 2), (0, 3)), True),  # row, left edge
        (((5, 3), (5, 4), (5, 5), (5, 6)), True),  # row, top right corner
        (((2, 6), (3, 6), (4, 6), (5, 6)), True),  # column, right edge
        (((0, 0), (1, 1), (2, 2), (3, 3)), True),  # diagonal up-right
        (((2, 3), (3, 4), (4, 5), (5, 6)), True),  # diagonal up-right, top corner
        (((0, 6), (1, 5), (2, 4), (3, 3)), True),  # diagonal up-left
        (((2, 3), (3, 2), (4, 1), (5, 0)), True),  # diagonal up-left, top left corner
        (((0, 0), (0, 1), (0, 2)), False),  # three
        (((0, 0), (0, 1), (0, 3), (0, 4)), False),  # broken row
        (((0, 4), (0, 5), (0, 6), (1, 0)), False),  # a row does not wrap to the next
        (((0, 0), (1, 1), (2, 2), (4, 4)), False),  # broken diagonal
        (((0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)), False),  # two columns of three
    ],
)
def test_four_in_a_row_on_hand_made_boards(cells: tuple, four: bool) -> None:
    assert four_in_a_row(board(*cells)).tolist() == [four]


def test_drop_stacks_stones_and_reports_a_full_column() -> None:
    plane, heights = torch.zeros(2, ROWS, COLS, dtype=torch.bool), torch.zeros(2, COLS).long()
    active = torch.tensor([True, False])
    for _ in range(ROWS):
        plane, heights, illegal = drop(plane, heights, torch.tensor([3, 3]), active)
        assert not illegal.any()
    assert plane[0, :, 3].all() and plane[0].sum() == ROWS  # column 3 filled bottom to top
    assert not plane[1].any() and heights[1].sum() == 0  # the inactive board is untouched
    assert legal_moves(heights)[0].tolist() == [True, True, True, False, True, True, True]
    plane2, heights2, illegal = drop(plane, heights, torch.tensor([3, 3]), active)
    assert illegal.tolist() == [True, False]
    assert torch.equal(plane2, plane) and torch.equal(heights2, heights)


class ColumnPlayer(torch.nn.Module):
    """A scripted opponent: the lowest-index legal column of ``order``."""

    def __init__(self, order: list[int]) -> None:
        super().__init__()
        self.order = order

    def act(self, input_dict: dict) -> dict:
        masks = input_dict["action_masks"]
        rank = torch.full((COLS,), 100.0)
        rank[self.order] = torch.arange(len(self.order), dtype=torch.float32)
        scores = torch.where(masks, -rank, torch.tensor(-1e9))
        return {"actions": scores.argmax(-1), "logits": scores}


def scripted_env(n: int, order: list[int], seed: int = 0) -> ConnectFour:
    env = ConnectFour(n, seed=seed)
    env.set_model_factory(lambda: ColumnPlayer(order))
    env.set_weights(np.arange(n), {"model": {}})
    return env


def set_board(env: ConnectFour, mine: torch.Tensor, theirs: torch.Tensor) -> None:
    env.mine, env.theirs = mine.clone(), theirs.clone()
    env.heights = (mine | theirs).sum(1).long()


def test_a_winning_move_pays_one_ends_the_game_and_starts_the_next() -> None:
    env = scripted_env(1, [6])
    set_board(env, board((0, 0), (0, 1), (0, 2)), board((1, 0), (1, 1), (1, 2)))
    obs, rewards, dones, infos = env.step(torch.tensor([3]))
    assert rewards.tolist() == [1.0] and dones.tolist() == [True]
    assert infos["win"].tolist() == [True] and not infos["loss"].any()
    assert infos["scores"].tolist() == [1.0] and not infos["time_outs"].any()
    assert env.results.tolist() == [1, 0, 0]
    # a fresh board: empty, or holding only the opponent's opening stone
    assert env.mine.sum() == 0 and env.theirs.sum() <= 1


def test_the_opponents_four_is_a_loss_and_an_illegal_move_loses() -> None:
    env = scripted_env(2, [6])  # the opponent always plays column 6
    theirs = board((0, 6), (1, 6), (2, 6))
    set_board(env, torch.cat([board((0, 0)), board((0, 0))]), torch.cat([theirs, theirs]))
    _, rewards, dones, infos = env.step(torch.tensor([1, 1]))
    assert rewards.tolist() == [-1.0, -1.0] and dones.all() and infos["loss"].all()
    assert infos["scores"].tolist() == [0.0, 0.0]
    env = scripted_env(1, [0])
    full = board(*((r, 5) for r in range(0, ROWS, 2)))
    set_board(env, full, board(*((r, 5) for r in range(1, ROWS, 2))))
    assert env.get_action_masks().tolist() == [[True] * 5 + [False, True]]  # masked out
    _, rewards, dones, infos = env.step(torch.tensor([5]))  # played anyway: a loss
    assert (
        rewards.tolist() == [-1.0] and dones.tolist() == [True] and infos["loss"].tolist() == [True]
    )


def test_filling_the_board_without_four_is_a_draw() -> None:
    pattern = [
        "XXOOXXO",
        "XXOOXXO",
        "XXOOXXO",
        "OOXXOOX",
        "XXOOXXO",
        "XXOOXXO",
    ]  # rows, bottom first
    mine = torch.tensor([[c == "X" for c in row] for row in pattern]).unsqueeze(0)
    theirs = ~mine
    assert not four_in_a_row(mine).any() and not four_in_a_row(theirs).any()
    mine[0, 5, 0] = False  # the learner's last stone is still to be played (top of column 0)
    env = scripted_env(1, [0])
    set_board(env, mine, theirs)
    assert env.get_action_masks().tolist() == [[True] + [False] * 6]
    _, rewards, dones, infos = env.step(torch.tensor([0]))
    assert rewards.tolist() == [0.0] and dones.tolist() == [True]
    assert infos["draw"].tolist() == [True] and infos["scores"].tolist() == [0.5]
    assert env.results.tolist() == [0, 1, 0]


def test_observations_are_from_the_mover_and_either_side_may_start(one_thread: None) -> None:
    env = ConnectFour(2000, seed=3, flatten_obs=False)
    obs = env.reset()
    assert obs.shape == (2000, 2, ROWS, COLS) and obs.dtype == torch.float32
    opened = env.theirs.flatten(1).sum(1)
    assert set(opened.tolist()) <= {0, 1}
    assert 0.45 < opened.float().mean() < 0.55  # the opponent opens about half of the games
    assert torch.equal(env.observe(1)[:, 0].bool(), env.theirs)  # the opponent's own stones first
    flat = ConnectFour(4, seed=3).reset()
    assert flat.shape == (4, 2 * ROWS * COLS)


def test_random_players_win_about_equally_and_scores_follow_results(one_thread: None) -> None:
    env = ConnectFour(256, seed=0)
    env.reset()
    for _ in range(60):
        masks = env.get_action_masks()
        _, rewards, dones, infos = env.step(torch.multinomial(masks.float(), 1).view(-1))
        assert torch.equal(rewards, infos["win"].float() - infos["loss"].float())
        assert not (rewards != 0)[~dones].any()
    wins, draws, losses = env.results.tolist()
    assert wins + draws + losses > 1000
    assert abs(wins - losses) / (wins + losses) < 0.1


def test_set_weights_assigns_opponents_and_the_env_state_restores_them() -> None:
    env = scripted_env(6, [2])
    env.set_weights([0, 1], {"model": {}})
    assert env.opponents.owner.tolist() == [1, 1, 0, 0, 0, 0]
    env.opponents.max_opponents = 2
    env.set_weights([2], {"model": {}})  # three models: the oldest merges into the next
    assert env.opponents.owner.tolist() == [0, 0, 1, 0, 0, 0] and len(env.opponents.slots) == 2
    state = env.get_env_state()
    fresh = ConnectFour(6, seed=0)
    fresh.set_model_factory(lambda: ColumnPlayer([2]))
    fresh.set_env_state(state)
    assert fresh.opponents.owner.tolist() == [0, 0, 1, 0, 0, 0]
    fresh.reset()
    _, _, _, _ = fresh.step(torch.zeros(6, dtype=torch.long))
    assert fresh.theirs[:, 0, 2].all()  # every opponent replied in column 2
    evaluation = ConnectFour(6, seed=0, random_agent=True)
    evaluation.set_env_state(state)  # random_agent: saved opponents are not loaded
    assert evaluation.opponents.slots == []


def test_random_fraction_boards_keep_the_random_player() -> None:
    env = ConnectFour(8, seed=0, random_fraction=0.25)
    env.set_model_factory(lambda: ColumnPlayer([2]))
    env.set_weights(np.arange(8), {"model": {}})
    assert env.opponents.owner.tolist() == [0] * 6 + [-1] * 2
    env.set_weights([6, 7], {"model": {}})  # only random boards: nothing changes
    assert env.opponents.owner.tolist() == [0] * 6 + [-1] * 2 and len(env.opponents.slots) == 1


def test_steps_inside_inference_mode_then_reset_outside() -> None:
    env = ConnectFour(8, seed=1)
    with torch.inference_mode():
        env.step(torch.zeros(8, dtype=torch.long))
    obs = env.reset()
    obs, *_ = env.step(torch.ones(8, dtype=torch.long))
    assert obs.shape == (8, 84)


def test_registered_name_builds_through_the_adapter() -> None:
    env = TorchVecEnv(create_vec_env("connect_four", 5, seed=0, device="cpu"), "cpu")
    obs = env.reset()
    assert obs.shape == (5, 84) and env.has_action_masks()
    assert env.get_action_masks().shape == (5, COLS) and env.action_space.n == COLS
    with pytest.raises(ValueError, match="is_human"):
        ConnectFour(1, is_human=True)
