"""What a checkpoint needs beyond rl_games' keys for an exact resume, and how it is re-applied.

Extra checkpoint keys (all weights_only-loadable; rl_games ignores them):

* ``rng``: torch / CUDA / numpy / ``random`` generator states.
* ``episode_stats``: the running episode sums and the windows of finished games.
* ``carry``: what the rollout carries from one epoch into the next (last observation, dones,
  RNN states), named by the trainer's ``resume_carry`` attributes.

``episode_stats`` and ``carry`` are the trainer's own :meth:`ResumeStateMixin.state_dict`.
* ``env_snapshot``: the envs' own state when it is plain data (:mod:`env_snapshot`).

With an ``env_snapshot`` the resumed run continues the very same episodes: bit-exact on CPU.
Without one (envpool, async or native envs) the envs are re-seeded from ``(seed, epoch)`` and
reset, the unfinished episodes are dropped (their partial sums too), and everything else is
restored: the resumed run is deterministic but not identical to an uninterrupted one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import torch

from rl_games.training.env_snapshot import (
    SNAPSHOT_KIND,
    capture_env_snapshot,
    restore_env_snapshot,
    supports_snapshot,
)
from rl_games.training.rng import capture_rng, derive_seed, restore_rng

log = logging.getLogger(__name__)

RESUME_KEYS = ("rng", "episode_stats", "carry", "env_snapshot")


class ResumeStateMixin:
    """The trainer's own resume state: ``state_dict()`` / ``load_state_dict()``.

    ``carry``: the ``resume_carry`` attributes (what the rollout carries from one epoch into the
    next; a subclass names its own, e.g. PPO's central-value states); ``episode_stats``: the
    running episode sums and the windows of finished games. The keys are the checkpoint's, so
    checkpoints written before this method existed load unchanged."""

    resume_carry: tuple[str, ...] = ()
    device: torch.device
    env: Any
    seed: int | None
    epoch_num: int

    def state_dict(self) -> dict[str, Any]:
        """``{'carry': {name: tensors}, 'episode_stats': {...}}`` (tensors cloned)."""
        state: dict[str, Any] = {}
        episodes = getattr(self, "episodes", None)
        if episodes is not None and hasattr(episodes, "state_dict"):
            state["episode_stats"] = episodes.state_dict()
        carry = {}
        for name in self.resume_carry:
            value = getattr(self, name, None)
            if value is not None:
                carry[name] = _map_tensors(value, lambda t: t.detach().clone())
        state["carry"] = carry
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict`. Without ``carry`` (the envs were reset, not restored) the
        unfinished episodes are gone: only the finished-game windows come back."""
        carry = state.get("carry")
        for name, value in (carry or {}).items():
            if name not in self.resume_carry:
                log.warning(
                    "resume: the checkpoint carries '%s', which this trainer does not", name
                )
                continue
            setattr(self, name, _map_tensors(value, lambda t: t.to(self.device)))
        stats = state.get("episode_stats")
        episodes = getattr(self, "episodes", None)
        if stats is not None and episodes is not None:
            episodes.load_state_dict(stats, windows_only=carry is None)

    def resume_state(self) -> dict[str, Any]:
        """The extra checkpoint keys for an exact resume (see the module docstring)."""
        state: dict[str, Any] = {"rng": capture_rng(), **self.state_dict()}
        snapshot = capture_env_snapshot(self.env)
        if snapshot is not None:
            state["env_snapshot"] = snapshot
        return state

    def stage_resume_state(self, state: dict[str, Any]) -> dict[str, Any] | None:
        """At restore: apply the RNG now, re-seed the envs when they cannot be restored exactly,
        and return what :meth:`apply_resume_state` applies once the training loop has reset the envs.
        """
        if "rng" in state:
            restore_rng(state["rng"])
        pending = {k: state[k] for k in RESUME_KEYS if k in state}
        snapshot = pending.get("env_snapshot")
        exact = (
            isinstance(snapshot, dict)
            and snapshot.get("kind") == SNAPSHOT_KIND
            and "obs" in (pending.get("carry") or {})
            and supports_snapshot(self.env)
        )
        pending["exact"] = exact
        if not exact:
            pending.pop("env_snapshot", None)
            pending.pop("carry", None)
            if self.seed is not None:
                self.env.seed(derive_seed(self.seed, self.epoch_num))
        return pending

    def apply_resume_state(self, pending: dict[str, Any]) -> None:
        """After the loop's env reset: env state, then the trainer's :meth:`load_state_dict`
        (carried tensors, episode statistics), then the RNG."""
        exact = bool(pending.get("exact")) and restore_env_snapshot(
            self.env, pending["env_snapshot"]
        )
        own = {k: pending[k] for k in ("carry", "episode_stats") if k in pending}
        if not exact:
            own.pop("carry", None)
        self.load_state_dict(own)
        if "rng" in pending:
            restore_rng(pending["rng"])
        if exact:
            log.info("resume: env state and running episodes restored (exact continuation)")
        else:
            log.info(
                "resume: the env state cannot be restored: envs were re-seeded and reset, "
                "unfinished episodes are dropped (see docs/checkpoints.md)"
            )


def _map_tensors(value: Any, fn: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, dict):
        return {k: _map_tensors(v, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_map_tensors(v, fn) for v in value)
    return value
