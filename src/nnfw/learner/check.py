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
from nnfw.grading.course import GradingError, short
from nnfw.grading.settings import Limits

#: What nbgrader's Validate sets while running a notebook (fast mode follows it).
_ENV = {"NBGRADER_EXECUTION": "validate", "NBGRADER_VALIDATING": "1"}


@dataclass
class TaskCheck:
    """The outcome of one task's test cell."""

    task: str
    points: float
    status: str  # "passed", "failed", "not answered yet", "timed out", ..., WRITTEN
    message: str = ""
    #: a written answer (graded by hand), not a tested task
    written: bool = False


#: The learner's word for the grader's "not attempted".
NOT_ANSWERED = "not answered yet"


def analyse(nb: Any, timeout: int) -> tuple[list[TaskCheck], list[str]]:
    """Return the task outcomes and warnings of an executed notebook.

    The classification is the grader's own (:func:`nnfw.grading.score.task_outcomes`),
    scored the way nbgrader scores test cells; only the words are the learner's.
    """
    from nnfw.grading.score import AWAITING_MANUAL, task_outcomes
    from nnfw.learner.selfcheck import WRITTEN

    scored = task_outcomes(nb, timeout, answer_prefix="")
    warnings = [
        f"you changed the locked cell '{grade_id}'; the grader uses the original"
        for grade_id in scored.edited_locked
    ]
    words = {"not attempted": NOT_ANSWERED, AWAITING_MANUAL: WRITTEN}
    written = {
        c.metadata["nbgrader"].get("grade_id")
        for c in nb.cells
        if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
    }
    tasks = [
        TaskCheck(
            task.id,
            task.max,
            words.get(task.status, task.status),
            "" if task.status == AWAITING_MANUAL else task.message,
            written=task.id in written,
        )
        for task in scored.tasks
    ]
    return tasks, warnings


def check_notebook(
    path: Path, timeout: int = Limits.cell_timeout
) -> tuple[list[TaskCheck], list[str]]:
    """Run ``path`` (in its own folder) and return its task outcomes and warnings."""
    import nbformat

    from nnfw.grading.intake.repair import parse_notebook
    from nnfw.grading.run.preprocessors import GuardedExecute, StderrToStdout

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
