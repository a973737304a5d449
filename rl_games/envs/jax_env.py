"""JAX simulators on the training device: vecenv types ``BRAX`` and ``PLAYGROUND``.

Env names ``brax`` (Brax 0.14: ``brax.envs.get_environment``) and ``playground`` (MuJoCo
Playground: ``mujoco_playground.registry.load``), configured by ``env_config``:

* ``env_name`` (required): a Brax env (``inverted_pendulum``, ``ant``...) or a Playground env
  (``CartpoleBalance``, ``WalkerWalk``...);
* ``backend``: Brax's physics pipeline (``generalized``, ``positional``, ``spring``, ``mjx``;
  default Brax's own) or Playground's ``impl`` (``jax``, ``warp``; default ``jax``);
* ``episode_length`` (simulator steps, Brax's convention: an agent step with ``action_repeat``
  counts ``action_repeat``; the time limit -> ``infos['time_outs']``), ``action_repeat``;
* ``seed`` (the run seed is injected), ``device`` (the training device is injected);
* ``config_overrides`` (Playground only: entries of the env's default config);
* ``compilation_cache_dir``: JAX's persistent compilation cache (also read by JAX itself from
  ``JAX_COMPILATION_CACHE_DIR``); compiling reset and step costs 6-20 s each, ~1 s when cached.

The env is wrapped with Brax's training wrappers (vmap, episode, auto-reset to the first state of
each env; Playground's own auto-reset for Playground envs); reset and step are jitted once.
Outputs reach torch through DLPack without a copy and actions go back the same way: no host
round trip per step. ``done`` is converted to bool inside the jitted step. Actions are in
``[-1, 1]`` (Brax / Playground's convention).

Device: on CPU everything is on CPU. On CUDA the simulator runs on JAX's GPU with the same index
as the torch device (``XLA_PYTHON_CLIENT_PREALLOCATE`` defaults to false so JAX does not take
75% of the memory torch needs); a JAX without a GPU backend runs the simulator on CPU and the
adapter moves the tensors (with a warning).

A Playground env with dict observations gives ``state`` to the actor and ``privileged_state``
(when present) to a central-value critic as ``states``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import torch
from torch.utils import dlpack as torch_dlpack

from rl_games.envs.base import EnvCreationError, IVecEnv, make_env_info

logger = logging.getLogger(__name__)

BRAX_BACKENDS = ("generalized", "positional", "spring", "mjx")
PLAYGROUND_IMPLS = ("jax", "warp")
#: info key holding each env's observation before the auto-reset (the episode's last one)
FINAL_OBS_KEY = "rl_games_final_obs"


@dataclass(frozen=True)
class JaxEnvConfig:
    """``env_config`` of the ``brax`` and ``playground`` env names (see the module docstring)."""

    env_name: str = ""
    backend: str | None = None
    episode_length: int = 1000
    action_repeat: int = 1
    seed: int | None = None
    device: str = "cpu"
    config_overrides: dict[str, Any] = field(default_factory=dict)
    compilation_cache_dir: str | None = None


_BACKENDS = {"brax": BRAX_BACKENDS, "playground": PLAYGROUND_IMPLS}


def config_problem(kind: str, env_config: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(env_config key, message)`` for an env_config the ``kind`` simulator cannot take."""
    known = {f.name for f in fields(JaxEnvConfig)}
    unknown = sorted(set(env_config) - known - {"env_creator"})
    if unknown:
        return unknown[0], f"unknown {kind} env_config keys {unknown}; valid: {sorted(known)}"
    if not env_config.get("env_name"):
        example = "inverted_pendulum" if kind == "brax" else "CartpoleBalance"
        return "env_name", f"env '{kind}' needs env_config.env_name, e.g. '{example}'"
    backend = env_config.get("backend")
    if backend is not None and backend not in _BACKENDS[kind]:
        return "backend", f"{kind} backend '{backend}' is not one of {list(_BACKENDS[kind])}"
    if kind == "brax" and env_config.get("config_overrides"):
        return "config_overrides", "config_overrides applies to playground envs only"
    for key in ("episode_length", "action_repeat"):
        if key in env_config and int(env_config[key]) < 1:
            return key, f"{key} must be >= 1, got {env_config[key]}"
    return None


def brax_config_error(config_name: str, env_config: dict[str, Any]) -> tuple[str, str] | None:
    return config_problem("brax", env_config)


def playground_config_error(config_name: str, env_config: dict[str, Any]) -> tuple[str, str] | None:
    return config_problem("playground", env_config)


def check_brax_config(config_name: str, env_config: dict[str, Any]) -> str | None:
    problem = config_problem("brax", env_config)
    return None if problem is None else problem[1]


def check_playground_config(config_name: str, env_config: dict[str, Any]) -> str | None:
    problem = config_problem("playground", env_config)
    return None if problem is None else problem[1]


