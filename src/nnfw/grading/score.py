"""Score: what happened to each task of an executed notebook, in plain words.

One classifier, :func:`task_outcomes`, serves both the grader (the worker, with the scores
nbgrader wrote to the gradebook) and the learner's ``nnfw check`` (without a gradebook: it
scores the test cells the way nbgrader does, :func:`nbgrader.utils.determine_grade`). A task
is one graded test cell together with the answer cells before it.

Statuses: ``passed``, ``failed``, ``not attempted`` (no answer cell of the task was changed),
``awaiting manual grading`` (a written answer, or any answer nbgrader cannot score by itself;
not a problem: the score is provisional until an instructor grades it in formgrader),
``graded by hand`` (after that, see :meth:`~nnfw.grading.results.StudentResult.apply_manual`),
``timed out``, ``kernel died``, ``not run``, ``stopped`` (a sandbox
limit), ``tampering`` (the anti-tamper guard did not vouch for the test).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nnfw.grading.course import short
from nnfw.grading.messages import TaskResult
from nnfw.grading.run.execution import CELL_TIMEOUT, KERNEL_DIED, LIMIT, NOT_RUN, NOTEBOOK_TIMEOUT
from nnfw.grading.run.guard import TAMPERED

_STOPPED = (LIMIT, NOTEBOOK_TIMEOUT)

#: A task that only a person can score (nbgrader: ``needs_manual_grade``).
AWAITING_MANUAL = "awaiting manual grading"
#: A task whose score an instructor entered (formgrader's manual score).
GRADED_BY_HAND = "graded by hand"
#: The grader's message on a written answer that waits for an instructor.
AWAITING_MESSAGE = "written answer: grade it by hand in formgrader"


@dataclass
class Scored:
    """The outcome of one executed notebook."""

    tasks: list[TaskResult] = field(default_factory=list)
    #: notebook-level problems (a cell that timed out, a dead kernel, a limit, tampering)
    problems: list[str] = field(default_factory=list)
    #: grade ids of locked or test cells whose source differs from the release
    edited_locked: list[str] = field(default_factory=list)


def errors(cell: Any) -> list[tuple[str, str]]:
    """The ``(ename, evalue)`` of each error output of a cell."""
    return [
        (str(o.get("ename", "Error")), str(o.get("evalue", "")))
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]


def describe(ename: str, evalue: str, timeout: int) -> str:
    """One line for an error: what a learner or an instructor needs to read."""
    if ename == CELL_TIMEOUT:
        return f"timed out after {timeout} s (an infinite loop?)"
    if ename in (KERNEL_DIED, NOT_RUN, LIMIT, NOTEBOOK_TIMEOUT, TAMPERED):
        return short(evalue, 300)
    return short(f"{ename}: {evalue}" if evalue else ename, 200)


def _status_of(ename: str | None) -> str:
    if ename == CELL_TIMEOUT:
        return "timed out"
    if ename == NOT_RUN:
        return "not run"
    if ename == KERNEL_DIED:
        return "kernel died"
    if ename in _STOPPED:
        return "stopped"
    if ename == TAMPERED:
        return "tampering"
    return "failed"


def _problem(where: str, ename: str, evalue: str, timeout: int) -> str | None:
    if ename == CELL_TIMEOUT:
        return f"{where} timed out after {timeout} s and was interrupted"
    if ename == KERNEL_DIED:
        return f"the kernel died in {where}; later cells were not run"
    if ename in (*_STOPPED, TAMPERED):
        return f"{where}: {short(evalue, 200)}"
    return None


def task_outcomes(
    nb: Any,
    timeout: int,
    grades: dict[str, Any] | None = None,
    *,
    answer_prefix: str = "your answer raised ",
) -> Scored:
    """Classify every task of the executed notebook ``nb``.

    ``grades`` maps a grade id to its gradebook record (``score``, ``max``: a
    :class:`~nnfw.grading.messages.CellGrade` or a dict); without it the test cells are
    scored as nbgrader would. ``answer_prefix`` starts the message when the learner's
    answer cell raised (the grader's feedback says "your answer raised ..."; ``nnfw check``
    shows the error alone).
    """
    from nbgrader.utils import compute_checksum

    out = Scored()
    answers: list[Any] = []
    for index, cell in enumerate(nb.cells):
        nbg = cell.metadata.get("nbgrader", {})
        cell_errors = errors(cell) if cell.cell_type == "code" else []
        where = f"cell {index + 1}" + (f" ('{nbg['grade_id']}')" if nbg.get("grade_id") else "")
        for ename, evalue in cell_errors:
            problem = _problem(where, ename, evalue, timeout)
            if problem is not None:
                out.problems.append(problem)
        checksum = nbg.get("checksum")
        is_test = bool(nbg.get("grade")) and not nbg.get("solution")
        if checksum and (is_test or nbg.get("locked")) and compute_checksum(cell) != checksum:
            out.edited_locked.append(str(nbg.get("grade_id")))
        if nbg.get("solution") and not nbg.get("grade"):
            answers.append(cell)
            continue
        if not nbg.get("grade"):
            continue
        out.tasks.append(_task(cell, nbg, answers, cell_errors, timeout, grades, answer_prefix))
        answers = []
    return out


def _task(
    cell: Any,
    nbg: dict[str, Any],
    answers: list[Any],
    cell_errors: list[tuple[str, str]],
    timeout: int,
    grades: dict[str, Any] | None,
    answer_prefix: str,
) -> TaskResult:
    from nbgrader.utils import compute_checksum, determine_grade

    grade_id = str(nbg["grade_id"])
    answered = [a for a in answers if "checksum" in a.metadata.nbgrader]
    attempted = True
    if answered:
        attempted = any(compute_checksum(a) != a.metadata.nbgrader["checksum"] for a in answered)
    if nbg.get("solution") and "checksum" in nbg:
        attempted = compute_checksum(cell) != nbg["checksum"]
    points = float(nbg.get("points", 0))
    if grades is None:
        score, max_score = (
            determine_grade(cell)
            if cell.cell_type == "code" or nbg.get("solution")
            else (None, points)
        )
        max_score = float(max_score if max_score is not None else points)
    else:
        grade = grades.get(grade_id)
        score = _field(grade, "score")
        max_score = float(_field(grade, "max", points))
    answer_errors = [e for a in answers for e in errors(a)]
    if score is None:
        status, message = AWAITING_MANUAL, AWAITING_MESSAGE if cell.cell_type == "markdown" else ""
    elif not attempted:
        status, message = "not attempted", ""
    elif score >= max_score:
        status, message = "passed", ""
    else:
        tampered = [e for e in cell_errors if e[0] == TAMPERED]
        causes = tampered or answer_errors or cell_errors
        cause = causes[0] if causes else None
        status = _status_of(cause[0] if cause else None)
        message = describe(*cause, timeout) if cause else "partial credit"
        if answer_errors and cause is answer_errors[0] and status == "failed":
            message = f"{answer_prefix}{message}"
    return TaskResult(
        id=grade_id,
        score=0.0 if score is None else float(score),
        max=max_score,
        status=status,
        message=message,
    )


def _field(record: Any, name: str, default: Any = None) -> Any:
    if record is None:
        return default
    if isinstance(record, dict):
        return record.get(name, default)
    return getattr(record, name, default)


def answer_fingerprints(nb: Any) -> dict[str, str]:
    """A hash of what the learner wrote for each task, keyed by the task's grade id.

    What a task's grade depends on: its answer cells and, for a written answer (a graded
    answer cell), the cell itself. A manual grade entered for one fingerprint still holds
    when a re-graded submission has the same one.
    """
    import hashlib

    out: dict[str, str] = {}
    answers: list[str] = []
    for cell in nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if nbg.get("solution"):
            answers.append(source.strip())
        if nbg.get("grade"):
            text = "\n\x00".join(answers)
            out[str(nbg.get("grade_id"))] = hashlib.sha256(text.encode("utf-8")).hexdigest()
            answers = []
    return out
