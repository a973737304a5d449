"""ONNX export: the exported graph, run by onnxruntime, matches the PyTorch policy.

Synthetic checkpoints: a model built from a config (real builders), weights and normalizer
statistics perturbed, saved with ``save_checkpoint``, exported, and both run on the same
observations. The CLI path (``runner.py --export onnx``) is run on a checkpoint trained for two
epochs (in-process ``rl_games.cli.main``), as a subprocess like users run it, compared with the
``--play`` player's model, and the docs' onnxruntime snippet runs on the exported file.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from conftest import REPO, run_cli

from rl_games.builders import build_model
from rl_games.cli import main
from rl_games.config import apply_overrides, load_yaml, parse_params
from rl_games.config.schema import Params
from rl_games.export import ExportError, export_onnx, infer_spec, model_state_dict
from rl_games.training.checkpoint import save_checkpoint

pytest.importorskip("onnx", reason="onnx is not installed (pip install -e '.[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="not installed (pip install -e '.[onnx]')")

TOL = 1e-5
BATCH = 16


def _params(network: dict[str, Any], model: str, algo: str, **config: Any) -> Params:
    doc = {
        "params": {
            "seed": 1,
            "algo": {"name": algo},
            "model": {"name": model},
            "network": {"name": "actor_critic", **network},
            "config": {
                "name": "export_test",
                "env_name": "envpool",
                "env_config": {"env_name": "CartPole-v1"},
                "device": "cpu",
                "num_actors": 4,
                "horizon_length": 8,
                "minibatch_size": 32,
                **config,
            },
        }
    }
    return parse_params(doc).params


def _perturb_(model: torch.nn.Module, seed: int = 0) -> None:
    """Move every weight off its initial value and give the normalizers non-trivial statistics."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=g))
        rms = getattr(model, "running_mean_std", None)
        if rms is not None:
            shape, f64 = rms.running_mean.shape, torch.float64
            mean = torch.randn(shape, generator=g, dtype=f64)
            var = torch.rand(shape, generator=g, dtype=f64) + 0.5
            if len(shape) > 1:  # images: statistics of pixels scaled to [0, 1]
                mean, var = 0.5 + 0.1 * mean, 0.1 * var
            rms.running_mean.copy_(mean)
            rms.running_var.copy_(var)
            rms.count.fill_(100.0)
        vms = getattr(model, "value_mean_std", None)
        if vms is not None:
            vms.running_mean.fill_(2.5)
            vms.running_var.fill_(4.0)


def _build(
    params: Params, actions_num: Any, obs_dim: int, input_shape: tuple[int, ...] | None = None
) -> torch.nn.Module:
    cfg = params.config
    input_shape = input_shape or (obs_dim,)
    build_cfg = {
        "actions_num": actions_num,
        "input_shape": input_shape,
        "num_seqs": 1,
        "value_size": 1,
        "normalize_value": getattr(cfg, "normalize_value", False),
        "normalize_input": cfg.normalize_input,
    }
    try:
        model = build_model(params, build_cfg)
    except NotImplementedError as exc:
        pytest.skip(f"the PyTorch policy cannot be built yet: {exc}")
    _perturb_(model)
    return model.eval()


def _export(params: Params, model: torch.nn.Module, tmp_path: Path) -> Any:
    ckpt = save_checkpoint(tmp_path / "policy.pth", {"model": model.state_dict(), "epoch": 3})
    result = export_onnx(params, ckpt, tmp_path / "policy.onnx")
    return result, ort.InferenceSession(str(result.path))


def _torch_act(model: torch.nn.Module, obs: np.ndarray, states: Any = None) -> dict[str, Any]:
    inputs: dict[str, Any] = {"obs": torch.from_numpy(obs), "deterministic": True}
    if states is not None:
        inputs.update(rnn_states=tuple(torch.from_numpy(s) for s in states), seq_length=1)
    with torch.no_grad():
        return model.act(inputs)


def _assert_close(onnx_out: np.ndarray, torch_out: Any) -> None:
    if isinstance(torch_out, (list, tuple)):
        torch_out = torch.stack(list(torch_out), dim=-1)
    expected = torch_out.numpy()
    assert onnx_out.shape == expected.shape
    if np.issubdtype(expected.dtype, np.integer):
        np.testing.assert_array_equal(onnx_out, expected)
    else:
        assert np.abs(onnx_out - expected).max() < TOL


def _check_feedforward(params: Params, actions_num: Any, obs_dim: int, tmp_path: Path) -> Any:
    model = _build(params, actions_num, obs_dim)
    result, session = _export(params, model, tmp_path)
    assert result.input_names == ["obs"] and result.output_names == ["actions", "values"]
    rng = np.random.default_rng(0)
    for batch in (BATCH, 1):  # the batch axis is dynamic
        obs = (3.0 * rng.standard_normal((batch, obs_dim))).astype(np.float32)
        actions, values = session.run(None, {"obs": obs})
        ref = _torch_act(model, obs)
        _assert_close(actions, ref["actions"])
        _assert_close(values, ref["values"])
    return result


