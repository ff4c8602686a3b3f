#!/usr/bin/env bash
# The prepared GPU check (docs/gpu-validation.md, "How to run the prepared GPU check").
#
#   bash scripts/gpu-check.sh [--out DIR] [--cpu-dry-run] [--only 01-tensors] [--no-install] ...
#   bash scripts/gpu-check.sh prepare          # here, before: python scripts/gpu_check.py prepare
#
# Runs scripts/gpu_check.py with the Python that imports torch: $NNFW_GPU_CHECK_PYTHON, else
# python3 (on the GPU machine, the image's python3; here, the activated .venv). All options:
# python3 scripts/gpu_check.py run --help.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${NNFW_GPU_CHECK_PYTHON:-}"
if [ -z "$python" ]; then
    for candidate in python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import torch" 2>/dev/null; then
            python="$candidate"
            break
        fi
    done
fi
if [ -z "$python" ]; then
    echo "gpu-check: no python3 here imports torch; set NNFW_GPU_CHECK_PYTHON=/path/to/python" >&2
    exit 2
fi
export PYTHONUNBUFFERED=1
if [ "${1:-}" = "prepare" ]; then
    shift
    exec "$python" "$here/gpu_check.py" prepare "$@"
fi
exec "$python" "$here/gpu_check.py" run "$@"
