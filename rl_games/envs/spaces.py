"""Any space an env reports, as a ``gymnasium`` space: converted once, at the env boundary.

Isaac Lab and IsaacGymEnvs build their spaces with the legacy ``gym`` package (0.2x), whose
classes are not ``gymnasium`` subclasses. ``gym`` is never imported here: a legacy space is
recognised by its class name (its own or a base class's) and read through the attributes both
packages share (``low``/``high``/``shape``/``dtype``, ``n``, ``nvec``, ``spaces``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

_KINDS = ("Box", "Discrete", "MultiDiscrete", "MultiBinary", "Tuple", "Dict")


def _kind(space: Any) -> str | None:
    """The first known space class name in ``space``'s class hierarchy (subclasses count)."""
    for cls in type(space).__mro__:
        if cls.__name__ in _KINDS:
            return cls.__name__
    return None


def _box(space: Any) -> spaces.Box:
    dtype = np.dtype(space.dtype)
    shape = tuple(int(d) for d in space.shape)
    low = np.broadcast_to(np.asarray(space.low, dtype=dtype), shape)
    high = np.broadcast_to(np.asarray(space.high, dtype=dtype), shape)
    return spaces.Box(low=low.copy(), high=high.copy(), shape=shape, dtype=dtype)


def _discrete(space: Any) -> spaces.Discrete:
    return spaces.Discrete(int(space.n), start=int(getattr(space, "start", 0) or 0))


def _multi_discrete(space: Any) -> spaces.MultiDiscrete:
    nvec = np.asarray(space.nvec)
    dtype = np.dtype(getattr(space, "dtype", None) or np.int64)
    start = getattr(space, "start", None)
    return spaces.MultiDiscrete(nvec, dtype=dtype, start=start)


def _multi_binary(space: Any) -> spaces.MultiBinary:
    n = space.n
    return spaces.MultiBinary(int(n) if np.ndim(n) == 0 else [int(d) for d in n])


def _tuple(space: Any) -> spaces.Tuple:
    return spaces.Tuple([to_gymnasium_space(s) for s in space.spaces])


def _dict(space: Any) -> spaces.Dict:
    items = space.spaces.items() if isinstance(space.spaces, Mapping) else space.spaces
    # a list of pairs keeps the legacy space's key order (a plain dict would be sorted)
    return spaces.Dict([(k, to_gymnasium_space(s)) for k, s in items])


_CONVERTERS = {
    "Box": _box,
    "Discrete": _discrete,
    "MultiDiscrete": _multi_discrete,
    "MultiBinary": _multi_binary,
    "Tuple": _tuple,
    "Dict": _dict,
}


def is_space(space: Any) -> bool:
    """Whether ``space`` is a gymnasium space or a legacy ``gym`` space this module converts."""
    return isinstance(space, gymnasium.Space) or _kind(space) is not None


def to_gymnasium_space(space: Any) -> gymnasium.Space:
    """``space`` as a gymnasium space; gymnasium spaces are returned as they are.

    Handles ``Box``, ``Discrete``, ``MultiDiscrete``, ``MultiBinary`` and (nested) ``Tuple`` /
    ``Dict`` of the legacy ``gym`` package, or of any package with the same class names and
    attributes. Raises ``TypeError`` naming the object for anything else.
    """
    if isinstance(space, gymnasium.Space):
        return space
    kind = _kind(space)
    if kind is None:
        raise TypeError(
            f"unsupported space {space!r} ({type(space).__module__}.{type(space).__qualname__}): "
            f"expected a gymnasium or gym space ({', '.join(_KINDS)})"
        )
    try:
        return _CONVERTERS[kind](space)
    except (AttributeError, TypeError, ValueError) as exc:
        raise TypeError(f"cannot read {space!r} as a {kind} space: {exc}") from exc


def convert_env_info(env_info: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an rl_games ``env_info`` dict with every ``*_space`` entry as a gymnasium space.

    ``observation_space``, ``action_space``, ``state_space`` and extras such as IsaacGymEnvs'
    ``amp_observation_space``; ``None`` entries stay ``None``.
    """
    info = dict(env_info)
    for key, value in env_info.items():
        if key.endswith("_space") and value is not None:
            info[key] = to_gymnasium_space(value)
    return info
