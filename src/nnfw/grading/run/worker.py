"""Grade one notebook of one student on a Dask worker: :func:`grade_notebook`.

The job (:class:`~nnfw.grading.messages.NotebookJob`) carries everything as bytes: the
student's cleaned notebook, the assignment's source folder (with the hidden tests), an empty
template gradebook and the course's nbgrader settings, so a worker needs no shared file
system. The worker writes them into a private folder of its own, a small nbgrader course
directory::

    gradebook.db                  the template gradebook (knows the assignment, no student)
    nbgrader_config.py            the course's settings, when it has some
    source/<assignment>/          the source notebooks and files
    submitted/<student>/<assignment>/<notebook>.ipynb

runs nbgrader's autograde there for that one notebook, reads the scores back from that
private gradebook, classifies each task (:func:`nnfw.grading.score.task_outcomes`) and
returns a :class:`~nnfw.grading.messages.NotebookGrade` with the autograded files as bytes.
The folder is then deleted. It never touches the instructor's gradebook: the coordinator
merges the result (:mod:`nnfw.grading.gradebook`).

The worker is trusted (it runs the grader's code only); it never runs learner code. The
notebook's kernel runs in a sandbox (:class:`~nnfw.grading.run.preprocessors.SandboxedExecute`)
that sees a throw-away copy of the student's folder and nothing of the private course
directory. The sandbox mode is resolved here, on the worker's machine: ``auto`` means
bubblewrap where it works *there*.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

from nnfw.grading.course import COURSE_ID, GradingError, short
from nnfw.grading.messages import CellGrade, NotebookGrade, NotebookJob
from nnfw.grading.nbgrader_setup import course_directory_config


def _write_tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = (root / rel).resolve()
        if not path.is_relative_to(root.resolve()):  # never outside the job's folder
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _read_tree(root: Path) -> dict[str, bytes]:
    if not root.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def autograde_config(job: NotebookJob, root: Path, mode: str) -> Any:
    """Return the nbgrader Config that grades ``job`` in the course directory ``root``."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute
    from traitlets.config import Config

    from nnfw.grading.run.preprocessors import SandboxedExecute, StderrToStdout

    base = Config()
    config_file = root / "nbgrader_config.py"
    if config_file.is_file():
        from traitlets.config.loader import PyFileConfigLoader

        base = PyFileConfigLoader(config_file.name, path=str(root)).load_config()
    cfg = course_directory_config(base, root, f"sqlite:///{root / 'gradebook.db'}")
    cfg.CourseDirectory.assignment_id = job.assignment
    cfg.CourseDirectory.student_id = job.student
    cfg.CourseDirectory.notebook_id = job.notebook
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
    limits = job.settings.limits
    # nbgrader config keys apply per class: Execute settings must reach the subclass too
    for section in ("Execute", "SandboxedExecute"):
        cfg[section].timeout = limits.cell_timeout
        cfg[section].interrupt_on_timeout = True
    sandboxed = cfg.SandboxedExecute
    sandboxed.limits = limits.to_dict()
    sandboxed.sandbox = mode
    sandboxed.guard = job.settings.guard
    sandboxed.kernel_env = dict(job.kernel_env)
    sandboxed.job_limit = job.limit
    sandboxed.gpu = job.gpu
    return cfg


