"""Reading and writing notebooks the same way every time.

Notebooks are written with nbformat's own layout (JSON, indent 1, sorted keys) plus a
trailing newline, and only when their bytes change, so regenerating ``course/`` twice gives
byte-identical files and leaves unchanged files' timestamps alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

#: The lines that mark a solution in a source notebook.
SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
#: Notebook-level metadata that changes from run to run and is never worth committing.
VOLATILE_NOTEBOOK_METADATA = ("widgets", "toc", "varInspector", "execution")
#: Cell-level metadata that changes from run to run.
VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime", "heading_collapsed")


def notebook_bytes(nb: nbformat.NotebookNode) -> bytes:
    """Return ``nb`` serialised as nbformat does, with a trailing newline, as UTF-8."""
    text = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def write_bytes_if_changed(data: bytes, path: Path) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly that; return True if written."""
    path = Path(path)
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> bool:
    """Write ``nb`` to ``path`` deterministically; return True if the file changed."""
    return write_bytes_if_changed(notebook_bytes(nb), path)


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a version-4 notebook (older versions are upgraded)."""
    with Path(path).open(encoding="utf-8") as fh:
        return nbformat.read(fh, as_version=4)


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Clear outputs and run-dependent metadata in place; return ``nb``.

    Cell ids are kept (they come from the source notebook); cells of an nbformat 4.5+
    notebook that lack one get a stable id derived from their position.
    """
    for key in VOLATILE_NOTEBOOK_METADATA:
        nb.metadata.pop(key, None)
    needs_ids = (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    for index, cell in enumerate(nb.cells):
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if needs_ids and not cell.get("id"):
            cell["id"] = f"cell-{index}"
    return nb


def cell_source(cell: Any) -> str:
    """Return a cell's source as one string (nbformat allows a list of lines)."""
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(str(part) for part in source)
    return str(source)


def filled_notebook(
    source: nbformat.NotebookNode, released: bytes, answers: Mapping[str, str] | None = None
) -> bytes:
    """Return the learner notebook ``released`` with every answer cell filled in.

    Each answer cell (by ``grade_id``) gets the source notebook's solution, without its
    ``### BEGIN/END SOLUTION`` lines, or the text ``answers`` gives for it: a submission as a
    learner would hand it in (``nnfw grade --demo``, ``nnfw audit``).
    """
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: SOLUTION_MARKER.sub("", cell_source(c)).rstrip()
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    solutions.update(answers or {})
    nb = nbformat.reads(released.decode("utf-8"), as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell.source = solutions[grade_id]
    return notebook_bytes(nb)
