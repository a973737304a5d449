"""benchmarks/gpu_check.py (the GPU check script) kept runnable on CPU, and the host-sync budget of
a PPO epoch on the torch-native env: a constant per epoch, none per env step.

The driver runs here with the device forced to cpu and tiny sizes; its pytest stage is pointed at
this file, whose ``gpu`` test is the CUDA version of the host-sync check (skipped without CUDA,
run by ``pytest -m gpu`` and by the script on a GPU). No test name here may contain the word the
script's second pytest selection matches (``-k cuda``), or the driver would run this module.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = str(REPO / "benchmarks")
HAS_MJLAB = importlib.util.find_spec("mjlab") is not None
# no torch import at module level: the driver's pytest stage collects this module in a fresh
# process, and only the gpu test needs torch (no NVIDIA device node: skipped before importing it)
NO_NVIDIA_DEVICE = not any(Path("/dev").glob("nvidia[0-9]*"))


def _benchmarks() -> tuple:
    if BENCHMARKS not in sys.path:
        sys.path.insert(0, BENCHMARKS)
    import gpu_check
    import gpu_check_report
    import gpu_check_runs

    return gpu_check, gpu_check_report, gpu_check_runs


def test_driver_on_cpu_writes_every_section(
    tmp_path: Path, restore_logging: None, one_thread: None, capsys: pytest.CaptureFixture
) -> None:
    import torch

    gpu_check, gpu_check_report, _ = _benchmarks()
    # mjlab's first Go1 build compiles Warp kernels for minutes on CPU: with mjlab installed its
    # stage is left to the script's GPU runs; without it the stage must say it was skipped.
    stages = ["syncs", "sac", "pytest", "ppo"] + ([] if HAS_MJLAB else ["mjlab"])
    out = tmp_path / "gpu_check.md"
    argv = ["--device", "cpu", "--in-process", "--out", str(out), "--stages", *stages,
            "--sizes", "32", "--modes", "eager", "--ppo-cap", "0.5", "--ppo-min-epochs", "2",
            "--sync-epochs", "2", "--sac-seconds", "0.5", "--budget", "120", "--ppo-reserve", "0",
            "--pytest-paths", "tests/test_gpu_check.py"]  # fmt: skip
    assert gpu_check.main(argv) == 0
    text = out.read_text()
    assert text in capsys.readouterr().out  # printed as well as written
    for section in gpu_check_report.SECTIONS:
        assert section in text, section
    assert "torch " + torch.__version__ in text and "**Error**" not in text
    assert "no per-step host reads): **True**" in text
    data = json.loads(out.with_suffix(".json").read_text())["results"]
    ppo = data["ppo"]["runs"]
    assert [r["job"]["mode"] for r in ppo] == ["eager"] and ppo[0]["compile"] == "eager"
    assert ppo[0]["epochs"] >= 2 and ppo[0]["sps"] > 0
    assert "| 32 | eager | eager |" in text
    assert data["sac"]["sps"] > 0 and data["sac"]["timed_frames"] > 0
    gpu_sel, cuda_sel = data["pytest"]["runs"]
    assert gpu_sel["args"] == ["-m", "gpu"] and gpu_sel["rc"] == 0
    expected = "1 passed" if torch.cuda.is_available() else "1 skipped"
    assert expected in gpu_sel["summary"] and cuda_sel["rc"] == 5  # 5: nothing selected
    if HAS_MJLAB:
        assert "Skipped: not requested (--stages)." in text
    else:
        assert "Skipped: mjlab is not installed" in text


def _reads_per_epoch(device: str, num_envs: int) -> dict[int, dict]:
    job = {"device": device, "num_envs": num_envs, "epochs": 3, "horizons": [16, 64]}
    return {r["horizon"]: r for r in _benchmarks()[2].syncs(job)["runs"]}


def test_ppo_epoch_host_reads_are_a_constant_not_per_step(one_thread: None) -> None:
    runs = _reads_per_epoch("cpu", 64)  # 64 random-policy CartPoles finish games every epoch
    steady = {h: r["reads"][1:] for h, r in runs.items()}
    # once per epoch: the loss statistics (tolist + kl), the finite-training check, the finished
    # games' rewards / lengths (nonzero + one stacked .cpu().numpy(), the counter sees both
    # calls); 4x the horizon adds none
    assert steady[16] == steady[64] == [6, 6], (steady, runs[64]["where"])
    sites = {w.split(" @ ")[1].rsplit(":", 1)[0] for w, _ in runs[64]["where"]}
    assert not any("rollout" in s or "envs" in s for s in sites), sites


@pytest.mark.gpu
@pytest.mark.skipif(NO_NVIDIA_DEVICE, reason="needs CUDA (no /dev/nvidia*)")
def test_ppo_epoch_host_reads_on_gpu_are_a_constant() -> None:
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    runs = _reads_per_epoch("cuda", 256)
    assert runs[16]["reads"][1:] == runs[64]["reads"][1:]
    assert runs[16]["cuda_syncs"][1:] == runs[64]["cuda_syncs"][1:]
    assert max(runs[64]["cuda_syncs"][1:]) <= 16, runs[64]["cuda_where"]
