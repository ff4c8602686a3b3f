"""The grader's speed measures keep its results: skipped imports, the gradebook's schema
version, kernel threads, the watchdog's cheap memory reading and the early-started workers.

The speed itself is measured by ``benchmarks/grade_bench.py`` (see benchmarks/README.md),
not here: timings in a test would fail on a busy machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import nbformat
import psutil
import pytest

from nnfw.grading import pipeline, settings
from nnfw.grading.course import GradingError, Workspace
from nnfw.grading.nbgrader_setup import _alembic_head
from nnfw.grading.run import sandbox


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return out.stdout


def test_skipped_import_leaves_notebook_validation_working():
    code = """
import json, sys
from nnfw.grading.nbgrader_setup import skip_slow_imports
skip_slow_imports()
import nbformat
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
nbformat.validate(nb)
bad = nbformat.v4.new_notebook()
bad.cells = [{"cell_type": "code"}]
try:
    nbformat.validate(bad)
    caught = False
except nbformat.ValidationError:
    caught = True
print(json.dumps({"skipped": sys.modules.get("rfc3987_syntax", 0) is None, "caught": caught}))
"""
    assert json.loads(_run(code)) == {"skipped": True, "caught": True}


def test_skipping_changes_nothing_once_the_module_is_loaded():
    code = """
import sys, types
sys.modules["rfc3987_syntax"] = types.ModuleType("rfc3987_syntax")
from nnfw.grading.nbgrader_setup import skip_slow_imports
skip_slow_imports()
print(sys.modules["rfc3987_syntax"] is not None)
"""
    assert _run(code).strip() == "True"


def test_gradebook_schema_version_matches_nbgrader_own_answer():
    # nbgrader's way: an `alembic heads` subprocess (slow, so compared once here)
    code = "import nbgrader.api as api; print(api.get_alembic_version())"
    assert _alembic_head() == _run(code).strip()


def test_new_gradebook_records_the_schema_version(tmp_path):
    from nbgrader.api import Gradebook
    from sqlalchemy import text

    from nnfw.grading.nbgrader_setup import fast_gradebook_creation

    fast_gradebook_creation()
    fast_gradebook_creation()  # idempotent
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        version = gb.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == _alembic_head()


def test_kernels_share_the_cores(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "default_jobs", lambda: 8)
    assert [settings.kernel_threads(j) for j in (1, 2, 3, 8, 16)] == [8, 4, 2, 1, 1]
    for name in settings.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    env = pipeline.kernel_env(settings.GradeSettings(), 2)
    assert {name: env[name] for name in settings.THREAD_VARIABLES} == dict.fromkeys(
        settings.THREAD_VARIABLES, "4"
    )
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the instructor's choice is kept as it is
    env = pipeline.kernel_env(settings.GradeSettings(), 2)
    assert env["OMP_NUM_THREADS"] == "3"
    assert "MKL_NUM_THREADS" not in env


def _watch(monkeypatch, memory_mb: int) -> tuple[list[str], int]:
    calls = []
    real = sandbox._memory

    def counting(proc):
        calls.append(proc.pid)
        return real(proc)

    monkeypatch.setattr(sandbox, "_memory", counting)
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; x = bytearray(50 * 2**20); time.sleep(1.5)"]
    )
    verdict: list[str] = []
    try:
        sandbox._watch(proc, sandbox.Limits(memory_mb=memory_mb), "none", verdict)
    finally:
        proc.kill()
        proc.wait()
    return verdict, len(calls)


def test_watchdog_reads_the_costly_memory_figure_only_near_the_limit(monkeypatch):
    verdict, pss_reads = _watch(monkeypatch, memory_mb=4096)
    assert verdict == []
    assert pss_reads == 0
    verdict, pss_reads = _watch(monkeypatch, memory_mb=20)  # the process holds 50 MB
    assert pss_reads >= 1
    assert verdict
    assert "more than 20 MB of memory" in verdict[0]


def _workers() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            command = " ".join(child.cmdline())  # Dask's worker processes (or their title)
            if "spawn_main" in command or command.startswith("dask worker"):
                found.append(child)
        except psutil.Error:
            pass
    return found


def test_workers_started_early_are_stopped_when_set_up_fails(tmp_path):
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "same",
        "locked": False,
        "points": 1,
        "schema_version": 3,
        "solution": False,
    }
    twin = nbformat.v4.new_code_cell("y = 2", metadata=json.loads(json.dumps(cell.metadata)))
    nb = nbformat.v4.new_notebook(cells=[cell, twin])  # two cells with one grade id
    (tmp_path / "solutions" / "a1").mkdir(parents=True)
    nbformat.write(nb, tmp_path / "solutions" / "a1" / "nb.ipynb")
    (tmp_path / "subs" / "s1").mkdir(parents=True)
    nbformat.write(nb, tmp_path / "subs" / "s1" / "nb.ipynb")
    with pytest.raises(GradingError, match="could not generate assignment"):
        pipeline.grade(
            tmp_path / "subs",
            Workspace(tmp_path / "ws"),
            tmp_path / "solutions",
            settings.GradeSettings(assignment="a1", jobs=2),
            progress=lambda _line: None,
        )
    deadline = time.monotonic() + 30
    while _workers() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _workers() == []
