"""``nnfw grade``: import a folder of submissions, grade each student, keep every grade.

Each student is graded in a job folder of its own by a worker process
(:mod:`nnfw.grading.worker`; one long-lived worker per ``--jobs`` slot, started before the
workspace is set up, so start-up is paid once per slot and overlaps the set-up; a worker that
crashes or runs past the limit is killed and replaced), so a
crash, a hung kernel or a runaway notebook costs that student's affected part and nothing
else. Students are graded ``--jobs`` at a time (default: one per CPU core). The
learner code of each notebook runs in a sandbox (:mod:`nnfw.grading.sandbox`) that cannot see
the workspace, with limits on memory, processes and time, and anti-tamper guards before each
test (:mod:`nnfw.grading.guard`). This process is the only writer of the gradebook: it merges
each result as it arrives, replacing that student's previous grade only. Results, the table
and the progress lines (in student order) do not depend on ``--jobs``.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnfw.grading.course import (
    COURSE_ID,
    DEFAULT_TIMEOUT,
    IGNORED_NAMES,
    GradingError,
    Workspace,
    check_id,
    list_assignments,
    notebook_names,
    short,
)
from nnfw.grading.importer import NOTE, PROBLEM, Imported, Reason, find_entries, import_student
from nnfw.grading.report import NotebookResult, StudentResult, TaskResult, save_result

Progress = Callable[[str], None]

WORKSPACE_CONFIG = '''\
"""nbgrader settings for this grading workspace (written by `nnfw grade`; safe to delete).

This folder is an nbgrader course directory, so nbgrader's own tools work here for manual
grading, e.g. `cd {root} && nbgrader formgrader` or JupyterLab's Formgrader tab.
"""
import os

c = get_config()  # noqa: F821
_shared = {shared!r}
if _shared and os.path.exists(_shared):
    load_subconfig(_shared)  # noqa: F821  (the course's grader/nbgrader_config.py)
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")
'''


@dataclass
class GradeOptions:
    """How to grade: see ``nnfw grade --help``."""

    assignment: str
    timeout: int = DEFAULT_TIMEOUT
    require_both: bool = False
    jobs: int = 1
    student_timeout: int | None = None
    students: Sequence[str] = ()
    max_output_chars: int = 2_000_000
    notebook_timeout: int | None = None  # default: DEFAULT_NOTEBOOK_TIMEOUT
    memory_mb: int = 4096
    max_processes: int = 64
    sandbox: str = "auto"  # "auto", "bwrap" or "none"
    guard: bool = True


#: Default wall-clock limit for one notebook (seconds).
DEFAULT_NOTEBOOK_TIMEOUT = 1800


def default_jobs() -> int:
    """How many students to grade at once by default: the number of usable CPU cores."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def prepare_workspace(
    workspace: Workspace, source_root: Path, assignment: str, course_root: Path | None
) -> dict[str, Any]:
    """Copy the assignment's source into the workspace and record it in the gradebook.

    Returns the released notebooks (``{name: NotebookNode}``), which the importer checks
    submissions against.
    """
    from nnfw.grading.course import load_config
    from nnfw.grading.nbio import read_notebook
    from nnfw.grading.release import run_generate_assignment

    workspace.root.mkdir(parents=True, exist_ok=True)
    shared = ""
    if course_root is not None and (course_root / "grader" / "nbgrader_config.py").is_file():
        shared = str((course_root / "grader" / "nbgrader_config.py").resolve())
    (workspace.root / "nbgrader_config.py").write_text(
        WORKSPACE_CONFIG.format(root=workspace.root, shared=shared, course_id=COURSE_ID),
        encoding="utf-8",
    )
    config = load_config(course_root)
    source = workspace.step_dir("source", assignment=assignment)
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(source_root / assignment, source, ignore=shutil.ignore_patterns(*IGNORED_NAMES))
    # the workers' template: a gradebook that knows the assignment and no student
    template = workspace.nnfw_dir / "template" / assignment
    if template.exists():
        shutil.rmtree(template)
    (template / "source").mkdir(parents=True)
    shutil.copytree(source, template / "source" / assignment)
    run_generate_assignment(template, assignment, f"sqlite:///{template / 'gradebook.db'}", config)
    release = workspace.step_dir("release", assignment=assignment)
    if workspace.db_path.is_file():
        try:
            run_generate_assignment(workspace.root, assignment, workspace.db_url, config)
        except GradingError as exc:
            msg = (
                f"{exc} If the notebooks of {assignment} were renamed, added or removed after "
                f"grading began, use a fresh workspace (--workspace) or delete {workspace.root}."
            )
            raise GradingError(msg) from None
    else:  # a new workspace: its gradebook and release are the template's, as generated
        shutil.copy2(template / "gradebook.db", workspace.db_path)
        if release.exists():
            shutil.rmtree(release)
        shutil.copytree(template / "release" / assignment, release)
    return {name: read_notebook(release / f"{name}.ipynb") for name in notebook_names(release)}


