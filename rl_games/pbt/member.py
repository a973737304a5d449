"""``PbtAlgoObserver``: one member of a population, called by its trainer after each epoch.

Every ``interval_steps`` frames (``after_print_stats``, once per epoch, after the epoch's
statistics) the member writes a scored checkpoint and its hyperparameters to the shared
directory (:mod:`rl_games.pbt.store`), reads the population's newest records and, when it
scores below the lower cut (:mod:`rl_games.pbt.decision`), copies a leader's checkpoint and
re-executes its own command line with that checkpoint and mutated hyperparameters
(:mod:`rl_games.pbt.restart`). TensorBoard gets ``pbt/<path>`` for each hyperparameter and
``pbt/objective`` / ``pbt/00_best_objective`` at every iteration.
"""

from __future__ import annotations

import logging
import random
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rl_games.config.build import to_dict
from rl_games.config.schema import Params, PbtConfig
from rl_games.pbt import decision as D
from rl_games.pbt.mutation import mutate
from rl_games.pbt.restart import build_restart_argv, command_for, exec_restart
from rl_games.pbt.rules import get_path, mutation_rules
from rl_games.pbt.store import PopulationStore
from rl_games.training.observers import AlgoObserver

log = logging.getLogger(__name__)

__all__ = ["PbtAlgoObserver", "pbt_config", "with_pbt_observer"]

_UNINITIALIZED = -1e9  # rl_games' objective of a member whose score is not known yet


def pbt_config(params: Any) -> tuple[PbtConfig, dict[str, Any]]:
    """(typed ``pbt`` block, the params as a dict) from our ``Params``, a ``params`` dict, or
    rl_games' ``{'params': {...}, 'pbt': {...}}`` agent dict."""
    if isinstance(params, Params):
        if params.pbt is None:
            raise ValueError("params.pbt is missing (docs/pbt.md)")
        return params.pbt, to_dict(params)
    from rl_games.config.loader import Parser

    doc = dict(params)
    inner = doc.get("params") if isinstance(doc.get("params"), Mapping) else doc
    block = doc.get("pbt", inner.get("pbt"))
    parser = Parser()
    cfg = parser.parse(PbtConfig, block, "params.pbt")
    if parser.problems:
        raise ValueError("; ".join(str(p) for p in parser.problems))
    return cfg, dict(inner)


