"""What the verbs share: finding the course and the workspace, and turning errors into one line.

Nothing here imports nbgrader at import time, so ``nnfw --help`` and ``nnfw doctor`` stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from nnfw.cli.exitcode import ExitCode
from nnfw.grading.course import Course, GradingError, Workspace


def say(line: str) -> None:
    """Print a progress line at once."""
    print(line, flush=True)


def course_of(args: argparse.Namespace, *, required: bool = True) -> Course | None:
    """The course named by ``--course``, else the one around the current folder."""
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


def workspace_of(args: argparse.Namespace, course: Course | None) -> Workspace:
    """The grading workspace: ``--workspace``, else ``grading/`` in the course."""
    if args.workspace is not None:
        return Workspace(Path(args.workspace).resolve())
    base = course.root if course is not None else Path.cwd()
    return Workspace(base / "grading")


def guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn GradingError into a one-line message and exit code 2; no traceback walls."""

    def run(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except GradingError as exc:
            print(f"nnfw {args.command}: error: {exc}", file=sys.stderr)
            return ExitCode.USAGE
        except KeyboardInterrupt:
            print(f"nnfw {args.command}: interrupted", file=sys.stderr)
            return ExitCode.USAGE
        except Exception as exc:  # noqa: BLE001
            if os.environ.get("NNFW_DEBUG"):
                traceback.print_exc()
            print(
                f"nnfw {args.command}: internal error: {type(exc).__name__}: {exc}. "
                "Re-run with NNFW_DEBUG=1 for the traceback and report it.",
                file=sys.stderr,
            )
            return ExitCode.USAGE

    return run


def add_course_options(parser: argparse.ArgumentParser, *, workspace: bool = True) -> None:
    """``--course`` (and ``--workspace``)."""
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