def parse_config(kind: str, env_config: Mapping[str, Any]) -> JaxEnvConfig:
    """The typed config, or ``EnvCreationError`` naming the bad key."""
    problem = config_problem(kind, env_config)
    if problem is not None:
        raise EnvCreationError(problem[1])
    values = {k: v for k, v in env_config.items() if k != "env_creator"}
    for key in ("episode_length", "action_repeat"):
        if key in values:
            values[key] = int(values[key])
    return JaxEnvConfig(**values)


def _import_jax(cfg: JaxEnvConfig) -> Any:
    """Import JAX after the settings it reads at start-up; set the compilation cache."""
    if torch.device(cfg.device).type == "cuda":
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import jax

    if cfg.compilation_cache_dir:
        os.makedirs(cfg.compilation_cache_dir, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", str(cfg.compilation_cache_dir))
    return jax


def jax_device_for(jax: Any, device: torch.device) -> Any:
    """JAX's device matching the torch ``device`` (CPU when JAX has no GPU backend)."""
    if device.type == "cuda":
        try:
            gpus = jax.devices("gpu")
        except RuntimeError:
            gpus = []
        if gpus:
            index = device.index if device.index is not None else torch.cuda.current_device()
            return gpus[index]
        logger.warning(
            "JAX has no GPU backend: the simulator runs on CPU (pip install jax[cuda12])"
        )
    return jax.devices("cpu")[0]


class _KeepFinalObservation:
    """Between Brax's episode wrapper and an auto-reset wrapper: keeps each step's observation
    in ``info`` before the auto-reset replaces the observation of finished envs."""

    def __init__(self, env: Any) -> None:
        self.env = env

    def __getattr__(self, name: str) -> Any:
        return getattr(self.env, name)

    def reset(self, rng: Any) -> Any:
        state = self.env.reset(rng)
        state.info[FINAL_OBS_KEY] = state.obs
        return state

    def step(self, state: Any, action: Any) -> Any:
        state = self.env.step(state, action)
        state.info[FINAL_OBS_KEY] = state.obs
        return state


def _split_obs(obs: Any) -> tuple[Any, Any]:
    """(actor observation, central-value states or None) of an env observation."""
    if isinstance(obs, Mapping):
        return obs["state"], obs.get("privileged_state")
    return obs, None


def _outputs(state: Any) -> dict[str, Any]:
    """What the learner reads from a wrapped env state (inside jit: fresh, strongly typed)."""
    obs, states = _split_obs(state.obs)
    final, _ = _split_obs(state.info[FINAL_OBS_KEY])
    out = {
        "obs": obs,
        "reward": state.reward,
        "done": state.done > 0,
        "time_out": state.info["truncation"] > 0,
        "final_obs": final,
    }
    if states is not None:
        out["states"] = states
    return out


def _box(shape: Any, bound: float) -> Any:
    from gymnasium import spaces

    shape = (int(shape),) if np.isscalar(shape) else tuple(int(s) for s in shape)
    return spaces.Box(-bound, bound, shape=shape, dtype=np.float32)


class JaxVecEnv(IVecEnv):
    """``num_envs`` copies of a Brax-API env (``reset(rng)``, ``step(state, action)``) already
    wrapped for vmap, episodes and auto-reset (with :class:`_KeepFinalObservation` inside)."""

    def __init__(self, env: Any, num_envs: int, cfg: JaxEnvConfig, jax: Any) -> None:
        self.jax = jax
        self.num_envs = int(num_envs)
        self.cfg = cfg
        self.jax_device = jax_device_for(jax, torch.device(cfg.device))
        #: where the simulator's tensors live (the adapter moves them to the training device)
        self.sim_device = torch.device("cuda" if self.jax_device.platform == "gpu" else "cpu")
        if self.sim_device.type == "cuda":
            self.sim_device = torch.device("cuda", self.jax_device.id)
        # shapes by tracing reset (Brax's observation_size runs reset op by op: ~30 s on CPU)
        keys = jax.ShapeDtypeStruct((self.num_envs, 2), np.uint32)
        shapes = jax.eval_shape(lambda k: _outputs(env.reset(k)), keys)
        self.observation_space = _box(shapes["obs"].shape[1:], np.inf)
        states = shapes.get("states")
        self.state_space = None if states is None else _box(states.shape[1:], np.inf)
        self.action_space = _box(env.action_size, 1.0)
        strong = self._strong
        self._reset_fn = jax.jit(lambda keys: self._with_outputs(strong(env.reset(keys))))
        self._step_fn = jax.jit(lambda s, a: self._with_outputs(strong(env.step(s, a))))
        self._state: Any = None
        fresh = int(np.random.SeedSequence().generate_state(1)[0])  # 32 random bits
        self._seed = int(cfg.seed) if cfg.seed is not None else fresh
        self._key = None

    # ---- jax side ---------------------------------------------------------------------------
    def _strong(self, tree: Any) -> Any:
        """The pytree with every leaf strongly typed: reset and step then return the same types,
        so step is traced once (Brax's step returns weak-typed fields where reset does not)."""
        convert = self.jax.lax.convert_element_type
        return self.jax.tree.map(lambda x: convert(x, x.dtype), tree)

    @staticmethod
    def _with_outputs(state: Any) -> tuple[Any, dict[str, Any]]:
        return state, _outputs(state)

    def _to_torch(self, out: dict[str, Any]) -> dict[str, torch.Tensor]:
        return {k: torch_dlpack.from_dlpack(v) for k, v in out.items()}

    def _to_jax(self, actions: torch.Tensor) -> Any:
        actions = actions.detach().to(self.sim_device, torch.float32)
        actions = actions.reshape(self.num_envs, -1).contiguous()
        return self.jax.dlpack.from_dlpack(actions)

    # ---- IVecEnv ----------------------------------------------------------------------------
    def _observation(self, out: dict[str, torch.Tensor]) -> Any:
        if self.state_space is None:
            return out["obs"]
        return {"obs": out["obs"], "states": out["states"]}

    def reset(self) -> Any:
        """Reset every env with fresh keys from the seeded key chain."""
        jax = self.jax
        if self._key is None:
            self._key = jax.device_put(jax.random.PRNGKey(self._seed), self.jax_device)
        self._key, sub = jax.random.split(self._key)
        keys = jax.random.split(sub, self.num_envs)
        self._state, out = self._reset_fn(keys)
        return self._observation(self._to_torch(out))

    def step(self, actions: torch.Tensor) -> tuple[Any, torch.Tensor, torch.Tensor, dict]:
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        self._state, out = self._step_fn(self._state, self._to_jax(actions))
        out = self._to_torch(out)
        infos = {"time_outs": out["time_out"], "final_observation": out["final_obs"]}
        return self._observation(out), out["reward"], out["done"], infos

    def warm_up(self) -> None:
        """Compile reset and step (two steps: a retrace would show here, not in training)."""
        self.reset()
        zeros = torch.zeros(self.num_envs, self.action_space.shape[0], device=self.sim_device)
        for _ in range(2):
            self.step(zeros)
        self._state = None

    def get_env_info(self) -> dict[str, Any]:
        return make_env_info(
            self.observation_space,
            self.action_space,
            state_space=self.state_space,
            autoreset_mode="same_step",
        )

    def seed(self, seed: int) -> None:
        """Restart the key chain from ``seed``; the next ``reset()`` uses it."""
        self._seed = int(seed)
        self._key = None


def _make_brax_env(cfg: JaxEnvConfig) -> Any:
    from brax import envs

    if cfg.env_name not in envs._envs:  # brax lists its envs only in this table
        raise EnvCreationError(f"'{cfg.env_name}' is not a Brax env; valid: {sorted(envs._envs)}")
    kwargs = {} if cfg.backend is None else {"backend": cfg.backend}
    return envs.get_environment(cfg.env_name, **kwargs)


def _make_playground_env(cfg: JaxEnvConfig) -> Any:
    from mujoco_playground import registry

    if cfg.env_name not in registry.ALL_ENVS:
        raise EnvCreationError(
            f"'{cfg.env_name}' is not a MuJoCo Playground env; valid: {sorted(registry.ALL_ENVS)}"
        )
    overrides = {"impl": cfg.backend or "jax", **cfg.config_overrides}
    return registry.load(cfg.env_name, config_overrides=overrides)


def _wrap(env: Any, cfg: JaxEnvConfig, auto_reset: Callable[[Any], Any]) -> Any:
    """vmap -> episode (time limit, action repeat) -> keep final obs -> auto-reset."""
    from brax.envs.wrappers import training

    env = training.VmapWrapper(env)
    env = training.EpisodeWrapper(env, cfg.episode_length, cfg.action_repeat)
    return auto_reset(_KeepFinalObservation(env))


def brax_vecenv(config_name: str, num_actors: int, **env_config: Any) -> JaxVecEnv:
    """Factory of vecenv type ``BRAX``: ``num_actors`` Brax envs (see the module docstring)."""
    cfg = parse_config("brax", env_config)
    jax = _import_jax(cfg)
    from brax.envs.wrappers import training

    env = _wrap(_make_brax_env(cfg), cfg, training.AutoResetWrapper)
    return JaxVecEnv(env, num_actors, cfg, jax)


def playground_vecenv(config_name: str, num_actors: int, **env_config: Any) -> JaxVecEnv:
    """Factory of vecenv type ``PLAYGROUND``: ``num_actors`` MuJoCo Playground envs."""
    cfg = parse_config("playground", env_config)
    jax = _import_jax(cfg)
    from mujoco_playground import wrapper

    env = _wrap(_make_playground_env(cfg), cfg, wrapper.BraxAutoResetWrapper)
    return JaxVecEnv(env, num_actors, cfg, jax)
