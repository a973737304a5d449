"""The resolve pass: typed config + the env's spaces -> one frozen :class:`RunPlan`.

Everything the trainers derive from the config and the env is computed here once: the PPO batch
geometry (batch, minibatches, RNN sequences, mini-epochs), the central value's own batch, and the
model build specs (what rl_games calls the ``net_config`` / ``build_config`` dict). The config
validation (:mod:`rl_games.config.validate`) reports the geometry problems with the same functions
before the env exists; the agents call :func:`resolve` once the env is built and read the plan.

Imports neither torch nor gymnasium at import time (the config package stays light).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from typing import Any

from rl_games.config import schema
from rl_games.config.errors import ConfigError
from rl_games.config.loader import Parser

log = logging.getLogger(__name__)

CONFIG = "params.config"
CV_CONFIG = "params.config.central_value_config"


# ----------------------------------------------------------------------------- plans
@dataclasses.dataclass(frozen=True)
class SplitPlan:
    """A batch split into minibatches (and, for a recurrent model, whole sequences)."""

    horizon_length: int
    num_actors: int
    num_agents: int
    batch_size: int
    minibatch_size: int
    mini_epochs: int
    is_rnn: bool
    seq_length: int

    @property
    def num_minibatches(self) -> int:
        """batch_size // minibatch_size (the plan guarantees it divides)."""
        return self.batch_size // self.minibatch_size

    @property
    def num_sequences(self) -> int:
        """Whole ``seq_length`` sequences in the batch (recurrent models; else 0)."""
        return self.batch_size // self.seq_length if self.is_rnn and self.seq_length > 0 else 0


@dataclasses.dataclass(frozen=True)
class BatchPlan(SplitPlan):
    """One PPO epoch's data on one rank (rl_games' attribute names); batch_size is
    horizon_length * num_actors * num_agents."""

    world_size: int = 1

    @property
    def num_envs(self) -> int:
        """Rows per env step: num_actors * num_agents."""
        return self.num_actors * self.num_agents

    @property
    def frames_per_epoch(self) -> int:
        """Env frames an epoch adds over every rank: batch_size * world_size."""
        return self.batch_size * self.world_size


@dataclasses.dataclass(frozen=True)
class CentralValuePlan(SplitPlan):
    """The critic's batch: one row per env (each env's first agent) and step, so batch_size is
    horizon_length * num_actors."""


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """What a model is built for. ``kind``: ``actor_critic`` (PPO), ``central_value`` (the
    asymmetric critic: no actions) or ``sac``; :meth:`as_dict` is rl_games' build dict for it."""

    kind: str
    input_shape: Any  # tuple, or {key: tuple} for dict observations
    action_kind: str | None = None  # continuous | discrete | multi_discrete
    actions_num: int | tuple[int, ...] | None = None  # multi-discrete: one count per head
    value_size: int = 1
    num_seqs: int = 1
    normalize_value: bool = False
    normalize_input: bool = False

    def as_dict(self) -> dict[str, Any]:
        """rl_games' keys for this kind, exactly as rl_games' agents pass them; a fresh mutable
        dict (an AMP-style ``_build_net_config`` adds its own keys)."""
        shape = self.input_shape
        shape = dict(shape) if isinstance(shape, Mapping) else tuple(shape)
        actions = (
            list(self.actions_num) if isinstance(self.actions_num, tuple) else self.actions_num
        )
        if self.kind == "sac":
            return {
                "obs_dim": math.prod(shape),  # flat observations only (checked by the agent)
                "action_dim": actions,
                "actions_num": actions,
                "input_shape": shape,
                "num_seqs": self.num_seqs,
                "normalize_input": self.normalize_input,
            }
        out: dict[str, Any] = {} if self.kind == "central_value" else {"actions_num": actions}
        out.update(
            input_shape=shape,
            value_size=self.value_size,
            num_seqs=self.num_seqs,
            normalize_value=self.normalize_value,
            normalize_input=self.normalize_input,
        )
        return out


@dataclasses.dataclass(frozen=True)
class EnvSpaces:
    """What the plan needs from an env: its spaces, agents per env and value size."""

    observation_space: Any
    action_space: Any
    num_agents: int = 1
    value_size: int = 1
    state_space: Any = None  # the central value's input (env_info['state_space'])

    @classmethod
    def of(cls, env: Any) -> EnvSpaces:
        """From an env adapter (``observation_space``, ``action_space``, ``num_agents``,
        ``value_size``, ``env_info``)."""
        info = getattr(env, "env_info", None) or {}
        return cls(
            env.observation_space,
            env.action_space,
            int(env.num_agents),
            int(env.value_size),
            info.get("state_space"),
        )


@dataclasses.dataclass(frozen=True)
class RunPlan:
    """The resolved run: ``batch`` / ``central_value`` for PPO (None for SAC and without a
    central value), the model specs, and the world size the batch was planned for."""

    model: ModelSpec
    batch: BatchPlan | None = None
    central_value: CentralValuePlan | None = None
    central_value_model: ModelSpec | None = None


