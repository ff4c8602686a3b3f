"""``nnfw feedback`` and ``nnfw export``: what comes out of a graded workspace."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nnfw.cli.common import add_course_options, course_of, guarded, say, workspace_of
from nnfw.cli.exitcode import ExitCode
from nnfw.grading.course import GradingError, Workspace


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

    workspace = workspace_of(args, course_of(args, required=False))
    problems: list[str] = []
    count = 0
    for assignment in _assignments(args, workspace):
        files, failed = generate_feedback(workspace, assignment, args.student or (), say)
        count += len(files)
        problems += failed
    print(
        f"[nnfw] feedback done: {count} HTML file(s) under {workspace.step_dir('feedback')}. "
        "Hidden tests are not shown. Next: send each student their folder."
    )
    return ExitCode.PROBLEM if problems else ExitCode.OK


def _export(args: argparse.Namespace) -> int:
    from nnfw.grading.report import export

    workspace = workspace_of(args, course_of(args, required=False))
    for assignment in _assignments(args, workspace):
        out = Path(args.out) / assignment if args.out else workspace.root / "export" / assignment
        for path in export(workspace, assignment, out):
            print(f"[nnfw] wrote {path}")
        _print_flags(assignment, out / "items.csv")
    return ExitCode.OK


def _print_flags(assignment: str, items_csv: Path) -> None:
    """Name the tasks the item analysis flags (everybody or nobody passed, low discrimination)."""
    import csv

    with items_csv.open(newline="", encoding="utf-8") as fh:
        flagged = [
            f"{r['notebook']}/{r['task']} ({r['flag']})" for r in csv.DictReader(fh) if r["flag"]
        ]
    if flagged:
        print(f"[nnfw] {assignment}: {len(flagged)} task(s) to look at: {', '.join(flagged)}")


def register(sub: Any) -> None:
    """Add ``nnfw feedback`` and ``nnfw export``."""
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
    add_course_options(p)
    p.set_defaults(func=guarded(_feedback))

    p = sub.add_parser(
        "export",
        help="write grades as CSV (per student, notebook, task), the item analysis and plots; "
        "for instructors",
        description="Write students.csv, notebooks.csv, tasks.csv, histogram.png and the item "
        "analysis (items.csv, items.png: per task the share of students with full marks, its "
        "discrimination, the correlation with the rest of the notebook, and a flag for tasks "
        "everybody or nobody passes) per assignment (default: into the workspace's export/ "
        "folder).",
    )
    p.add_argument("--assignment", "-a", metavar="A", help="only this assignment")
    p.add_argument("--out", metavar="DIR", help="write into DIR/<assignment>/")
    add_course_options(p)
    p.set_defaults(func=guarded(_export))
