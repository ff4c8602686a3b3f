"""`ruff` (lint and format) and `mypy` (types over src/) are part of the test suite, so CI
fails on style or type drift."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = shutil.which("ruff")
MYPY = shutil.which("mypy")


@pytest.mark.skipif(RUFF is None, reason='ruff is not installed: pip install -e ".[dev]"')
@pytest.mark.parametrize(
    "args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"]
)
def test_ruff(args):
    result = subprocess.run(
        [RUFF, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"ruff {' '.join(args)} failed:\n{result.stdout}{result.stderr}"


@pytest.mark.skipif(MYPY is None, reason='mypy is not installed: pip install -e ".[dev]"')
def test_mypy_over_src():
    """The helper package's type hints hold (settings in pyproject.toml, [tool.mypy])."""
    result = subprocess.run(
        [MYPY], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"mypy failed:\n{result.stdout}{result.stderr}"