# ----------------------------------------------------------------------------- spaces
def action_spec(space: Any) -> tuple[str, Any, tuple[int, ...]] | None:
    """(kind, actions_num, stored action shape) of a gymnasium action space; None when the space
    is not one PPO can drive."""
    import gymnasium as gym

    if isinstance(space, gym.spaces.Box):
        n = math.prod(space.shape)
        return "continuous", n, (n,)
    if isinstance(space, gym.spaces.Discrete):
        return "discrete", int(space.n), ()
    if isinstance(space, gym.spaces.MultiDiscrete):
        return "multi_discrete", [int(n) for n in space.nvec], (len(space.nvec),)
    if isinstance(space, gym.spaces.Tuple):
        return "multi_discrete", [int(s.n) for s in space.spaces], (len(space.spaces),)
    return None


def obs_input_shape(space: Any) -> Any:
    """The model's ``input_shape``: a tuple, or ``{key: shape}`` for a ``Dict`` observation space."""
    import gymnasium as gym

    if isinstance(space, gym.spaces.Dict):
        return {k: tuple(s.shape) for k, s in space.spaces.items()}
    return tuple(space.shape)


# ----------------------------------------------------------------------------- geometry
def _positive(p: Parser, path: str, value: Any, name: str) -> None:
    if value is not None and value <= 0:
        p.problem(path, f"{name} must be > 0, got {value}")


def plan_minibatch(
    p: Parser,
    path: str,
    sizes: tuple[int | None, int],
    num_actors: int,
    batch: int,
    what: str,
    sure: bool = True,
) -> int | None:
    """The minibatch size from ``sizes`` = (minibatch_size, minibatch_size_per_env): the first
    wins, else per_env * num_actors; reports a size that does not split ``batch`` (``sure``
    False: only a warning, the agent count being unknown)."""
    mb, per_env = sizes
    if mb is not None and per_env:
        p.warn(
            f"{path}.minibatch_size_per_env",
            f"ignored: minibatch_size ({mb}) is also set and wins (as in rl_games)",
        )
    if mb is None and not per_env:
        p.problem(
            f"{path}.minibatch_size",
            f"missing: set minibatch_size (e.g. {max(1, batch // 4)}) or minibatch_size_per_env",
        )
        return None
    size = mb if mb is not None else per_env * num_actors
    if size <= 0:
        p.problem(f"{path}.minibatch_size", f"must be > 0, got {size}")
        return None
    if batch % size:
        report = p.problem if sure else p.warn
        later = (
            ""
            if sure
            else " for a single-agent env (checked again when the env reports its agents)"
        )
        divisors = [d for d in range(1, batch + 1) if batch % d == 0]
        near = min(divisors, key=lambda d: abs(d - size))
        report(
            f"{path}.minibatch_size",
            f"{what} = {batch} is not divisible by minibatch_size {size}{later}; use a divisor such as {near}",
        )
    return size


def plan_batch(
    cfg: schema.PPOConfig,
    network: schema.NetworkConfig,
    num_agents: int | None,
    p: Parser,
    world_size: int = 1,
) -> BatchPlan | None:
    """PPO's batch: batch = horizon_length * num_actors * num_agents, split into whole
    minibatches and, for a recurrent policy, whole sequences of ``seq_length`` steps.
    ``num_agents=None``: unknown yet (the batch split only warns). None when it cannot be
    planned (the problems are in ``p``; ``num_actors`` -1 is the launcher's to set)."""
    _positive(p, f"{CONFIG}.horizon_length", cfg.horizon_length, "horizon_length")
    _positive(p, f"{CONFIG}.mini_epochs", cfg.mini_epochs, "mini_epochs")
    horizon = cfg.horizon_length
    if horizon is None or horizon <= 0 or cfg.num_actors <= 0:
        return None
    agents = num_agents or 1
    batch = horizon * cfg.num_actors * agents
    mb = plan_minibatch(
        p,
        CONFIG,
        (cfg.minibatch_size, cfg.minibatch_size_per_env),
        cfg.num_actors,
        batch,
        "batch (horizon_length * num_actors * num_agents)",
        sure=num_agents is not None,
    )
    seq = cfg.seq_length
    is_rnn = network.rnn is not None
    if is_rnn and seq > 0:  # seq_length <= 0: a range problem
        if horizon % seq:
            p.problem(
                f"{CONFIG}.seq_length",
                f"horizon_length {horizon} must be divisible by seq_length {seq}",
            )
        if mb and mb % seq:
            p.problem(
                f"{CONFIG}.seq_length", f"minibatch_size {mb} must be divisible by seq_length {seq}"
            )
    if not mb or cfg.mini_epochs is None or cfg.mini_epochs <= 0:
        return None
    return BatchPlan(
        horizon, cfg.num_actors, agents, batch, mb, cfg.mini_epochs, is_rnn, seq, world_size
    )


