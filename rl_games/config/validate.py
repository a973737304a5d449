"""Cross-field checks on typed config; every problem says how to fix it."""

from __future__ import annotations

import inspect
from typing import Any

from rl_games.config import schema
from rl_games.config.loader import STRICT_NETWORKS, Parser
from rl_games.config.plan import plan_batch, plan_central_value
from rl_games.config.ranges import check_ranges

LR_SCHEDULES = {None, "adaptive", "linear", "identity", "constant"}
SCHEDULE_TYPES = {"legacy", "per_minibatch", "standard", "standard_epoch"}
COMPILE_MODES = {"default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"}


def validate(
    params: schema.Params, p: Parser, num_agents: int | None = 1, training: Parser | None = None
) -> None:
    """``num_agents=None`` means the env's agent count is unknown until it is built: the batch
    divisibility checks then only warn (the agent checks them again with the real count).

    ``training``: where the training-only checks report (what only the update reads: batch and
    minibatch geometry, sequences, mini-epochs, the replay buffer), so that play and export,
    which use none of it, can set those problems apart; ``None``: ``p`` (all are problems).
    """
    cfg = params.config
    t = p if training is None else training
    check_ranges(params, "params", p)
    _params(params, p)
    _common(cfg, p)
    _network(params.network, "params.network", p)
    _network_for_algo(params, p)
    if isinstance(cfg, schema.PPOConfig):
        _ppo(params, cfg, p, t, num_agents)
    if isinstance(cfg, schema.SACConfig):
        _sac(cfg, t)
    if params.pbt is not None:
        _pbt(params, p)


def _positive(p: Parser, path: str, value: Any, name: str) -> None:
    if value is not None and value <= 0:
        p.problem(path, f"{name} must be > 0, got {value}")


def _params(params: schema.Params, p: Parser) -> None:
    threads = params.torch_threads
    if (isinstance(threads, str) and threads != "auto") or (
        isinstance(threads, int) and threads < 0
    ):
        p.problem(
            "params.torch_threads",
            f"expected 'auto', 0 (torch's default) or a positive thread count, got {threads!r}",
        )


def _device(p: Parser, path: str, name: str | None) -> None:
    """A device string torch can parse (``cpu``, ``cuda``, ``cuda:1``, ``mps``)."""
    import torch

    if name is None:
        return
    try:
        torch.device(name)
    except (RuntimeError, ValueError):
        p.problem(path, f"unknown device '{name}'; use cpu, cuda or cuda:<index>")


def _network_for_algo(params: schema.Params, p: Parser) -> None:
    """PPO with our builders needs an actor-critic network, not SAC's."""
    algo, net = params.algo.name, params.network.name
    ppo = algo in ("a2c_continuous", "a2c_discrete")
    if ppo and net == "soft_actor_critic":
        p.problem(
            "params.network.name",
            f"soft_actor_critic is SAC's network; {algo} needs actor_critic (or "
            "resnet_actor_critic), or set algo.name: sac",
        )


def _common(cfg: schema.CommonConfig, p: Parser) -> None:
    _device(p, "params.config.device", cfg.device)
    _device(p, "params.config.device_name", cfg.device_name)
    _device(p, "params.config.player.device_name", cfg.player.device_name)
    if cfg.num_actors == -1:  # Isaac Lab's YAMLs: its train.py writes the env count here
        p.warn(
            "params.config.num_actors",
            "-1: set by the launching script (the env count); train this file with --num_actors N",
        )
    else:
        _positive(p, "params.config.num_actors", cfg.num_actors, "num_actors")
    _positive(p, "params.config.games_to_track", cfg.games_to_track, "games_to_track")
    if not (0.0 < cfg.gamma <= 1.0):
        p.problem("params.config.gamma", f"must be in (0, 1], got {cfg.gamma}")
    tc = cfg.torch_compile
    if isinstance(tc, str) and tc not in COMPILE_MODES:
        p.problem(
            "params.config.torch_compile",
            f"unknown mode '{tc}'; use true, false or one of {sorted(COMPILE_MODES)}",
        )
    if isinstance(tc, dict):
        for key, mode in tc.items():
            if key not in ("mode", "critic_mode"):
                p.problem(
                    f"params.config.torch_compile.{key}", "unknown key (valid: mode, critic_mode)"
                )
            elif mode not in COMPILE_MODES:
                p.problem(
                    f"params.config.torch_compile.{key}",
                    f"unknown mode '{mode}'; valid: {sorted(COMPILE_MODES)}",
                )
    if cfg.algo_observer not in ("default", "isaac"):
        p.problem(
            "params.config.algo_observer",
            f"expected 'default' or 'isaac', got '{cfg.algo_observer}'",
        )
    for key in ("name", "full_experiment_name"):
        problem = dir_name_problem(getattr(cfg, key), optional=key != "name")
        if problem:
            p.problem(f"params.config.{key}", problem)


