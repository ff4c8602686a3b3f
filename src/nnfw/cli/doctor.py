"""``nnfw doctor``: versions and devices, for anyone setting up the course."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import nnfw
from nnfw.cli.exitcode import ExitCode

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
    print("GPU, per framework:")
    for entry in report.frameworks:
        print(f"  {entry.gpu_line()}")
    missing = [name for name in REQUIRED if versions.get(name) is None]
    if missing:
        print(
            f'\nmissing: {", ".join(missing)}. Install the course with: pip install -e ".[dev]"',
            file=sys.stderr,
        )
        return ExitCode.PROBLEM
    print("\nall set: start learning with `nnfw start`")
    return ExitCode.OK


def register(sub: Any) -> None:
    """Add ``nnfw doctor``."""
    doctor = sub.add_parser(
        "doctor",
        help="show versions and devices; for anyone setting up the course",
        description="Print the versions of Python, PyTorch, TensorFlow, Keras, Lightning, "
        "nbgrader and nbval, which devices (CPU, CUDA, MPS) each framework sees, and which "
        "GPU, if any, PyTorch and TensorFlow each use. "
        "Exits 1 when a required package is missing.",
    )
    doctor.set_defaults(func=_doctor)
