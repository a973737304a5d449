"""Policy export (ONNX): ``runner.py --export onnx --file cfg.yaml --checkpoint c.pth --output p.onnx``."""

from rl_games.export.onnx import (
    ExportError,
    ExportResult,
    OnnxPolicy,
    PolicySpec,
    build_policy_model,
    export_model,
    export_onnx,
    infer_spec,
    model_state_dict,
)

__all__ = [
    "ExportError",
    "ExportResult",
    "OnnxPolicy",
    "PolicySpec",
    "build_policy_model",
    "export_model",
    "export_onnx",
    "infer_spec",
    "model_state_dict",
]