def dir_name_problem(value: Any, optional: bool = False) -> str | None:
    """Why ``value`` cannot name a directory inside ``train_dir`` (the run directory and the
    checkpoint files are named after it), or None: a plain name, no path."""
    if value is None or (optional and not value):  # missing: reported as required elsewhere;
        return None  # full_experiment_name '' is unset, as in rl_games (name + timestamp)
    text = str(value)
    if text in ("", ".", "..") or "/" in text or "\\" in text or "\0" in text:
        return (
            f"{text!r} must be a plain directory name (no '/', not '.' or '..', not empty): "
            "the run directory and checkpoints are written under config.train_dir with this "
            "name; put the directory part in config.train_dir instead"
        )
    return None


def _network(net: schema.NetworkConfig, path: str, p: Parser) -> None:
    if net.name not in STRICT_NETWORKS:
        return
    from rl_games.networks.activations import ACTIVATIONS, INITIALIZERS

    def act(where: str, name: str | None) -> None:
        if name is not None and name not in ACTIVATIONS:
            p.problem(where, f"unknown activation '{name}'; valid: {', '.join(ACTIVATIONS)}")

    def init(where: str, spec: dict | None) -> None:
        name = (spec or {}).get("name", "default")
        if not isinstance(name, str) or name not in INITIALIZERS:
            p.problem(
                where + ".name", f"unknown initializer '{name}'; valid: {', '.join(INITIALIZERS)}"
            )
        else:
            _initializer_keys(p, where, spec or {}, INITIALIZERS[name])

    act(f"{path}.mlp.activation", net.mlp.activation)
    init(f"{path}.mlp.initializer", net.mlp.initializer)
    act(f"{path}.value_activation", net.value_activation)
    if net.normalization not in (None, "layer_norm", "batch_norm"):
        p.problem(
            f"{path}.normalization", f"expected layer_norm or batch_norm, got '{net.normalization}'"
        )
    c = net.space.continuous
    if c is not None:
        act(f"{path}.space.continuous.mu_activation", c.mu_activation)
        act(f"{path}.space.continuous.sigma_activation", c.sigma_activation)
        init(f"{path}.space.continuous.mu_init", c.mu_init)
        init(f"{path}.space.continuous.sigma_init", c.sigma_init)
        if c.sigma_parametrization not in ("exp", "softplus", "linear", "scalar"):
            p.problem(
                f"{path}.space.continuous.sigma_parametrization", "expected exp, softplus or linear"
            )
        if c.min_sigma < 0:
            p.problem(f"{path}.space.continuous.min_sigma", "must be >= 0 (0 disables the floor)")
        b = c.logstd_bounds
        if b is not None and (len(b) != 2 or not float(b[0]) < float(b[1])):
            p.problem(
                f"{path}.space.continuous.logstd_bounds", f"expected [lo, hi] with lo < hi, got {b}"
            )
    b = net.log_std_bounds
    if net.name == "soft_actor_critic" and b is not None and (len(b) != 2 or not b[0] < b[1]):
        p.problem(f"{path}.log_std_bounds", f"expected [lo, hi] with lo < hi, got {b}")
    if net.cnn is not None:
        act(f"{path}.cnn.activation", net.cnn.activation)
        init(f"{path}.cnn.initializer", net.cnn.initializer)
    if net.rnn is not None and net.rnn.name not in ("lstm", "gru", "identity"):
        p.problem(f"{path}.rnn.name", f"expected lstm, gru or identity, got '{net.rnn.name}'")
    spaces = [
        s for s in ("continuous", "discrete", "multi_discrete") if getattr(net.space, s) is not None
    ]
    if net.name == "actor_critic" and not net.central_value and len(spaces) != 1:
        p.problem(
            f"{path}.space",
            f"set exactly one of continuous, discrete, multi_discrete (found {spaces or 'none'})",
        )


