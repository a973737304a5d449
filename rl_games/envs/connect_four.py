"""Connect Four on the training device: thousands of boards stepped at once, the learner against
an opponent policy held by the env (self-play, rl_games' ``set_weights(indices, weights)``).

Rules: a 6 x 7 board; players drop a stone into a column (it falls to the lowest empty row); four
of one's stones in a row, column or diagonal win; a full board is a draw. The learner plays first
or second at random each game (the env's seeded generator).

One env step is one move of the learner and, if the game goes on, the opponent's reply:

* reward +1 when the learner wins, -1 when it loses (the opponent connects four, or the learner
  drops into a full column: an illegal move loses at once), 0 otherwise (draws included);
* ``infos``: ``win`` / ``draw`` / ``loss`` (bool ``[N]``, True on the step a game ends),
  ``scores`` (1 win, 0.5 draw, 0 loss: what ``check_scores`` and rl_games' default observer
  read) and ``time_outs`` (never: games end by the rules);
* the observation is the board seen by the player to move: plane 0 its stones, plane 1 the other
  player's, as float ``[N, 84]`` (``flatten_obs: True``, for an MLP) or ``[N, 2, 6, 7]``
  (channels first, for a cnn block). The opponent sees the same encoding from its side, so the
  learner's weights play the opponent unchanged;
* action masks (``get_action_masks``): ``[N, 7]``, True for the columns with room.

Opponents (:class:`Opponents`): before any ``set_weights`` every env's opponent picks a legal
column uniformly at random; ``set_weights(indices, weights)`` gives the envs ``indices`` an
opponent with those weights (the learner's ``get_weights()``: ``{'model': state_dict, ...}``), in
a model the env builds with its model factory (the self-play manager hands over one built from the
run's own network config; standalone, ``config_path`` names the run's YAML). The opponent acts on
its envs under ``torch.inference_mode`` with the same masks, sampling (``is_deterministic``:
argmax). Envs that share weights share one model; at most ``max_opponents`` distinct models are
kept (the oldest merge into the next older). ``random_agent: True`` keeps the uniformly random
opponent whatever ``set_weights`` says (evaluation); ``random_fraction`` keeps it on that share
of the boards (the last ones), so the learner never stops meeting a weak player. The opponents are the env state
(``get_env_state``) saved in checkpoints, so a resumed run plays the same opponents.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from rl_games.envs.base import IVecEnv, make_env_info

log = logging.getLogger(__name__)

ROWS, COLS, CELLS = 6, 7, 42
ModelFactory = Callable[[], torch.nn.Module]


# ------------------------------------------------------------------------------- game rules
def legal_moves(heights: torch.Tensor) -> torch.Tensor:
    """``[N, 7]`` bool: the columns with room (``heights``: stones per column, ``[N, 7]``)."""
    return heights < ROWS


def drop(
    plane: torch.Tensor, heights: torch.Tensor, cols: torch.Tensor, active: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One player's stone into column ``cols[n]`` of every ``active`` board (row 0 is the bottom).

    ``plane``: that player's stones ``[N, 6, 7]`` bool. Returns the new plane and heights and
    ``illegal`` (``[N]``: active boards whose column was full; nothing is placed there)."""
    height = heights.gather(1, cols.view(-1, 1)).view(-1)
    ok = active & (height < ROWS)
    rows = torch.arange(ROWS, device=plane.device).view(1, ROWS, 1)
    columns = torch.arange(COLS, device=plane.device).view(1, 1, COLS)
    cell = (rows == height.view(-1, 1, 1)) & (columns == cols.view(-1, 1, 1))
    plane = plane | (cell & ok.view(-1, 1, 1))
    heights = heights + ((columns.view(1, COLS) == cols.view(-1, 1)) & ok.view(-1, 1)).long()
    return plane, heights, active & ~ok


def four_in_a_row(p: torch.Tensor) -> torch.Tensor:
    """``[N]`` bool: the plane ``p`` (``[N, 6, 7]`` bool) holds four in a row, column or diagonal.

    Each direction ANDs four shifted views: cell (r, c) starts a line when (r, c), (r+dr, c+dc),
    (r+2dr, c+2dc) and (r+3dr, c+3dc) are all set."""
    rows = p[:, :, 0:4] & p[:, :, 1:5] & p[:, :, 2:6] & p[:, :, 3:7]
    cols = p[:, 0:3] & p[:, 1:4] & p[:, 2:5] & p[:, 3:6]
    up_right = p[:, 0:3, 0:4] & p[:, 1:4, 1:5] & p[:, 2:5, 2:6] & p[:, 3:6, 3:7]
    up_left = p[:, 0:3, 3:7] & p[:, 1:4, 2:6] & p[:, 2:5, 1:5] & p[:, 3:6, 0:4]
    return torch.cat([x.flatten(1) for x in (rows, cols, up_right, up_left)], dim=1).any(dim=1)


