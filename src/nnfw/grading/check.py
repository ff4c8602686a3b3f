"""``nnfw check NOTEBOOK``: the learner's self-check.

Runs the notebook as the grader would (same fast mode, same tolerance for warnings on
stderr) and reports each task: passed, failed (with the message), or not answered yet. Only the
visible tests are in a learner's notebook, so passing here is necessary, not sufficient: the
grader adds hidden tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnfw.config import temporary_env
from nnfw.grading.course import DEFAULT_TIMEOUT, GradingError, short

#: What nbgrader's Validate sets while running a notebook (fast mode follows it).
_ENV = {"NBGRADER_EXECUTION": "validate", "NBGRADER_VALIDATING": "1"}


@dataclass
class TaskCheck:
    """The outcome of one task's test cell."""

    task: str
    points: float
    status: str  # "passed", "failed", "not answered yet"
    message: str = ""


def _errors(cell: Any) -> list[tuple[str, str]]:
    return [
        (str(o.get("ename", "Error")), str(o.get("evalue", "")))
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]


def analyse(nb: Any, timeout: int) -> tuple[list[TaskCheck], list[str]]:
    """Return the task outcomes and warnings of an executed notebook."""
    from nbgrader.utils import compute_checksum, determine_grade

    from nnfw.grading.preprocessors import KERNEL_DIED, NOT_RUN

    tasks: list[TaskCheck] = []
    warnings: list[str] = []
    answers: list[Any] = []
    for cell in nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if not nbg:
            continue
        checksum = nbg.get("checksum")
        is_test = nbg.get("grade") and not nbg.get("solution")
        if checksum and (is_test or nbg.get("locked")) and compute_checksum(cell) != checksum:
            warnings.append(
                f"you changed the locked cell '{nbg.get('grade_id')}'; the grader uses the original"
            )
        if nbg.get("solution") and not nbg.get("grade"):
            answers.append(cell)
            continue
        if not nbg.get("grade"):
            continue
        attempted = True
        with_sum = [a for a in answers if a.metadata.nbgrader.get("checksum")]
        if with_sum:
            attempted = any(
                compute_checksum(a) != a.metadata.nbgrader["checksum"] for a in with_sum
            )
        points = float(nbg.get("points", 0))
        score, _ = determine_grade(cell) if cell.cell_type == "code" else (None, points)
        errors = [e for a in answers for e in _errors(a)] + _errors(cell)
        if not attempted:
            status, message = "not answered yet", ""
        elif score is not None and score >= points:
            status, message = "passed", ""
        else:
            status = "failed"
            ename, evalue = errors[0] if errors else ("", "partial credit")
            if ename == "CellTimeoutError":
                message = f"timed out after {timeout} s (an infinite loop?)"
            elif ename in (KERNEL_DIED, NOT_RUN):
                message = evalue
            else:
                message = short(f"{ename}: {evalue}" if ename else evalue, 200)
        tasks.append(TaskCheck(str(nbg.get("grade_id")), points, status, message))
        answers = []
    return tasks, warnings


def check_notebook(path: Path, timeout: int = DEFAULT_TIMEOUT) -> tuple[list[TaskCheck], list[str]]:
    """Run ``path`` (in its own folder) and return its task outcomes and warnings."""
    import nbformat

    from nnfw.grading.importer import parse_notebook
    from nnfw.grading.preprocessors import GuardedExecute, StderrToStdout

    if not path.is_file():
        msg = f"{path} not found: give the path of a course notebook, e.g. course/01-tensors/tensors_pytorch.ipynb"
        raise GradingError(msg)
    raw, why = parse_notebook(path.read_bytes())
    if raw is None:
        msg = f"{path} {why}. Restore it from course/ (or your last checkpoint) and retry."
        raise GradingError(msg)
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8-sig"), as_version=4)
    except Exception as exc:  # noqa: BLE001
        msg = f"{path} cannot be read by nbformat ({short(exc, 120)})"
        raise GradingError(msg) from None
    if not any(c.metadata.get("nbgrader", {}).get("grade") for c in nb.cells):
        msg = f"{path} has no graded tasks: check one of the notebooks in course/"
        raise GradingError(msg)
    executor = GuardedExecute(timeout=timeout, interrupt_on_timeout=True, allow_errors=True)
    with temporary_env(_ENV):
        nb, _ = executor.preprocess(nb, {"metadata": {"path": str(path.parent.resolve())}})
    nb, _ = StderrToStdout().preprocess(nb, {})
    return analyse(nb, timeout)
