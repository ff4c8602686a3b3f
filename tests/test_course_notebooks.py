"""Blank learner notebooks in course/: a learner who runs every cell sees only task cells fail.

Each notebook in ``course/*/`` runs top to bottom in a fresh kernel (errors allowed, so every
cell runs). A cell may fail only if it belongs to a task: an nbgrader answer cell
(``solution: true``, still the stub) or a graded test cell (``grade: true``). Any other failing
cell fails the test with its index, id and error. Every task cell carries the
``raises-exception`` tag (so JupyterLab's Run All goes on), every failing task cell says in one
line "Task N: not answered yet" for its own task (no traceback), and the last cell's report card
lists every task as not answered yet. Runs in learner mode (``NNFW_FAST=0`` unless
NNFW_FAST is set), in a temporary copy of the assignment folder, and the run time goes into the
notebook run-time report (conftest.py).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from nnfw.authoring.notebooks import cell_source, execute, framework_of
from nnfw.grading.nbio import read_notebook
from nnfw.learner.selfcheck import task_number

ROOT = Path(__file__).resolve().parents[1]
COURSE = sorted((ROOT / "course").glob("*/*.ipynb"))


def _param(path: Path):
    framework = framework_of(path)
    marks = [pytest.mark.notebook, pytest.mark.slow]
    if framework:
        marks.append(getattr(pytest.mark, framework))
    return pytest.param(path, id=path.relative_to(ROOT / "course").as_posix(), marks=marks)


def is_task_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("solution") or meta.get("grade"))


@pytest.mark.parametrize("path", [_param(p) for p in COURSE])
def test_blank_notebook_fails_only_in_task_cells(path, tmp_path, request):
    work = tmp_path / path.parent.name
    shutil.copytree(path.parent, work)
    nb = read_notebook(work / path.name)
    env = {} if os.environ.get("NNFW_FAST") is not None else {"NNFW_FAST": "0"}
    start = time.perf_counter()
    execute(nb, work, timeout=300, env=env, allow_errors=True)
    seconds = time.perf_counter() - start
    mode = "fast" if (env or os.environ).get("NNFW_FAST", "0").strip() in {"1", "true"} else "full"
    request.node.user_properties.append(
        (
            "nnfw_notebook_run",
            {
                "notebook": path.relative_to(ROOT).as_posix(),
                "kind": "blank",
                "seconds": seconds,
                "mode": mode,
            },
        )
    )
    failing, task_failures = [], 0
    for index, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            continue
        if is_task_cell(cell):
            task_failures += 1
            task = task_number(cell.metadata.nbgrader.get("grade_id", ""))
            shown = errors[0].get("traceback", [])
            assert len(shown) == 1, f"cell {index}: a traceback, not one line: {shown}"
            assert shown[0].startswith(f"Task {task}: not answered yet"), (
                f"cell {index} ({cell.metadata.nbgrader.get('grade_id')}): {shown[0][:200]}"
            )
            continue
        first_line = (cell_source(cell).strip().splitlines() or [""])[0]
        failing.append(
            f"cell {index} (id {cell.get('id', '?')}, `{first_line[:60]}`): "
            f"{errors[0].get('ename')}: {errors[0].get('evalue')}"
        )
    assert not failing, (
        f"course/{path.parent.name}/{path.name}: cells outside the tasks fail in the blank "
        "notebook (a learner running all would see them):\n  " + "\n  ".join(failing)
    )
    assert task_failures, f"{path.name}: no task cell fails in the blank notebook; is it solved?"
    untagged = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and is_task_cell(cell)
        and "raises-exception" not in cell.metadata.get("tags", [])
    ]
    assert not untagged, f"task cells without the raises-exception tag: {untagged}"
    last = nb.cells[-1]
    assert cell_source(last).strip() == "nnfw.check_my_work()", "the last cell is the self-check"
    card = "".join(o.get("text", "") for o in last.get("outputs", []))
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and is_task_cell(c)]
    for cell in tests:
        task = task_number(cell.metadata.nbgrader["grade_id"])
        assert f"Task {task} (" in card, f"no line for task {task} in the report card:\n{card}"
    assert card.count("not answered yet") == len(tests), card
    assert "hidden tests" in card
