"""GPU-aware grading (issue 18): ``nnfw grade --gpus N``, without a GPU.

A stand-in ``nvidia-smi`` on ``PATH`` reports two GPUs and, for every IPython kernel running
on this machine, "GPU memory" equal to the kernel's resident memory: a kernel that allocates
a large array then looks like one that fills its GPU. With it, the real grader starts its
GPU workers, routes the PyTorch notebook to one, hides the GPUs from the other notebooks,
and stops a notebook past ``--gpu-memory-limit`` with that reason.
"""

from __future__ import annotations

import io
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import nbformat
import pytest
from test_grading_sandbox import _cell, _meta, _python3  # the hostile suite's helpers

from nnfw import cli
from nnfw.authoring.release import generate_assignment
from nnfw.grading import gpus
from nnfw.grading.course import Workspace
from nnfw.grading.results import load_results
from nnfw.grading.run import sandbox
from nnfw.grading.settings import GradeSettings, Limits

FAKE = '''#!{python}
"""A stand-in for nvidia-smi: two GPUs; a kernel's resident memory is its "GPU memory"."""
import os
import sys

args = " ".join(sys.argv[1:])
if os.path.exists({broken!r}):
    sys.exit("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver")
if "--query-gpu=" in args:
    print("0, GPU-fake-0000, Fake GPU, 16384")
    print("1, GPU-fake-1111, Fake GPU, 16384")
elif "--query-compute-apps=" in args:
    print("12345678, [N/A]")
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{{pid}}/cmdline", "rb") as fh:
                if b"ipykernel" not in fh.read():
                    continue
            with open(f"/proc/{{pid}}/statm") as fh:
                pages = int(fh.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        print(f"{{pid}}, {{pages * os.sysconf('SC_PAGE_SIZE') // 2**20}}")
else:
    sys.exit(f"unexpected arguments: {{args}}")
'''


