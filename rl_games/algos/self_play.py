"""Self-play (``config.self_play_config``): the learner plays frozen snapshots of itself that the
env holds, and the snapshots are refreshed when the learner beats them.

rl_games' rule (``SelfPlayManager.update``, once per epoch): once at least ``games_to_check``
games have finished, if their mean reward (``check_scores``: the mean of ``infos['scores']``)
exceeds ``update_score``, the learner's weights go to the opponents of the next
``env_update_num`` envs through the env's ``set_weights(indices, weights)``, the game statistics
are cleared (``clear_stats``) and ``selfplay/iters_update_weigths`` (epochs since the previous
update; rl_games' tag, spelling included) is written at the current frame.

Ours on top (all off by default):

* a pool of the last ``pool_size`` snapshots (the weights of every update, and every
  ``snapshot_every`` epochs); the envs updated at once are split into ``opponents_per_update``
  groups, each drawing its opponent by ``opponent_sampling``: ``latest`` (rl_games: the current
  weights), ``uniform`` (the pool and the current weights alike) or ``latest_prob`` (the current
  weights with probability ``latest_prob``, else one from the pool), so the learner keeps
  meeting older versions of itself and does not forget how to beat them;
* the pool, its random stream and the rotation survive resume (``state_dict`` is saved in the
  checkpoint under ``self_play``); the env's own opponents are its env state.

Differences from rl_games: the mean is over exactly the last ``games_to_check`` games (rl_games
takes the whole ``games_to_track`` window once it holds ``games_to_check``), and the window of
updated envs moves on by ``env_update_num`` (rl_games moves it by one, so most of the window is
updated again at once). With torchrun each rank decides from its own games.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from rl_games.config.schema import SelfPlayConfig
from rl_games.training.checkpoint import strip_compile_prefix

log = logging.getLogger(__name__)

TAG = "selfplay/iters_update_weigths"  # rl_games' tag, spelling included


# ----------------------------------------------------------------------------- pure rules
def window_mean(values: Sequence[float], games_to_check: int) -> float | None:
    """Mean of the last ``games_to_check`` values; None while fewer games have finished."""
    if games_to_check < 1 or len(values) < games_to_check:
        return None
    return float(np.mean(np.asarray(list(values)[-games_to_check:], dtype=np.float64)))


def should_update(mean: float | None, update_score: float) -> bool:
    """rl_games' test: the mean strictly exceeds ``update_score``."""
    return mean is not None and mean > update_score


def update_window(start: int, count: int, num_envs: int) -> np.ndarray:
    """The ``count`` env indices from ``start`` on, wrapping around (``count`` <= ``num_envs``)."""
    return (start + np.arange(min(count, num_envs))) % num_envs


def split_groups(indices: np.ndarray, groups: int) -> list[np.ndarray]:
    """``indices`` in at most ``groups`` contiguous, non-empty parts of near-equal size."""
    return [part for part in np.array_split(indices, max(1, groups)) if part.size]


