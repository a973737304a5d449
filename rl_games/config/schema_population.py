"""Typed configuration of the population features: ``config.self_play_config`` (self-play
against snapshots held by the env) and ``params.pbt`` (population-based training). Field names
are rl_games' YAML keys; see docs/self_play.md and docs/pbt.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rl_games.config.fields import f


@dataclass(frozen=True)
class SelfPlayConfig:
    """``params.config.self_play_config``: rl_games' four keys plus our opponent pool."""

    update_score: float = f(
        None, "push the learner's weights to opponents when the mean exceeds this", required=True
    )
    games_to_check: int = f(
        None, "finished games the mean is taken over (fewer: no update yet)", required=True
    )
    check_scores: bool = f(
        False, "compare the mean of infos['scores'] (default observer) instead of game rewards"
    )
    env_update_num: int = f(1, "envs whose opponent each update replaces (the next ones in turn)")
    pool_size: int = f(0, "ours: past snapshots kept to draw opponents from (0: rl_games' rule)")
    opponent_sampling: str = f(
        "latest", "ours: latest | uniform | latest_prob (which snapshot an updated env gets)"
    )
    latest_prob: float = f(0.5, "ours: latest_prob: chance of the newest weights, else the pool")
    snapshot_every: int = f(0, "ours: also add a pool snapshot every N epochs (0: at updates only)")
    opponents_per_update: int = f(
        1, "ours: the updated envs are split into this many groups, each drawing an opponent"
    )


@dataclass(frozen=True)
class PbtConfig:
    """``params.pbt``: population based training (rl_games 2.0 / DexPBT keys; docs/pbt.md).

    Leaders score above ``max(mean + threshold_std * std, mean + threshold_abs)``,
    underperformers below ``min(mean - threshold_std * std, mean - threshold_abs)``."""

    enabled: bool = f(False, "this process is a member of a population")
    policy_idx: int = f(0, "this member's index, unique in [0, num_policies)")
    num_policies: int = f(8, "members in the population")
    directory: str = f("", "shared directory of the population ('': <train_dir>/<workspace>)")
    workspace: str = f("pbt_workspace", "subdirectory of train_dir used when directory is ''")
    objective: str = f(
        "",
        "'' : the mean reward of the last games_to_track games; else a dotted address into "
        "the env infos (rl_games: 'episode.success')",
    )
    interval_steps: int = f(100_000, "env frames between PBT iterations (save, compare, replace)")
    start_after: int = f(0, "frames a (re)started member trains before it can be replaced")
    initial_delay: int = f(0, "frames of the whole run before any member can be replaced")
    threshold_std: float = f(0.10, "std margin of the leader / underperformer cuts")
    threshold_abs: float = f(0.05, "absolute margin of the leader / underperformer cuts")
    mutation_rate: float = f(0.25, "probability that each listed hyperparameter is mutated")
    change_range: list[float] = f([1.1, 2.0], "[min, max] multiplicative change of mutate_float")
    mutation: dict[str, Any] = f(
        {}, "{config path: mutation function}, e.g. config.learning_rate: mutate_float"
    )
    dbg_mode: bool = f(
        False, "debugging: replace this member every iteration (never in real experiments)"
    )
    launcher: str = f("", "executable that re-runs the training command ('': this python)")
    keep_checkpoints: int = f(5, "ours: PBT checkpoints kept per member in the shared directory")
    stale_iterations: int = f(
        5, "ours: ignore a member whose newest record is this many iterations behind (0: never)"
    )
