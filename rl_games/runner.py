"""``Runner``: turns a config into objects through the registries and runs train or play."""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from rl_games.builders import ALGORITHMS, MODELS, NETWORKS, PLAYERS
from rl_games.config import LoadedConfig, apply_overrides, parse_params
from rl_games.config.build import to_dict
from rl_games.config.errors import ConfigError, Problem
from rl_games.config.loader import plain_containers
from rl_games.config.schema import Params
from rl_games.training import distributed as dist_utils
from rl_games.training.compile import resolve_modes
from rl_games.training.console import ensure_console
from rl_games.training.profiling import profile_training
from rl_games.utils.imports import import_module_for
from rl_games.utils.imports import resolve_callable as _resolve_callable

log = logging.getLogger(__name__)


def known_num_agents(env_name: str | None) -> int | None:
    """Agents per env of a registered env name when known before building it, else None."""
    from rl_games.envs.registry import known_num_agents as registered_num_agents

    return registered_num_agents(env_name)


def resolve_callable(
    spec: str, path_for_errors: str = "params.config.stop_fn"
) -> Callable[..., Any]:
    """'pkg.mod:fn' or 'pkg.mod.fn' -> the function (:mod:`rl_games.utils.imports`)."""
    return _resolve_callable(spec, path_for_errors)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def set_threads(setting: int | str, world_size: int = 1) -> None:
    if setting == "auto":
        torch.set_num_threads(max(1, min(4, (os.cpu_count() or 1) // world_size)))
    elif isinstance(setting, int) and setting > 0:
        torch.set_num_threads(setting)


class Runner:
    """rl_games-compatible entry point: ``Runner().load(yaml_dict)``, then ``.run(args)``."""

    def __init__(self, algo_observer: Any = None) -> None:
        self.algo_observer = algo_observer
        self.algo_factory = ALGORITHMS
        self.player_factory = PLAYERS
        self.loaded: LoadedConfig | None = None
        self.params: Params | None = None
        self.agent: Any = None
        self.dist: dist_utils.DistContext | None = None
        self.user_env: tuple[Any, dict | None] | None = None  # (env object, env_info)

    # ------------------------------------------------------------------ config
    def load(
        self,
        yaml_conf: dict,
        overrides: list[str] | tuple[str, ...] = (),
        source: str = "config",
        env: Any = None,
    ) -> Params:
        """Parse ``yaml_conf``. ``env``: an env object to train/play on instead of building one
        from ``config.env_name`` (see ``rl_games.envs.wrap.wrap_env``); rl_games'
        ``config['vec_env']`` / ``config['env_info']`` entries are read the same way.

        Whether training or play follows is not known yet (Isaac Lab's scripts load first), so
        problems only training has are kept (:meth:`check_training`), not raised here."""
        ensure_console()  # a host that configured no logging still sees our lines (rl_games prints)
        yaml_conf = plain_containers(yaml_conf)  # OmegaConf DictConfig/ListConfig -> dict/list
        doc = apply_overrides(yaml_conf, list(overrides)) if overrides else yaml_conf
        doc, self.user_env = _split_user_env(doc, env)
        self._import_modules(doc, source)
        env_name = _block(doc, "params", "config").get("env_name")
        env_name = env_name if isinstance(env_name, str) else None  # else: a parse problem
        self.loaded = parse_params(
            doc, source, num_agents=known_num_agents(env_name), defer_training=True
        )
        self.params = self.loaded.params
        self._register_vecenv_type(self.params)
        return self.params

    def reset(self) -> None:
        self.agent = None

    @staticmethod
    def _import_modules(doc: dict, source: str = "config") -> None:
        mods = _block(doc, "params", "config").get("import_modules") or []
        for name in mods if isinstance(mods, list) else []:
            if not isinstance(name, str):
                continue  # the parser reports the type
            import_module_for(name, "params.config.import_modules", source)

    @staticmethod
    def _register_vecenv_type(params: Params) -> None:
        """``config.vecenv_type`` registers an unknown ``config.env_name`` with that type."""
        from rl_games.envs.registry import ENV_CONFIGURATIONS, register_env

        cfg = params.config
        if cfg.vecenv_type and cfg.env_name not in ENV_CONFIGURATIONS:
            register_env(cfg.env_name, {"vecenv_type": cfg.vecenv_type})

    def check_training(self) -> None:
        """Raise the loaded config's training-only problems (batch / minibatch geometry, ...)
        as a ConfigError: training and ``--check`` need them fixed."""
        error = self.loaded.training_error() if self.loaded is not None else None
        if error is not None:
            raise error

    def warn_training_only(self, what: str) -> None:
        """Log the training-only problems as warnings: ``what`` (play, export) does not use them."""
        for problem in self.loaded.training_problems if self.loaded is not None else []:
            log.warning("%s (training only; ignored for %s)", problem, what)

    def check_warnings(self) -> list[str]:
        """Registry and env-package problems, reported as warnings by ``--check``."""
        from rl_games.envs import env_status

        p = self.params
        assert p is not None
        out = []
        for reg, name, path in (
            (ALGORITHMS, p.algo.name, "params.algo.name"),
            (MODELS, p.model.name, "params.model.name"),
            (NETWORKS, p.network.name, "params.network.name"),
        ):
            if name not in reg:
                out.append(f"{path}: {reg.missing_message(name)} (user code may register it)")
        status = env_status(p.config.env_name, p.config.env_config)
        if status:
            out.append(f"params.config.env_name: {status}")
        return out

    # ------------------------------------------------------------------ run
    def _prepare(self, args: dict, distributed: bool = False) -> Params:
        if self.params is None:
            raise RuntimeError("Runner.load(config) must be called before run()")
        ensure_console()
        params = self.params
        local_world = 1
        if distributed and getattr(params.config, "multi_gpu", False):
            # torchrun: process group, device cuda:LOCAL_RANK, seeds offset by rank
            params, self.dist = dist_utils.setup(params)
            local_world = self.dist.local_world_size
        seed = params.seed if params.seed is not None else int(time.time())
        seed_everything(seed)
        set_threads(params.torch_threads, local_world)
        return params

    def _user_env_kwargs(self, params: Params, play: bool = False) -> dict[str, Any]:
        """``{'env': TorchVecEnv}`` around the env object given to ``load`` (else ``{}``)."""
        if self.user_env is None:
            return {}
        from rl_games.envs import TorchVecEnv
        from rl_games.envs.wrap import wrap_env
        from rl_games.training.base import resolve_device

        cfg = params.config
        device = resolve_device(
            (cfg.player.device_name or cfg.device_name or cfg.device) if play else cfg.device
        )
        env, env_info = self.user_env
        vec = wrap_env(env, num_actors=None if play else cfg.num_actors, device=device)
        return {"env": TorchVecEnv(vec, device, env_info=env_info)}

    def _observer(self, params: Params) -> Any:
        """The injected ``Runner(algo_observer)``, else ``config.algo_observer``'s (default|isaac);
        with ``params.pbt.enabled`` a PBT member's observer joins it (docs/pbt.md)."""
        observer = self._base_observer(params)
        if params.pbt is not None and params.pbt.enabled:
            from rl_games.pbt.member import with_pbt_observer

            observer = with_pbt_observer(observer, params)
        return observer

    def _base_observer(self, params: Params) -> Any:
        if self.algo_observer is not None:
            return self.algo_observer
        from rl_games.training.observers import DefaultAlgoObserver, IsaacAlgoObserver

        kinds = {"default": DefaultAlgoObserver, "isaac": IsaacAlgoObserver}
        return kinds[params.config.algo_observer]()

    def run(self, args: dict[str, Any]) -> Any:
        """``args``: rl_games' keys ``train``, ``play``, ``checkpoint``, ``sigma``, ``profile``
        (torch.profiler around training, see :mod:`rl_games.training.profiling`), plus
        ``load_critic_only`` and ``stop_fn``."""
        if args.get("play") and not args.get("train"):
            if args.get("profile"):
                log.warning("--profile applies to training only; ignored with --play")
            return self.run_play(args)
        return self.run_train(args)

    def check_env_config(self) -> None:
        """Raise a ConfigError when the env config names no env that exists (an unknown envpool
        task), found without building it: before any process group, env or file."""
        from rl_games.envs.registry import env_config_error

        cfg = self.params.config if self.params is not None else None
        if cfg is None or self.user_env is not None:
            return
        error = env_config_error(cfg.env_name, cfg.env_config)
        if error is not None:
            key, message = error
            path = f"params.config.env_config.{key}"
            raise ConfigError([Problem(path, message)], self.loaded.source)

    def _checked_env(self, params: Params, algo_cls: Any, kw: dict[str, Any]) -> Any:
        """The env for ``algo_cls`` (``kw['env']`` or built here when the class takes ``env``),
        its action space checked against the config; None: the class builds its own env."""
        from rl_games.config.env_spaces import space_problems

        env = kw.get("env")
        if env is None and _takes_env(algo_cls):
            from rl_games.training.base import build_env, resolve_device

            cfg = params.config
            env = build_env(cfg, params.seed, resolve_device(cfg.device))
        if env is None:
            return None
        label = params.config.env_name
        inner = params.config.env_config.get("env_name")
        label = f"'{label}' ({inner})" if isinstance(inner, str) else f"'{label}'"
        problems = space_problems(params, env.env_info["action_space"], label)
        if problems:
            env.close()
            raise ConfigError(problems, self.loaded.source if self.loaded else "config")
        return env

    def run_train(self, args: dict[str, Any]) -> Any:
        self.check_training()
        self.check_env_config()
        stop_fn = _startup_stop_fn(args, self.params)  # a bad stop_fn fails before any env is built
        params = self._prepare(args, distributed=True)
        ctx = self.dist
        kw = ctx.trainer_kwargs() if ctx is not None and ctx.initialized else {}
        kw.update(self._user_env_kwargs(params))
        algo_cls = self.algo_factory.get(params.algo.name)
        env = self._checked_env(params, algo_cls, kw)  # before anything is written
        if env is not None:
            kw["env"] = env
        observer = self._observer(params)
        cfg = params.config
        observer.before_init("run", to_dict(cfg), cfg.full_experiment_name or cfg.name)
        agent = algo_cls(base_name="run", params=params, **kw)
        self.agent = agent
        agent.stop_fn = stop_fn
        agent.observer = observer
        if args.get("checkpoint") and args.get("load_critic_only"):
            agent.restore_central_value_function(args["checkpoint"])  # only the critic's weights
        elif args.get("checkpoint"):
            agent.restore(args["checkpoint"])
        if args.get("sigma") is not None:
            _set_sigma(agent.model, float(args["sigma"]))
        if hasattr(agent, "apply_torch_compile"):  # after restore + sigma
            agent.apply_torch_compile(params.config.torch_compile)
        elif resolve_modes(params.config.torch_compile).enabled:
            log.warning("config.torch_compile ignored: %s cannot compile", type(agent).__name__)
        result = None
        if not agent.limits_reached():  # a finished run writes no new run directory
            agent.setup_run_dir()  # the writer exists when observers see the agent (rl_games)
            observer.after_init(agent)
            rank = ctx.rank if ctx is not None and ctx.initialized else 0
            run_dir = getattr(agent, "run_dir", None)  # None: the trace goes to the current dir
            with profile_training(bool(args.get("profile")), run_dir, rank=rank):
                result = agent.train()
        if ctx is not None and ctx.initialized:
            dist_utils.teardown()
        return result

    def create_player(self) -> Any:
        """The player for the loaded config (rl_games' ``Runner.create_player``, which Isaac Lab's
        play script calls before ``restore``, ``reset`` and a ``get_action`` loop)."""
        self.warn_training_only("play")
        params = self._prepare({})
        return self.player_factory.create(
            params.algo.name, params=params, **self._user_env_kwargs(params, play=True)
        )

    def run_play(self, args: dict[str, Any]) -> Any:
        player = self.create_player()
        if args.get("checkpoint"):
            player.restore(args["checkpoint"])
        elif not self.params.config.player.evaluation:
            log.warning("--play without --checkpoint: playing an untrained policy")
        if args.get("sigma") is not None:
            player.set_sigma(float(args["sigma"]))
        return player.run()


def _takes_env(algo_cls: Any) -> bool:
    """Whether an algorithm class takes an ``env`` keyword (ours do; a user class may not).
    ``rl_games.builders``' lazy factories are looked through."""
    import inspect

    from rl_games.builders import resolve_entry

    try:
        params = inspect.signature(resolve_entry(algo_cls)).parameters
    except (TypeError, ValueError):
        return False
    return "env" in params


def _block(doc: Any, *keys: str) -> dict:
    """``doc[k1][k2]...`` when every level is a mapping, else ``{}`` (the parser reports it)."""
    for key in keys:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc if isinstance(doc, dict) else {}


def _split_user_env(doc: dict, env: Any) -> tuple[dict, tuple[Any, dict | None] | None]:
    """Take rl_games' ``config.vec_env`` / ``config.env_info`` out of the (typed) config.

    Returns the config without them and ``(env object, env_info)`` (``env`` wins over
    ``vec_env``), or ``None`` when there is no env object. A missing ``env_name`` becomes
    ``'user_env'`` (the name is only used in messages then).
    """
    config = dict(_block(doc, "params", "config"))
    vec_env, env_info = config.pop("vec_env", None), config.pop("env_info", None)
    env = env if env is not None else vec_env
    if env is None:
        return doc, None
    if not config.get("env_name"):
        config["env_name"] = "user_env"
    return {**doc, "params": {**doc["params"], "config": config}}, (env, env_info)


def _startup_stop_fn(args: dict[str, Any], params: Params | None) -> Any:
    """``args['stop_fn']`` (wins) or ``config.stop_fn``, resolved and checked (ValueError)."""
    from rl_games.training.stop import resolve_stop_fn

    if args.get("stop_fn") is not None:
        return resolve_stop_fn(args["stop_fn"], "args['stop_fn']")
    return resolve_stop_fn(params.config.stop_fn if params is not None else None)


def _set_sigma(model: torch.nn.Module, sigma: float) -> None:
    net = getattr(model, "a2c_network", None)
    if isinstance(getattr(net, "sigma", None), torch.nn.Parameter):
        with torch.no_grad():
            net.sigma.fill_(sigma)
    else:
        log.warning("--sigma needs a network with fixed_sigma: True; ignored")
