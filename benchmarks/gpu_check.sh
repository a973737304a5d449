#!/usr/bin/env bash
# The GPU check (benchmarks/gpu_check.py): host syncs per PPO epoch, SAC on TorchPendulum, mjlab
# Go1 velocity SPS at 4096 envs, the CUDA tests, and PPO TorchCartPole at 4k/64k/16k envs eager vs
# every torch_compile mode. Bounded: under 8 minutes on one H100 (GPU_CHECK_TIMEOUT, default 470 s,
# kills it; the driver's own budget is 450 s and it rewrites its markdown after every stage).
#
#   bash benchmarks/gpu_check.sh [OUT_FILE] [gpu_check.py options...]
#   bash benchmarks/gpu_check.sh /tmp/gpu.md --stages ppo --sizes 65536 16384   # a second pass
#
# OUT_FILE: the markdown section for docs/benchmarks.md (default: $OUT/gpu_check.md when OUT is
# set, else benchmarks/results/gpu_check.md); the raw numbers go to the .json beside it. Wheels
# found in .whl/ (e.g. gymnasium for a machine without it and without internet) are installed
# into a temporary folder first; nothing else is installed.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

out_md=benchmarks/results/gpu_check.md
[ -n "${OUT:-}" ] && out_md=$OUT/gpu_check.md
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  out_md=$1
  shift
fi

if compgen -G ".whl/*.whl" >/dev/null; then
  site=$(mktemp -d /tmp/gpu_check_site.XXXXXX)
  if "$PY" -m pip install -q --no-index --no-deps --no-compile --target "$site" .whl/*.whl; then
    export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
  else
    echo "gpu_check.sh: installing .whl/*.whl failed; going on without them" >&2
  fi
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null \
  || echo "nvidia-smi: not available" >&2
timeout -k 10 "${GPU_CHECK_TIMEOUT:-470}" "$PY" benchmarks/gpu_check.py --out "$out_md" "$@"
rc=$?
if [ $rc -ne 0 ]; then
  echo "gpu_check.sh: the driver ended with exit code $rc (124: killed by the timeout);" \
    "what it wrote so far:" >&2
  cat "$out_md" 2>/dev/null || echo "(no $out_md)" >&2
fi
exit $rc