@pytest.fixture
def fake_smi(tmp_path, monkeypatch) -> Path:
    """Put the stand-in ``nvidia-smi`` first on PATH; return the file that breaks it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    broken = tmp_path / "driver-broken"
    exe = bin_dir / "nvidia-smi"
    exe.write_text(FAKE.format(python=sys.executable, broken=str(broken)))
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return broken


# --- listing the GPUs ------------------------------------------------------------------------


def test_gpus_are_listed_and_cuda_visible_devices_narrows_them(fake_smi, monkeypatch) -> None:
    found = gpus.list_gpus()
    assert [(g.index, g.uuid, g.memory_mb) for g in found] == [
        (0, "GPU-fake-0000", 16384),
        (1, "GPU-fake-1111", 16384),
    ]
    assert gpus.describe(found) == "2 GPUs (Fake GPU, 16384 MB)"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert [g.index for g in gpus.list_gpus()] == [1]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-fake-1111,0")
    assert [g.index for g in gpus.list_gpus()] == [1, 0]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,7,1")  # CUDA stops at the first bad entry
    assert [g.index for g in gpus.list_gpus()] == [0]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert gpus.list_gpus() == []


def test_a_missing_or_broken_nvidia_smi_is_a_clear_error(fake_smi, monkeypatch) -> None:
    fake_smi.write_text("")
    with pytest.raises(gpus.GpuQueryError, match="couldn't communicate with the NVIDIA driver"):
        gpus.list_gpus()
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(gpus.GpuQueryError, match="not found on PATH"):
        gpus.memory_by_process()


def test_memory_by_process_skips_what_the_driver_does_not_say(fake_smi) -> None:
    used = gpus.memory_by_process()
    assert 12345678 not in used  # "[N/A]"
    assert all(isinstance(mb, int) and mb >= 0 for mb in used.values())


# --- settings and the command line -----------------------------------------------------------


def test_gpu_settings_are_checked() -> None:
    bad = GradeSettings(gpus=-1, kernels_per_gpu=0, limits=Limits(gpu_memory_mb=-5))
    problems = " | ".join(bad.problems())
    assert "--gpus must be 0 (no GPU) or more, got -1" in problems
    assert "--kernels-per-gpu must be at least 1, got 0" in problems
    assert "--gpu-memory-limit must be 0 (no limit) or more, got -5" in problems
    remote = GradeSettings(gpus=1, scheduler="tcp://grader:8786")
    assert "--resources GPU=1" in " ".join(remote.problems())
    # every GPU slot gets a worker, even for one student
    assert GradeSettings(jobs=1, gpus=2, kernels_per_gpu=2).job_count(1) == 4
    assert GradeSettings(jobs=3, gpus=1).job_count(5) == 3


def _grade_cli(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["grade", *args])
    return code, out.getvalue() + err.getvalue()


def test_more_gpus_than_the_machine_has_is_a_usage_error(fake_smi, tmp_path) -> None:
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    course = _course(tmp_path / "course")
    code, text = _grade_cli(
        str(tmp_path / "subs"), "-a", A, "--course", str(course), "--gpus", "3",
        "--workspace", str(tmp_path / "ws"),
    )  # fmt: skip
    assert code == 2, text
    assert "--gpus 3: this machine has 2 usable GPU(s)" in text
    assert "Traceback" not in text


# --- the sandbox -----------------------------------------------------------------------------


def test_only_a_gpu_job_gets_the_devices_and_cuda_visible_devices(monkeypatch, tmp_path) -> None:
    devices = [Path("/dev/nvidia0"), Path("/dev/nvidiactl"), Path("/dev/nvidia-uvm")]
    monkeypatch.setattr(sandbox, "_gpu_devices", lambda: devices)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-fake-1111")  # the worker's GPU
    with_gpu = sandbox.bwrap_command(tmp_path, Limits(), gpu=True)
    without = sandbox.bwrap_command(tmp_path, Limits())
    assert all(str(d) in with_gpu for d in devices)
    assert not any("nvidia" in part for part in without)
    env = sandbox.sandbox_env(sandbox.SANDBOX_HOME, {}, gpu=True)
    assert env["CUDA_VISIBLE_DEVICES"] == "GPU-fake-1111"
    assert env["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"  # TensorFlow never takes it all
    hidden = sandbox.sandbox_env(sandbox.SANDBOX_HOME, {"CUDA_VISIBLE_DEVICES": "0"})
    assert hidden["CUDA_VISIBLE_DEVICES"] == ""


# --- grading on (stand-in) GPUs --------------------------------------------------------------

A = "00-gpu"
SETUP = "import os\nimport numpy as np"
ANSWER = "def answer():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION"
TORCH_TEST = (
    "assert answer() == 42\n"
    "### BEGIN HIDDEN TESTS\n"
    "_seen = os.environ.get('CUDA_VISIBLE_DEVICES', '')\n"
    "assert _seen.startswith('GPU-fake-'), f'no GPU given: CUDA_VISIBLE_DEVICES={_seen!r}'\n"
    "### END HIDDEN TESTS"
)
TF_TEST = (
    "assert answer() == 42\n"
    "### BEGIN HIDDEN TESTS\n"
    "_seen = os.environ.get('CUDA_VISIBLE_DEVICES')\n"
    "assert _seen == '', f'a notebook without a GPU saw CUDA_VISIBLE_DEVICES={_seen!r}'\n"
    "assert not [d for d in os.listdir('/dev') if d.startswith('nvidia')]\n"
    "### END HIDDEN TESTS"
)
#: about 600 MB resident, held for 8 s (a training loop would hold its GPU memory as long):
#: the stand-in nvidia-smi reports it as GPU memory; the watchdog looks once a second
HOG = (
    "import time\n\n_hog = np.ones(600 * 2**20 // 8)\ntime.sleep(8)\n\n\n"
    "def answer():\n    return 42"
)


def _notebook(test: str) -> nbformat.NotebookNode:
    return _python3(
        [
            nbformat.v4.new_code_cell(SETUP, metadata=_meta("setup", "setup")),
            nbformat.v4.new_code_cell(ANSWER, metadata=_meta("answer", "answer")),
            nbformat.v4.new_code_cell(test, metadata=_meta("test", "tests", 1)),
        ]
    )


def _course(root: Path) -> Path:
    (root / "solutions" / A).mkdir(parents=True)
    nbformat.write(_notebook(TORCH_TEST), root / "solutions" / A / "tiny_pytorch.ipynb")
    nbformat.write(_notebook(TF_TEST), root / "solutions" / A / "tiny_tensorflow.ipynb")
    return root


@pytest.mark.slow
@pytest.mark.notebook
def test_pytorch_notebooks_get_a_gpu_and_a_gpu_memory_limit(fake_smi, tmp_path) -> None:
    course = _course(tmp_path / "course")
    released = generate_assignment(course / "solutions" / A, A)
    subs = tmp_path / "subs"
    for student, torch_answer in (("honest", "def answer():\n    return 42"), ("hog", HOG)):
        (subs / student).mkdir(parents=True)
        for name, data in released.items():
            nb = nbformat.reads(data.decode(), 4)
            is_torch = "pytorch" in name
            _cell(nb, "answer").source = (
                torch_answer if is_torch else "def answer():\n    return 42"
            )
            nbformat.write(nb, subs / student / name)
    workspace = tmp_path / "ws"
    code, text = _grade_cli(
        str(subs), "-a", A, "--course", str(course), "--workspace", str(workspace),
        "--gpus", "1", "--jobs", "2", "--gpu-memory-limit", "400", "--memory-limit", "1500",
        "--require-both",
    )  # fmt: skip
    assert "1 of them on 1 GPU (Fake GPU, 16384 MB), 1 kernel(s) per GPU" in text, text
    assert "400 MB of GPU memory" in text
    results = {r.student: r for r in load_results(Workspace(workspace), A)}
    assert sorted(results) == ["hog", "honest"], text
    honest = {nb.name: nb.score for nb in results["honest"].notebooks}
    assert honest == {"tiny_pytorch": 1.0, "tiny_tensorflow": 1.0}, text
    hog = {nb.name: nb for nb in results["hog"].notebooks}
    assert hog["tiny_tensorflow"].score == 1.0, text
    assert hog["tiny_pytorch"].score == 0.0, text
    reasons = " ".join(r.text for r in hog["tiny_pytorch"].reasons + results["hog"].reasons)
    assert "used more than 400 MB of GPU memory" in reasons, reasons
    assert "--gpu-memory-limit" in reasons
    assert code == 1  # the hog needs attention
