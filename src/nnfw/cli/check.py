"""``nnfw check NOTEBOOK``: the learner's self-check (:mod:`nnfw.learner.check`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nnfw.cli.common import guarded
from nnfw.cli.exitcode import ExitCode
from nnfw.grading.settings import Limits


def _check(args: argparse.Namespace) -> int:
    from nnfw.learner.check import check_notebook

    path = Path(args.notebook)
    timeout = args.timeout if args.timeout is not None else Limits.cell_timeout
    print(f"[nnfw] running {path} (this takes as long as running all its cells)…", flush=True)
    tasks, warnings = check_notebook(path, timeout)
    from nnfw.learner.selfcheck import WRITTEN, TaskLine, task_number

    for task in tasks:
        line = TaskLine(task_number(task.task), task.task, task.points, task.status, task.message)
        print(f"  {line}")
    for warning in warnings:
        print(f"[nnfw] warning: {warning}")
    tested = [t for t in tasks if not t.written]
    passed = sum(t.status == "passed" for t in tested)
    got = sum(t.points for t in tested if t.status == "passed")
    total = sum(t.points for t in tested)
    print(
        f"[nnfw] Visible tests: {got:g} of {total:g} points pass ({passed} of {len(tested)} "
        "tasks). The hidden tests that run when your notebook is graded check more than "
        "these, so they decide your final grade."
    )
    written = [t for t in tasks if t.written]
    if written:
        hand = sum(t.points for t in written)
        print(f"[nnfw] Written answers ({hand:g} points) are graded by your instructor.")
    done = passed == len(tested) and all(t.status == WRITTEN for t in written)
    return ExitCode.OK if done else ExitCode.PROBLEM


def register(sub: Any) -> None:
    """Add ``nnfw check``."""
    p = sub.add_parser(
        "check",
        help="run a notebook and its visible tests, task by task; for learners",
        description="Run NOTEBOOK from the top like the grader does and print, per task, "
        "passed / failed (with the message) / not answered yet / written (graded by your "
        "instructor). Exit 0 when every tested task passes.",
    )
    p.add_argument("notebook", metavar="NOTEBOOK")
    p.add_argument(
        "--timeout",
        type=int,
        metavar="S",
        help=f"seconds a cell may run (default {Limits.cell_timeout})",
    )
    p.set_defaults(func=guarded(_check))
