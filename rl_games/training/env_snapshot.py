"""Save and restore the state of pure-Python gymnasium envs, for exact resume.

An env's state can be captured when every attribute of every wrapper layer (and of the
unwrapped env) is plain data: ``None``/bool/int/float/str, numpy scalars and arrays, tuples,
lists and str-keyed dicts of those, and ``numpy.random.Generator`` (saved as its bit-generator
state). Spaces, specs, render handles and constructor kwargs are skipped (they do not change
while training). One attribute of any other type (a MuJoCo ``MjData``, a Box2D world, a
subprocess) makes the whole env "not capturable": :func:`capture_env_snapshot` returns ``None``
and a resumed run restarts the episodes instead (see docs/checkpoints.md).

Classic-control envs (CartPole, Pendulum, MountainCar, Acrobot) in a ``SyncVectorEnv`` are
capturable. envpool (C++ state) and ``AsyncVectorEnv`` (state in other processes) are not.
The snapshot holds only tensors, tuples, lists, dicts and Python scalars, so it loads with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

log = logging.getLogger(__name__)

SNAPSHOT_KIND = "gymnasium_sync_vector_env/1"
_SKIP_NAMES = frozenset(
    {
        "env",
        "_saved_kwargs",
        "spec",
        "_cached_spec",
        "metadata",
        "_metadata",
        "render_mode",
        "screen",
        "clock",
        "isopen",
        "action_space",
        "observation_space",
        "_action_space",
        "_observation_space",
    }
)
_TAG = "__snapshot__"


class NotCapturableError(Exception):
    """An attribute of an env cannot be stored as plain data."""


def _encode(value: Any, where: str) -> Any:
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, np.generic):
        return {_TAG: "scalar", "dtype": value.dtype.str, "value": value.item()}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf" or value.dtype.kind == "u" and value.itemsize > 1:
            raise NotCapturableError(f"{where}: array of dtype {value.dtype}")
        return {_TAG: "ndarray", "dtype": value.dtype.str, "data": torch.from_numpy(value.copy())}
    if isinstance(value, np.random.Generator):
        return {_TAG: "generator", "state": value.bit_generator.state}
    if isinstance(value, (list, tuple)):
        items = [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        if _TAG in value:
            raise NotCapturableError(f"{where}: dict with a reserved key")
        return {k: _encode(v, f"{where}.{k}") for k, v in value.items()}
    raise NotCapturableError(f"{where} is a {type(value).__module__}.{type(value).__qualname__}")


def _decode(value: Any, current: Any = None) -> Any:
    if isinstance(value, tuple):
        return tuple(_decode(v) for v in value)
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(_TAG)
    if tag == "scalar":
        return np.dtype(value["dtype"]).type(value["value"])
    if tag == "ndarray":
        return value["data"].cpu().numpy().astype(np.dtype(value["dtype"]), copy=True)
    if tag == "generator":
        gen = current if isinstance(current, np.random.Generator) else np.random.default_rng()
        bit_gen = gen.bit_generator
        if type(bit_gen).__name__ != value["state"].get("bit_generator"):
            gen = np.random.Generator(getattr(np.random, value["state"]["bit_generator"])())
        gen.bit_generator.state = value["state"]
        return gen
    return {k: _decode(v) for k, v in value.items()}


def _layers(env: Any) -> list[Any]:
    """The wrapper chain, outermost first, down to the unwrapped env."""
    out = [env]
    while hasattr(out[-1], "env") and out[-1].env is not out[-1]:
        out.append(out[-1].env)
    return out


def _capture_one(env: Any, index: int) -> list[dict[str, Any]]:
    layers = []
    for layer in _layers(env):
        name = type(layer).__qualname__
        attrs = {
            k: _encode(v, f"env {index} {name}.{k}")
            for k, v in vars(layer).items()
            if k not in _SKIP_NAMES and not _is_space_or_spec(v)
        }
        layers.append({"type": name, "attrs": attrs})
    return layers


def _is_space_or_spec(value: Any) -> bool:
    import gymnasium

    return isinstance(value, (gymnasium.Space, gymnasium.envs.registration.EnvSpec))


def _sync_vector_env(env: Any) -> Any:
    """The ``SyncVectorEnv`` behind a TorchVecEnv / our gymnasium vecenv, else None."""
    from gymnasium.vector import SyncVectorEnv

    inner = getattr(env, "env", env)  # TorchVecEnv -> IVecEnv
    vec = getattr(inner, "env", None)  # GymnasiumVecEnv -> SyncVectorEnv
    return vec if isinstance(vec, SyncVectorEnv) else None


def supports_snapshot(env: Any) -> bool:
    """True for envs whose kind :func:`restore_env_snapshot` can write into."""
    return _sync_vector_env(env) is not None


def capture_env_snapshot(env: Any) -> dict[str, Any] | None:
    """The env's full state as plain data, or None when it cannot be captured (logged once)."""
    vec = _sync_vector_env(env)
    if vec is None:
        return None
    try:
        envs = [_capture_one(e, i) for i, e in enumerate(vec.envs)]
    except NotCapturableError as exc:
        if not getattr(env, "_snapshot_warned", False):
            log.info("env state cannot be saved in checkpoints (%s)", exc)
            env._snapshot_warned = True
        return None
    return {"kind": SNAPSHOT_KIND, "envs": envs}


def restore_env_snapshot(env: Any, snapshot: dict[str, Any]) -> bool:
    """Write a snapshot back into the (already reset) envs; False when it does not fit them."""
    vec = _sync_vector_env(env)
    if vec is None or snapshot.get("kind") != SNAPSHOT_KIND:
        return False
    saved = snapshot["envs"]
    if len(saved) != len(vec.envs):
        log.warning("env snapshot has %d envs, this run has %d", len(saved), len(vec.envs))
        return False
    chains = [_layers(e) for e in vec.envs]
    for chain, layers in zip(chains, saved, strict=True):
        if [type(x).__qualname__ for x in chain] != [s["type"] for s in layers]:
            log.warning("env snapshot does not match this env's wrappers: not restored")
            return False
    for chain, layers in zip(chains, saved, strict=True):
        for obj, layer in zip(chain, layers, strict=True):
            for key, value in layer["attrs"].items():
                setattr(obj, key, _decode(value, getattr(obj, key, None)))
    return True
