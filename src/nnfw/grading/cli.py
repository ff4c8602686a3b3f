"""The grading subcommands of ``nnfw``: release, grade, feedback, export, check.

:func:`register` adds them to ``nnfw``'s parser. Nothing here imports nbgrader at import
time, so ``nnfw --help`` and ``nnfw doctor`` stay fast. Exit codes: 0 = all done, 1 = some
submissions failed or need the instructor (or, for ``release --check``, ``course/`` is out of
date; for ``check``, some task does not pass yet), 2 = usage or configuration error.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nnfw.grading.course import DEFAULT_TIMEOUT, Course, GradingError, Workspace

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def _say(line: str) -> None:
    print(line, flush=True)


def _course(args: argparse.Namespace, *, required: bool = True) -> Course | None:
    from nnfw.grading.course import find_course_root

    if args.course is not None:
        root = Path(args.course)
        if not (root / "solutions").is_dir():
            msg = f"--course {root}: no `solutions/` folder there; give the course repository"
            raise GradingError(msg)
        return Course(root.resolve())
    try:
        return Course(find_course_root())
    except GradingError:
        if required:
            raise
        return None


def _workspace(args: argparse.Namespace, course: Course | None) -> Workspace:
    if args.workspace is not None:
        return Workspace(Path(args.workspace).resolve())
    base = course.root if course is not None else Path.cwd()
    return Workspace(base / "grading")


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn GradingError into a one-line message and exit code 2; no traceback walls."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except GradingError as exc:
            print(f"nnfw {args.command}: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            print(f"nnfw {args.command}: interrupted", file=sys.stderr)
            return EXIT_USAGE
        except Exception as exc:  # noqa: BLE001
            if os.environ.get("NNFW_DEBUG"):
                traceback.print_exc()
            print(
                f"nnfw {args.command}: internal error: {type(exc).__name__}: {exc}. "
                "Re-run with NNFW_DEBUG=1 for the traceback and report it.",
                file=sys.stderr,
            )
            return EXIT_USAGE

    return run


def _configured_timeout(course: Course | None) -> int:
    """The cell timeout from grader/nbgrader_config.py (``Execute.timeout``), else 300 s."""
    from nnfw.grading.course import load_config

    config = load_config(course.root if course else None)
    if "Execute" in config and "timeout" in config.Execute:
        return int(config.Execute.timeout)
    return DEFAULT_TIMEOUT


# --- release ----------------------------------------------------------------------------------


def _release(args: argparse.Namespace) -> int:
    from nnfw.grading.release import WorkAtRisk, release

    course = _course(args)
    assert course is not None
    if not course.assignments() and not args.assignments:
        print(f"[nnfw] no assignments in {course.source_dir} yet: nothing to release")
    try:
        result = release(
            course,
            args.assignments,
            check=args.check,
            force=args.force,
            progress=lambda s: _say(f"[nnfw] {s}"),
        )
    except WorkAtRisk as risk:
        print(
            f"nnfw release: refused: {len(risk.files)} notebook(s) in {course.release_dirname}/ "
            "hold work that this release would overwrite or delete:",
            file=sys.stderr,
        )
        for path, why in risk.files:
            print(f"  {path}: {why}", file=sys.stderr)
        print(
            f"Nothing was changed. {course.release_dirname}/ is generated: learners work in "
            "their own folder (`nnfw start` copies the course there). To keep this work, move "
            "the files out first (or run `nnfw start` and copy your answers over); to replace "
            "them anyway, run `nnfw release --force`, which first copies them to "
            ".nnfw/backups/.",
            file=sys.stderr,
        )
        return EXIT_PROBLEM
    if result.backup is not None:
        print(f"[nnfw] --force: saved the notebooks that held work in {result.backup}")
    if args.check:
        if result.drift:
            print(f"[nnfw] {course.release_dirname}/ is out of date with {course.source_dirname}/:")
            for path, why in result.drift:
                print(f"  {path}: {why}")
            print("Run `nnfw release` and commit course/.")
            return EXIT_PROBLEM
        print(f"[nnfw] {course.release_dirname}/ is up to date ({len(result.unchanged)} files)")
        return EXIT_OK
    for path in result.written:
        print(f"[nnfw] wrote {path}")
    for path in result.removed:
        print(f"[nnfw] removed {path}")
    print(
        f"[nnfw] release done: {len(result.written)} written, {len(result.unchanged)} unchanged, "
        f"{len(result.removed)} removed. Next: review with `git diff course/`, then commit."
    )
    return EXIT_OK


# --- grade ------------------------------------------------------------------------------------


def _grade(args: argparse.Namespace) -> int:
    from nnfw.grading.autograde import GradeOptions, default_jobs, grade
    from nnfw.grading.report import table

    timeout = args.timeout
    jobs = args.jobs if args.jobs is not None else default_jobs()
    for option, value in (
        ("--jobs", jobs),
        ("--notebook-timeout", args.notebook_timeout),
        ("--max-processes", args.max_processes),
    ):
        if value is not None and value < 1:
            msg = f"{option} must be at least 1, got {value}"
            raise GradingError(msg)
    if args.memory_limit < 0:
        msg = f"--memory-limit must be 0 (no limit) or more, got {args.memory_limit}"
        raise GradingError(msg)
    if args.demo:
        if args.submissions is not None:
            msg = "--demo grades its own sample submissions: drop SUBMISSIONS, or drop --demo"
            raise GradingError(msg)
        from nnfw.grading.demo import run_demo

        course = _course(args, required=False)
        timeout = timeout or _configured_timeout(course)
        keep = Path(args.keep).resolve() if args.keep else None
        return run_demo(
            course.root if course else None,
            assignment=args.assignment,
            keep=keep,
            timeout=timeout,
            jobs=jobs,
            progress=_say,
        )
    if args.submissions is None or args.assignment is None:
        msg = (
            "give the submissions folder and the assignment, e.g. "
            "`nnfw grade exports/05-lab --assignment 05-lab`, or try `nnfw grade --demo`"
        )
        raise GradingError(msg)
    course = _course(args)
    assert course is not None
    timeout = timeout or _configured_timeout(course)
    workspace = _workspace(args, course)
    options = GradeOptions(
        assignment=args.assignment,
        timeout=timeout,
        require_both=args.require_both,
        jobs=jobs,
        student_timeout=args.student_timeout,
        students=args.student or (),
        notebook_timeout=args.notebook_timeout,
        memory_mb=args.memory_limit,
        max_processes=args.max_processes,
        sandbox=args.sandbox,
    )
    results = grade(
        Path(args.submissions),
        workspace,
        course.source_dir,
        options,
        course_root=course.root,
        progress=_say,
    )
    print(table(results))
    attention = [r.student for r in results if r.has_problem]
    if attention:
        print(
            f"[nnfw] {len(attention)} of {len(results)} student(s) need attention: "
            f"{', '.join(attention)}. The reasons are in the table; logs in "
            f"{workspace.logs_dir(args.assignment)}."
        )
    print(
        f"[nnfw] graded {len(results)} student(s) into {workspace.root}. Next: "
        f"`nnfw feedback --assignment {args.assignment}` and "
        f"`nnfw export --assignment {args.assignment}`."
    )
    return EXIT_PROBLEM if attention else EXIT_OK


# --- feedback and export ----------------------------------------------------------------------


def _assignments(args: argparse.Namespace, workspace: Workspace) -> list[str]:
    graded = workspace.graded_assignments()
    if args.assignment:
        if args.assignment not in graded:
            msg = (
                f"no graded submissions of {args.assignment!r} in {workspace.root}"
                + (f" (graded: {', '.join(graded)})" if graded else "")
                + f". Grade first: nnfw grade SUBMISSIONS --assignment {args.assignment}"
            )
            raise GradingError(msg)
        return [args.assignment]
    if not graded:
        msg = (
            f"nothing graded in {workspace.root} yet. Grade first: "
            "nnfw grade SUBMISSIONS --assignment ASSIGNMENT (or pass --workspace)"
        )
        raise GradingError(msg)
    return graded


def _feedback(args: argparse.Namespace) -> int:
    from nnfw.grading.feedback import generate_feedback

    workspace = _workspace(args, _course(args, required=False))
    problems: list[str] = []
    count = 0
    for assignment in _assignments(args, workspace):
        files, failed = generate_feedback(workspace, assignment, args.student or (), _say)
        count += len(files)
        problems += failed
    print(
        f"[nnfw] feedback done: {count} HTML file(s) under {workspace.step_dir('feedback')}. "
        "Hidden tests are not shown. Next: send each student their folder."
    )
    return EXIT_PROBLEM if problems else EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from nnfw.grading.report import export

    workspace = _workspace(args, _course(args, required=False))
    for assignment in _assignments(args, workspace):
        out = Path(args.out) / assignment if args.out else workspace.root / "export" / assignment
        for path in export(workspace, assignment, out):
            print(f"[nnfw] wrote {path}")
    return EXIT_OK


# --- check ------------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    from nnfw.grading.check import check_notebook

    path = Path(args.notebook)
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT
    print(f"[nnfw] running {path} (this takes as long as running all its cells)…", flush=True)
    tasks, warnings = check_notebook(path, timeout)
    from nnfw.selfcheck import TaskLine, task_number

    for task in tasks:
        line = TaskLine(task_number(task.task), task.task, task.points, task.status, task.message)
        print(f"  {line}")
    for warning in warnings:
        print(f"[nnfw] warning: {warning}")
    passed = sum(t.status == "passed" for t in tasks)
    got, total = sum(t.points for t in tasks if t.status == "passed"), sum(t.points for t in tasks)
    print(
        f"[nnfw] Visible tests: {got:g} of {total:g} points pass ({passed} of {len(tasks)} "
        "tasks). The hidden tests that run when your notebook is graded check more than these, "
        "so they decide your final grade."
    )
    return EXIT_OK if passed == len(tasks) else EXIT_PROBLEM


# --- registration -----------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, *, workspace: bool = True) -> None:
    parser.add_argument(
        "--course",
        metavar="DIR",
        help="the course repository (default: the nearest folder up from here with solutions/)",
    )
    if workspace:
        parser.add_argument(
            "--workspace",
            metavar="DIR",
            help="the grading workspace (default: grading/ in the course repository; git-ignored)",
        )


def register(sub: Any) -> None:
    """Add the grading subcommands to ``nnfw``'s subparsers."""
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "release",
        help="generate learner notebooks in course/ from solutions/; for instructors",
        formatter_class=fmt,
        description="Generate course/ from solutions/ with nbgrader's generate_assignment: "
        "solutions replaced by stubs, hidden tests removed, outputs cleared. Running it twice "
        "gives byte-identical files.\n\nexamples:\n  nnfw release            # every assignment\n"
        "  nnfw release 01-tensors\n  nnfw release --check    # exit 1, naming the files, "
        "when course/ is out of date\n\nA course/ notebook that holds answers or outputs is "
        "never overwritten: the release refuses (exit 1, naming the files) unless --force, "
        "which keeps a backup in .nnfw/backups/.",
    )
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if course/ is out of date"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace course/ notebooks that hold answers or outputs (refused otherwise); "
        "they are first copied to .nnfw/backups/",
    )
    _common(p, workspace=False)
    p.set_defaults(func=_guard(_release))

    p = sub.add_parser(
        "grade",
        help="autograde a folder of submissions; for instructors",
        formatter_class=fmt,
        description="Import a folder of submissions (one folder or .zip per student, named by "
        "student id) into the grading workspace, autograde each student in a separate "
        "process, and print a table of scores with a reason for every problem. Re-grading a "
        "student replaces that student's grade only. Exit codes: 0 all graded, 1 some "
        "submissions need attention, 2 usage error.\n\nexamples:\n"
        "  nnfw grade --demo                          # see the whole flow, nothing needed\n"
        "  nnfw grade exports/05-lab --assignment 05-lab\n"
        "  nnfw grade exports/05-lab --assignment 05-lab --student alice   # re-grade one",
    )
    p.add_argument("submissions", nargs="?", metavar="SUBMISSIONS")
    p.add_argument(
        "--assignment", "-a", metavar="A", help="the assignment (a folder of solutions/)"
    )
    p.add_argument(
        "--timeout",
        type=int,
        metavar="S",
        help=f"seconds a cell may run before it is stopped (default {DEFAULT_TIMEOUT})",
    )
    p.add_argument(
        "--require-both",
        action="store_true",
        help="score both notebooks of a pair (default: the better notebook counts)",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        metavar="N",
        help="grade N students at once (default: one per CPU core); results do not depend on it",
    )
    p.add_argument(
        "--student", action="append", metavar="ID", help="grade only this student (repeatable)"
    )
    p.add_argument(
        "--student-timeout",
        type=int,
        metavar="S",
        help="stop grading a student after S seconds (default: per notebook the smaller of 4 "
        "cell timeouts and the notebook timeout, plus 120)",
    )
    p.add_argument(
        "--notebook-timeout",
        type=int,
        metavar="S",
        help="seconds one notebook may run in all; then the running cell is interrupted and the "
        "rest is not run (default 1800)",
    )
    p.add_argument(
        "--memory-limit",
        type=int,
        default=4096,
        metavar="MB",
        help="memory one notebook's sandbox may use, all its processes together; more stops it "
        "(default 4096; 0: no limit)",
    )
    p.add_argument(
        "--max-processes",
        type=int,
        default=64,
        metavar="N",
        help="processes one notebook may start; more stops it (default 64)",
    )
    p.add_argument(
        "--sandbox",
        choices=("auto", "bwrap", "none"),
        default="auto",
        help="run learner code in a bubblewrap sandbox: auto (when bwrap works here, else a "
        "loud warning), bwrap (required), none (debugging only)",
    )
    p.add_argument(
        "--demo", action="store_true", help="grade three sample students in a temporary workspace"
    )
    p.add_argument("--keep", metavar="DIR", help="with --demo: keep the demo's files in DIR")
    _common(p)
    p.set_defaults(func=_guard(_grade))

    p = sub.add_parser(
        "feedback",
        help="write per-student HTML feedback (no hidden tests); for instructors",
        description="Render each graded submission as HTML into the workspace's feedback/ "
        "folder, with scores and error messages but without hidden tests.",
    )
    p.add_argument("--assignment", "-a", metavar="A", help="only this assignment")
    p.add_argument(
        "--student", action="append", metavar="ID", help="only this student (repeatable)"
    )
    _common(p)
    p.set_defaults(func=_guard(_feedback))

    p = sub.add_parser(
        "export",
        help="write grades as CSV (per student, notebook, task) and a histogram; for instructors",
        description="Write students.csv, notebooks.csv, tasks.csv and histogram.png per "
        "assignment (default: into the workspace's export/ folder).",
    )
    p.add_argument("--assignment", "-a", metavar="A", help="only this assignment")
    p.add_argument("--out", metavar="DIR", help="write into DIR/<assignment>/")
    _common(p)
    p.set_defaults(func=_guard(_export))

    p = sub.add_parser(
        "check",
        help="run a notebook and its visible tests, task by task; for learners",
        description="Run NOTEBOOK from the top like the grader does and print, per task, "
        "passed / failed (with the message) / not answered yet. Exit 0 when every task passes.",
    )
    p.add_argument("notebook", metavar="NOTEBOOK")
    p.add_argument(
        "--timeout",
        type=int,
        metavar="S",
        help=f"seconds a cell may run (default {DEFAULT_TIMEOUT})",
    )
    p.set_defaults(func=_guard(_check))
