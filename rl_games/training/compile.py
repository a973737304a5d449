"""``config.torch_compile``: which modes, whether compiling can work here, and compiling the
training hot paths in place.

Values (rl_games 1.6.5 semantics): ``false`` (off, our default) | ``true`` (mode ``default`` for
actor and critic) | a mode string for both | ``{mode, critic_mode}`` (``critic_mode`` defaults to
``mode``). Modes: ``default``, ``reduce-overhead`` and ``max-autotune`` (both use CUDA graphs on
CUDA), ``max-autotune-no-cudagraphs``.

What is compiled (never the whole agent, never players):

- PPO: the model's ``act`` (rollout, under ``inference_mode``) and ``evaluate`` (minibatch
  forward, with grad). Loss math, the optimizer and every per-epoch Python float (learning
  rate, entropy coefficient, ...) stay outside the compiled regions, so nothing changes between
  epochs that could trigger a recompile.
- A central-value network (``agent.central_value_net``): its model's ``act``/``evaluate`` (or
  ``forward``) with the critic mode.
- SAC: ``forward`` of the actor (actor mode), the critic and the target critic (critic mode).

Compiled callables are installed as *instance attributes* wrapping the bound methods, so the
modules, their parameters and their ``state_dict`` keys are untouched: compiled and eager runs
write the same checkpoints (no ``_orig_mod.`` prefix) and read each other's.

Where compiling cannot work (dynamo unsupported on this platform, no C++ compiler for inductor
on CPU, no triton on CUDA) one warning is logged and training runs eagerly. If compiling or
running a compiled function fails at a call, that call is repeated eagerly, one warning is
logged and the function stays eager from then on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

log = logging.getLogger(__name__)

COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
CUDAGRAPH_MODES = frozenset({"reduce-overhead", "max-autotune"})
MODEL_METHODS = ("act", "evaluate")
_OFF_STRINGS = frozenset({"", "false", "none", "off", "no", "0"})
_ON_STRINGS = frozenset({"true", "on", "yes", "1"})

_warned: set[str] = set()


def warn_once(key: str, message: str, *args: Any) -> None:
    """``log.warning(message, *args)`` the first time ``key`` is seen in this process."""
    if key not in _warned:
        _warned.add(key)
        log.warning(message, *args)


def reset_warnings() -> None:
    """Forget which warnings were given (each is logged again the next time)."""
    _warned.clear()


@dataclass(frozen=True)
class CompileModes:
    """Resolved ``torch_compile`` setting: a mode per role, ``None`` for eager."""

    actor: str | None = None
    critic: str | None = None

    @property
    def enabled(self) -> bool:
        return self.actor is not None or self.critic is not None


def _check_mode(mode: Any) -> str:
    if mode not in COMPILE_MODES:
        raise ValueError(f"unknown torch_compile mode {mode!r}; valid: {list(COMPILE_MODES)}")
    return str(mode)


def resolve_modes(setting: bool | str | dict[str, Any] | None) -> CompileModes:
    """``config.torch_compile`` -> :class:`CompileModes` (``ValueError`` on an unknown mode)."""
    if setting is None or setting is False:
        return CompileModes()
    if setting is True:
        return CompileModes("default", "default")
    if isinstance(setting, str):
        low = setting.strip().lower()
        if low in _OFF_STRINGS:
            return CompileModes()
        if low in _ON_STRINGS:
            return CompileModes("default", "default")
        mode = _check_mode(setting)
        return CompileModes(mode, mode)
    if isinstance(setting, dict):
        unknown = set(setting) - {"mode", "critic_mode"}
        if unknown:
            raise ValueError(
                f"torch_compile: unknown keys {sorted(unknown)} (valid: mode, critic_mode)"
            )
        mode = _check_mode(setting.get("mode", "default"))
        return CompileModes(mode, _check_mode(setting.get("critic_mode", mode)))
    raise ValueError(f"torch_compile must be a bool, a mode or a dict, got {setting!r}")


def unavailable_reason(device: torch.device | str, backend: Any = "inductor") -> str | None:
    """Why ``torch.compile`` cannot work on ``device`` here, or ``None`` when it can."""
    if not torch._dynamo.is_dynamo_supported():
        return "torch.compile (dynamo) is not supported on this platform / Python version"
    if backend != "inductor":
        return None
    device = torch.device(device)
    try:
        from torch._inductor import cpp_builder
        from torch.utils._triton import has_triton
    except ImportError as exc:  # stripped-down torch builds
        return f"torch._inductor is not available: {exc}"
    if device.type == "cuda" and not has_triton():
        return "inductor on CUDA needs triton (pip install triton)"
    if device.type == "cpu":
        try:
            cpp_builder.get_cpp_compiler()
        except Exception as exc:  # noqa: BLE001 - inductor raises several types here
            return f"inductor on CPU needs a C++ compiler (install g++ or set CXX): {exc}"
    return None


def _clone_tensors(out: Any) -> Any:
    """Copies of the tensors in ``out`` (CUDA-graph outputs are overwritten by the next replay)."""
    if isinstance(out, torch.Tensor):
        return out.clone()
    if isinstance(out, dict):
        return {k: _clone_tensors(v) for k, v in out.items()}
    if isinstance(out, (tuple, list)):
        return type(out)(_clone_tensors(v) for v in out)
    return out


class CompiledCall:
    """A compiled function with its eager original; falls back to eager (warning once) if
    compiling or running the compiled version fails."""

    def __init__(self, eager: Callable[..., Any], mode: str, backend: Any, label: str) -> None:
        self.eager = eager
        self.mode = mode
        self.label = label
        self.failed = False
        use_mode = mode if backend == "inductor" else None
        self.compiled = torch.compile(eager, mode=use_mode, backend=backend)
        on_cuda = _module_device(getattr(eager, "__self__", None)).type == "cuda"
        self.cudagraphs = on_cuda and mode in CUDAGRAPH_MODES and backend == "inductor"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.failed:
            return self.eager(*args, **kwargs)
        if self.cudagraphs:
            torch.compiler.cudagraph_mark_step_begin()
        try:
            out = self.compiled(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any compile/backend failure: run eagerly
            out = self.eager(*args, **kwargs)  # a genuine error raises here as well
            self.failed = True
            warn_once(
                f"failed:{self.label}",
                "torch.compile of %s failed (%s: %s); running it eagerly",
                self.label,
                type(exc).__name__,
                str(exc).strip().splitlines()[0] if str(exc).strip() else "",
            )
            return out
        return _clone_tensors(out) if self.cudagraphs else out


def _module_device(module: Any) -> torch.device:
    if isinstance(module, nn.Module):
        for t in module.parameters():
            return t.device
        for t in module.buffers():
            return t.device
    return torch.device("cpu")


def compile_methods(
    module: nn.Module, names: tuple[str, ...], mode: str, backend: Any = "inductor"
) -> None:
    """Replace ``module.<name>`` by a :class:`CompiledCall` of the bound method, in place."""
    for name in names:
        current = getattr(module, name)
        if isinstance(current, CompiledCall):
            continue
        label = f"{type(module).__name__}.{name}"
        object.__setattr__(module, name, CompiledCall(current, mode, backend, label))


def uncompile(module: nn.Module) -> None:
    """Undo :func:`compile_methods` (restores the eager bound methods)."""
    for name, value in list(vars(module).items()):
        if isinstance(value, CompiledCall):
            delattr(module, name)


def is_compiled(module: nn.Module, name: str) -> bool:
    """True when ``module.<name>`` is compiled and has not fallen back to eager."""
    value = vars(module).get(name)
    return isinstance(value, CompiledCall) and not value.failed


def hot_methods(module: nn.Module) -> tuple[str, ...]:
    """``act``/``evaluate`` for models that have them (PPO, central value), else ``forward``."""
    if all(callable(getattr(type(module), n, None)) for n in MODEL_METHODS):
        return MODEL_METHODS
    return ("forward",)


def apply_torch_compile(
    targets: Sequence[tuple[nn.Module, str]],
    device: Any,
    setting: Any,
    backend: Any = "inductor",
    owner: str = "the algorithm",
) -> CompileModes:
    """Compile the hot paths of ``targets`` (``(module, role)``, role ``actor`` or ``critic``,
    as a trainer's ``compile_targets()`` lists them) per ``setting`` (``config.torch_compile``);
    returns the modes actually applied (all ``None`` when off or when compiling cannot work here).
    """
    modes = resolve_modes(setting)
    if not modes.enabled:
        return modes
    if not targets:
        warn_once("no-model", "config.torch_compile ignored: %s has no model", owner)
        return CompileModes()
    reason = unavailable_reason(device, backend)
    if reason is not None:
        warn_once(
            "unavailable", "config.torch_compile=%s ignored: %s; running eagerly", setting, reason
        )
        return CompileModes()
    for module, role in targets:
        mode = modes.actor if role == "actor" else modes.critic
        if mode is None:
            continue
        is_rnn = getattr(module, "is_rnn", None)
        if mode in CUDAGRAPH_MODES and callable(is_rnn) and is_rnn():
            warn_once(
                "rnn-cudagraphs",
                "torch_compile mode '%s' (CUDA graphs) is not meant for RNN models",
                mode,
            )
        compile_methods(module, hot_methods(module), mode, backend)
    log.info("torch.compile: actor mode %s, critic mode %s", modes.actor, modes.critic)
    return modes
