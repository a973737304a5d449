"""The one resolver of ``module:attr`` specs in the package.

A spec is ``'pkg.mod:attr'`` or ``'pkg.mod.attr'`` (the attribute may be dotted after a colon:
``'pkg.mod:Class.method'``). Config values (``stop_fn``, ``import_modules``) are resolved with
:func:`resolve_callable` / :func:`import_module_for`, whose errors are ``ConfigError`` naming the
config key; built-in registry entries are :func:`lazy_callable` factories that import their target
on first use (so importing a registry imports no backend), looked through by
:func:`resolve_lazy`.

This module imports nothing from the package at import time (the config errors are imported
where they are raised), so any module may use it without creating an import cycle.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any


def split_spec(spec: str) -> tuple[str, str]:
    """``'pkg.mod:attr'`` or ``'pkg.mod.attr'`` -> ``('pkg.mod', 'attr')``; ``ValueError`` when
    either part is missing."""
    module, sep, attr = spec.partition(":")
    if not sep:
        module, _, attr = spec.rpartition(".")
    if not module or not attr:
        raise ValueError(f"'{spec}' is not 'pkg.module:function' or 'pkg.module.function'")
    return module, attr


def import_object(spec: str) -> Any:
    """The object a spec names. Python's ``ImportError`` / ``AttributeError`` propagate unchanged
    (a missing optional package keeps its ``ModuleNotFoundError.name``)."""
    module, attr = split_spec(spec)
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _config_error(path: str, message: str, source: str) -> Exception:
    from rl_games.config.errors import ConfigError, Problem

    return ConfigError([Problem(path, message)], source)


def resolve_callable(spec: Any, path_for_errors: str, source: str = "config") -> Callable[..., Any]:
    """The callable ``spec`` names (a callable is returned as it is).

    Raises ``ConfigError`` (a ``ValueError``) naming ``path_for_errors`` (the config key, e.g.
    ``params.config.stop_fn``) when the spec is malformed, cannot be imported or is not callable.
    """
    target = spec
    if isinstance(spec, str):
        try:
            target = import_object(spec)
        except ValueError as exc:
            raise _config_error(path_for_errors, str(exc), source) from None
        except (ImportError, AttributeError) as exc:
            message = f"cannot import '{spec}': {exc}"
            raise _config_error(path_for_errors, message, source) from None
    if not callable(target):
        message = f"{spec!r} resolves to a {type(target).__name__}, not a callable"
        raise _config_error(path_for_errors, message, source)
    return target


def import_module_for(name: str, path_for_errors: str, source: str = "config") -> ModuleType:
    """``importlib.import_module(name)``; an ``ImportError`` becomes a ``ConfigError`` naming
    ``path_for_errors`` (``params.config.import_modules``)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise _config_error(path_for_errors, f"cannot import '{name}': {exc}", source) from None


def lazy_callable(spec: str) -> Callable[..., Any]:
    """A factory that imports ``spec`` on its first call and calls it with the arguments given.

    The spec is checked for shape now (``ValueError``) and kept as ``factory.lazy_target``."""
    split_spec(spec)

    def factory(*args: Any, **kwargs: Any) -> Any:
        return import_object(spec)(*args, **kwargs)

    factory.__qualname__ = f"lazy({spec})"
    factory.lazy_target = spec  # type: ignore[attr-defined]
    return factory


def resolve_lazy(entry: Any) -> Any:
    """The object behind a :func:`lazy_callable` factory (imported now); anything else as is."""
    spec = getattr(entry, "lazy_target", None)
    return entry if spec is None else import_object(spec)
