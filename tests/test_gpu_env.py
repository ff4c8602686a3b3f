"""The gpu-tf environment's requirements file is pyproject.toml's pins with only TensorFlow's and
PyTorch's builds swapped, so the two GPU environments cannot drift from the CPU one."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GPU_TF = ROOT / "requirements" / "gpu-tf.txt"
#: What gpu-tf.txt has instead of the base pins of torch and TensorFlow (see its header).
SWAPPED = {"torch==2.13.0+cpu", "tensorflow[and-cuda]==2.21.0"}


def _requirements() -> list[str]:
    lines = [line.strip() for line in GPU_TF.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith(("#", "--"))]


def test_gpu_tf_is_the_base_pins_with_tensorflow_and_torch_swapped():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = project["dependencies"] + project["optional-dependencies"]["dev"]
    kept = [r for r in base if not r.startswith(("tensorflow", "torch=="))]
    assert sorted(_requirements()) == sorted([*kept, *SWAPPED])
    torch_pin = next(r for r in base if r.startswith("torch=="))
    tf_pin = next(r for r in base if r.startswith("tensorflow-cpu=="))
    assert torch_pin.split("==")[1] == "2.13.0"
    assert tf_pin.split("==")[1].split(";")[0].strip() == "2.21.0"


def test_gpu_tf_takes_cpu_torch_from_pytorch_index():
    text = GPU_TF.read_text(encoding="utf-8")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text
    assert "pip install --no-deps -e ." in text  # else pip adds tensorflow-cpu on top


def test_workflow_runs_each_half_in_its_environment():
    workflow = (ROOT / ".github" / "workflows" / "gpu.yml").read_text(encoding="utf-8")
    assert 'pip install --progress-bar off -e ".[dev,gpu-torch]"' in workflow
    assert "pip install --progress-bar off -r requirements/gpu-tf.txt" in workflow
    assert 'pytest --require-gpu -m "not tensorflow"' in workflow
    assert "pytest --require-gpu -m tensorflow" in workflow
