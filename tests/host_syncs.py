"""Count the host reads of device data a piece of code makes (test helper, CPU and CUDA alike).

On CUDA a host read is a device-to-host copy or a stream sync; ``torch.cuda.set_sync_debug_mode``
flags them, but only on CUDA. On CPU nothing syncs, so a per-step ``.item()`` added to the
training loop would go unnoticed until someone ran it on a GPU. ``HostReadCounter`` records what
would be a host read on an accelerator, whatever the device:

* ops seen through a ``TorchDispatchMode``: ``aten._local_scalar_dense`` (``.item()``,
  ``bool(t)``, ``int(t)``, ``float(t)``, ``if t:``), ops whose output shape depends on the data
  (``nonzero``, ``masked_select``, ``unique``, boolean-mask indexing, ``repeat_interleave``
  without ``output_size``, ``equal``/``is_nonzero``), and copies from a non-CPU tensor to the CPU;
* ``Tensor.cpu()``, ``Tensor.numpy()`` and ``Tensor.tolist()`` calls (on CPU they never reach the
  dispatcher), patched for the duration of the block.

Reads made while a frame of an ``ignore`` package is on the Python stack (a simulator's own reads,
e.g. mjlab's ``reset_buf.nonzero()``) are kept apart in ``ignored``: the simulator is not ours to
fix, the code around it is.

    with HostReadCounter(ignore=("mjlab", "mujoco_warp", "warp")) as reads:
        env.step(actions)
    assert reads.count == 0, reads.report()

Used by tests/envs/test_mjlab.py and benchmarks/gpu_check.sh's host-sync count.
"""

from __future__ import annotations

import collections
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten

# Ops that read a scalar back, or whose output size depends on the values (a sync on CUDA).
_READ_OPS = {
    aten._local_scalar_dense.default,
    aten.nonzero.default,
    aten.masked_select.default,
    aten.is_nonzero.default,
    aten.equal.default,
    aten.repeat_interleave.Tensor,
    aten._unique2.default,
    aten.unique_dim.default,
    aten.unique_consecutive.default,
}
_PATCHED_METHODS = ("cpu", "numpy", "tolist")
_HERE = os.path.abspath(__file__)
_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__)) + os.sep


@dataclass(frozen=True)
class HostRead:
    """One host read: what made it and the first frame outside torch (``file:line``)."""

    what: str
    where: str


def _is_bool_mask_index(func: Any, args: tuple) -> bool:
    if func is not aten.index.Tensor or len(args) < 2:
        return False
    return any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in args[1] or ())


def _is_copy_to_host(func: Any, args: tuple, kwargs: dict) -> bool:
    """A copy from an accelerator tensor into host memory (``.to('cpu')``, ``copy_``)."""
    if func is aten._to_copy.default:
        src, target = args[0], kwargs.get("device")
        return src.device.type != "cpu" and target is not None and target.type == "cpu"
    if func is aten.copy_.default:
        dst, src = args[0], args[1]
        return dst.device.type == "cpu" and src.device.type != "cpu"
    return False


class HostReadCounter(TorchDispatchMode):
    """Records host reads inside its ``with`` block (see the module docstring)."""

    def __init__(self, ignore: Iterable[str] = ()) -> None:
        super().__init__()
        self._ignore = tuple(f"{os.sep}{name}{os.sep}" for name in ignore)
        self.reads: list[HostRead] = []
        self.ignored: list[HostRead] = []
        self._originals: dict[str, Any] = {}
        self._inside_patched = 0  # a patched call's own ops are not counted again

    @property
    def count(self) -> int:
        """Host reads outside the ignored packages."""
        return len(self.reads)

    def report(self) -> str:
        """``count x what at where`` lines, most frequent first."""
        counts = collections.Counter(self.reads)
        return "\n".join(f"{n} x {r.what} at {r.where}" for r, n in counts.most_common())

    def _record(self, what: str) -> None:
        where, ignored = "?", False
        frame = sys._getframe(1)
        while frame is not None:
            path = os.path.abspath(frame.f_code.co_filename)
            if any(part in path for part in self._ignore):
                ignored = True
            if where == "?" and path != _HERE and not path.startswith(_TORCH_DIR):
                where = f"{path}:{frame.f_lineno}"
            frame = frame.f_back
        (self.ignored if ignored else self.reads).append(HostRead(what, where))

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: Any = None):
        kwargs = kwargs or {}
        if not self._inside_patched and (
            func in _READ_OPS
            or _is_bool_mask_index(func, args)
            or _is_copy_to_host(func, args, kwargs)
        ):
            self._record(str(func.overloadpacket.__name__))
        return func(*args, **kwargs)

    def _patch(self) -> None:
        for name in _PATCHED_METHODS:
            original = getattr(torch.Tensor, name)
            self._originals[name] = original

            def counted(tensor: torch.Tensor, *a: Any, _name=name, _orig=original, **k: Any):
                self._record(f"Tensor.{_name}")
                self._inside_patched += 1
                try:
                    return _orig(tensor, *a, **k)
                finally:
                    self._inside_patched -= 1

            setattr(torch.Tensor, name, counted)

    def _unpatch(self) -> None:
        for name, original in self._originals.items():
            setattr(torch.Tensor, name, original)
        self._originals.clear()

    def __enter__(self) -> HostReadCounter:
        self._patch()
        try:
            return super().__enter__()
        except BaseException:
            self._unpatch()
            raise

    def __exit__(self, *exc: Any) -> None:
        try:
            super().__exit__(*exc)
        finally:
            self._unpatch()