class PbtAlgoObserver(AlgoObserver):
    """rl_games' ``PbtAlgoObserver(params, args_cli)``; ``argv``: the CLI arguments to restart
    with (default ``sys.argv``)."""

    def __init__(self, params: Any, args_cli: Any = None, argv: list[str] | None = None) -> None:
        super().__init__()
        self.cfg, self._doc = pbt_config(params)
        self.rules = mutation_rules(self.cfg.mutation)
        if not self.rules:
            raise ValueError("params.pbt.mutation is empty: nothing to mutate (docs/pbt.md)")
        self.argv = list(sys.argv if argv is None else argv)
        self.exec_fn: Callable[[Any, list[str]], None] = exec_restart
        self.rng = random.Random()
        self.algo: Any = None
        self.store: PopulationStore | None = None
        self.pbt_it: int | None = None  # None: not started
        self.start_frame = 0
        # from env infos when objective is an address: kept on the device (a tensor), read once
        # per PBT iteration rather than once per env step
        self.score: Any = None
        self.last_decision: D.Decision | None = None
        parts = self.cfg.objective.split(".") if self.cfg.objective else []
        self.info_keys: tuple[str, ...] = (parts[0],) if parts else ()  # () : never called

    # ------------------------------------------------------------------ observer hooks
    def after_init(self, algo: Any) -> None:
        self.algo = algo
        if getattr(algo, "rank", 0) != 0:
            return
        directory = self.cfg.directory or str(Path(algo.cfg.train_dir) / self.cfg.workspace)
        self.store = PopulationStore(directory, self.cfg.num_policies)
        self.store.member_dir(self.cfg.policy_idx).mkdir(parents=True, exist_ok=True)
        log.info(
            "PBT member %d/%d, shared directory %s, mutating %s",
            self.cfg.policy_idx,
            self.cfg.num_policies,
            directory,
            self.rules,
        )

    def process_infos(self, infos: Any, done_indices: Any) -> None:
        """``objective`` as an address into the infos (rl_games): the last value found."""
        value: Any = infos
        try:
            for part in self.cfg.objective.split("."):
                value = value[part]
            self.score = value.float().mean() if hasattr(value, "float") else float(value)
        except (KeyError, TypeError, IndexError, ValueError):
            return

    def after_print_stats(self, frame: int, epoch_num: int, total_time: float) -> None:
        if self.store is not None:
            self.tick()

    # ------------------------------------------------------------------ one PBT iteration
    def objective(self) -> float | None:
        if self.cfg.objective:
            return None if self.score is None else float(self.score)
        mean = getattr(self.algo, "final_mean_reward", None)
        return None if mean is None else float(mean)

    def current_params(self) -> dict[str, Any]:
        """``{config path: value in use}``: the agent's runtime value where it has one
        (``get_param``), else the launch config's."""
        names = getattr(self.algo, "runtime_param_names", lambda: [])()
        runtime = {f"config.{self.algo.param_config_field(n)}": n for n in names}
        out = {}
        for path in self.rules:
            name = runtime.get(path)
            out[path] = self.algo.get_param(name) if name else get_path(self._doc, path)
        return out

    def tick(self) -> None:
        """Called once per epoch: a PBT iteration when a new ``interval_steps`` boundary
        was crossed."""
        frame, cfg = int(self.algo.frame), self.cfg
        it = frame // cfg.interval_steps
        if self.pbt_it is None:
            self.pbt_it, self.start_frame = it, frame
            self._write_scalars(self.current_params(), None, frame)
            return
        if it <= self.pbt_it:
            return
        self.pbt_it = it
        score = self.objective()
        params = self.current_params()
        if score is None:
            log.info(
                "PBT member %d: no finished games yet, iteration %d skipped", cfg.policy_idx, it
            )
            return
        record = self._save(it, score, params)
        population = self.store.population(it, cfg.stale_iterations)
        population[cfg.policy_idx] = record
        objectives = {p: float(r["true_objective"]) for p, r in population.items()}
        self._write_scalars(params, objectives, frame, score)
        may_replace = (
            frame - self.start_frame >= cfg.start_after
            and frame >= cfg.initial_delay
            and not self._last_epoch()
        )
        decision = D.decide(
            objectives, cfg.policy_idx, cfg.threshold_std, cfg.threshold_abs, cfg.dbg_mode, self.rng
        )
        self.last_decision = decision
        self._log_decision(it, objectives, decision, may_replace)
        if decision.replace and may_replace:
            self._restart(population[decision.source], params, score)

    def _last_epoch(self) -> bool:
        """The run stops after this epoch (max_frames / max_epochs): a restart would not train."""
        algo, max_epochs = self.algo, getattr(self.algo.cfg, "max_epochs", 0)
        if getattr(algo, "max_frames", 0) > 0 and algo.frame >= algo.max_frames:
            return True
        return max_epochs > 0 and algo.epoch_num >= max_epochs

    def _save(self, it: int, score: float, params: dict[str, Any]) -> dict[str, Any]:
        algo = self.algo
        record = {
            "true_objective": float(score),
            "frame": int(algo.frame),
            "epoch": int(algo.epoch_num),
            "params": params,
            "experiment_name": None if algo.run_dir is None else algo.run_dir.name,
        }
        saved = self.store.save(self.cfg.policy_idx, it, algo.get_full_state_weights(), record)
        self.store.cleanup(self.cfg.policy_idx, self.cfg.keep_checkpoints)
        return saved

    def _write_scalars(
        self, params: dict[str, Any], objectives: dict[int, float] | None, frame: int, score=None
    ) -> None:
        w = self.algo.writer
        for path, value in params.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                w.add_scalar(f"pbt/{path}", value, frame)
        if objectives:
            w.add_scalar("pbt/objective", score, frame)
            w.add_scalar("pbt/00_best_objective", max(objectives.values()), frame)
        w.flush()

    def _log_decision(self, it: int, objectives: dict, decision: D.Decision, may: bool) -> None:
        c = decision.cuts
        table = ", ".join(f"{p}: {o:.4g}" for p, o in sorted(objectives.items()))
        log.info(
            "PBT member %d, iteration %d: objectives {%s}; lower %.4g upper %.4g; leaders %s, "
            "underperformers %s%s",
            self.cfg.policy_idx,
            it,
            table,
            c.lower if c else float("nan"),
            c.upper if c else float("nan"),
            list(decision.leaders),
            list(decision.underperformers),
            "" if may or not decision.replace else " (not replaced: start_after / last epoch)",
        )

    # ------------------------------------------------------------------ restart
    def _restart(self, source: dict[str, Any], own_params: dict[str, Any], score: float) -> None:
        cfg, algo = self.cfg, self.algo
        base = dict(source.get("params") or own_params)
        new = mutate(base, self.rules, cfg.mutation_rate, cfg.change_range, self.rng)
        try:  # the source may delete its file meanwhile: then keep training
            ckpt = self.store.copy_for_restart(
                cfg.policy_idx, source["checkpoint"], algo.frame, algo.epoch_num
            )
        except Exception as exc:
            log.warning("PBT member %d: restart abandoned, cannot copy %s: %s",
                        cfg.policy_idx, source["checkpoint"], exc)  # fmt: skip
            return
        self._write_scalars(new, None, int(algo.frame))
        self.store.log_event(
            {
                "policy_idx": cfg.policy_idx,
                "iteration": self.pbt_it,
                "frame": int(algo.frame),
                "objective": score,
                "source": int(source["policy_idx"]),
                "source_objective": float(source["true_objective"]),
                "old_params": own_params,
                "new_params": new,
            }
        )
        log.warning(
            "PBT member %d: replaced by member %d's weights (objective %.4g vs %.4g), params %s",
            cfg.policy_idx, source["policy_idx"], score, source["true_objective"], new,
        )  # fmt: skip
        sets = {**new}
        if algo.run_dir is not None:  # keep writing into the same run directory
            sets["config.full_experiment_name"] = algo.run_dir.name
        argv = build_restart_argv(self.argv[1:], str(ckpt), sets)
        self.exec_fn(algo, [*command_for(self.argv[0] if self.argv else "", cfg.launcher), *argv])


def with_pbt_observer(observer: Any, params: Params) -> Any:
    """``observer`` and a :class:`PbtAlgoObserver` as one, unless ``observer`` already is or
    holds one (a ``Runner(algo_observer=...)`` built the rl_games way)."""
    from rl_games.training.observe import MultiObserver

    inner = getattr(observer, "observers", [observer])
    if any(isinstance(o, PbtAlgoObserver) for o in inner):
        return observer
    return MultiObserver([observer, PbtAlgoObserver(params)])
