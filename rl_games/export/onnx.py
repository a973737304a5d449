"""Export a trained PPO policy to ONNX.

The CLI (``check_env=True``) builds the model from the config and the env's spaces (one env,
created and closed, see :mod:`rl_games.export.env_shapes`) and loads the checkpoint into it
strictly, so a checkpoint of another env or network is refused. Without the env (the API's
default, or an env that cannot be created here) the shapes come from the checkpoint's
state_dict: the observation shape from the observation normalizer
(``running_mean_std.running_mean``) or the first layer that reads the observation, the action
count from the ``mu`` / ``logits`` heads, the value count from ``value``.
The graph holds the whole deterministic policy as ``--play`` runs it:

- inputs: ``obs`` ``[batch, *obs_shape]`` (float32; uint8 for networks with a ``cnn`` block,
  scaled by 1/255 inside the graph as in training), then for recurrent policies one
  ``state_in_<i>`` ``[layers, batch, units]`` per RNN state, in the order of the model's
  ``get_default_rnn_state()`` (LSTM: h, c; GRU: h; a separate critic's states follow the actor's);
- outputs: ``actions`` (continuous: the Gaussian mean in the normalized [-1, 1] action space,
  unclamped; discrete: ``argmax`` int64 ``[batch]``; multi-discrete: one argmax per head, int64
  ``[batch, heads]``), ``values`` ``[batch, value_size]`` (de-normalized when
  ``normalize_value``), then ``state_out_<i>`` for recurrent policies.

Observation normalization (``normalize_input``) is folded into the graph with the checkpoint's
statistics. Every batch dimension is dynamic.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import logging
import re
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rl_games.config.schema import Params
from rl_games.export.env_shapes import EnvShapes, read_env_shapes
from rl_games.training.checkpoint import WriteError, atomic_write, load_checkpoint
from rl_games.training.state_match import first_mismatch

log = logging.getLogger(__name__)

PPO_ALGOS = ("a2c_continuous", "a2c_discrete")
DEFAULT_OPSET = 17
_PREFIX = "a2c_network."


class ExportError(ValueError):
    """The policy cannot be exported as configured; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class PolicySpec:
    """Everything the graph's shapes depend on, read from the config and the checkpoint."""

    kind: str  # continuous | discrete | multi_discrete
    input_shape: tuple[int, ...]
    actions_num: int | list[int]
    value_size: int
    normalize_input: bool
    normalize_value: bool
    obs_dtype: torch.dtype


@dataclasses.dataclass(frozen=True)
class ExportResult:
    path: Path
    spec: PolicySpec
    input_names: list[str]
    output_names: list[str]


# ----------------------------------------------------------------------------- shapes
def model_state_dict(state: dict[str, Any], source: str = "checkpoint") -> dict[str, Any]:
    """The model's state_dict from a checkpoint dict (a top-level normalizer is merged in)."""
    if "model" not in state:
        hint = " (a SAC checkpoint: only PPO policies are exported)" if "actor" in state else ""
        raise ExportError(f"{source} has no 'model' entry{hint}; keys: {sorted(state)}")
    sd = dict(state["model"])
    top = state.get("running_mean_std")
    if isinstance(top, dict) and not any(k.startswith("running_mean_std.") for k in sd):
        sd.update({f"running_mean_std.{k}": v for k, v in top.items()})
    return sd


def _action_kind(params: Params) -> str:
    space = params.network.space
    if params.network.central_value:
        raise ExportError("network.central_value: True is a critic; export the actor's config")
    for kind in ("continuous", "multi_discrete", "discrete"):
        if getattr(space, kind, None) is not None:
            return kind
    raise ExportError("network.space needs continuous, discrete or multi_discrete")


def _out_features(sd: dict[str, Any], key: str, source: str) -> int:
    if key not in sd:
        heads = sorted(k for k in sd if k.endswith(".weight") and ("mu" in k or "logits" in k))
        raise ExportError(f"{source}: no '{key}' in the model state_dict (action heads: {heads})")
    return int(sd[key].shape[0])


def _actions_num(kind: str, sd: dict[str, Any], source: str) -> int | list[int]:
    if kind == "continuous":
        return _out_features(sd, _PREFIX + "mu.weight", source)
    if kind == "discrete":
        return _out_features(sd, _PREFIX + "logits.weight", source)
    heads = []
    while f"{_PREFIX}logits.{len(heads)}.weight" in sd:
        heads.append(int(sd[f"{_PREFIX}logits.{len(heads)}.weight"].shape[0]))
    if not heads:
        _out_features(sd, _PREFIX + "logits.0.weight", source)  # raises with the head names
    return heads


