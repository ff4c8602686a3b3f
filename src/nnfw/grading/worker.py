"""Grade one student in isolation: ``python -m nnfw.grading.worker JOBDIR``.

The parent (:mod:`nnfw.grading.autograde`) prepares ``JOBDIR`` as a small nbgrader course
directory of its own::

    job.json                      assignment, student, notebooks, timeout, settings
    gradebook.db                  a copy of the assignment's empty template gradebook
    source/<assignment>/          the source notebooks (with hidden tests)
    submitted/<student>/<assignment>/*.ipynb

and this process runs nbgrader's autograde there, one notebook at a time (so one notebook's
failure cannot take the other's grade with it), then writes ``result.json`` (scores per
graded cell, per-task outcomes with messages, problems) and leaves the graded notebooks in
``autograded/``. It never touches the instructor's gradebook: the parent merges the result.

This process is trusted (it runs the grader's code only); it never runs learner code. Each
notebook's kernel runs in a sandbox (:class:`~nnfw.grading.preprocessors.SandboxedExecute`,
:mod:`nnfw.grading.sandbox`) that sees a throw-away copy of the student's folder and nothing
of ``JOBDIR``: not this gradebook copy, not the source notebooks with the hidden tests.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any

from nnfw.grading.course import COURSE_ID, course_directory_config, short

TIMEOUT_ENAME = "CellTimeoutError"


def autograde_config(job: dict[str, Any], root: Path) -> Any:
    """Return the nbgrader Config that grades ``job`` in the course directory ``root``."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute
    from traitlets.config import Config

    from nnfw.grading.preprocessors import SandboxedExecute, StderrToStdout

    base = Config()
    if job.get("config_file"):
        from traitlets.config.loader import PyFileConfigLoader

        path = root / job["config_file"]
        base = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    cfg = course_directory_config(base, root, f"sqlite:///{root / 'gradebook.db'}")
    cfg.CourseDirectory.assignment_id = job["assignment"]
    cfg.CourseDirectory.student_id = job["student"]
    steps: list[Any] = []
    for step in Autograde.class_traits()["autograde_preprocessors"].default():
        if step is Execute:
            steps += [SandboxedExecute, StderrToStdout]
        else:
            steps.append(step)
    if ClearMetadataPreprocessor not in steps:  # pragma: no cover - nbgrader changed
        steps.insert(2, ClearMetadataPreprocessor)
    cfg.Autograde.autograde_preprocessors = steps
    cfg.Autograde.force = True
    cfg.Autograde.create_student = True
    # nbgrader config keys apply per class: Execute settings must reach the subclass too
    for section in ("Execute", "SandboxedExecute"):
        cfg[section].timeout = int(job["timeout"])
        cfg[section].interrupt_on_timeout = True
    sandboxed = cfg.SandboxedExecute
    sandboxed.max_output_chars = int(job.get("max_output_chars", 2_000_000))
    sandboxed.notebook_timeout = int(job.get("notebook_timeout", 1800))
    sandboxed.memory_mb = int(job.get("memory_mb", 4096))
    sandboxed.max_processes = int(job.get("max_processes", 64))
    sandboxed.sandbox = str(job.get("sandbox", "bwrap"))
    sandboxed.guard = bool(job.get("guard", True))
    return cfg


def _errors(cell: Any) -> list[tuple[str, str]]:
    return [
        (str(o.get("ename", "Error")), str(o.get("evalue", "")))
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]


def _describe(ename: str, evalue: str, timeout: int) -> str:
    from nnfw.grading.guard import TAMPERED
    from nnfw.grading.preprocessors import KERNEL_DIED, LIMIT, NOT_RUN, NOTEBOOK_TIMEOUT

    if ename == TIMEOUT_ENAME:
        return f"timed out after {timeout} s (an infinite loop?)"
    if ename in (KERNEL_DIED, NOT_RUN, LIMIT, NOTEBOOK_TIMEOUT, TAMPERED):
        return short(evalue, 300)
    return short(f"{ename}: {evalue}" if evalue else ename, 200)


