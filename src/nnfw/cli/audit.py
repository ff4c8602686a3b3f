"""``nnfw audit``: grade the instructor's wrong and correct answers of every task (instructors).

The library is :mod:`nnfw.grading.audit`; the answers live in
``solutions/<assignment>/audit/<notebook>.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nnfw.cli.common import add_course_options, course_of, guarded, say
from nnfw.cli.exitcode import ExitCode
from nnfw.grading.course import GradingError


def _audit(args: argparse.Namespace) -> int:
    from nnfw.cli.grade import settings_from
    from nnfw.grading.audit import audit, markdown_table, summary, text_table

    course = course_of(args)
    assert course is not None
    known = course.assignments()
    chosen = args.assignment or known
    unknown = [a for a in chosen if a not in known]
    if unknown:
        msg = f"unknown assignment(s) {', '.join(unknown)}: the course has {', '.join(known)}"
        raise GradingError(msg)
    if (args.notebook or args.task) and len(chosen) != 1:
        msg = "--notebook and --task need exactly one ASSIGNMENT"
        raise GradingError(msg)
    # the grading options of `nnfw grade` (config file, then defaults), one job per core
    options = {**vars(args), "assignment": None, "require_both": False, "student": None}
    settings = settings_from(argparse.Namespace(**options), course)
    results = []
    for assignment in chosen:
        result = audit(
            course.source_dir,
            assignment,
            settings,
            course_root=course.root,
            notebook=args.notebook,
            task=args.task,
            sample=args.sample,
            isolated=args.isolated,
            progress=say if args.verbose else _quiet,
        )
        say(
            f"[nnfw] audit of {assignment}: {len(result.verdicts)} answer(s) graded in "
            f"{result.seconds:.0f} s"
        )
        results.append(result)
    print(text_table(results))
    unaudited = [f"{a}/{t}" for a, r in zip(chosen, results, strict=True) for t in r.unaudited]
    findings = [v for r in results for v in r.findings]
    print(f"[nnfw] audit: {summary(results)}")
    if unaudited:
        print(f"[nnfw] audit: no answers for {len(unaudited)} task(s): {', '.join(unaudited)}")
    if args.markdown:
        path = Path(args.markdown)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown_table(results), encoding="utf-8")
        print(f"[nnfw] audit: table written to {path}")
    if findings or unaudited:
        print(
            f"[nnfw] audit: {len(findings)} finding(s): make the hidden tests catch each wrong "
            "answer that kept its points; fix the test or the text that fails a correct one"
        )
        return ExitCode.PROBLEM
    return ExitCode.OK


def _quiet(line: str) -> None:
    """Show the audit's own lines and warnings; leave out the per-student progress."""
    if line.startswith("[nnfw] audit") or "WARNING" in line:
        say(line)


def register(sub: Any) -> None:
    """Add ``nnfw audit``."""
    p = sub.add_parser(
        "audit",
        help="grade the instructor's wrong and correct answers of every task; for instructors",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Grade, through the real grading pipeline, the answers written in "
        "solutions/<assignment>/audit/<notebook>.py (for each task: wrong answers and "
        "correct variants), and print per task how many wrong answers lost points and how "
        "many correct ones kept full marks. Exit codes: 0 every wrong answer lost points and "
        "every correct one kept them; 1 findings (listed), or a task without answers; 2 usage "
        "error.\n\nexamples:\n"
        "  nnfw audit                         # the whole course (about 15 min on 2 cores)\n"
        "  nnfw audit 04-overfitting          # one assignment\n"
        "  nnfw audit 04-overfitting --notebook overfitting_pytorch --task task3_early_stopping\n"
        "  nnfw audit --sample                # the first wrong answer of each task (CI)\n"
        "  nnfw audit --markdown docs/audit-table.md\n\n"
        "Answers are packed (one per task per graded notebook) and every surprising result is "
        "graded again alone; --isolated grades each answer alone (slower). The grading "
        "options are those of `nnfw grade` (grader/nbgrader_config.py).",
    )
    p.add_argument("assignment", nargs="*", metavar="ASSIGNMENT", help="default: every one")
    p.add_argument("--notebook", metavar="STEM", help="only this notebook (e.g. lab_pytorch)")
    p.add_argument("--task", metavar="ID", help="only this task (its answer cell's grade id)")
    p.add_argument(
        "--sample", action="store_true", help="only the first wrong answer of every task"
    )
    p.add_argument("--isolated", action="store_true", help="grade every answer on its own")
    p.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    p.add_argument("--verbose", "-v", action="store_true", help="show the grader's progress")
    p.add_argument(
        "--jobs", "-j", type=int, metavar="N", help="notebooks graded at once (default: cores)"
    )
    for dest in (
        "timeout",
        "notebook_timeout",
        "memory_limit",
        "max_processes",
        "student_timeout",
        "sandbox",
        "scheduler",
    ):
        p.set_defaults(**{dest: None})
    add_course_options(p, workspace=False)
    p.set_defaults(func=guarded(_audit))
