"""``nnfw grade``, top to bottom: intake -> run -> score -> gradebook -> report.

:func:`grade` is the whole pipeline, in the order it happens:

1. **check** the request (the assignment exists, the submissions folder holds students);
2. **schedule**: start the Dask cluster in the background (:mod:`nnfw.grading.schedule`;
   embedded by default), so its start-up overlaps the next steps;
3. **prepare** the workspace and read what every job needs, once, as bytes
   (:func:`nnfw.grading.gradebook.prepare_workspace`);
4. **intake** each student (:mod:`nnfw.grading.intake`): match, repair, write ``submitted/``;
   each student's jobs are submitted as soon as the cluster is up, while the rest import;
5. **run** one job per submitted notebook on the workers (:mod:`nnfw.grading.run.worker`:
   nbgrader's autograde, the kernel in a sandbox, then :mod:`nnfw.grading.score`);
6. **gradebook**: as each student's last notebook arrives, build the
   :class:`~nnfw.grading.results.StudentResult` and record it
   (:func:`nnfw.grading.gradebook.record`, the only writer), replacing that student's previous
   grade only; progress lines come in student order whatever order jobs finish in;
7. return the results; the CLI prints the table (:mod:`nnfw.grading.report`).

Results do not depend on ``--jobs`` or on where the workers run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from nnfw.grading.course import GradingError, Workspace, check_id, list_assignments
from nnfw.grading.gradebook import Prepared, max_points, prepare_workspace, record
from nnfw.grading.intake.find import find_entries
from nnfw.grading.intake.student import Imported, import_student
from nnfw.grading.messages import NOTE, PROBLEM, NotebookGrade, NotebookJob, Reason
from nnfw.grading.results import NotebookResult, StudentResult
from nnfw.grading.schedule import Scheduler
from nnfw.grading.settings import THREAD_VARIABLES, GradeSettings, kernel_threads

Progress = Callable[[str], None]


def grade(
    submissions: Path,
    workspace: Workspace,
    source_root: Path,
    settings: GradeSettings,
    *,
    course_root: Path | None = None,
    progress: Progress = print,
) -> list[StudentResult]:
    """Grade every student in ``submissions``; return their results, sorted by student id.

    ``source_root`` holds the assignment folders (normally the course's ``solutions/``).
    Raises :class:`GradingError` only for usage problems (missing folders, unknown
    assignment, bad settings, no cluster); bad submissions become reasons on the results.
    """
    # 1. check
    problems = settings.problems()
    if problems:
        raise GradingError("; ".join(problems))
    assignment = check_id(settings.assignment, "assignment")
    known = list_assignments(source_root)
    if assignment not in known:
        listing = ", ".join(known) if known else "none"
        msg = (
            f"unknown assignment {assignment!r}: the assignments in {source_root} are: "
            f"{listing}. Pass one of them with --assignment."
        )
        raise GradingError(msg)
    by_student, ignored = find_entries(submissions)
    if settings.students:
        unknown = [s for s in settings.students if s not in by_student]
        if unknown:
            msg = f"no submission in {submissions} for student(s): {', '.join(unknown)}"
            raise GradingError(msg)
        by_student = {s: by_student[s] for s in settings.students}
    if not by_student:
        msg = (
            f"no submissions found in {submissions}: expected one folder or .zip file per "
            "student, named by the student id"
        )
        raise GradingError(msg)
    for name in ignored:
        progress(f"[nnfw] ignored {name}: expected a folder or a .zip file per student")

    # 2. schedule (starts in the background) ... 3. prepare
    workers = settings.job_count(len(by_student))
    with Scheduler(
        settings.scheduler,
        workers,
        retries=settings.retries,
        gpus=settings.gpus,
        kernels_per_gpu=settings.kernels_per_gpu,
    ) as scheduler:
        prepared = prepare_workspace(workspace, source_root, assignment, course_root)
        progress(
            f"[nnfw] importing {len(by_student)} submission(s) of {assignment} into "
            f"{workspace.root}"
        )
        isolation = _isolation(settings, progress)
        if settings.scheduler is not None:
            scheduler.wait()  # a remote cluster: connect (and name its workers) first
        lim = settings.limits
        progress(
            f"[nnfw] grading {len(by_student)} student(s) on {scheduler.describe()}, "
            f"{isolation}; limits per notebook: {lim.cell_timeout} s a cell, "
            f"{lim.notebook_timeout} s in all, {lim.memory_mb} MB, {lim.max_processes} processes"
            + (f", {lim.gpu_memory_mb} MB of GPU memory" if settings.gpus else "")
        )
        # 4. intake, 5. run, 6. gradebook
        return _grade_all(
            by_student, workspace, prepared, settings, scheduler, workers, progress=progress
        )


def _isolation(settings: GradeSettings, progress: Progress) -> str:
    """How learner code will be isolated, in words; the loud warning when it will not be.

    On a remote cluster each worker resolves the mode on its own machine, and the results
    say where a notebook ran without a sandbox.
    """
    from nnfw.grading.run.sandbox import resolve_mode

    if settings.scheduler is not None:
        if settings.sandbox == "none":
            return "NOT sandboxed (--sandbox none)"
        return (
            f"each in a bubblewrap sandbox where the worker has one (--sandbox {settings.sandbox})"
        )
    mode, why = resolve_mode(settings.sandbox)
    if mode == "bwrap":
        return "each in a bubblewrap sandbox"
    warning = (
        f"[nnfw] WARNING: grading WITHOUT A SANDBOX: {why}. Learner code will run with "
        "your rights and could read the hidden tests or change the gradebook and other "
        "students' files. Limits on time, memory and processes still apply. See "
        "grader/README.md, 'Isolation'."
    )
    progress(warning)
    print(warning, file=sys.stderr, flush=True)
    return "NOT sandboxed"


def kernel_env(settings: GradeSettings, workers: int) -> dict[str, str]:
    """The kernel's thread counts and fast mode, chosen once by the coordinator.

    The instructor's own thread settings win; on the embedded cluster the cores are shared
    between the ``workers`` kernels that run at once. On a remote cluster the workers'
    environment decides the thread counts.
    """
    env = {"NNFW_FAST": os.environ.get("NNFW_FAST") or "1"}
    chosen = {name: os.environ[name] for name in THREAD_VARIABLES if name in os.environ}
    if chosen:
        env.update(chosen)
    elif settings.scheduler is None:
        env.update(dict.fromkeys(THREAD_VARIABLES, str(kernel_threads(workers))))
    return env


def _jobs_for(
    record_: Imported, prepared: Prepared, settings: GradeSettings, env: dict[str, str]
) -> list[NotebookJob]:
    limit = settings.notebook_limit(len(prepared.releases))
    return [
        NotebookJob(
            assignment=settings.assignment,
            student=record_.student,
            notebook=name,
            submitted={path.name: path.read_bytes()},
            source=prepared.source,
            template_db=prepared.template_db,
            settings=settings,
            config_text=prepared.config_text,
            kernel_env=env,
            limit=limit,
        )
        for name, path in sorted(record_.notebooks.items())
    ]


def _grade_all(
    by_student: dict[str, list[Path]],
    workspace: Workspace,
    prepared: Prepared,
    settings: GradeSettings,
    scheduler: Scheduler,
    workers: int,
    *,
    progress: Progress,
) -> list[StudentResult]:
    assignment = settings.assignment
    env = kernel_env(settings, workers)
    students = sorted(by_student)
    imported: dict[str, Imported] = {}
    waiting: dict[str, set[str]] = {}
    grades: dict[str, dict[str, NotebookGrade]] = {s: {} for s in students}
    results: dict[str, StudentResult] = {}
    lines: dict[int, str] = {}
    shown = 0

    def finish(student: str) -> None:
        nonlocal shown
        result = student_result(imported[student], prepared, grades[student], settings)
        record(workspace, result, grades[student], imported[student])
        results[student] = result
        seconds = sum(g.seconds for g in grades[student].values())
        flag = "  (needs attention)" if result.has_problem else ""
        n = students.index(student)
        lines[n] = (
            f"[nnfw] [{n + 1}/{len(students)}] {student}: "
            f"{result.score:g}/{result.max:g} in {seconds:.0f} s{flag}"
        )
        while shown in lines:  # in student order, whatever order they finish in
            progress(lines.pop(shown))
            shown += 1

    def intake() -> Iterator[NotebookJob]:
        """Import the students one by one; the first jobs run while the rest import."""
        for student in students:
            imported[student] = import_student(
                student,
                by_student[student],
                assignment,
                prepared.releases,
                workspace.step_dir("submitted", student, assignment),
                require_both=settings.require_both,
            )
            waiting[student] = set(imported[student].notebooks)
            if not waiting[student]:  # nothing to run: recorded at once
                finish(student)
            yield from _jobs_for(imported[student], prepared, settings, env)

    for job, graded in scheduler.run(intake()):
        grades[job.student][job.notebook] = graded
        waiting[job.student].discard(job.notebook)
        if not waiting[job.student]:
            finish(job.student)
    return [results[s] for s in students]


def student_result(
    imported: Imported,
    prepared: Prepared,
    grades: dict[str, NotebookGrade],
    settings: GradeSettings,
) -> StudentResult:
    """One student's result: the intake's reasons, then each notebook's grade or failure."""
    result = StudentResult(
        student=imported.student,
        assignment=settings.assignment,
        origin=imported.origin,
        require_both=settings.require_both,
        reasons=[r for r in imported.reasons if r.notebook is None],
    )
    for name, release in prepared.releases.items():
        nb = NotebookResult(name=name, max=max_points(release))
        nb.reasons = [r for r in imported.reasons if r.notebook == name]
        nb.submitted = name in imported.notebooks
        graded = grades.get(name)
        if nb.submitted and graded is not None and graded.failure:
            nb.reasons.append(
                Reason(PROBLEM, graded.failure + "; scored 0 for now, re-grade it", name)
            )
        elif nb.submitted and graded is not None:
            nb.score = graded.score
            nb.graded = graded.graded
            nb.tasks = list(graded.tasks)
            nb.reasons += [Reason(PROBLEM, p, name) for p in graded.problems]
            if settings.scheduler and graded.sandbox == "none" and settings.sandbox != "none":
                nb.reasons.append(
                    Reason(NOTE, f"graded without a sandbox on {graded.worker}", name)
                )
        result.notebooks.append(nb)
    return result
