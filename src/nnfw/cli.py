"""The ``nnfw`` command.

Subcommands are verbs, each saying who it is for (as nbgrader's do). For now:

``nnfw doctor``
    Print the versions of Python and the course's frameworks and tools, and
    the devices each framework sees. Paste its output into a bug report.

``nnfw start [FOLDER]``
    The learner's command: copy the course into a work folder and open it in JupyterLab
    (:mod:`nnfw.learner`).

``nnfw release|grade|feedback|export|check``
    The grading flow (:mod:`nnfw.grading.cli`).

``nnfw outputs refresh|check``
    The outputs that nbval compares in solution notebooks (:mod:`nnfw.notebooks`).

Exit codes follow ruff's: 0 = fine, 1 = the command ran and found a problem,
2 = usage error. ``main(argv)`` returns the code instead of exiting, so tests
call it directly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import nnfw

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2

#: The packages `nnfw doctor` must find for the course to work.
REQUIRED = ("torch", "tensorflow", "keras", "lightning", "nbgrader", "nbval", "jupyterlab")


def _doctor(args: argparse.Namespace) -> int:
    from nnfw.device import _versions, describe

    versions = _versions()
    print(f"nnfw-course {nnfw.__version__}")
    print("versions:")
    for name, version in versions.items():
        print(f"  {name:<13} {version or 'NOT INSTALLED'}")
    print("devices:")
    report = describe()
    for line in str(report).splitlines()[1:]:
        print(f"  {line}")
    missing = [name for name in REQUIRED if versions.get(name) is None]
    if missing:
        print(
            f'\nmissing: {", ".join(missing)}. Install the course with: pip install -e ".[dev]"',
            file=sys.stderr,
        )
        return EXIT_PROBLEM
    print("\nall set: start learning with `nnfw start`")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnfw",
        description="Tools for the nnfw-course: set-up checks, release, grading and self-checks.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {nnfw.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    doctor = sub.add_parser(
        "doctor",
        help="show versions and devices; for anyone setting up the course",
        description="Print the versions of Python, PyTorch, TensorFlow, Keras, Lightning, "
        "nbgrader and nbval, and which devices (CPU, CUDA, MPS) each framework sees. "
        "Exits 1 when a required package is missing.",
    )
    doctor.set_defaults(func=_doctor)
    from nnfw.learner import register as register_learner

    register_learner(sub)
    from nnfw.grading.cli import register as register_grading

    register_grading(sub)
    from nnfw.notebooks import register as register_outputs

    register_outputs(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nnfw`` command with ``argv`` (default: ``sys.argv[1:]``)."""
    from nnfw.grading.course import skip_slow_imports

    skip_slow_imports()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on errors, 0 on --help/--version
        return int(exc.code or 0)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return EXIT_USAGE
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
