"""``nnfw outputs refresh|check``: the stored outputs nbval compares (:mod:`nnfw.authoring.outputs`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from nnfw.authoring.notebooks import find_course_root, solution_notebooks
from nnfw.authoring.outputs import CHECK_MARKER, MIN_CHECKED_CELLS, check, refresh
from nnfw.cli.exitcode import ExitCode


def _targets(args: Any) -> tuple[Path, list[Path]]:
    root = find_course_root()
    return root, solution_notebooks(root, args.targets)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)


def _cmd_refresh(args: Any) -> int:
    try:
        root, paths = _targets(args)
    except FileNotFoundError as exc:
        print(f"nnfw outputs refresh: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    status = ExitCode.OK
    for path in paths:
        name = _rel(path, root)
        print(f"{name}: running ...", flush=True)
        try:
            result = refresh(path, timeout=args.timeout)
        except Exception as exc:  # noqa: BLE001  (a failing cell: report it, go on with the rest)
            status = ExitCode.PROBLEM
            text = str(exc).strip().splitlines()
            print(f"{name}: FAILED, nothing written: {type(exc).__name__}", file=sys.stderr)
            for line in text[-15:]:
                print(f"    {line}", file=sys.stderr)
            continue
        state = "updated" if result.changed else "unchanged"
        print(f"{name}: {result.checked} checked cell(s), {state} ({result.seconds:.1f} s)")
        for problem in [*result.problems, *check(path)]:
            status = ExitCode.PROBLEM
            print(f"{name}: {problem}", file=sys.stderr)
    if status == ExitCode.OK:
        print("done. Now run `nnfw release` (course/ is released without outputs) and commit both.")
    return status


def _cmd_check(args: Any) -> int:
    try:
        root, paths = _targets(args)
    except FileNotFoundError as exc:
        print(f"nnfw outputs check: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    bad = 0
    for path in paths:
        problems = check(path)
        bad += bool(problems)
        for problem in problems:
            print(f"{_rel(path, root)}: {problem}")
    print(f"{len(paths)} notebook(s) checked, {bad} with problems")
    return ExitCode.PROBLEM if bad else ExitCode.OK


def register(sub: Any) -> None:
    """Add ``nnfw outputs refresh|check`` to ``nnfw``'s subparsers."""
    outputs = sub.add_parser(
        "outputs",
        help="refresh or check the stored outputs nbval compares; for notebook authors",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Solution notebooks store outputs only for cells whose first line is "
        f"`{CHECK_MARKER}`; pytest (nbval) compares them.\n\nexamples:\n"
        "  nnfw outputs refresh                 # run every solution notebook, store outputs\n"
        "  nnfw outputs refresh 03-high-level   # one assignment (or a notebook path)\n"
        "  nnfw outputs check                   # the rules only; runs nothing\n"
        "then: nnfw release && nnfw release --check",
    )
    verbs = outputs.add_subparsers(dest="outputs_command", metavar="VERB", required=True)
    p = verbs.add_parser(
        "refresh",
        help="run notebooks (NNFW_FAST=0) and store the outputs of marked cells only",
        description="Execute notebooks in this Python (the kernel nbval uses) in learner mode "
        "(NNFW_FAST=0) and keep the outputs of cells marked "
        f"{CHECK_MARKER}; every other output and every execution count is cleared. "
        "Exit 1 when a notebook fails or breaks a rule.",
    )
    p.add_argument("targets", nargs="*", metavar="ASSIGNMENT|NOTEBOOK")
    p.add_argument("--timeout", type=int, default=600, metavar="S", help="per cell (600)")
    p.set_defaults(func=_cmd_refresh)
    p = verbs.add_parser(
        "check",
        help="check the stored-output rules without running anything",
        description=f"Exit 1 when a notebook has fewer than {MIN_CHECKED_CELLS} cells marked "
        f"{CHECK_MARKER}, a marked cell without a stored output, or outputs on other cells.",
    )
    p.add_argument("targets", nargs="*", metavar="ASSIGNMENT|NOTEBOOK")
    p.set_defaults(func=_cmd_check)
