"""The dataclass field helper every schema module uses (documentation lives in the metadata)."""

from __future__ import annotations

import dataclasses
from dataclasses import field
from typing import Any

# Sentinel used by the loader/validator.
REQUIRED = "required"


def f(default: Any = None, doc: str = "", *, required: bool = False, note: str = "") -> Any:
    """Shorthand for a dataclass field with documentation metadata."""
    meta = {"doc": doc, "required": required, "note": note}
    if isinstance(default, (dict, list)):
        value = default
        return field(default_factory=lambda: type(value)(value), metadata=meta)
    if dataclasses.is_dataclass(default) and isinstance(default, type):
        return field(default_factory=default, metadata=meta)
    return field(default=default, metadata=meta)


def to_dict(obj: Any) -> Any:
    """Typed config -> plain dict (for saving the resolved config and for --check)."""
    if dataclasses.is_dataclass(obj):
        return {
            fl.name: to_dict(getattr(obj, fl.name))
            for fl in dataclasses.fields(obj)
            if fl.name != "raw"
        }
    if isinstance(obj, list):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, float) and obj in (float("inf"), float("-inf")):
        return str(obj)
    return obj