def test_onnx_parity_continuous_mlp(tmp_path: Path) -> None:
    net = {
        "separate": False,
        "space": {"continuous": {"fixed_sigma": True}},
        "mlp": {"units": [64, 32], "activation": "elu"},
    }
    params = _params(
        net, "continuous_a2c_logstd", "a2c_continuous", normalize_input=True, normalize_value=True
    )
    result = _check_feedforward(params, 3, 11, tmp_path)
    assert result.spec.kind == "continuous" and result.spec.input_shape == (11,)
    assert result.spec.actions_num == 3


def test_onnx_parity_discrete(tmp_path: Path) -> None:
    net = {"separate": True, "space": {"discrete": None}, "mlp": {"units": [32, 32], "d2rl": True}}
    params = _params(net, "discrete_a2c", "a2c_discrete", normalize_input=True)
    result = _check_feedforward(params, 5, 7, tmp_path)
    assert result.spec.kind == "discrete" and result.spec.actions_num == 5


def test_onnx_parity_multi_discrete(tmp_path: Path) -> None:
    net = {"space": {"multi_discrete": None}, "mlp": {"units": [32]}}
    params = _params(net, "multi_discrete_a2c", "a2c_discrete", normalize_input=True)
    result = _check_feedforward(params, [3, 4, 2], 6, tmp_path)
    assert result.spec.kind == "multi_discrete" and result.spec.actions_num == [3, 4, 2]


def _check_recurrent(params: Params, actions_num: Any, obs_dim: int, tmp_path: Path) -> Any:
    """Export, then step both policies 4 times, feeding each one's states back to itself."""
    model = _build(params, actions_num, obs_dim)
    result, session = _export(params, model, tmp_path)
    rng = np.random.default_rng(1)
    states = [np.zeros(s.shape[:1] + (4,) + s.shape[2:], np.float32) for s in _default(model)]
    torch_states = list(states)
    for _ in range(4):
        obs = rng.standard_normal((4, obs_dim)).astype(np.float32)
        feeds = {"obs": obs, **{f"state_in_{i}": s for i, s in enumerate(states)}}
        actions, values, *states = session.run(None, feeds)
        ref = _torch_act(model, obs, torch_states)
        torch_states = [s.numpy() for s in ref["rnn_states"]]
        _assert_close(actions, ref["actions"])
        _assert_close(values, ref["values"])
        for got, want in zip(states, ref["rnn_states"], strict=True):
            _assert_close(got, want)
    return result


def _default(model: torch.nn.Module) -> list[torch.Tensor]:
    return list(model.get_default_rnn_state())


def test_onnx_parity_lstm(tmp_path: Path) -> None:
    net = {
        "space": {"continuous": {"fixed_sigma": True}},
        "mlp": {"units": [32]},
        "rnn": {"name": "lstm", "units": 16, "layers": 2},
    }
    params = _params(net, "continuous_a2c_logstd", "a2c_continuous", normalize_input=True)
    result = _check_recurrent(params, 2, 5, tmp_path)
    assert result.input_names == ["obs", "state_in_0", "state_in_1"]
    assert result.output_names == ["actions", "values", "state_out_0", "state_out_1"]


def test_onnx_parity_gru_before_mlp_separate(tmp_path: Path) -> None:
    """No obs normalizer: the observation size is read from the RNN's input weights."""
    net = {
        "separate": True,
        "space": {"discrete": None},
        "mlp": {"units": [16]},
        "rnn": {"name": "gru", "units": 8, "before_mlp": True},
    }
    params = _params(net, "discrete_a2c", "a2c_discrete")
    result = _check_recurrent(params, 3, 6, tmp_path)
    assert result.spec.input_shape == (6,)
    assert result.input_names == ["obs", "state_in_0", "state_in_1"]  # actor h, critic h


CNN = {
    "type": "conv2d",
    "permute_input": False,
    "activation": "elu",
    "convs": [
        {"filters": 8, "kernel_size": 4, "strides": 2, "padding": 0},
        {"filters": 8, "kernel_size": 3, "strides": 1, "padding": 0},
    ],
}


@pytest.mark.parametrize("normalize_input", [True, False], ids=["normalized", "raw"])
def test_onnx_parity_cnn_uint8(tmp_path: Path, normalize_input: bool) -> None:
    """Image policies take uint8 pixels (scaled by 1/255 in the graph, as in training)."""
    net = {"space": {"discrete": None}, "cnn": CNN, "mlp": {"units": [32]}}
    params = _params(net, "discrete_a2c", "a2c_discrete", normalize_input=normalize_input)
    shape = (3, 16, 16)
    model = _build(params, 4, 0, input_shape=shape)
    ckpt = save_checkpoint(tmp_path / "cnn.pth", {"model": model.state_dict()})
    if not normalize_input:  # nothing in the checkpoint records the image size
        with pytest.raises(ExportError, match="input_shape"):
            export_onnx(params, ckpt, tmp_path / "cnn.onnx")
    result = export_onnx(params, ckpt, tmp_path / "cnn.onnx", input_shape=shape)
    assert result.spec.obs_dtype == torch.uint8 and result.spec.input_shape == shape
    session = ort.InferenceSession(str(result.path))
    obs = np.random.default_rng(2).integers(0, 256, (5, *shape), dtype=np.uint8)
    actions, values = session.run(None, {"obs": obs})
    ref = _torch_act(model, obs)
    _assert_close(actions, ref["actions"])
    _assert_close(values, ref["values"])