# ------------------------------------------------------------------------------- opponents
@dataclass
class _Slot:
    """One opponent model and the envs it plays in."""

    model: torch.nn.Module
    weights: dict[str, Any]  # what set_weights gave (saved as env state)
    opening: torch.Tensor  # [7] probabilities of its first move on an empty board
    envs: torch.Tensor  # env indices on the device


class Opponents:
    """The opponent of every env: a model slot or (-1) the uniformly random player."""

    def __init__(
        self,
        num_envs: int,
        device: torch.device,
        obs_shape: tuple[int, ...],
        max_opponents: int = 8,
    ) -> None:
        self.num_envs, self.device, self.obs_shape = num_envs, device, obs_shape
        self.max_opponents = max(1, int(max_opponents))
        self.factory: ModelFactory | None = None
        self.deterministic = False
        self.owner = np.full(num_envs, -1, dtype=np.int64)  # host bookkeeping: slot per env
        self.slots: list[_Slot] = []
        self.opening_table = torch.full((1, COLS), 1.0 / COLS, device=device)  # row 0: random
        self.table_index = torch.zeros(num_envs, dtype=torch.long, device=device)

    def set_weights(self, indices: Any, weights: dict[str, Any]) -> None:
        if self.factory is None:
            raise RuntimeError(
                "connect_four: set_weights needs a model factory for the opponent (the self-play "
                "manager sets one; standalone, give env_config.config_path: the run's YAML)"
            )
        model = self.factory().to(self.device)
        model.load_state_dict(weights["model"])
        model.eval()
        idx = np.unique(np.asarray(indices, dtype=np.int64).reshape(-1) % self.num_envs)
        empty = torch.zeros(1, *self.obs_shape, device=self.device)
        full = torch.ones(1, COLS, dtype=torch.bool, device=self.device)
        opening = self._policy(model, empty, full, logits=True).softmax(-1).view(COLS)
        cpu = {k: _to_cpu(v) for k, v in weights.items() if k == "model"}
        self.owner[idx] = len(self.slots)
        self.slots.append(_Slot(model, cpu, opening, torch.empty(0)))
        self._compact()

    def _compact(self) -> None:
        """Drop slots that own no env, merge the oldest while over ``max_opponents``, and rebuild
        the per-slot env indices and the opening table."""
        used = [i for i in range(len(self.slots)) if (self.owner == i).any()]
        while len(used) > self.max_opponents:
            self.owner[self.owner == used[0]] = used[1]
            used.pop(0)
        remap = np.full(len(self.slots) + 1, -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        self.owner = remap[self.owner]  # -1 stays -1 (remap[-1] is the extra -1 entry)
        self.slots = [self.slots[i] for i in used]
        for k, slot in enumerate(self.slots):
            slot.envs = torch.as_tensor(np.flatnonzero(self.owner == k), device=self.device)
        rows = [torch.full((COLS,), 1.0 / COLS, device=self.device)]
        self.opening_table = torch.stack(rows + [s.opening for s in self.slots])
        self.table_index = torch.as_tensor(self.owner + 1, device=self.device)

    def _policy(
        self, model: torch.nn.Module, obs: torch.Tensor, masks: torch.Tensor, logits: bool = False
    ) -> torch.Tensor:
        with torch.inference_mode():
            inp = {"obs": obs, "action_masks": masks, "deterministic": self.deterministic}
            out = model.act(inp)
        return out["logits"] if logits else out["actions"]

    def act(
        self, obs: torch.Tensor, masks: torch.Tensor, generator: torch.Generator
    ) -> torch.Tensor:
        """``[N]`` columns: uniformly random legal ones, replaced by each slot's model on its envs.
        A full board (no legal column, its game is over) allows every column: that move is not
        played."""
        masks = masks | ~masks.any(dim=1, keepdim=True)
        actions = torch.multinomial(masks.float(), 1, generator=generator).view(-1)
        for slot in self.slots:
            e = slot.envs
            actions[e] = self._policy(slot.model, obs[e], masks[e]).long().view(-1)
        return actions

    def opening_moves(self, generator: torch.Generator) -> torch.Tensor:
        """``[N]`` first moves on an empty board, each env from its opponent's distribution."""
        probs = self.opening_table[self.table_index]
        moves = torch.multinomial(probs, 1, generator=generator).view(-1)
        if self.deterministic:  # the random player (table row 0) stays random
            return torch.where(self.table_index > 0, probs.argmax(-1), moves)
        return moves

    def state_dict(self) -> dict[str, Any]:
        return {"owner": torch.as_tensor(self.owner), "weights": [s.weights for s in self.slots]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        owner = np.asarray(state["owner"].cpu(), dtype=np.int64)
        self.slots, self.owner = [], np.full(self.num_envs, -1, dtype=np.int64)
        self._compact()
        for k, weights in enumerate(state["weights"]):
            self.set_weights(np.flatnonzero(owner == k), weights)


def _to_cpu(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    return value


# ------------------------------------------------------------------------------- the env
class ConnectFour(IVecEnv):
    """``num_envs`` boards on ``device``; see the module docstring. rl_games' env_config keys
    ``random_agent``, ``is_deterministic`` and ``config_path`` keep their meaning (``name`` and
    ``self_play`` are accepted; ``is_human`` is not supported)."""

    def __init__(
        self,
        num_envs: int,
        device: str | torch.device = "cpu",
        seed: int | None = None,
        flatten_obs: bool = True,
        random_agent: bool = False,
        is_deterministic: bool = False,
        config_path: str | None = None,
        max_opponents: int = 8,
        random_fraction: float = 0.0,
        name: str | None = None,
        self_play: bool = True,
        is_human: bool = False,
    ) -> None:
        if is_human:
            raise ValueError("connect_four: is_human (a human opponent) is not supported")
        self.num_envs, self.device = int(num_envs), torch.device(device)
        self.flatten_obs, self.random_agent = bool(flatten_obs), bool(random_agent)
        shape = (2 * CELLS,) if self.flatten_obs else (2, ROWS, COLS)
        self.observation_space = spaces.Box(0.0, 1.0, shape, dtype=np.float32)
        self.action_space = spaces.Discrete(COLS)
        self.generator = torch.Generator(device=self.device)
        if seed is None:
            self.generator.seed()
        else:
            self.seed(seed)
        self.opponents = Opponents(self.num_envs, self.device, shape, max_opponents)
        self.opponents.deterministic = bool(is_deterministic)
        #: boards from this index on keep the random player (set_weights skips them)
        self.first_random_board = self.num_envs - int(self.num_envs * float(random_fraction))
        if config_path is not None:
            self.opponents.factory = model_factory_from_yaml(config_path, self)
        n = self.num_envs
        # each player's stones [N, 6, 7] (0: learner, 1: opponent); state tensors are replaced,
        # never updated in place, so the env steps inside and outside torch.inference_mode
        self.mine = torch.zeros(n, ROWS, COLS, dtype=torch.bool, device=self.device)
        self.theirs = torch.zeros_like(self.mine)
        self.heights = torch.zeros(n, COLS, dtype=torch.long, device=self.device)
        #: games finished since construction: [wins, draws, losses] of the learner (no sync)
        self.results = torch.zeros(3, dtype=torch.long, device=self.device)
        self._new_games(torch.ones(n, dtype=torch.bool, device=self.device))

    # ---- self-play contract -----------------------------------------------------------------
    def set_model_factory(self, factory: ModelFactory) -> None:
        """How to build an opponent model (a fresh one, same architecture as the learner's)."""
        self.opponents.factory = factory

    def set_weights(self, indices: Any, weights: dict[str, Any]) -> None:
        """rl_games' contract: the envs ``indices`` play an opponent with ``weights``."""
        if self.random_agent:
            log.debug("connect_four: random_agent is set, opponent weights ignored")
            return
        idx = np.asarray(indices, dtype=np.int64).reshape(-1) % self.num_envs
        idx = idx[idx < self.first_random_board]
        if idx.size:
            self.opponents.set_weights(idx, weights)

    def get_env_state(self) -> dict[str, Any]:
        return {"opponents": self.opponents.state_dict()}

    def set_env_state(self, env_state: Any) -> None:
        if not isinstance(env_state, dict) or "opponents" not in env_state or self.random_agent:
            return
        if self.opponents.factory is None:
            log.warning("connect_four: no opponent model factory: the saved opponents play random")
            return
        self.opponents.load_state_dict(env_state["opponents"])

    # ---- IVecEnv ----------------------------------------------------------------------------
    def get_env_info(self) -> dict[str, Any]:
        return make_env_info(self.observation_space, self.action_space, autoreset_mode="same_step")

    def seed(self, seed: int) -> None:
        self.generator.manual_seed(int(seed))

    def has_action_masks(self) -> bool:
        return True

    def get_action_masks(self) -> torch.Tensor:
        return legal_moves(self.heights)

    def observe(self, player: int) -> torch.Tensor:
        """The boards as ``player`` (0 learner, 1 opponent) sees them: its stones first."""
        planes = (self.mine, self.theirs) if player == 0 else (self.theirs, self.mine)
        obs = torch.stack(planes, dim=1).float()
        return obs.flatten(1) if self.flatten_obs else obs

    def reset(self) -> torch.Tensor:
        self._new_games(torch.ones(self.num_envs, dtype=torch.bool, device=self.device))
        return self.observe(0)

    def step(self, actions: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict]:
        cols = torch.as_tensor(actions, device=self.device).long().view(-1)
        everyone = torch.ones(self.num_envs, dtype=torch.bool, device=self.device)
        self.mine, self.heights, illegal = drop(self.mine, self.heights, cols, everyone)
        won = four_in_a_row(self.mine) & ~illegal
        draw = ~won & ~illegal & (self.heights.sum(1) == CELLS)
        live = ~(won | illegal | draw)
        replies = self.opponents.act(self.observe(1), legal_moves(self.heights), self.generator)
        self.theirs, self.heights, _ = drop(self.theirs, self.heights, replies, live)
        lost = illegal | (live & four_in_a_row(self.theirs))
        draw = draw | (live & ~lost & (self.heights.sum(1) == CELLS))
        dones = won | lost | draw
        self.results = self.results + torch.stack([won.sum(), draw.sum(), lost.sum()])
        rewards = won.float() - lost.float()
        self._new_games(dones)
        infos = {
            "win": won,
            "draw": draw,
            "loss": lost,
            "scores": won.float() + 0.5 * draw.float(),
            "time_outs": torch.zeros_like(dones),
        }
        return self.observe(0), rewards, dones, infos

    def _new_games(self, start: torch.Tensor) -> None:
        """Empty the boards ``start``; on about half of them the opponent moves first."""
        keep = ~start.view(-1, 1, 1)
        self.mine, self.theirs = self.mine & keep, self.theirs & keep
        self.heights = self.heights * keep.view(-1, 1).long()
        coin = torch.rand(self.num_envs, generator=self.generator, device=self.device)
        opens = start & (coin < 0.5)
        moves = self.opponents.opening_moves(self.generator)
        self.theirs, self.heights, _ = drop(self.theirs, self.heights, moves, opens)


def model_factory_from_yaml(config_path: str, env: ConnectFour) -> ModelFactory:
    """An opponent model factory from a run's YAML (``params.network`` / ``params.model``)."""
    from rl_games.builders import build_model
    from rl_games.config.build import typed_params
    from rl_games.config.loader import load_yaml
    from rl_games.config.plan import EnvSpaces, model_spec

    params = typed_params(load_yaml(config_path)["params"], training=False)
    spaces = EnvSpaces(env.observation_space, env.action_space)
    spec = dataclasses.replace(model_spec(params, spaces), num_seqs=env.num_envs)
    return lambda: build_model(params, spec)


# ------------------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class MatchResult:
    """Games of a learner against an opponent, counted from the learner's side."""

    wins: int
    draws: int
    losses: int

    @property
    def games(self) -> int:
        return self.wins + self.draws + self.losses

    @property
    def win_rate(self) -> float:
        return self.wins / max(self.games, 1)


def play_match(
    model: torch.nn.Module, env: ConnectFour, games: int, deterministic: bool = True
) -> MatchResult:
    """``model`` (a PPO discrete model) plays the env's opponents until at least ``games`` games
    have finished (every board plays on to the end of its game: the count may exceed it)."""
    model.eval()
    start = env.results.clone()
    obs = env.reset()
    with torch.inference_mode():
        while int((env.results - start).sum()) < games:
            for _ in range(CELLS):  # one host read per full-board's worth of moves
                inp = {"obs": obs, "action_masks": env.get_action_masks()}
                actions = model.act({**inp, "deterministic": deterministic})["actions"]
                obs, _, _, _ = env.step(actions)
    wins, draws, losses = (env.results - start).tolist()
    return MatchResult(int(wins), int(draws), int(losses))


def evaluate_checkpoint(
    config_path: str,
    checkpoint: str,
    opponent: str | None = None,
    games: int = 1000,
    num_envs: int = 250,
    seed: int = 0,
    device: str = "cpu",
) -> MatchResult:
    """A checkpoint of ``config_path``'s run against the uniformly random player (``opponent``
    None) or against another checkpoint of the same network (``opponent``: its path)."""
    from rl_games.training.checkpoint import load_checkpoint

    env = ConnectFour(num_envs, device=device, seed=seed, random_agent=opponent is None)
    factory = model_factory_from_yaml(config_path, env)
    env.set_model_factory(factory)
    model = factory().to(env.device)
    model.load_state_dict(load_checkpoint(checkpoint, map_location=env.device)["model"])
    if opponent is not None:
        theirs = load_checkpoint(opponent, map_location=env.device)["model"]
        env.set_weights(np.arange(num_envs), {"model": theirs})
    return play_match(model, env, games)
