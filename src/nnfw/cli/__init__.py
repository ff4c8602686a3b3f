"""The ``nnfw`` command: one module per verb, each saying who it is for (as nbgrader's do).

=========================  ==========================  =======================================
verb                       for                         module
=========================  ==========================  =======================================
``nnfw doctor``            anyone setting up           :mod:`nnfw.cli.doctor`
``nnfw start [FOLDER]``    learners                    :mod:`nnfw.cli.start`
``nnfw check NOTEBOOK``    learners                    :mod:`nnfw.cli.check`
``nnfw release``           instructors (authoring)     :mod:`nnfw.cli.release`
``nnfw outputs``           notebook authors            :mod:`nnfw.cli.outputs`
``nnfw grade``             instructors                 :mod:`nnfw.cli.grade`
``nnfw feedback|export``   instructors                 :mod:`nnfw.cli.results`
``nnfw audit``             instructors (authoring)     :mod:`nnfw.cli.audit`
=========================  ==========================  =======================================

Each verb module parses its options and calls the library (:mod:`nnfw.learner`,
:mod:`nnfw.authoring`, :mod:`nnfw.grading`); none imports nbgrader at import time, so
``nnfw --help`` stays fast. Exit codes: :class:`nnfw.cli.exitcode.ExitCode` (0 fine, 1 the
command ran and found a problem, 2 usage error). ``main(argv)`` returns the code instead of
exiting, so tests call it directly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import nnfw
from nnfw.cli.exitcode import ExitCode

__all__ = ["ExitCode", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``nnfw`` parser with every verb registered."""
    from nnfw.cli import audit, check, doctor, grade, outputs, release, results, start

    parser = argparse.ArgumentParser(
        prog="nnfw",
        description="Tools for the nnfw-course: set-up checks, release, grading and self-checks.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {nnfw.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for verb in (doctor, start, release, grade, results, audit, check, outputs):
        verb.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nnfw`` command with ``argv`` (default: ``sys.argv[1:]``)."""
    from nnfw.grading.nbgrader_setup import skip_slow_imports

    skip_slow_imports()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on errors, 0 on --help/--version
        return int(exc.code or 0)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return ExitCode.USAGE
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
