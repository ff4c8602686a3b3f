"""scripts/gpu_check.py, the prepared GPU check (docs/gpu-validation.md).

The fast tests check the report (table, verdicts, exit codes), the pass rules of a notebook
run and the wheel bookkeeping without running anything. The slow one runs the check itself as
a CPU dry run of 01-tensors in the current environment (``--no-install``: no virtual
environment, no wheels folder, no network).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gpu_check.py"


def _load():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_check"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


gc = _load()
NB = "tensors_pytorch.ipynb"


def _run(kind, slot, seconds, *, device=None, memory=0, status="passed", problems=()):
    device = device or ("cuda" if slot == "gpu" else "cpu")
    return gc.Run(
        "01-tensors", NB, kind, slot, status=status, seconds=seconds, device=device,
        cuda={"max_memory_allocated": memory}, problems=list(problems),
    )  # fmt: skip


def _grading(status="passed"):
    return gc.Grading(
        status=status,
        seconds=20.0,
        sandbox="none (no bubblewrap)",
        students=[
            {"student": "solved", "score": 9.0, "max": 9.0, "expected": "full marks", "ok": True,
             "status": "all 4 tasks passed"},
            {"student": "blank", "score": 0.0, "max": 9.0, "expected": "0", "ok": True,
             "status": "not attempted"},
        ],
    )  # fmt: skip


FACTS = {"commit": "abc1234", "cores": 16, "jobs": 8, "threads": 2, "python": "3.12.3",
         "torch": "2.11.0+cu130", "cuda_device": "NVIDIA H200", "driver": "580.159.03"}  # fmt: skip


def _report(runs, grading=None, *, dry_run=False, wall=300.0):
    grading = grading or _grading()
    return gc.build_report(runs, grading, FACTS, dry_run=dry_run, wall_seconds=wall)


def test_real_run_report_passes_and_prints_the_table():
    runs = [
        _run("solution", "gpu", 12.0, memory=500e6),
        _run("solution", "cpu", 10.0),
        _run("blank", "gpu", 6.0, memory=100e6),
        _run("blank", "cpu", 8.0),
    ]
    report = _report(runs)
    assert report["exit_code"] == 0, report["targets"]
    assert [(r["kind"], r["ratio"], r["speed"]) for r in report["rows"]] == [
        ("solution", 1.2, "ok"),  # exactly 20% slower is still within the target
        ("blank", 0.75, "ok"),
    ]
    md = gc.render_markdown(report)
    assert md.startswith("# nnfw GPU check: PASSED (NVIDIA H200)")
    assert (
        "| 01-tensors/tensors_pytorch.ipynb | solution | 12.0 | 10.0 | 1.20 | passed (cuda, 500 MB)"
        " | passed (cpu) | ok |"
    ) in md
    assert "| solved | 9 | 9 | full marks | ok |" in md
    assert "| blank | 0 | 9 | 0 | ok |" in md
    assert "sandbox: none (no bubblewrap)" in md
    assert "dry run" not in md
    json.dumps(report)  # the JSON report is serialisable


def test_slower_gpu_misses_the_speed_target_with_exit_code_3():
    runs = [_run("solution", "gpu", 13.0, memory=1), _run("solution", "cpu", 10.0)]
    report = _report(runs)
    assert report["exit_code"] == 3
    assert report["rows"][0]["speed"] == "SLOWER (>1.20)"
    speed = next(t for t in report["targets"] if "slower" in t["target"])
    assert speed["met"] is False
    assert "x1.30" in speed["detail"]
    assert "| **NO** |" in gc.render_markdown(report)


def test_overtime_misses_the_time_target():
    runs = [_run("solution", "gpu", 5.0, memory=1), _run("solution", "cpu", 10.0)]
    report = _report(runs, wall=500.0)
    assert report["exit_code"] == 3
    assert report["targets"][-1] == {
        "target": "the whole check under 8 min",
        "met": False,
        "detail": "500 s",
    }


def test_a_failed_run_or_grading_fails_the_check():
    runs = [
        _run(
            "solution", "gpu", 5.0, status="failed", problems=["cell 7 (`x = 1`): ValueError: no"]
        ),
        _run("solution", "cpu", 10.0),
    ]
    report = _report(runs)
    assert report["exit_code"] == 1
    assert report["rows"][0]["speed"] == "-"  # no verdict on a failed run
    md = gc.render_markdown(report)
    assert "**FAILED**" in md
    assert "- solutions/01-tensors/tensors_pytorch.ipynb [gpu]: cell 7 (`x = 1`): ValueError" in md
    ok = [_run("solution", "gpu", 5.0, memory=1), _run("solution", "cpu", 10.0)]
    bad = _grading(status="failed")
    bad.problems = ["blank: scored 3 of 9, expected 0"]
    assert _report(ok, bad)["exit_code"] == 1


def test_dry_run_labels_the_gpu_columns_and_skips_the_speed_target():
    runs = [_run("solution", "gpu", 11.0, device="cpu"), _run("solution", "cpu", 10.0)]
    report = _report(runs, dry_run=True, wall=900.0)
    assert report["rows"][0]["speed"] == "dry run"
    speed = next(t for t in report["targets"] if "slower" in t["target"])
    assert speed["met"] is None
    md = gc.render_markdown(report)
    assert md.startswith("# nnfw GPU check: PASSED (dry run on the CPU, not a GPU run)")
    assert "| GPU slot (dry run: CPU) s |" in md
    assert "| 1.10 | passed (cpu) | passed (cpu) | dry run |" in md
    assert "| GPU at most 20% slower than CPU | n/a | not measured: dry run (no GPU) |" in md
    assert "| the whole check under 8 min | n/a | 900 s (dry run: the target is for the GPU" in md
    assert report["exit_code"] == 0


def test_substitute_grading_is_reported_not_faked():
    runs = [
        _run("solution", "gpu", 5.0, memory=1),
        _run("solution", "cpu", 10.0),
        _run("blank", "gpu", 5.0, memory=1),
        _run("blank", "cpu", 10.0),
    ]
    runs[0].test_points = runs[0].test_points_max = 9.0
    runs[2].test_points, runs[2].test_points_max = 0.0, 9.0
    grading = gc.Grading(method="none", status="substitute", note="`nnfw grade` was not possible")
    gc.fallback_grading(grading, runs)
    assert [s["ok"] for s in grading.students] == [True, True]
    report = _report(runs, grading)
    assert report["exit_code"] == 3  # correct, but the grading target is not met
    md = gc.render_markdown(report)
    assert "nnfw grade NOT run" in md
    assert "**`nnfw grade` was not possible**" in md


def _result(errors=(), setup="torch 2.11.0 | device: cuda\n", probe=None, **extra):
    return {"seconds": 3.0, "cells": 10, "errors": list(errors), "setup_output": setup,
            "probe": {"max_memory_allocated": 1024, "cuda_initialized": True} if probe is None else probe, **extra}  # fmt: skip


def _error(index, task):
    return {"index": index, "task": task, "first_line": "x", "ename": "E", "evalue": "v"}


def test_judge_blank_notebooks_may_fail_in_task_cells_only():
    run = gc.Run("01-tensors", NB, "blank", "gpu")
    gc.judge(run, _result([_error(5, task=True)]), dry_run=False)
    assert run.status == "passed", run.problems
    run = gc.Run("01-tensors", NB, "blank", "gpu")
    gc.judge(run, _result([_error(5, task=True), _error(2, task=False)]), dry_run=False)
    assert run.status == "failed"
    assert run.problems == ["cell 2 (`x`): E: v"]
    run = gc.Run("01-tensors", NB, "blank", "gpu")
    gc.judge(run, _result(), dry_run=False)
    assert "no task cell failed" in run.problems[0]


def test_judge_solution_notebooks_may_not_fail_anywhere():
    run = gc.Run("01-tensors", NB, "solution", "gpu")
    gc.judge(run, _result([_error(5, task=True)]), dry_run=False)
    assert run.status == "failed"


def test_judge_checks_the_device_of_each_slot():
    run = gc.Run("01-tensors", NB, "solution", "gpu")
    gc.judge(run, _result(probe={"max_memory_allocated": 0}), dry_run=False)
    assert run.problems == ["no CUDA memory was allocated: the notebook did not use the GPU"]
    run = gc.Run("01-tensors", NB, "solution", "gpu")
    gc.judge(run, _result(setup="device: cpu\n"), dry_run=False)
    assert run.problems == ["the set-up cell chose cpu, not CUDA"]
    run = gc.Run("01-tensors", NB, "solution", "cpu")
    gc.judge(run, _result(), dry_run=False)
    assert run.problems == ["ran on cuda, not the CPU", "the CPU run initialised CUDA"]
    run = gc.Run("01-tensors", NB, "solution", "gpu")  # the dry run's GPU slot is the CPU
    gc.judge(run, _result(setup="device: cpu | fast mode: False\n", probe={}), dry_run=True)
    assert run.status == "passed", run.problems
    assert run.fast_mode == "False"
    run = gc.Run("01-tensors", NB, "solution", "cpu")
    gc.judge(run, _result(setup="device: cpu\nfast mode: True\n", probe={}), dry_run=False)
    assert "fast mode" in run.problems[0]


def test_stored_outputs_are_compared_like_nbval():
    rules = gc._sanitizers()
    stored = [{"output_type": "stream", "name": "stdout", "text": "shape (2, 3) at 0x7f5571187\n"}]
    same = [
        {"output_type": "stream", "name": "stdout", "text": ["shape (2, 3) ", "at 0xdeadbeef  \n"]},
        {"output_type": "stream", "name": "stderr", "text": "a warning\n"},  # not compared
    ]
    assert gc._output_text(stored, rules) == gc._output_text(same, rules)
    other = [{"output_type": "execute_result", "data": {"text/plain": "tensor([1, 2])"}}]
    assert gc._output_text(other, rules) == "tensor([1, 2])"
    run = gc.Run("01-tensors", NB, "solution", "gpu")
    diff = {"index": 7, "stored": "tensor([1, 2])", "got": "tensor([1, 2], device='cuda:0')"}
    gc.judge(run, _result(output_diffs=[diff], checked_outputs=3), dry_run=False)
    assert run.status == "failed"
    assert run.checked_outputs == 3
    assert "cell 7: its # NBVAL_CHECK_OUTPUT output differs" in run.problems[0]


def test_wheel_tags():
    assert gc._usable("nbclient-0.11.0-py3-none-any.whl", "3.12.3")
    assert gc._usable("pyzmq-27.3.0-cp312-abi3-manylinux_2_28_x86_64.whl", "3.13.1")
    assert not gc._usable("pyzmq-27.3.0-cp312-abi3-manylinux_2_28_x86_64.whl", "3.11.7")
    assert gc._usable("rpds_py-1-cp311-cp311-manylinux_2_17_x86_64.whl", "3.11.7")
    assert not gc._usable("rpds_py-1-cp311-cp311-manylinux_2_17_x86_64.whl", "3.12.3")
    assert gc._wheel_name("rpds_py-1-cp311-cp311-x.whl") == "rpds-py"
    assert gc._cp_tag("3.12.3") == "cp312"


def test_size_table():
    manifest = {
        "groups": {"jupyter": {"pyzmq": "1"}, "tool": {"pip": "2"}},
        "python_versions": ["3.12.3"],
        "files": [
            {"file": "pyzmq-1-cp312-cp312-manylinux_2_28_x86_64.whl", "bytes": 1_000_000, "group": "jupyter"},
            {"file": "pyzmq-1-cp311-cp311-manylinux_2_28_x86_64.whl", "bytes": 1_000_000, "group": "jupyter"},
            {"file": "pip-2-py3-none-any.whl", "bytes": 2_500_000, "group": "tool"},
        ],
        "total_bytes": 4_500_000,
    }  # fmt: skip
    table = gc.size_table(manifest)
    assert "| jupyter | 1 | 2 | 2.0 |" in table
    assert "| **total** | | 3 | **4.5** |" in table
    assert "What CPython 3.12.3 installs from them: 3.5 MB of wheels." in table


def test_resolve_groups_carries_only_what_the_gpu_image_lacks():
    groups, skipped = gc.resolve_groups(["3.12.3"])
    assert {"nbclient", "nbformat", "ipykernel", "pyzmq", "jupyter-client"} <= set(
        groups["jupyter"]
    )
    assert groups["course"] == {"mlxtend": groups["course"]["mlxtend"]}
    assert {"nbgrader", "nbconvert", "sqlalchemy", "jupyter-server"} <= set(groups["grader"])
    carried = {name for group in groups.values() for name in group}
    assert not carried & {"numpy", "torch", "lightning", "matplotlib", "scikit-learn", "psutil"}
    assert not carried & {"jupyterlab", "notebook", "debugpy", "anyio"}  # not needed to grade
    assert "debugpy" in skipped


def test_find_notebooks_lists_the_pytorch_notebooks():
    found = gc.find_notebooks()
    assert all("pytorch" in nb or "lightning" in nb for _, nb in found)
    assert ("01-tensors", NB) in found
    assert gc.find_notebooks(["01-tensors"]) == [("01-tensors", NB)]
    with pytest.raises(gc.CheckError, match="no such assignment"):
        gc.find_notebooks(["99-nothing"])
    plan = gc.plan_runs(found)
    assert len(plan) == 4 * len(found)
    assert [(r.kind, r.slot) for r in plan[:4]] == [
        ("solution", "gpu"), ("solution", "cpu"), ("blank", "gpu"), ("blank", "cpu"),
    ]  # fmt: skip


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.torch
def test_cpu_dry_run_of_01_tensors_writes_a_passing_report(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "run", "--cpu-dry-run", "--only", "01-tensors",
         "--no-install", "--jobs", "2", "--out", str(out), "--workdir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = json.loads((out / "gpu-check.json").read_text())
    assert report["dry_run"] is True
    assert report["result"] == "PASSED"
    assert [
        (r["notebook"], r["kind"], r["gpu_status"], r["cpu_status"]) for r in report["rows"]
    ] == [
        (f"01-tensors/{NB}", "solution", "passed", "passed"),
        (f"01-tensors/{NB}", "blank", "passed", "passed"),
    ]
    assert all(r["fast_mode"] is None or r["fast_mode"] == "False" for r in report["runs"])
    solution = [r for r in report["runs"] if r["kind"] == "solution"]
    assert all(r["checked_outputs"] >= 3 for r in solution)  # stored outputs compared
    grading = report["grading"]
    assert grading["method"] == "nnfw grade"
    assert [(s["student"], s["ok"]) for s in grading["students"]] == [
        ("solved", True),
        ("blank", True),
    ]
    assert grading["students"][0]["score"] == grading["students"][0]["max"] > 0
    assert grading["students"][1]["score"] == 0
    md = (out / "gpu-check.md").read_text()
    assert "(dry run on the CPU, not a GPU run)" in md
    assert f"| 01-tensors/{NB} | blank |" in md
    assert md in result.stdout  # the same report on stdout
    assert (out / "gpu-check.log").is_file()
    assert not (out / "gpu-check-failed-notebooks.tar.gz").exists()