def read_grades(
    db_url: str, assignment: str, student: str, notebook: str
) -> tuple[dict[str, CellGrade], dict[str, str | None]]:
    """Return the graded cells and the comments of one notebook from a gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url, COURSE_ID) as gb:
        try:
            graded = gb.find_submission_notebook(notebook, assignment, student)
        except MissingEntry:
            return {}, {}
        cells = {
            g.name: CellGrade(
                score=g.auto_score,
                max=float(g.max_score),
                needs_manual_grade=bool(g.needs_manual_grade),
            )
            for g in graded.grades
        }
        comments = {c.name: c.auto_comment for c in graded.comments}
    return cells, comments


def grade_notebook(job: NotebookJob) -> NotebookGrade:
    """Grade ``job``; never raises (a failure is the result's ``failure``)."""
    start = time.monotonic()
    result = NotebookGrade(student=job.student, notebook=job.notebook, worker=_worker_name())
    root = Path(tempfile.mkdtemp(prefix="nnfw-job-"))
    chatter = io.StringIO()
    try:  # nbgrader's prints and warnings go to the log, not the worker's terminal
        with (
            warnings.catch_warnings(record=True) as caught,
            contextlib.redirect_stdout(chatter),
            contextlib.redirect_stderr(chatter),
        ):
            warnings.simplefilter("always")
            _grade(job, root, result)
        result.log += [f"warning: {w.category.__name__}: {w.message}" for w in caught]
    except Exception as exc:  # noqa: BLE001 - a grader bug costs this notebook, not the batch
        result.failure = f"the grader crashed ({type(exc).__name__}: {short(exc, 200)})"
        result.log.append(traceback.format_exc())
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result.log += chatter.getvalue().splitlines()
    result.seconds = time.monotonic() - start
    return result


def _grade(job: NotebookJob, root: Path, result: NotebookGrade) -> None:
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from nnfw.grading.nbgrader_setup import captured_nbgrader_log, summarize_log
    from nnfw.grading.nbio import read_notebook
    from nnfw.grading.run.sandbox import resolve_mode
    from nnfw.grading.score import task_outcomes

    try:
        mode, note = resolve_mode(job.settings.sandbox)
    except GradingError as exc:
        result.failure = f"not graded: {exc}"
        return
    result.sandbox, result.sandbox_note = mode, note
    (root / "gradebook.db").write_bytes(job.template_db)
    if job.config_text:
        (root / "nbgrader_config.py").write_text(job.config_text, encoding="utf-8")
    _write_tree(root / "source" / job.assignment, job.source)
    _write_tree(root / "submitted" / job.student / job.assignment, job.submitted)
    cfg = autograde_config(job, root, mode)
    failure: Exception | None = None
    with captured_nbgrader_log() as log:
        try:
            Autograde(coursedir=CourseDirectory(config=cfg), config=cfg).start()
        except Exception as exc:  # noqa: BLE001 - nbgrader's own errors become a reason
            failure = exc
    result.log += [f"[{job.notebook}] {line}" for line in log]
    if failure is not None:
        result.problems.append(
            "nbgrader could not grade it: " + short(summarize_log(log) or failure, 300)
        )
    result.cells, result.comments = read_grades(
        f"sqlite:///{root / 'gradebook.db'}", job.assignment, job.student, job.notebook
    )
    autograded = root / "autograded" / job.student / job.assignment
    result.autograded = _read_tree(autograded)
    path = autograded / f"{job.notebook}.ipynb"
    if path.is_file() and not result.problems:
        result.graded = True
        try:
            scored = task_outcomes(
                read_notebook(path), job.settings.limits.cell_timeout, result.cells
            )
        except Exception as exc:  # noqa: BLE001 - analysis is a bonus; the scores are in
            result.problems.append(f"could not analyse the graded notebook: {exc}")
        else:
            result.tasks = scored.tasks
            result.problems += scored.problems


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"


def warm_up() -> None:
    """Import what grading needs (nbgrader, nbconvert), so the first job does not pay it."""
    from nnfw.grading.nbgrader_setup import fast_gradebook_creation, skip_slow_imports

    skip_slow_imports()
    import nbgrader.api
    import nbgrader.converters  # noqa: F401

    fast_gradebook_creation()


#: Dask's statistical profiler samples the worker thread's stack every 10 ms; on a grading
#: worker that costs about a sixth of the nbgrader work per notebook (benchmarks/README.md)
#: and nobody reads its profiles.
_PROFILER_CALLBACKS = ("profile", "profile-cycle")


def dask_setup(worker: Any) -> None:
    """Dask's preload hook (``dask worker ... --preload nnfw.grading.run.worker``): import
    nbgrader now, and switch the worker's profiler off."""
    for name in _PROFILER_CALLBACKS:
        callback = worker.periodic_callbacks.pop(name, None)
        if callback is not None:
            callback.stop()
    warm_up()