def _initializer_keys(p: Parser, where: str, spec: dict, fn: object) -> None:
    """An initializer's keys: ``name`` and the keyword arguments its function takes."""
    import difflib

    if spec.get("name", "default") == "default":
        allowed: set[str] = {"name", "scale"}
    else:
        try:
            names = list(inspect.signature(fn).parameters)[1:]  # the tensor comes first
        except (TypeError, ValueError):
            return
        allowed = {"name", "scale", *names}
    for key in spec:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), sorted(allowed), n=1, cutoff=0.5)
            fix = f"did you mean '{hint[0]}'?" if hint else f"valid: {', '.join(sorted(allowed))}"
            p.problem(f"{where}.{key}", f"unknown initializer key ({fix})")


def _ppo(
    params: schema.Params,
    cfg: schema.PPOConfig,
    p: Parser,
    t: Parser,
    num_agents: int | None,
) -> None:
    """``t`` gets the training-only problems (see :func:`validate`): the batch geometry, planned
    by the resolve pass (:mod:`rl_games.config.plan`) with the agent count known so far."""
    path = "params.config"
    _ppo_choices(cfg, p, path)
    _ppo_space(params, p)
    cv = cfg.central_value_config
    if cv is not None:
        _network(cv.network, f"{path}.central_value_config.network", p)
    plan_batch(cfg, params.network, num_agents, t)
    if cv is not None:
        plan_central_value(cfg, cv, num_agents, t)


def _ppo_choices(cfg: schema.PPOConfig, p: Parser, path: str) -> None:
    lr_schedule = cfg.lr_schedule if cfg.lr_schedule is None else cfg.lr_schedule.lower()
    if lr_schedule not in LR_SCHEDULES:
        p.warn(
            f"{path}.lr_schedule",
            f"'{cfg.lr_schedule}' is not adaptive or linear: the learning rate stays constant (as in rl_games)",
        )
    if cfg.schedule_type not in SCHEDULE_TYPES:
        p.problem(
            f"{path}.schedule_type",
            f"expected one of {sorted(SCHEDULE_TYPES)}, got '{cfg.schedule_type}'",
        )
    if cfg.bound_loss_type not in ("bound", "regularisation"):
        p.warn(
            f"{path}.bound_loss_type",
            f"'{cfg.bound_loss_type}' is neither bound nor regularisation: no bounds loss (as in rl_games)",
        )
    if cfg.multi_gpu_sync_stats_mode not in ("pooled", "broadcast"):
        p.problem(f"{path}.multi_gpu_sync_stats_mode", "expected pooled or broadcast")
    if not 0.0 <= cfg.adv_rms_momentum < 1.0:
        p.problem(
            f"{path}.adv_rms_momentum", f"expected a value in [0, 1), got {cfg.adv_rms_momentum}"
        )
    if cfg.normalize_rms_advantage and not cfg.normalize_advantage:
        p.warn(
            f"{path}.normalize_rms_advantage",
            "has no effect without normalize_advantage: True (it replaces the batch statistics)",
        )
    if cfg.self_play_config is not None:
        _self_play(cfg.self_play_config, f"{path}.self_play_config", p)
    if cfg.epochs_between_resets < 0:
        p.problem(f"{path}.epochs_between_resets", "must be >= 0 (0: never force a reset)")


def _self_play(sp: schema.SelfPlayConfig, path: str, p: Parser) -> None:
    """Ranges of ``self_play_config`` (rl_games' keys and our pool keys)."""
    for key in ("games_to_check", "env_update_num", "opponents_per_update"):
        if getattr(sp, key) < 1:
            p.problem(f"{path}.{key}", f"must be >= 1, got {getattr(sp, key)}")
    for key in ("pool_size", "snapshot_every"):
        if getattr(sp, key) < 0:
            p.problem(f"{path}.{key}", f"must be >= 0, got {getattr(sp, key)}")
    if sp.opponent_sampling not in ("latest", "uniform", "latest_prob"):
        p.problem(f"{path}.opponent_sampling", "expected latest, uniform or latest_prob")
    elif sp.opponent_sampling != "latest" and sp.pool_size == 0:
        p.warn(f"{path}.opponent_sampling", "has no effect with pool_size: 0 (no past snapshots)")
    if not 0.0 <= sp.latest_prob <= 1.0:
        p.problem(f"{path}.latest_prob", f"expected a value in [0, 1], got {sp.latest_prob}")


