"""``nnfw grade``: autograde a folder of submissions (:mod:`nnfw.grading.pipeline`).

The options' defaults and help come from :mod:`nnfw.grading.settings`; an option left out
keeps the value of the course's ``grader/nbgrader_config.py`` (``c.Execute.timeout``,
``c.NnfwGrade.*``), else the default there.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nnfw.cli.common import add_course_options, course_of, guarded, say, workspace_of
from nnfw.cli.exitcode import ExitCode
from nnfw.grading.course import Course, GradingError
from nnfw.grading.settings import SANDBOX_MODES, GradeSettings, Limits

_DEFAULT = GradeSettings()
_LIMITS = Limits()
#: option dest -> GradeSettings/Limits field, for the options that map one to one
_FIELDS = {
    "timeout": "cell_timeout",
    "notebook_timeout": "notebook_timeout",
    "memory_limit": "memory_mb",
    "max_processes": "max_processes",
    "jobs": "jobs",
    "student_timeout": "student_timeout",
    "sandbox": "sandbox",
    "scheduler": "scheduler",
    "gpus": "gpus",
    "kernels_per_gpu": "kernels_per_gpu",
    "gpu_memory_limit": "gpu_memory_mb",
}


def settings_from(args: argparse.Namespace, course: Course | None) -> GradeSettings:
    """Defaults, then the course's config file, then the command line."""
    from nnfw.grading.nbgrader_setup import load_config

    try:
        settings = GradeSettings.from_config(load_config(course.root if course else None))
    except ValueError as exc:
        msg = f"grader/nbgrader_config.py: {exc}"
        raise GradingError(msg) from None
    given = {field: getattr(args, dest, None) for dest, field in _FIELDS.items()}
    settings = settings.replace(**{k: v for k, v in given.items() if v is not None})
    if args.require_both:
        settings = settings.replace(require_both=True)
    if args.student:
        settings = settings.replace(students=tuple(args.student))
    if args.assignment:
        settings = settings.replace(assignment=args.assignment)
    problems = settings.problems()
    if problems:
        raise GradingError("; ".join(problems))
    return settings


def _grade(args: argparse.Namespace) -> int:
    from nnfw.grading.pipeline import grade
    from nnfw.grading.report import table

    if args.demo:
        if args.submissions is not None:
            msg = "--demo grades its own sample submissions: drop SUBMISSIONS, or drop --demo"
            raise GradingError(msg)
        from nnfw.grading.demo import run_demo

        course = course_of(args, required=False)
        settings = settings_from(args, course)
        keep = Path(args.keep).resolve() if args.keep else None
        return run_demo(
            course.root if course else None,
            assignment=args.assignment,
            keep=keep,
            settings=settings,
            progress=say,
        )
    if args.submissions is None or args.assignment is None:
        msg = (
            "give the submissions folder and the assignment, e.g. "
            "`nnfw grade exports/05-lab --assignment 05-lab`, or try `nnfw grade --demo`"
        )
        raise GradingError(msg)
    course = course_of(args)
    assert course is not None
    settings = settings_from(args, course)
    workspace = workspace_of(args, course)
    results = grade(
        Path(args.submissions),
        workspace,
        course.source_dir,
        settings,
        course_root=course.root,
        progress=say,
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
    return ExitCode.PROBLEM if attention else ExitCode.OK


def register(sub: Any) -> None:
    """Add ``nnfw grade``."""
    p = sub.add_parser(
        "grade",
        help="autograde a folder of submissions; for instructors",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Import a folder of submissions (one folder or .zip per student, named by "
        "student id) into the grading workspace, autograde each notebook on a Dask worker, "
        "its kernel in a sandbox, and print a table of scores with a reason for every "
        "problem. Re-grading a student replaces that student's grade only. Exit codes: 0 all "
        "graded, 1 some submissions need attention, 2 usage error.\n\nexamples:\n"
        "  nnfw grade --demo                          # see the whole flow, nothing needed\n"
        "  nnfw grade exports/05-lab --assignment 05-lab\n"
        "  nnfw grade exports/05-lab --assignment 05-lab --student alice   # re-grade one\n"
        "  nnfw grade exports/05-lab -a 05-lab --scheduler tcp://grader:8786  # on a cluster\n"
        "  nnfw grade exports/05-lab -a 05-lab --gpus 2   # PyTorch notebooks on 2 GPUs\n\n"
        "Options left out take the course's grader/nbgrader_config.py (c.Execute.timeout, "
        "c.NnfwGrade.<setting>), else the defaults shown.",
    )
    p.add_argument("submissions", nargs="?", metavar="SUBMISSIONS")
    p.add_argument(
        "--assignment", "-a", metavar="A", help="the assignment (a folder of solutions/)"
    )
    p.add_argument(
        "--timeout",
        type=int,
        metavar="S",
        help=f"seconds a cell may run before it is stopped (default {_LIMITS.cell_timeout})",
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
        help="grade N notebooks at once on the embedded cluster (default: one per CPU core); "
        "results do not depend on it",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on a running Dask cluster, e.g. tcp://HOST:8786 (default: an embedded "
        "cluster on this machine, loopback only)",
    )
    p.add_argument(
        "--student", action="append", metavar="ID", help="grade only this student (repeatable)"
    )
    p.add_argument(
        "--student-timeout",
        type=int,
        metavar="S",
        help="stop grading a student after S seconds, shared between the notebooks (default: "
        "per notebook the smaller of 4 cell timeouts and the notebook timeout, plus 120 "
        "shared)",
    )
    p.add_argument(
        "--notebook-timeout",
        type=int,
        metavar="S",
        help="seconds one notebook may run in all; then the running cell is interrupted and the "
        f"rest is not run (default {_LIMITS.notebook_timeout})",
    )
    p.add_argument(
        "--memory-limit",
        type=int,
        metavar="MB",
        help="memory one notebook's sandbox may use, all its processes together; more stops it "
        f"(default {_LIMITS.memory_mb}; 0: no limit)",
    )
    p.add_argument(
        "--max-processes",
        type=int,
        metavar="N",
        help=f"processes one notebook may start; more stops it (default {_LIMITS.max_processes})",
    )
    p.add_argument(
        "--gpus",
        type=int,
        metavar="N",
        help="give each PyTorch notebook one of this machine's first N GPUs (nvidia-smi; "
        "CUDA_VISIBLE_DEVICES narrows them), one notebook per GPU at a time; other notebooks "
        f"see no GPU (default {_DEFAULT.gpus}: grade on the CPU)",
    )
    p.add_argument(
        "--kernels-per-gpu",
        type=int,
        metavar="K",
        help=f"with --gpus: let K notebooks share one GPU (default {_DEFAULT.kernels_per_gpu})",
    )
    p.add_argument(
        "--gpu-memory-limit",
        type=int,
        metavar="MB",
        help="GPU memory a notebook given a GPU may use, CUDA's context included; more stops "
        f"it (default {_LIMITS.gpu_memory_mb}; 0: no limit)",
    )
    p.add_argument(
        "--sandbox",
        choices=SANDBOX_MODES,
        help="run learner code in a bubblewrap sandbox: auto (when bwrap works on the worker, "
        "else a loud warning), bwrap (required), none (debugging only); "
        f"default {_DEFAULT.sandbox}",
    )
    p.add_argument(
        "--demo", action="store_true", help="grade three sample students in a temporary workspace"
    )
    p.add_argument("--keep", metavar="DIR", help="with --demo: keep the demo's files in DIR")
    add_course_options(p)
    p.set_defaults(func=guarded(_grade))