def analyse_notebook(path: Path, grades: dict[str, dict[str, Any]], timeout: int) -> dict[str, Any]:
    """Return per-task outcomes and notebook-level problems from an autograded notebook."""
    from nbgrader.utils import compute_checksum

    from nnfw.grading.guard import TAMPERED
    from nnfw.grading.nbio import read_notebook
    from nnfw.grading.preprocessors import KERNEL_DIED, LIMIT, NOTEBOOK_TIMEOUT

    nb = read_notebook(path)
    tasks: list[dict[str, Any]] = []
    problems: list[str] = []
    answers: list[Any] = []
    for index, cell in enumerate(nb.cells):
        nbg = cell.metadata.get("nbgrader", {})
        errors = _errors(cell) if cell.cell_type == "code" else []
        where = f"cell {index + 1}" + (f" ('{nbg['grade_id']}')" if nbg.get("grade_id") else "")
        for ename, _evalue in errors:
            if ename == TIMEOUT_ENAME:
                problems.append(f"{where} timed out after {timeout} s and was interrupted")
            elif ename == KERNEL_DIED:
                problems.append(f"the kernel died in {where}; later cells were not run")
            elif ename in (LIMIT, NOTEBOOK_TIMEOUT, TAMPERED):
                problems.append(f"{where}: {short(_evalue, 200)}")
        if nbg.get("solution") and not nbg.get("grade"):
            answers.append(cell)
            continue
        if not nbg.get("grade"):
            continue
        grade_id = nbg["grade_id"]
        answered = [a for a in answers if "checksum" in a.metadata.nbgrader]
        attempted = True
        if answered:
            attempted = any(
                compute_checksum(a) != a.metadata.nbgrader["checksum"] for a in answered
            )
        if nbg.get("solution") and "checksum" in nbg:
            attempted = compute_checksum(cell) != nbg["checksum"]
        grade = grades.get(grade_id, {})
        score, max_score = grade.get("score"), float(grade.get("max", nbg.get("points", 0)))
        answer_errors = [e for a in answers for e in _errors(a)]
        if score is None:
            status, message = "needs manual grading", ""
        elif not attempted:
            status, message = "not attempted", ""
        elif score >= max_score:
            status, message = "passed", ""
        else:
            tampered = [e for e in errors if e[0] == TAMPERED]
            cause = (
                tampered[0]
                if tampered
                else (answer_errors[0] if answer_errors else (errors[0] if errors else None))
            )
            if cause and cause[0] == TIMEOUT_ENAME:
                status = "timed out"
            elif cause and cause[0] in (KERNEL_DIED, "NotRun"):
                status = "not run" if cause[0] == "NotRun" else "kernel died"
            elif cause and cause[0] in (LIMIT, NOTEBOOK_TIMEOUT):
                status = "stopped"
            elif cause and cause[0] == TAMPERED:
                status = "tampering"
            else:
                status = "failed"
            message = _describe(*cause, timeout) if cause else "partial credit"
            if answer_errors and cause is answer_errors[0] and status == "failed":
                message = f"your answer raised {message}"
        tasks.append(
            {
                "id": grade_id,
                "score": 0.0 if score is None else float(score),
                "max": max_score,
                "status": status,
                "message": message,
            }
        )
        answers = []
    return {"tasks": tasks, "problems": problems}