def test_export_reads_shapes_without_normalizer(tmp_path: Path) -> None:
    """No normalize_input: the observation size comes from the first Linear layer."""
    net = {"space": {"discrete": None}, "mlp": {"units": [16]}}
    params = _params(net, "discrete_a2c", "a2c_discrete")
    model = _build(params, 2, 9)
    sd = model_state_dict({"model": model.state_dict()})
    spec = infer_spec(params, sd)
    assert spec.input_shape == (9,) and spec.actions_num == 2 and not spec.normalize_input


def test_export_rejects_sac_checkpoint(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "sac.pth", {"actor": {}, "critic": {}})
    net = {"space": {"discrete": None}, "mlp": {"units": [16]}}
    with pytest.raises(ExportError, match="SAC"):
        export_onnx(_params(net, "discrete_a2c", "a2c_discrete"), path, tmp_path / "x.onnx")


# ----------------------------------------------------------------------------- CLI
CARTPOLE = REPO / "configs" / "ppo_cartpole.yaml"
QUICK = [
    "config.num_actors=4",
    "config.horizon_length=16",
    "config.minibatch_size=32",
    "config.max_epochs=2",
    "config.normalize_input=True",
    "config.full_experiment_name=export",
    "torch_threads=1",
]


@contextlib.contextmanager
def _restored_process_state() -> Iterator[None]:
    """``rl_games.cli.main`` in-process sets logging handlers and torch threads: restore them."""
    root = logging.getLogger()
    handlers, level, threads = root.handlers[:], root.level, torch.get_num_threads()
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        torch.set_num_threads(threads)


def _main(*argv: str) -> int:
    with _restored_process_state():
        return main(list(argv))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A CartPole checkpoint after two epochs (normalize_input on) and the overrides used."""
    tmp = tmp_path_factory.mktemp("export_train")
    sets = [*QUICK, f"config.train_dir={tmp}"]
    args = [a for s in sets for a in ("--set", s)]
    assert _main("--train", "-q", "--file", str(CARTPOLE), *args) == 0
    ckpts = sorted((tmp / "export" / "nn").glob("last_*.pth"))
    assert ckpts, list((tmp / "export").rglob("*"))
    return ckpts[0], args


def test_cli_export_matches_player(
    trained: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ckpt, args = trained
    out = tmp_path / "policy.onnx"
    proc = run_cli(
        "--export", "onnx", "--file", str(CARTPOLE), *args, "--checkpoint", str(ckpt),
        "--output", str(out), cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(tmp_path.iterdir()) == [out]  # no run directory: no env, no training
    from rl_games.training.player import PPOPlayer

    params = parse_params(apply_overrides(load_yaml(CARTPOLE), QUICK)).params
    player = PPOPlayer(params)
    player.restore(ckpt)
    obs = player.env.reset()
    session = ort.InferenceSession(str(out))
    for _ in range(5):
        actions, values = session.run(None, {"obs": obs.cpu().numpy()})
        with torch.no_grad():
            ref = player.model.act({"obs": obs, "deterministic": True})
        _assert_close(actions, ref["actions"])
        _assert_close(values, ref["values"])
        obs = player.env.step(ref["actions"])[0]
    # the docs' onnxruntime example runs as written next to the exported file
    monkeypatch.chdir(tmp_path)
    exec(compile(_docs_snippet(), "docs/onnx_export.md", "exec"), {})


def test_cli_export_errors(
    trained: tuple[Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    ckpt, _ = trained
    cfg, out = str(CARTPOLE), str(tmp_path / "p.onnx")
    assert _main("--export", "onnx", "--file", cfg, "--checkpoint", str(ckpt)) == 2
    assert "--output" in capsys.readouterr().out
    missing = str(tmp_path / "missing.pth")
    assert _main("--export", "onnx", "--file", cfg, "--checkpoint", missing, "--output", out) == 1
    assert "does not exist" in capsys.readouterr().out
    wrong = tmp_path / "wrong.yaml"
    doc = yaml.safe_load(CARTPOLE.read_text())
    doc["params"]["network"]["mlp"]["units"] = [8]
    wrong.write_text(yaml.safe_dump(doc))
    assert (
        _main("--export", "onnx", "--file", str(wrong), "--checkpoint", str(ckpt), "-o", out) == 2
    )
    assert "does not match" in capsys.readouterr().out
    assert not (tmp_path / "p.onnx").exists()


def _docs_snippet() -> str:
    text = (REPO / "docs" / "onnx_export.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return next(b for b in blocks if "InferenceSession" in b)