def plan_central_value(
    cfg: schema.PPOConfig, cv: schema.CentralValueConfig, num_agents: int | None, p: Parser
) -> CentralValuePlan | None:
    """The critic's batch: horizon_length * num_actors rows (each env's first agent), its own
    minibatch size and mini-epochs; a recurrent critic needs whole ``seq_length`` sequences."""
    _positive(p, f"{CV_CONFIG}.mini_epochs", cv.mini_epochs, "mini_epochs")
    horizon = cfg.horizon_length
    if horizon is None or horizon <= 0 or cfg.num_actors <= 0:
        return None
    batch = horizon * cfg.num_actors
    mb = plan_minibatch(
        p,
        CV_CONFIG,
        (cv.minibatch_size, cv.minibatch_size_per_env),
        cfg.num_actors,
        batch,
        "central value batch (horizon_length * num_actors)",
    )
    seq, is_rnn = cfg.seq_length, cv.network.rnn is not None
    if is_rnn and seq > 0 and mb and (horizon % seq or mb % seq):
        p.problem(
            f"{CV_CONFIG}.minibatch_size",
            f"an RNN critic needs horizon_length ({horizon}) and minibatch_size ({mb}) "
            f"divisible by seq_length ({seq})",
        )
    if not mb or cv.mini_epochs is None or cv.mini_epochs <= 0:
        return None
    agents = num_agents or 1
    return CentralValuePlan(horizon, cfg.num_actors, agents, batch, mb, cv.mini_epochs, is_rnn, seq)


# ----------------------------------------------------------------------------- models
def _model_spec(params: schema.Params, spaces: EnvSpaces, p: Parser) -> ModelSpec | None:
    cfg = params.config
    action = action_spec(spaces.action_space)
    if action is None:
        p.problem("env", f"unsupported action space {spaces.action_space}")
        return None
    kind, actions_num, _ = action
    actions = tuple(actions_num) if isinstance(actions_num, list) else actions_num
    if isinstance(cfg, schema.SACConfig):
        return ModelSpec(
            "sac",
            tuple(spaces.observation_space.shape),
            kind,
            actions,
            num_seqs=cfg.num_actors,
            normalize_input=cfg.normalize_input,
        )
    return ModelSpec(
        "actor_critic",
        obs_input_shape(spaces.observation_space),
        kind,
        actions,
        value_size=spaces.value_size,
        num_seqs=cfg.num_actors * spaces.num_agents,
        normalize_value=bool(getattr(cfg, "normalize_value", False)),  # a user schema may lack it
        normalize_input=cfg.normalize_input,
    )


def model_spec(params: schema.Params, spaces: EnvSpaces) -> ModelSpec:
    """The policy model's spec for the env (what play and export use: no batch geometry)."""
    p = Parser()
    spec = _model_spec(params, spaces, p)
    if spec is None:
        raise ConfigError(p.problems, "env")
    return spec


def critic_space(spaces: EnvSpaces) -> Any:
    """The central value's input space: the env's ``state_space`` (its observation space when
    the env gives none)."""
    if spaces.state_space is None:
        log.warning("central value: the env info has no state_space; using observation_space")
        return spaces.observation_space
    return spaces.state_space


def central_value_spec(
    cfg: schema.PPOConfig, cv: schema.CentralValueConfig, state_space: Any, value_size: int
) -> ModelSpec:
    """The critic's spec: one sequence per env; the value normalizer follows the main config."""
    return ModelSpec(
        "central_value",
        tuple(state_space.shape),
        value_size=value_size,
        num_seqs=cfg.num_actors,
        normalize_value=cfg.normalize_value,
        normalize_input=cv.normalize_input,
    )


# ----------------------------------------------------------------------------- resolve
def resolve(params: schema.Params, spaces: EnvSpaces, world_size: int = 1) -> RunPlan:
    """The run plan for training ``params`` on an env with ``spaces`` over ``world_size`` ranks.
    Raises one ConfigError listing every problem (key path and fix)."""
    p = Parser()
    model = _model_spec(params, spaces, p)
    cfg = params.config
    batch = cv_plan = cv_model = None
    if isinstance(cfg, schema.PPOConfig):
        batch = plan_batch(cfg, params.network, spaces.num_agents, p, world_size)
        if batch is None and not p.problems:
            p.problem(f"{CONFIG}.num_actors", f"must be > 0 to train, got {cfg.num_actors}")
        cv = cfg.central_value_config
        if cv is not None:
            cv_plan = plan_central_value(cfg, cv, spaces.num_agents, p)
            cv_model = central_value_spec(cfg, cv, critic_space(spaces), spaces.value_size)
    if p.problems or model is None:
        raise ConfigError(p.problems, "config")
    return RunPlan(model, batch, cv_plan, cv_model)