def read_grades(db_url: str, assignment: str, student: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Return ``{notebook: {grade cell: {score, max, needs_manual_grade, comment}}}``."""
    from nbgrader.api import Gradebook, MissingEntry

    out: dict[str, dict[str, dict[str, Any]]] = {}
    with Gradebook(db_url, COURSE_ID) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return out
        for notebook in submission.notebooks:
            cells: dict[str, dict[str, Any]] = {}
            for grade in notebook.grades:
                cells[grade.name] = {
                    "score": grade.auto_score,
                    "max": float(grade.max_score),
                    "needs_manual_grade": bool(grade.needs_manual_grade),
                }
            comments = {c.name: c.auto_comment for c in notebook.comments}
            out[notebook.name] = {"cells": cells, "comments": comments}  # type: ignore[dict-item]
    return out


def run(jobdir: Path) -> dict[str, Any]:
    """Grade the job in ``jobdir``; write and return its result."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from nnfw.grading.course import captured_nbgrader_log, summarize_log

    job = json.loads((jobdir / "job.json").read_text(encoding="utf-8"))
    assignment, student, timeout = job["assignment"], job["student"], int(job["timeout"])
    cfg = autograde_config(job, jobdir)
    result: dict[str, Any] = {"assignment": assignment, "student": student, "notebooks": {}}
    log_lines: list[str] = []
    for name in job["notebooks"]:
        entry: dict[str, Any] = {"problems": [], "tasks": [], "graded": False}
        result["notebooks"][name] = entry
        cfg.CourseDirectory.notebook_id = name
        failure = None
        with captured_nbgrader_log() as log:
            try:
                coursedir = CourseDirectory(config=cfg)
                Autograde(coursedir=coursedir, config=cfg).start()
            except Exception as exc:  # noqa: BLE001 - a failure here must not lose the other notebook
                failure = exc
        log_lines += [f"[{name}] {line}" for line in log]
        if failure is not None:
            entry["problems"].append(
                "nbgrader could not grade it: " + short(summarize_log(log) or failure, 300)
            )
    grades = read_grades(f"sqlite:///{jobdir / 'gradebook.db'}", assignment, student)
    for name, entry in result["notebooks"].items():
        nb_grades = grades.get(name, {"cells": {}, "comments": {}})
        entry["cells"] = nb_grades["cells"]
        entry["comments"] = nb_grades["comments"]
        path = jobdir / "autograded" / student / assignment / f"{name}.ipynb"
        if path.is_file() and not entry["problems"]:
            entry["graded"] = True
            try:
                analysis = analyse_notebook(path, nb_grades["cells"], timeout)
                entry["tasks"] = analysis["tasks"]
                entry["problems"] += analysis["problems"]
            except Exception as exc:  # noqa: BLE001 - analysis is a bonus; grades are already in the db
                entry["problems"].append(f"could not analyse the graded notebook: {exc}")
    result["log"] = log_lines
    (jobdir / "result.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


def _grade_one(jobdir: Path) -> int:
    try:
        run(jobdir)
    except Exception:  # noqa: BLE001
        (jobdir / "crash.txt").write_text(traceback.format_exc(), encoding="utf-8")
        print(traceback.format_exc(), file=sys.stderr)
        return 1
    return 0


def serve() -> int:
    """``python -m nnfw.grading.worker --serve``: grade job folders named on stdin, one a line.

    A long-lived worker per ``--jobs`` slot pays Python's and nbgrader's start-up once, not
    once per student. For each job it sends its own output to ``JOBDIR/worker.log`` and
    answers ``<exit status> JOBDIR`` on a private copy of stdout.
    """
    import os

    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    for line in sys.stdin:
        if not line.strip():
            continue
        jobdir = Path(line.strip())
        sys.stdout.flush()
        sys.stderr.flush()
        log = os.open(jobdir / "worker.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        status = _grade_one(jobdir)
        sys.stdout.flush()
        sys.stderr.flush()
        answer.write(f"{status} {jobdir}\n")
        answer.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m nnfw.grading.worker JOBDIR`` (or ``--serve``)."""
    from nnfw.grading.course import skip_slow_imports

    skip_slow_imports()
    args = sys.argv[1:] if argv is None else argv
    if args == ["--serve"]:
        return serve()
    if len(args) != 1:
        print("usage: python -m nnfw.grading.worker JOBDIR | --serve", file=sys.stderr)
        return 2
    return _grade_one(Path(args[0]))


if __name__ == "__main__":
    sys.exit(main())
