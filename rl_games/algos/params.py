"""rl_games' runtime hyperparameter API (``get_param`` / ``set_param``), shared by PPO and SAC.

PBT-style tools read and change an agent's hyperparameters while it trains:

* ``get_param(name)`` / ``set_param(name, value)``: rl_games' names and signatures;
* ``get_params()`` / ``set_params({name: value})``: every supported name at once (ours).

A name is supported when its config field exists in the agent's config (``RUNTIME_PARAMS``):
PPO ``learning_rate``, ``entropy_coef``, ``e_clip``, ``gamma``, ``tau``, ``grad_norm``,
``critic_coef``, ``bounds_loss_coef``, ``mini_epochs_num``, ``kl_threshold``; SAC ``actor_lr``,
``critic_lr``, ``alpha_lr``, ``gamma``, ``critic_tau``, ``grad_norm``. The config stays frozen:
a change replaces ``agent.cfg`` with a copy (``params.config`` keeps the values the run was
launched with). A learning rate reaches the optimizer's param groups and the LR schedule;
``entropy_coef`` the entropy schedule; ``kl_threshold`` the adaptive schedule.

Checkpoints carry ``runtime_params`` (the values and the launch config's values). On restore a
value carries over unless the config now says something else than when it was saved: then the
config wins (a PBT restart passes mutated values with ``--set`` and a leader's checkpoint).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from rl_games.algos import schedulers

log = logging.getLogger(__name__)

__all__ = ["CHECKPOINT_KEY", "RUNTIME_PARAMS", "RuntimeParamsMixin"]

#: rl_games' parameter name -> the config field that holds its launch value
RUNTIME_PARAMS: dict[str, str] = {
    "learning_rate": "learning_rate",
    "entropy_coef": "entropy_coef",
    "e_clip": "e_clip",
    "gamma": "gamma",
    "tau": "tau",
    "grad_norm": "grad_norm",
    "critic_coef": "critic_coef",
    "bounds_loss_coef": "bounds_loss_coef",
    "mini_epochs_num": "mini_epochs",
    "kl_threshold": "kl_threshold",
    "actor_lr": "actor_lr",
    "critic_lr": "critic_lr",
    "alpha_lr": "alpha_lr",
    "critic_tau": "critic_tau",
}

#: SAC's learning rates: the optimizer each one drives
_SAC_OPTIMIZERS = {
    "actor_lr": "actor_optimizer",
    "critic_lr": "critic_optimizer",
    "alpha_lr": "log_alpha_optimizer",
}

CHECKPOINT_KEY = "runtime_params"


class RuntimeParamsMixin:
    """``get_param`` / ``set_param`` for an agent with ``cfg`` and ``params`` (PPO, SAC)."""

    cfg: Any
    params: Any

    # ------------------------------------------------------------------ names
    def runtime_param_names(self) -> list[str]:
        """The names this agent supports (its config has the field)."""
        fields = {f.name for f in dataclasses.fields(self.cfg)}
        names = [n for n, field in RUNTIME_PARAMS.items() if field in fields]
        if not hasattr(self, "last_lr"):  # SAC has no single learning rate / entropy coefficient
            names = [n for n in names if n not in ("learning_rate", "entropy_coef")]
        return names

    def param_config_field(self, name: str) -> str:
        """The config field of ``name`` (``mini_epochs_num`` -> ``mini_epochs``)."""
        self._check_name(name)
        return RUNTIME_PARAMS[name]

    def _check_name(self, name: str) -> None:
        if name not in self.runtime_param_names():
            raise NotImplementedError(
                f"no runtime parameter {name!r}; supported: {self.runtime_param_names()}"
            )

    # ------------------------------------------------------------------ rl_games' API
    def get_param(self, param_name: str) -> Any:
        """The value in use now (the learning rate: the schedule's current one)."""
        self._check_name(param_name)
        if param_name == "learning_rate":
            return float(self.last_lr)
        if param_name == "entropy_coef":
            return float(self.entropy_coef)
        if param_name in _SAC_OPTIMIZERS:
            return float(getattr(self, _SAC_OPTIMIZERS[param_name]).param_groups[0]["lr"])
        return getattr(self.cfg, RUNTIME_PARAMS[param_name])

    def set_param(self, param_name: str, param_value: Any) -> None:
        """Use ``param_value`` from the next update on."""
        self._check_name(param_name)
        field = RUNTIME_PARAMS[param_name]
        value = _typed(getattr(self.cfg, field), param_value)
        if param_name == "learning_rate":
            self._set_learning_rate(float(value))
        elif param_name == "entropy_coef":
            self._set_entropy_coef(float(value))
        elif param_name in _SAC_OPTIMIZERS:
            _set_lr(getattr(self, _SAC_OPTIMIZERS[param_name]), float(value))
        elif param_name == "kl_threshold" and isinstance(
            getattr(self, "scheduler", None), schedulers.AdaptiveScheduler
        ):
            self.scheduler.kl_threshold = float(value)
        if param_name in vars(self):  # SAC keeps gamma / critic_tau as attributes
            setattr(self, param_name, value)
        self.cfg = dataclasses.replace(self.cfg, **{field: value})

    def get_params(self) -> dict[str, Any]:
        """``{name: get_param(name)}`` for every supported name."""
        return {name: self.get_param(name) for name in self.runtime_param_names()}

    def set_params(self, params: dict[str, Any]) -> None:
        """``set_param`` for each item."""
        for name, value in params.items():
            self.set_param(name, value)

    # ------------------------------------------------------------------ PPO's schedules
    def _set_learning_rate(self, lr: float) -> None:
        """The current LR; a linear schedule is rescaled to pass through ``lr`` now:
        lr_now = min + (start - min) * mul  =>  start = min + (lr - min) / mul."""
        sched = getattr(self, "scheduler", None)
        if isinstance(sched, schedulers.LinearScheduler):
            mul = sched._multiplier(self.epoch_num, self.frame)
            if mul > 0:
                sched.start_lr = sched.min_lr + (lr - sched.min_lr) / mul
        _set_lr(self.optimizer, lr)
        self.last_lr = lr

    def _set_entropy_coef(self, coef: float) -> None:
        """The current coefficient; a scheduled one is rescaled like the learning rate
        (floor 1e-4: ``schedulers._MIN_ENTROPY_COEF``)."""
        sched = getattr(self, "scheduler", None)
        if isinstance(sched, schedulers.LinearScheduler) and sched.apply_to_entropy:
            mul = sched._multiplier(self.epoch_num, self.frame)
            floor = schedulers._MIN_ENTROPY_COEF
            if mul > 0:
                sched.start_entropy_coef = floor + (coef - floor) / mul
        self.entropy_coef = coef

    # ------------------------------------------------------------------ checkpoints
    def get_full_state_weights(self) -> dict[str, Any]:
        state = super().get_full_state_weights()  # type: ignore[misc]
        launched = self.params.config
        state[CHECKPOINT_KEY] = {
            "values": self.get_params(),
            "config": {n: getattr(launched, RUNTIME_PARAMS[n]) for n in self.runtime_param_names()},
        }
        return state

    def set_full_state_weights(self, weights: dict[str, Any], *args: Any, **kw: Any) -> None:
        super().set_full_state_weights(weights, *args, **kw)  # type: ignore[misc]
        saved = weights.get(CHECKPOINT_KEY)
        if isinstance(saved, dict):
            carried = carried_params(saved, self.params.config, self.runtime_param_names())
            self.set_params({n: v for n, v in carried.items() if v != self.get_param(n)})


def carried_params(saved: dict[str, Any], launched: Any, names: list[str]) -> dict[str, Any]:
    """The values to use after a restore: the saved value, unless the launch config differs
    from the config the checkpoint was saved under (then the config's value)."""
    out: dict[str, Any] = {}
    values, saved_config = saved.get("values", {}), saved.get("config", {})
    for name in names:
        if name not in values:
            continue
        now = getattr(launched, RUNTIME_PARAMS[name])
        out[name] = values[name] if saved_config.get(name) == now else now
    return out


def _typed(current: Any, value: Any) -> Any:
    """``value`` as the field's type (an int field stays an int; None fields take floats)."""
    if isinstance(current, bool) or current is None:
        return value
    if isinstance(current, int):
        return int(round(float(value)))
    if isinstance(current, float):
        return float(value)
    return value


def _set_lr(optimizer: Any, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
