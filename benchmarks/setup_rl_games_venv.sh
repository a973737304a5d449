#!/usr/bin/env bash
# Create benchmarks/.venv-rlgames with the reference tool (rl-games 1.6.5) for side-by-side benchmarks.
# Idempotent: re-running only installs what is missing.
#
# torch==2.13.0 is installed FIRST on purpose: it resolves to the local CPU wheel (/opt/wheels);
# letting rl-games pull torch in (or any other torch spec) would download GBs of CUDA wheels.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${RLGAMES_VENV:-$HERE/.venv-rlgames}"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating venv $VENV"
    "$PY" -m venv "$VENV"
fi

if "$VENV/bin/python" -c "import torch, rl_games, envpool, gymnasium, yaml, tensorboard" 2>/dev/null \
   && [ "$("$VENV/bin/python" -c 'import torch; print(torch.__version__.split("+")[0])')" = "2.13.0" ]; then
    echo "[setup] $VENV already complete"
else
    "$VENV/bin/python" -m pip install --quiet torch==2.13.0
    "$VENV/bin/python" -m pip install --quiet rl-games==1.6.5 envpool gymnasium pyyaml tensorboard
fi

"$VENV/bin/python" - <<'PY'
import importlib.metadata as md
import torch, rl_games, envpool  # noqa: F401
print("[setup] ok:", ", ".join(f"{p}=={md.version(p)}" for p in
      ("torch", "rl-games", "envpool", "gymnasium", "numpy", "tensorboard")))
PY