_FIRST_LAYER_PATTERNS = (
    r"^a2c_network\.actor_mlp\.0\.weight$",  # Sequential MLP
    r"^a2c_network\.actor_mlp\.linears\.0\.weight$",  # D2RL
)


def _input_shape(params: Params, sd: dict[str, Any], source: str) -> tuple[int, ...]:
    """The observation shape from the normalizer or the first layer that reads observations."""
    rms = sd.get("running_mean_std.running_mean")
    if rms is not None:
        return tuple(int(s) for s in rms.shape)
    net = params.network
    if net.cnn is not None:
        raise ExportError(
            f"{source}: a cnn network without normalize_input has no record of the observation "
            "shape; pass input_shape to rl_games.export.export_onnx"
        )
    # (pattern of the first weight that reads the observation, its inputs per observation entry)
    patterns = [(p, 1) for p in _FIRST_LAYER_PATTERNS]
    if net.rnn is not None and (net.rnn.before_mlp or not net.mlp.units):
        # an RNN after an empty MLP with concat_input reads [obs, obs]
        per_obs = 2 if net.rnn.concat_input and not net.rnn.before_mlp else 1
        patterns.insert(0, (r"^a2c_network\.(?:.*\.)?rnn\.weight_ih_l0$", per_obs))
    if not net.mlp.units and net.rnn is None:
        patterns += [
            (r"^a2c_network\.mu\.weight$", 1),
            (r"^a2c_network\.logits(?:\.0)?\.weight$", 1),
        ]
    for pattern, per_obs in patterns:
        for key, value in sd.items():
            if re.match(pattern, key):
                return (int(value.shape[1]) // per_obs,)
    raise ExportError(
        f"{source}: cannot tell the observation shape from the state_dict; "
        "pass input_shape to rl_games.export.export_onnx"
    )


def infer_spec(
    params: Params,
    sd: dict[str, Any],
    input_shape: tuple[int, ...] | None = None,
    obs_dtype: torch.dtype | None = None,
    source: str = "checkpoint",
) -> PolicySpec:
    """Read the policy's shapes from the config and its state_dict."""
    _check_algo(params)
    kind = _action_kind(params)
    value_w = sd.get(_PREFIX + "value.weight")
    return PolicySpec(
        kind=kind,
        input_shape=tuple(input_shape) if input_shape else _input_shape(params, sd, source),
        actions_num=_actions_num(kind, sd, source),
        value_size=int(value_w.shape[0]) if value_w is not None else 1,
        normalize_input=bool(params.config.normalize_input),
        normalize_value=bool(getattr(params.config, "normalize_value", False)),
        obs_dtype=obs_dtype or (torch.uint8 if params.network.cnn is not None else torch.float32),
    )


def _check_algo(params: Params) -> None:
    if params.algo.name not in PPO_ALGOS:
        raise ExportError(
            f"export supports PPO policies ({', '.join(PPO_ALGOS)}), not '{params.algo.name}'"
        )


def spec_from_env(
    params: Params, env: EnvShapes, input_shape: tuple[int, ...] | None, obs_dtype: Any
) -> PolicySpec:
    """The policy's shapes from the config and the env's spaces (as ``--play`` builds it)."""
    _check_algo(params)
    if env.problems:
        raise ExportError(f"the config does not fit env {env.label}: {'; '.join(env.problems)}")
    if isinstance(env.input_shape, dict) and input_shape is None:
        raise ExportError(f"env {env.label} has dict observations, which export does not support")
    return PolicySpec(
        kind=_action_kind(params),
        input_shape=tuple(input_shape or env.input_shape),
        actions_num=env.actions_num,
        value_size=env.value_size,
        normalize_input=bool(params.config.normalize_input),
        normalize_value=bool(getattr(params.config, "normalize_value", False)),
        obs_dtype=obs_dtype or (torch.uint8 if params.network.cnn is not None else torch.float32),
    )


# ----------------------------------------------------------------------------- model
def build_policy_model(
    params: Params, spec: PolicySpec, sd: dict[str, Any], source: str = "checkpoint"
) -> nn.Module:
    """The PyTorch model for ``spec`` on the CPU with the checkpoint's weights (loaded
    strictly: a mismatch names the first differing tensor and both shapes), in eval mode."""
    from rl_games.builders import build_model
    from rl_games.config.plan import ModelSpec

    actions = spec.actions_num
    model_spec = ModelSpec(
        "actor_critic",
        spec.input_shape,
        spec.kind,
        tuple(actions) if isinstance(actions, list) else actions,
        value_size=spec.value_size,
        num_seqs=1,  # one observation at a time
        normalize_value=spec.normalize_value,
        normalize_input=spec.normalize_input,
    )
    model = build_model(params, model_spec)
    try:
        model.load_state_dict(sd)
    except RuntimeError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        detail = first_mismatch(model.state_dict(), sd, "model") or lines[-1]
        raise ExportError(
            f"{source} does not match the config's network (built for obs "
            f"{list(spec.input_shape)}, actions {spec.actions_num}): {detail}; export it with "
            "the config it was trained with"
        ) from None
    return model.eval()


class OnnxPolicy(nn.Module):
    """``(obs, *states) -> (actions, values, *new_states)``: the model's deterministic act()."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.is_rnn = bool(model.is_rnn())

    def forward(self, obs: torch.Tensor, *states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        inputs: dict[str, Any] = {"obs": obs, "deterministic": True, "is_train": False}
        if self.is_rnn:
            inputs.update(rnn_states=tuple(states), seq_length=1)
        res = self.model.act(inputs)
        actions = res["actions"]
        if isinstance(actions, (list, tuple)):
            actions = torch.stack(list(actions), dim=-1)
        outs = (actions, res["values"])
        if self.is_rnn:
            outs += tuple(res["rnn_states"])
        return outs


def example_inputs(model: nn.Module, spec: PolicySpec, batch: int = 2) -> tuple[torch.Tensor, ...]:
    """Inputs of the exported graph for ``batch`` envs (zero RNN states)."""
    if spec.obs_dtype == torch.uint8:
        obs = torch.randint(0, 256, (batch, *spec.input_shape), dtype=torch.uint8)
    else:
        obs = torch.randn((batch, *spec.input_shape), dtype=spec.obs_dtype)
    if not model.is_rnn():
        return (obs,)
    states = tuple(model.get_default_rnn_state())
    return (obs, *(s.new_zeros((s.shape[0], batch, *s.shape[2:])) for s in states))


def io_names(num_states: int) -> tuple[list[str], list[str], dict[str, dict[int, str]]]:
    """Input names, output names and dynamic axes (batch) of the graph."""
    ins = ["obs"] + [f"state_in_{i}" for i in range(num_states)]
    outs = ["actions", "values"] + [f"state_out_{i}" for i in range(num_states)]
    axes = {name: {0: "batch"} for name in ("obs", "actions", "values")}
    axes.update({name: {1: "batch"} for name in ins[1:] + outs[2:]})
    return ins, outs, axes


# ----------------------------------------------------------------------------- export
def export_model(
    model: nn.Module, spec: PolicySpec, output: str | Path, opset: int = DEFAULT_OPSET
) -> ExportResult:
    """Write the ONNX graph of ``model`` (a built, loaded, eval-mode policy) to ``output``."""
    if importlib.util.find_spec("onnx") is None:
        raise ExportError(
            "ONNX export needs the 'onnx' package, which is not installed; install it with: "
            "pip install onnx onnxruntime (or pip install -e '.[onnx]')"
        )
    policy = OnnxPolicy(model).eval()
    args = example_inputs(model, spec)
    ins, outs, axes = io_names(len(args) - 1)
    path = Path(output)
    graph = io.BytesIO()  # then written atomically: a failed write keeps an earlier file
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            policy,
            args,
            graph,
            dynamo=False,
            input_names=ins,
            output_names=outs,
            dynamic_axes=axes,
            opset_version=opset,
            do_constant_folding=True,
        )
    try:
        atomic_write(path, lambda fh: fh.write(graph.getvalue()), what="the ONNX file")
    except WriteError as exc:
        raise WriteError(f"{exc}; choose another --output") from None
    log.info("=> exported ONNX policy '%s' (inputs %s, outputs %s)", path, ins, outs)
    return ExportResult(path=path, spec=spec, input_names=ins, output_names=outs)


def export_onnx(
    params: Params,
    checkpoint: str | Path,
    output: str | Path,
    *,
    input_shape: tuple[int, ...] | None = None,
    obs_dtype: torch.dtype | None = None,
    opset: int = DEFAULT_OPSET,
    check_env: bool = False,
) -> ExportResult:
    """Export the PPO policy of ``checkpoint`` (trained with ``params``) to ``output``.

    ``check_env`` (the CLI): build the model from the config and the env's spaces, so that a
    checkpoint of another env or network is refused; otherwise, or when the env cannot be
    created here, the shapes come from the checkpoint."""
    source = f"checkpoint '{checkpoint}'"
    sd = model_state_dict(load_checkpoint(checkpoint, map_location="cpu"), source)
    env = read_env_shapes(params) if check_env else None
    if env is not None:
        spec = spec_from_env(params, env, input_shape, obs_dtype)
    else:
        spec = infer_spec(params, sd, input_shape, obs_dtype, source)
    model = build_policy_model(params, spec, sd, source)
    return export_model(model, spec, output, opset)
