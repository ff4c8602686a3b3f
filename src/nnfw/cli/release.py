"""``nnfw release``: generate ``course/`` from ``solutions/`` (:mod:`nnfw.authoring.release`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nnfw.cli.common import add_course_options, course_of, guarded, say
from nnfw.cli.exitcode import ExitCode


def _release(args: argparse.Namespace) -> int:
    from nnfw.authoring.release import WorkAtRisk, release

    course = course_of(args)
    assert course is not None
    if not course.assignments() and not args.assignments:
        print(f"[nnfw] no assignments in {course.source_dir} yet: nothing to release")
    try:
        result = release(
            course,
            args.assignments,
            check=args.check,
            force=args.force,
            progress=lambda s: say(f"[nnfw] {s}"),
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
        return ExitCode.PROBLEM
    if result.backup is not None:
        print(f"[nnfw] --force: saved the notebooks that held work in {result.backup}")
    if args.check:
        if result.drift:
            print(f"[nnfw] {course.release_dirname}/ is out of date with {course.source_dirname}/:")
            for path, why in result.drift:
                print(f"  {path}: {why}")
            print("Run `nnfw release` and commit course/.")
            return ExitCode.PROBLEM
        print(f"[nnfw] {course.release_dirname}/ is up to date ({len(result.unchanged)} files)")
        return ExitCode.OK
    for path in result.written:
        print(f"[nnfw] wrote {path}")
    for path in result.removed:
        print(f"[nnfw] removed {path}")
    print(
        f"[nnfw] release done: {len(result.written)} written, {len(result.unchanged)} unchanged, "
        f"{len(result.removed)} removed. Next: review with `git diff course/`, then commit."
    )
    return ExitCode.OK


def register(sub: Any) -> None:
    """Add ``nnfw release``."""
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
    add_course_options(p, workspace=False)
    p.set_defaults(func=guarded(_release))