# ----------------------------------------------------------------------------- the manager
class SelfPlayManager:
    """Owned by the PPO agent (``self_play_manager``); :meth:`update` once per epoch."""

    def __init__(self, config: SelfPlayConfig, num_envs: int, seed: int | None = None) -> None:
        self.config, self.num_envs = config, int(num_envs)
        self.updates_num = 0  # epochs since the last update (what the tag reports)
        self.epochs = 0  # epochs seen (snapshot_every)
        self.next_env = 0  # first env of the next update
        self.pool: deque[dict[str, Any]] = deque(maxlen=max(config.pool_size, 0) or None)
        self.generator = torch.Generator().manual_seed(0 if seed is None else int(seed))
        self.target: Any = None  # the env object with set_weights

    # ---- setup ------------------------------------------------------------------------------
    def attach(self, agent: Any) -> None:
        """Find the env's ``set_weights`` and hand the env a model factory if it takes one."""
        self.target = find_self_play_env(agent.env)
        if self.target is None:
            raise ValueError(
                "config.self_play_config: the env has no set_weights(indices, weights) (rl_games' "
                "self-play contract); use an env that holds an opponent, e.g. env_name: connect_four"
            )
        factory = getattr(self.target, "set_model_factory", None)
        if callable(factory):
            factory(opponent_factory(agent))

    # ---- the epoch hook ---------------------------------------------------------------------
    def update(self, agent: Any) -> bool:
        """rl_games' ``update(algo)``; returns whether the opponents were updated."""
        cfg = self.config
        self.updates_num += 1
        self.epochs += 1
        snapshot = cfg.snapshot_every > 0 and self.epochs % cfg.snapshot_every == 0
        mean = window_mean(self._results(agent), cfg.games_to_check)
        if not should_update(mean, cfg.update_score):
            if snapshot:
                self._add_snapshot(current_weights(agent))
            return False
        log.info(
            "self-play: mean %s %.3f > %.3f over the last %d games: updating opponents",
            "score" if cfg.check_scores else "reward",
            mean,
            cfg.update_score,
            cfg.games_to_check,
        )
        weights = current_weights(agent)
        agent.clear_stats()
        agent.writer.add_scalar(TAG, self.updates_num, agent.frame)  # the run's writer (rank 0)
        indices = update_window(self.next_env, cfg.env_update_num, self.num_envs)
        for group in split_groups(indices, cfg.opponents_per_update):
            self.target.set_weights(group, self._draw(weights))
        self._add_snapshot(weights)  # once, also when snapshot_every falls on this epoch
        self.next_env = int((self.next_env + len(indices)) % self.num_envs)
        self.updates_num = 0
        return True

    def _results(self, agent: Any) -> Sequence[float]:
        """The finished games' rewards, or with ``check_scores`` the observer's scores."""
        if not self.config.check_scores:
            return [float(np.asarray(r).reshape(-1)[0]) for r in agent.episodes.rewards]
        scores = getattr(agent.observer, "scores", None)
        if scores is None:
            raise ValueError(
                "self_play_config.check_scores needs the default observer (it keeps "
                "infos['scores']); set check_scores: False to compare game rewards"
            )
        return scores

    def _draw(self, latest: dict[str, Any]) -> dict[str, Any]:
        """The opponent weights for one group of envs (``opponent_sampling``)."""
        rule, pool = self.config.opponent_sampling, list(self.pool)
        if rule == "latest" or not pool:
            return latest
        if rule == "latest_prob":
            if torch.rand((), generator=self.generator) < self.config.latest_prob:
                return latest
            return pool[int(torch.randint(len(pool), (), generator=self.generator))]
        choices = [*pool, latest]  # uniform
        return choices[int(torch.randint(len(choices), (), generator=self.generator))]

    def _add_snapshot(self, weights: dict[str, Any]) -> None:
        if self.config.pool_size > 0:
            self.pool.append(weights)

    # ---- checkpoint -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "pool": list(self.pool),
            "updates_num": self.updates_num,
            "epochs": self.epochs,
            "next_env": self.next_env,
            "generator": self.generator.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.pool.clear()
        self.pool.extend(state.get("pool", []))
        self.updates_num = int(state.get("updates_num", 0))
        self.epochs = int(state.get("epochs", 0))
        self.next_env = int(state.get("next_env", 0)) % self.num_envs
        if "generator" in state:
            self.generator.set_state(state["generator"].cpu())


# ----------------------------------------------------------------------------- helpers
def find_self_play_env(env: Any) -> Any:
    """The first object along ``env``, ``env.env``, ... with a callable ``set_weights``."""
    seen = 0
    while env is not None and seen < 16:
        if callable(getattr(env, "set_weights", None)):
            return env
        env, seen = getattr(env, "env", None), seen + 1
    return None


def current_weights(agent: Any) -> dict[str, Any]:
    """A CPU copy of the learner's policy weights, ``{'model': state_dict}``."""
    state = strip_compile_prefix(agent.model.state_dict())
    return {"model": {k: v.detach().to("cpu", copy=True) for k, v in state.items()}}


def opponent_factory(agent: Any) -> Any:
    """A function building a fresh model like the learner's (same network and model config)."""
    from rl_games.builders import build_model

    params, spec = agent.params, agent._build_net_config()
    return lambda: build_model(params, spec)


def make_self_play_manager(agent: Any) -> SelfPlayManager | None:
    """The manager for ``agent.cfg.self_play_config`` (None when unset), attached to its env."""
    config = agent.cfg.self_play_config
    if config is None:
        return None
    manager = SelfPlayManager(config, agent.cfg.num_actors, agent.seed)
    manager.attach(agent)
    log.info("self-play: %s", config)
    return manager


__all__ = [
    "TAG",
    "SelfPlayManager",
    "current_weights",
    "find_self_play_env",
    "make_self_play_manager",
]
