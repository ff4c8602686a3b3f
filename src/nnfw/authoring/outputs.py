"""Stored outputs of solution notebooks: the cells nbval checks, refreshed and checked.

``pytest`` runs every notebook in ``solutions/`` through nbval in *lax* mode: each code cell
must run without an error, and only cells whose **first line** is ``# NBVAL_CHECK_OUTPUT`` have
their outputs compared with the outputs stored in the notebook. So a solution notebook carries
outputs on those cells and on no other (no plots, no training logs in git).

``nnfw outputs refresh [ASSIGNMENT|NOTEBOOK ...]`` executes notebooks in the current environment
(the same kernel nbval uses, in learner mode: ``NNFW_FAST=0``) and keeps the outputs of the marked
cells only; ``execution_count`` is cleared on every other cell (nbval needs one on a cell with
outputs, and a top-to-bottom run numbers code cells 1, 2, ..., so the numbers are stable). Only outputs change: sources, ids and
metadata stay as they were, and the file is written the way nbformat and ``nnfw release`` write
notebooks, so ``course/`` (released without outputs) stays byte-identical.

``nnfw outputs check`` checks the rules without running anything: at least
:data:`MIN_CHECKED_CELLS` marked cells per notebook, each with a stored output, and no output on
any other cell. ``tests/test_notebook_outputs.py`` runs the same check.

The command is :mod:`nnfw.cli.outputs`. Nothing here imports a framework.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnfw.authoring.notebooks import cell_source, execute

#: The marker nbval looks for; the course's rule is that it is a cell's first line.
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
#: Every solution notebook has at least this many marked cells.
MIN_CHECKED_CELLS = 3
#: Output types that belong in a stored output. Images change with every matplotlib release.
IMAGE_MIME_PREFIX = "image/"
#: Environment for a refresh: learner mode (full training), no GUI backend.
REFRESH_ENV: dict[str, str] = {"NNFW_FAST": "0", "MPLBACKEND": "Agg"}


def is_checked(cell: Mapping[str, Any]) -> bool:
    """True for a code cell whose first line is ``# NBVAL_CHECK_OUTPUT``."""
    if cell.get("cell_type") != "code":
        return False
    lines = cell_source(cell).lstrip("\n").splitlines()
    return bool(lines) and lines[0].strip() == CHECK_MARKER


def _stored(output: Mapping[str, Any], execution_count: int | None) -> Any:
    """An output as it is stored, numbered like its cell."""
    import nbformat

    out = copy.deepcopy(dict(output))
    if "execution_count" in out:
        out["execution_count"] = execution_count
    return nbformat.from_dict(out)


@dataclass
class RefreshResult:
    path: Path
    checked: int
    changed: bool
    seconds: float
    problems: list[str] = field(default_factory=list)


def refresh(path: Path, *, timeout: int = 600) -> RefreshResult:
    """Run ``path`` and store the outputs of its marked cells only; see the module docstring."""
    from nnfw.grading.nbio import read_notebook, write_notebook

    path = Path(path)
    original = read_notebook(path)
    executed = copy.deepcopy(original)
    for cell in executed.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    start = time.perf_counter()
    execute(executed, path.parent, timeout=timeout, env=REFRESH_ENV)
    seconds = time.perf_counter() - start
    problems: list[str] = []
    checked = 0
    for index, (cell, ran) in enumerate(zip(original.cells, executed.cells, strict=True)):
        if cell.cell_type != "code":
            continue
        if is_checked(cell):
            # nbval compares only cells with an execution_count ("unrun" cells must have no
            # outputs). A top-to-bottom run numbers code cells 1, 2, ..., so this is stable.
            checked += 1
            cell.execution_count = ran.execution_count
            cell.outputs = [_stored(out, ran.execution_count) for out in ran.outputs]
            problems.extend(_output_problems(index, cell))
        else:
            cell.execution_count = None
            cell.outputs = []
    changed = write_notebook(original, path)
    return RefreshResult(path, checked, changed, seconds, problems)


# --- checking the rules -----------------------------------------------------------------------


def _cell_name(index: int, cell: Mapping[str, Any]) -> str:
    return f"cell {index} (id {cell.get('id', '?')})"


def _output_problems(index: int, cell: Mapping[str, Any]) -> Iterator[str]:
    outputs = cell.get("outputs", [])
    name = _cell_name(index, cell)
    if not outputs:
        yield f"{name} is marked {CHECK_MARKER} but has no stored output"
    for out in outputs:
        kind = out.get("output_type")
        if kind == "error":
            yield f"{name} is marked {CHECK_MARKER} but its stored output is an error"
        elif kind == "stream" and out.get("name") == "stderr":
            yield f"{name} is marked {CHECK_MARKER} but writes to stderr (warnings are not stable)"
        elif any(str(mime).startswith(IMAGE_MIME_PREFIX) for mime in out.get("data", {})):
            yield f"{name} is marked {CHECK_MARKER} but shows an image; print numbers instead"


def output_problems(nb: Mapping[str, Any]) -> list[str]:
    """Problems with a solution notebook's stored outputs (empty when it follows the rules)."""
    problems: list[str] = []
    checked = 0
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = cell_source(cell)
        checked_cell = is_checked(cell)
        if checked_cell:
            checked += 1
            problems.extend(_output_problems(index, cell))
        else:
            if CHECK_MARKER in source:
                problems.append(
                    f"{_cell_name(index, cell)}: {CHECK_MARKER} must be the cell's first line"
                )
            if cell.get("outputs"):
                problems.append(
                    f"{_cell_name(index, cell)} has stored outputs but is not marked "
                    f"{CHECK_MARKER}; clear them (nnfw outputs refresh does)"
                )
        if checked_cell and cell.get("outputs") and cell.get("execution_count") is None:
            problems.append(
                f"{_cell_name(index, cell)} has stored outputs but no execution_count, so nbval "
                "would refuse it ('Unrun reference cell has outputs'); refresh it"
            )
        if not checked_cell and cell.get("execution_count") is not None:
            problems.append(f"{_cell_name(index, cell)} has an execution_count; clear it")
    if checked < MIN_CHECKED_CELLS:
        problems.append(
            f"{checked} cell(s) marked {CHECK_MARKER}, at least {MIN_CHECKED_CELLS} wanted: "
            "mark cells with deterministic output (shapes, dtypes, exact integers)"
        )
    return problems


def check(path: Path) -> list[str]:
    """:func:`check_notebook` for the notebook at ``path``."""
    from nnfw.grading.nbio import read_notebook

    return output_problems(read_notebook(Path(path)))
