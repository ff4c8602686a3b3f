"""``nnfw start [FOLDER]``: the learner's work folder, opened in JupyterLab (:mod:`nnfw.learner.start`)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from nnfw.cli.exitcode import ExitCode
from nnfw.learner.start import StartError, lab_command, start


def _cmd_start(args: Any) -> int:
    try:
        result = start(Path(args.folder) if args.folder else None)
    except StartError as exc:
        print(f"nnfw start: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    shown = result.work
    print(f"[nnfw] your work folder: {shown}")
    if result.copied:
        print(f"[nnfw] copied {len(result.copied)} file(s) from course/")
    if result.kept:
        print(
            f"[nnfw] kept {len(result.kept)} file(s) already there (yours; never overwritten). "
            "For a fresh copy of a notebook, rename yours and run `nnfw start` again."
        )
    if result.ignored_by_git.startswith("added"):
        print(f"[nnfw] git will not track it: {result.ignored_by_git}")
    if args.no_lab:
        print(f"[nnfw] open it with: nnfw start {shown}   (or: jupyter lab {shown})")
        return ExitCode.OK
    argv, env = lab_command(
        result.work, port=args.port, open_browser=not args.no_browser, extra_args=args.lab_args
    )
    print("[nnfw] starting JupyterLab (stop it with Ctrl+C; your notebooks save as you go)")
    sys.stdout.flush()
    if os.name == "posix":  # become JupyterLab: Ctrl+C and kill reach the server itself
        os.execve(argv[0], argv, {**os.environ, **env})
    try:  # pragma: no cover - Windows
        return subprocess.call(argv, env={**os.environ, **env})
    except KeyboardInterrupt:  # pragma: no cover
        return 0


def register(sub: Any) -> None:
    """Add ``nnfw start`` to ``nnfw``'s subparsers."""
    p = sub.add_parser(
        "start",
        help="copy the course into your work folder and open it in JupyterLab; for learners",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Copy the notebooks of course/ into your own work folder (default: work/ "
        "in the course repository, which git ignores) and open JupyterLab there. Files "
        "already in the work folder are never overwritten, so it is safe to run again: it "
        "adds only what is new.\n\nexamples:\n"
        "  nnfw start                  # work/ in the course repository\n"
        "  nnfw start ~/nnfw-work      # another folder\n"
        "  nnfw start --no-lab         # only copy\n"
        "  nnfw start --no-browser --port 8890\n\n"
        "JupyterLab runs with the learner set-up: no nbgrader instructor tools, no news "
        "pop-up, the landing page (README.md) open.",
    )
    p.add_argument("folder", nargs="?", metavar="FOLDER", help="your work folder (default: work/)")
    p.add_argument("--no-lab", action="store_true", help="only copy; do not start JupyterLab")
    p.add_argument("--no-browser", action="store_true", help="start JupyterLab without a browser")
    p.add_argument(
        "--port", type=int, default=None, help="JupyterLab's port (default: 8888 or free)"
    )
    p.add_argument(
        "--lab-arg",
        dest="lab_args",
        action="append",
        default=[],
        metavar="ARG",
        help="pass ARG on to jupyter lab (repeatable), e.g. --lab-arg=--ServerApp.token=abc",
    )
    p.set_defaults(func=_cmd_start)
