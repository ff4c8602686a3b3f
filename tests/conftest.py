"""Shared pytest set-up: the GPU switch, the report header, quiet frameworks.

``pytest --require-gpu`` is for GPU runners: it stops the run with a usage
error when PyTorch sees no CUDA device, so a misconfigured runner fails
instead of quietly skipping every GPU test. Without the flag, tests marked
``gpu`` are skipped on machines without CUDA.
"""

from __future__ import annotations

import os

import pytest

import nnfw  # noqa: F401  (sets TensorFlow's quiet defaults before any test imports it)

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-gpu",
        action="store_true",
        default=False,
        help="fail (instead of skipping GPU tests) when PyTorch sees no CUDA device",
    )


def _cuda_status() -> tuple[bool, str]:
    try:
        import torch
    except ImportError:
        return False, "PyTorch is not installed"
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        return True, f"torch {torch.__version__}, CUDA {torch.version.cuda}: {', '.join(names)}"
    build = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "CPU-only build"
    return False, f"torch {torch.__version__} ({build}) sees no CUDA device"


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--require-gpu"):
        ok, status = _cuda_status()
        if not ok:
            msg = (
                f"--require-gpu was given but {status}. On a GPU runner, install the GPU "
                "environment (README, 'GPU') and check `nvidia-smi` and `nnfw doctor`; "
                "on a CPU machine, run plain `pytest`."
            )
            raise pytest.UsageError(msg)


def pytest_report_header(config: pytest.Config) -> str:
    return f"nnfw devices: {_cuda_status()[1]}; NNFW_FAST={os.environ.get('NNFW_FAST', '')!r}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--require-gpu"):
        return
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if not gpu_items:
        return
    ok, status = _cuda_status()
    if ok:
        return
    skip = pytest.mark.skip(
        reason=f"needs a CUDA GPU: {status} (use --require-gpu to fail instead)"
    )
    for item in gpu_items:
        item.add_marker(skip)
