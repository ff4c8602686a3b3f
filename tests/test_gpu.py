"""The GPU switch: ``--require-gpu`` fails a run without CUDA; ``gpu`` tests use the GPU.

On a CPU machine the ``gpu`` tests are skipped (conftest.py) and the ``--require-gpu`` test
checks the usage error. On a GPU runner (``pytest --require-gpu``) the ``gpu`` tests run and the
usage-error test is skipped.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.torch
@pytest.mark.slow
def test_require_gpu_fails_without_cuda():
    if _cuda():
        pytest.skip("this machine has CUDA; --require-gpu does not fail here")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--require-gpu", "-p", "no:cacheprovider",
         "--collect-only", "-q", "-m", "not tensorflow", "tests/test_config.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "--require-gpu was given but torch" in result.stderr
    assert "sees no CUDA device" in result.stderr


@pytest.mark.tensorflow
@pytest.mark.slow
def test_require_gpu_asks_the_framework_of_the_collected_notebooks():
    """`-m tensorflow` needs TensorFlow's GPU (not PyTorch's), `-m torch` PyTorch's."""
    from nnfw.device import gpu_status

    tf_ok, _ = gpu_status("tensorflow")
    torch_ok, _ = gpu_status("torch")
    if tf_ok or torch_ok:
        pytest.skip("a framework sees a GPU here; the usage errors cannot be shown")

    def run(marker: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "--require-gpu", "-p", "no:cacheprovider",
             "--collect-only", "-q", "-m", marker, "solutions/01-tensors"],
            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    tf_run = run("tensorflow")
    assert tf_run.returncode == pytest.ExitCode.USAGE_ERROR, tf_run.stdout + tf_run.stderr
    assert "TensorFlow 2.21.0 sees no GPU" in tf_run.stderr
    assert "torch" not in tf_run.stderr.split(". On a GPU runner")[0]
    torch_run = run("torch")
    assert torch_run.returncode == pytest.ExitCode.USAGE_ERROR, torch_run.stderr
    assert "sees no CUDA device" in torch_run.stderr
    assert "TensorFlow" not in torch_run.stderr.split(". On a GPU runner")[0]


def test_doctor_says_which_gpu_each_framework_sees(capsys):
    from nnfw import cli

    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    section = out.split("GPU, per framework:")[1]
    assert section.splitlines()[1].startswith("  PyTorch: ")
    assert section.splitlines()[2].startswith("  TensorFlow: ")


@pytest.mark.gpu
@pytest.mark.torch
def test_torch_device_is_cuda_and_computes():
    import torch

    from nnfw.device import torch_device

    device = torch_device()
    assert device.type == "cuda", f"torch_device() chose {device} on a GPU runner"
    a = torch.arange(12.0, device=device).reshape(3, 4)
    assert torch.equal(
        (a @ a.T).cpu(), torch.arange(12.0).reshape(3, 4) @ torch.arange(12.0).reshape(3, 4).T
    )


@pytest.mark.gpu
@pytest.mark.torch
@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [
        p
        for p in sorted((ROOT / "solutions").glob("*/*.ipynb"))
        if "pytorch" in p.name or "lightning" in p.name
    ],
    ids=lambda p: p.relative_to(ROOT / "solutions").as_posix(),
)
def test_pytorch_notebook_setup_reports_cuda(path):
    """The set-up cell of each PyTorch/Lightning notebook says it runs on CUDA."""
    from nnfw.authoring.notebooks import execute
    from nnfw.grading.nbio import read_notebook

    nb = read_notebook(path)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    nb.cells = code[:1]
    execute(nb, path.parent, timeout=300)
    text = "".join(
        out.get("text", "") + out.get("data", {}).get("text/plain", "")
        for out in nb.cells[0].outputs
    )
    assert "cuda" in text.lower(), f"{path.name} set-up printed {text!r}"