def _ppo_space(params: schema.Params, p: Parser) -> None:
    algo = params.algo.name
    space = params.network.space
    if params.network.name != "actor_critic":
        return
    if algo == "a2c_continuous" and space.continuous is None:
        p.problem("params.network.space", "a2c_continuous needs network.space.continuous")
    if algo == "a2c_discrete" and space.discrete is None and space.multi_discrete is None:
        p.problem(
            "params.network.space",
            "a2c_discrete needs network.space.discrete or multi_discrete",
        )


def _sac(cfg: schema.SACConfig, p: Parser) -> None:
    """Replay and update settings (training only: the SAC player reads none of them)."""
    path = "params.config"
    for key in (
        "batch_size",
        "replay_buffer_size",
        "num_steps_per_episode",
        "policy_frequency",
        "init_alpha",
    ):
        _positive(p, f"{path}.{key}", getattr(cfg, key), key)
    if cfg.batch_size and cfg.replay_buffer_size and cfg.batch_size > cfg.replay_buffer_size:
        p.problem(
            f"{path}.batch_size",
            f"batch_size {cfg.batch_size} exceeds replay_buffer_size {cfg.replay_buffer_size}",
        )
    if not (0.0 < cfg.critic_tau <= 1.0):
        p.problem(f"{path}.critic_tau", f"must be in (0, 1], got {cfg.critic_tau}")


def _pbt(params: schema.Params, p: Parser) -> None:
    """``params.pbt``: ranges, the population index and the mutation block (docs/pbt.md)."""
    from rl_games.config.fields import to_dict
    from rl_games.pbt.mutation import MUTATION_FUNCS
    from rl_games.pbt.rules import get_path, mutation_rules

    pbt, path = params.pbt, "params.pbt"
    _positive(p, f"{path}.num_policies", pbt.num_policies, "num_policies")
    _positive(p, f"{path}.interval_steps", pbt.interval_steps, "interval_steps")
    if not 0 <= pbt.policy_idx < max(pbt.num_policies, 1):
        p.problem(
            f"{path}.policy_idx",
            f"must be in [0, num_policies={pbt.num_policies}), got {pbt.policy_idx}; give each "
            "member its own index (python -m rl_games.pbt.launch does)",
        )
    for key in ("threshold_std", "threshold_abs", "start_after", "initial_delay"):
        if getattr(pbt, key) < 0:
            p.problem(f"{path}.{key}", f"must be >= 0, got {getattr(pbt, key)}")
    if not 0.0 <= pbt.mutation_rate <= 1.0:
        p.problem(f"{path}.mutation_rate", f"must be in [0, 1], got {pbt.mutation_rate}")
    lo_hi = pbt.change_range
    if len(lo_hi) != 2 or not 1.0 <= lo_hi[0] <= lo_hi[1]:
        p.problem(f"{path}.change_range", f"expected [min, max] with 1 <= min <= max, got {lo_hi}")
    doc = to_dict(params)
    for key, fn in mutation_rules(pbt.mutation).items():
        where = f"{path}.mutation.{key}"
        if fn not in MUTATION_FUNCS:
            p.problem(where, f"unknown mutation function {fn!r}; valid: {sorted(MUTATION_FUNCS)}")
        try:
            value = get_path(doc, key)
        except KeyError:
            p.problem(where, "no such config key; write the path --set takes (config.gamma)")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            p.problem(where, f"only numbers can be mutated; {key} is {value!r}")
    if pbt.enabled and not pbt.mutation:
        p.problem(
            f"{path}.mutation", "nothing to mutate: add e.g. config.learning_rate: mutate_float"
        )
    if pbt.enabled and getattr(params.config, "multi_gpu", False):
        p.problem(
            f"{path}.enabled",
            "a member cannot be a torchrun job (multi_gpu); run one member per GPU (docs/pbt.md)",
        )