def _max_points(nb: Any) -> float:
    return float(
        sum(
            float(c.metadata["nbgrader"].get("points", 0))
            for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")
        )
    )


def _read_result(jobdir: Path, returncode: int | None) -> tuple[dict[str, Any] | None, str]:
    result_file = jobdir / "result.json"
    if result_file.is_file():
        try:
            return json.loads(result_file.read_text(encoding="utf-8")), ""
        except ValueError:
            pass
    crash = jobdir / "crash.txt"
    detail = crash.read_text(encoding="utf-8").strip().splitlines()[-1] if crash.is_file() else ""
    code = f" (exit code {returncode})" if returncode is not None else ""
    return None, f"the grader crashed{code}{': ' + detail if detail else ''}"


class _Worker:
    """One long-lived ``python -m nnfw.grading.worker --serve`` per ``--jobs`` slot.

    It grades one job folder at a time; a job that runs past its limit, or a worker that
    dies, costs that student only: the worker is killed (its sandboxes die with it) and the
    next student gets a fresh one.
    """

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        """Start the worker process unless it is running."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "nnfw.grading.worker", "--serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )
        return self.proc

    def close_input(self) -> None:
        """Tell the worker that no more jobs come: it exits when idle."""
        if self.proc is not None and self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def stop(self, *, kill: bool = False) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if not kill:
                try:
                    assert proc.stdin is not None
                    proc.stdin.close()
                    proc.wait(timeout=30)
                    return
                except (OSError, subprocess.TimeoutExpired):
                    pass
            _kill_tree(proc.pid)
            proc.wait()
        finally:
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:
                        pass

    def grade(self, jobdir: Path, limit: int) -> tuple[dict[str, Any] | None, str]:
        """Grade one job; return ``(result, "")`` or ``(None, why it failed)``."""
        import select

        proc = self.start()
        assert proc.stdin is not None
        assert proc.stdout is not None
        try:
            proc.stdin.write(f"{jobdir}\n".encode())
            proc.stdin.flush()
        except OSError:
            self.stop(kill=True)
            return None, "the grader crashed before grading (could not start a worker)"
        deadline = time.monotonic() + limit
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop(kill=True)
                _kill_kernels(jobdir)
                return None, f"grading took longer than {limit} s and was stopped"
            ready, _, _ = select.select([proc.stdout], [], [], min(left, 5.0))
            if ready:
                line = proc.stdout.readline()
                if not line:  # the worker died
                    returncode = proc.wait()
                    self.stop(kill=True)
                    _kill_kernels(jobdir)
                    return _read_result(jobdir, returncode)
                if line.decode(errors="replace").strip().endswith(str(jobdir)):
                    return _read_result(jobdir, None)


def _kill_tree(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_kernels(jobdir: Path) -> None:
    """Stop kernels a killed worker left behind (they run in sessions of their own)."""
    try:
        out = subprocess.run(
            ["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=False, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return
    marker = str(jobdir)
    for line in out.splitlines():
        pid, _, args = line.strip().partition(" ")
        if "ipykernel_launcher" in args and marker in args:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError, ValueError):
                pass


#: Thread-count settings of the numerical libraries (OpenMP, MKL, OpenBLAS, TensorFlow).
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
)


def kernel_threads(jobs: int) -> int:
    """Threads each kernel may use when ``jobs`` notebooks run at once: the cores, shared.

    Two kernels that each start a thread per core on a two-core machine spend time
    spinning and switching instead of computing (the course's models are small).
    """
    return max(1, default_jobs() // max(1, jobs))


def _worker_env(jobs_root: Path, jobs: int = 1) -> dict[str, str]:
    env = dict(os.environ)
    if not any(name in env for name in THREAD_VARIABLES):  # the instructor's own choice wins
        env.update(dict.fromkeys(THREAD_VARIABLES, str(kernel_threads(jobs))))
    env["NNFW_FAST"] = env.get("NNFW_FAST") or "1"
    env["MPLBACKEND"] = "Agg"
    env["PYTHONUNBUFFERED"] = "1"
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    runtime = jobs_root / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    env["JUPYTER_RUNTIME_DIR"] = str(runtime)
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def _student_result(
    imported: Imported,
    assignment: str,
    releases: dict[str, Any],
    worker: dict[str, Any] | None,
    failure: str,
    require_both: bool,
) -> StudentResult:
    result = StudentResult(
        student=imported.student,
        assignment=assignment,
        origin=imported.origin,
        require_both=require_both,
        reasons=[r for r in imported.reasons if r.notebook is None],
    )
    for name, release in releases.items():
        nb = NotebookResult(name=name, max=_max_points(release))
        nb.reasons = [r for r in imported.reasons if r.notebook == name]
        nb.submitted = name in imported.notebooks
        if nb.submitted:
            if worker is None:
                nb.reasons.append(
                    Reason(PROBLEM, failure + "; scored 0 for now, re-grade it", name)
                )
            else:
                entry = worker["notebooks"].get(name, {})
                cells = entry.get("cells", {})
                nb.score = float(sum((c.get("score") or 0.0) for c in cells.values()))
                nb.graded = bool(entry.get("graded"))
                nb.tasks = [TaskResult(**t) for t in entry.get("tasks", [])]
                nb.reasons += [Reason(PROBLEM, p, name) for p in entry.get("problems", [])]
                if any(c.get("needs_manual_grade") for c in cells.values()):
                    nb.reasons.append(Reason(NOTE, "has cells to grade by hand (formgrader)", name))
        result.notebooks.append(nb)
    return result


def _merge(workspace: Workspace, result: StudentResult, worker: dict[str, Any] | None) -> None:
    """Replace this student's submission in the gradebook with ``result``."""
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    cells_by_nb = {
        name: entry.get("cells", {}) for name, entry in (worker or {}).get("notebooks", {}).items()
    }
    comments_by_nb = {
        name: entry.get("comments", {})
        for name, entry in (worker or {}).get("notebooks", {}).items()
    }
    failed = {nb.name for nb in result.notebooks if nb.submitted and worker is None}
    with warnings.catch_warnings(), Gradebook(workspace.db_url, COURSE_ID) as gb:
        # nbgrader's add_submission trips SQLAlchemy's autoflush warnings; they are harmless
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_student(result.student)
        try:
            gb.remove_submission(result.assignment, result.student)
        except MissingEntry:
            pass
        submission = gb.add_submission(result.assignment, result.student)
        for notebook in submission.notebooks:
            cells = cells_by_nb.get(notebook.name, {})
            for grade in notebook.grades:
                cell = cells.get(grade.name)
                if cell is None:
                    grade.auto_score = 0.0
                    grade.needs_manual_grade = notebook.name in failed
                else:
                    grade.auto_score = cell.get("score")
                    grade.needs_manual_grade = bool(cell.get("needs_manual_grade"))
            comments = comments_by_nb.get(notebook.name, {})
            for comment in notebook.comments:
                comment.auto_comment = comments.get(comment.name)
        gb.db.commit()


def grade(
    submissions: Path,
    workspace: Workspace,
    source_root: Path,
    options: GradeOptions,
    *,
    course_root: Path | None = None,
    progress: Progress = print,
) -> list[StudentResult]:
    """Grade every student in ``submissions``; return their results, sorted by student id.

    ``source_root`` holds the assignment folders (normally the course's ``solutions/``).
    Raises :class:`GradingError` only for usage problems (missing folders, unknown
    assignment); bad submissions become reasons on the results.
    """
    assignment = check_id(options.assignment, "assignment")
    known = list_assignments(source_root)
    if assignment not in known:
        listing = ", ".join(known) if known else "none"
        msg = (
            f"unknown assignment {assignment!r}: the assignments in {source_root} are: "
            f"{listing}. Pass one of them with --assignment."
        )
        raise GradingError(msg)
    if options.timeout < 1:
        msg = f"--timeout must be at least 1 second, got {options.timeout}"
        raise GradingError(msg)
    by_student, ignored = find_entries(submissions)
    if options.students:
        unknown = [s for s in options.students if s not in by_student]
        if unknown:
            msg = f"no submission in {submissions} for student(s): {', '.join(unknown)}"
            raise GradingError(msg)
        by_student = {s: by_student[s] for s in options.students}
    if not by_student:
        msg = (
            f"no submissions found in {submissions}: expected one folder or .zip file per "
            "student, named by the student id"
        )
        raise GradingError(msg)
    for name in ignored:
        progress(f"[nnfw] ignored {name}: expected a folder or a .zip file per student")

    # the workers import nbgrader (a second or two each) while this process sets up
    jobs = max(1, min(options.jobs, len(by_student)))
    jobs_root = workspace.nnfw_dir / "jobs" / assignment
    jobs_root.mkdir(parents=True, exist_ok=True)
    idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
    workers = [_Worker(_worker_env(jobs_root, jobs)) for _ in range(jobs)]
    for slot in workers:
        try:
            slot.start()
        except OSError:
            pass  # tried again for each student, whose report then says why
        idle.put(slot)
    try:
        return _grade_all(
            by_student,
            workspace,
            source_root,
            options,
            assignment,
            jobs_root,
            jobs,
            idle,
            course_root=course_root,
            progress=progress,
        )
    finally:
        _stop_all(workers)


def _stop_all(workers: list[_Worker]) -> None:
    """Stop the workers: all are told to finish first, so their exits overlap."""
    for slot in workers:
        slot.close_input()
    for slot in workers:
        slot.stop()


def _grade_all(
    by_student: dict[str, Any],
    workspace: Workspace,
    source_root: Path,
    options: GradeOptions,
    assignment: str,
    jobs_root: Path,
    jobs: int,
    idle: queue.SimpleQueue[_Worker],
    *,
    course_root: Path | None,
    progress: Progress,
) -> list[StudentResult]:
    """The body of :func:`grade`, once the ``jobs`` workers in ``idle`` are starting."""
    releases = prepare_workspace(workspace, source_root, assignment, course_root)
    progress(
        f"[nnfw] importing {len(by_student)} submission(s) of {assignment} into {workspace.root}"
    )

    from nnfw.grading.sandbox import resolve_mode

    mode, why = resolve_mode(options.sandbox)
    if mode != "bwrap":
        warning = (
            f"[nnfw] WARNING: grading WITHOUT A SANDBOX: {why}. Learner code will run with "
            "your rights and could read the hidden tests or change the gradebook and other "
            "students' files. Limits on time, memory and processes still apply. See "
            "grader/README.md, 'Isolation'."
        )
        progress(warning)
        print(warning, file=sys.stderr, flush=True)
    notebook_timeout = options.notebook_timeout or DEFAULT_NOTEBOOK_TIMEOUT
    limit = options.student_timeout or (
        min(options.timeout * 4, notebook_timeout) * max(1, len(releases)) + 120
    )
    template = workspace.nnfw_dir / "template" / assignment / "gradebook.db"
    config_file = course_root / "grader" / "nbgrader_config.py" if course_root else None
    progress(
        f"[nnfw] grading {len(by_student)} student(s), {jobs} at a time, "
        f"{'each in a bubblewrap sandbox' if mode == 'bwrap' else 'NOT sandboxed'}; "
        f"limits per notebook: {options.timeout} s a cell, {notebook_timeout} s in all, "
        f"{options.memory_mb} MB, {options.max_processes} processes"
    )

    def prepare(record: Imported) -> Path:
        jobdir = jobs_root / record.student
        if jobdir.exists():
            shutil.rmtree(jobdir)
        (jobdir / "source").mkdir(parents=True)
        shutil.copytree(
            workspace.step_dir("source", assignment=assignment), jobdir / "source" / assignment
        )
        dest = jobdir / "submitted" / record.student / assignment
        dest.mkdir(parents=True)
        for path in record.notebooks.values():
            shutil.copy2(path, dest / path.name)
        shutil.copy2(template, jobdir / "gradebook.db")
        job: dict[str, Any] = {
            "assignment": assignment,
            "student": record.student,
            "notebooks": sorted(record.notebooks),
            "timeout": options.timeout,
            "max_output_chars": options.max_output_chars,
            "notebook_timeout": notebook_timeout,
            "memory_mb": options.memory_mb,
            "max_processes": options.max_processes,
            "sandbox": mode,
            "guard": options.guard,
        }
        if config_file is not None and config_file.is_file():
            shutil.copy2(config_file, jobdir / "nbgrader_config.py")
            job["config_file"] = "nbgrader_config.py"
        (jobdir / "job.json").write_text(json.dumps(job, indent=1), encoding="utf-8")
        return jobdir

    def work(record: Imported) -> tuple[Imported, dict[str, Any] | None, str, float]:
        start = time.monotonic()
        if not record.notebooks:
            return record, {"notebooks": {}}, "", 0.0
        slot = idle.get()
        try:
            jobdir = prepare(record)
            worker, failure = slot.grade(jobdir, limit)
        except OSError as exc:
            worker, failure = None, f"could not start grading ({short(exc, 100)})"
        finally:
            idle.put(slot)
        return record, worker, failure, time.monotonic() - start

    results: list[StudentResult] = []
    lines: dict[int, str] = {}
    shown = 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {}
        for n, student in enumerate(sorted(by_student)):  # the first grade while the rest import
            record = import_student(
                student,
                by_student[student],
                assignment,
                releases,
                workspace.step_dir("submitted", student, assignment),
                require_both=options.require_both,
            )
            futures[pool.submit(work, record)] = n
        for future in as_completed(futures):
            record, worker, failure, seconds = future.result()
            result = _student_result(
                record, assignment, releases, worker, failure, options.require_both
            )
            _finish(workspace, result, worker, record, jobs_root)  # one thread merges
            results.append(result)
            flag = "  (needs attention)" if result.has_problem else ""
            n = futures[future]
            lines[n] = (
                f"[nnfw] [{n + 1}/{len(futures)}] {result.student}: "
                f"{result.score:g}/{result.max:g} in {seconds:.0f} s{flag}"
            )
            while shown in lines:  # in student order, whatever order they finish in
                progress(lines.pop(shown))
                shown += 1
    results.sort(key=lambda r: r.student)
    return results


def _finish(
    workspace: Workspace,
    result: StudentResult,
    worker: dict[str, Any] | None,
    record: Imported,
    jobs_root: Path,
) -> None:
    """Merge one student's result into the workspace (gradebook, files, result, log)."""
    assignment, student = result.assignment, result.student
    _merge(workspace, result, worker)
    autograded = workspace.step_dir("autograded", student, assignment)
    if autograded.exists():
        shutil.rmtree(autograded)
    produced = jobs_root / student / "autograded" / student / assignment
    if worker is not None and produced.is_dir():
        shutil.copytree(produced, autograded)
    feedback = workspace.step_dir("feedback", student, assignment)
    if feedback.exists():
        shutil.rmtree(feedback)  # stale: `nnfw feedback` makes it again
    save_result(workspace, result)
    logs = workspace.logs_dir(assignment)
    logs.mkdir(parents=True, exist_ok=True)
    jobdir = jobs_root / student
    lines = [f"student {student}, submission {record.origin}"]
    lines += [f"{r.level}: {r.notebook or '-'}: {r.text}" for r in record.reasons]
    if worker is not None:
        lines += worker.get("log", [])
    if (jobdir / "worker.log").is_file():
        lines += ["--- worker output ---", (jobdir / "worker.log").read_text(errors="replace")]
    (logs / f"{student}.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if jobdir.exists():
        shutil.rmtree(jobdir, ignore_errors=True)
