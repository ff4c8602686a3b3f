"""Read a submitted notebook defensively and repair it against the released one.

:func:`parse_notebook` reads bytes leniently (a reason, never an exception, for a bad
file); :func:`repair` rebuilds a clean copy that nbgrader can grade fairly, recording each
repair as a note; :func:`similarity` lets the matcher recognise a renamed notebook.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Protocol

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from nnfw.grading.course import short
from nnfw.grading.messages import NOTE
from nnfw.grading.nbio import cell_source


class Findings(Protocol):
    """Where :func:`repair` records what it repaired (an :class:`~.student.Imported`)."""

    def add(self, level: str, text: str, notebook: str | None = None) -> None:
        """Record one finding."""


#: More JSON values (roughly: commas and containers) than any notebook needs. Parsing is
#: refused beyond it: a few megabytes of ``[{},{},...]`` would take gigabytes as Python
#: objects in the grader (a "JSON bomb"). A course notebook holds a few thousand.
MAX_JSON_VALUES = 2_000_000


def parse_notebook(data: bytes) -> tuple[dict[str, Any] | None, str]:
    """Parse notebook bytes leniently; return ``(notebook dict, "")`` or ``(None, why)``."""
    if not data.strip():
        return None, "is empty"
    values = data.count(b",") + data.count(b"{") + data.count(b"[")
    if values > MAX_JSON_VALUES:
        return None, (
            f"holds about {values:,} JSON values, more than a notebook needs "
            f"({MAX_JSON_VALUES:,}); not parsed. Clear its outputs and resubmit"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "is not a text file (not UTF-8), so not a notebook"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"is not valid JSON, perhaps truncated ({exc.msg} at line {exc.lineno})"
    except RecursionError:
        return None, "is not usable JSON (nested too deeply)"
    if isinstance(raw, dict) and "worksheets" in raw:  # nbformat 3: let nbformat upgrade it
        try:
            raw = json.loads(nbformat.writes(nbformat.reads(text, as_version=4)))
        except Exception as exc:  # noqa: BLE001
            return None, f"is an old-format notebook nbformat cannot read ({short(exc, 80)})"
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        kind = type(raw).__name__
        return None, f"is valid JSON but not a Jupyter notebook (a {kind} without a list of cells)"
    return raw, ""


def grade_ids(nb: Any) -> dict[str, Any]:
    """The cells of ``nb`` that carry an nbgrader grade id, by id (the first of duplicates)."""
    out: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata")
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        if isinstance(nbg, dict) and isinstance(nbg.get("grade_id"), str):
            out.setdefault(nbg["grade_id"], cell)
    return out


def similarity(candidate: dict[str, Any], release: nbformat.NotebookNode) -> tuple[int, int]:
    ids = set(grade_ids(candidate))
    overlap = len(ids & set(grade_ids(release)))
    sources = {cell_source(c).strip() for c in candidate["cells"] if isinstance(c, dict)}
    same_text = sum(1 for c in release.cells if cell_source(c).strip() in sources)
    return overlap, same_text


# --- repairing one notebook against the release -------------------------------------------


def _kind(nbg: dict[str, Any]) -> str:
    if nbg.get("solution"):
        return "answer cell"
    if nbg.get("grade"):
        return "test cell"
    return "locked cell"


def _new_cell(cell_type: str, source: str, metadata: dict[str, Any], cell_id: str) -> Any:
    maker = {"code": new_code_cell, "markdown": new_markdown_cell}.get(cell_type, new_raw_cell)
    return maker(source=source, metadata=metadata, id=cell_id)


def repair(
    submitted: dict[str, Any], release: nbformat.NotebookNode, notebook: str, record: Findings
) -> nbformat.NotebookNode:
    """Return a clean nbformat 4.5 copy of ``submitted`` that nbgrader can grade fairly.

    Cells are rebuilt (outputs and unknown metadata dropped); cells carrying the release's
    grade ids get the release's nbgrader metadata and cell type; locked cells get the
    release's source; graded, answer and locked cells that were deleted are put back where
    they belong. Each repair is recorded as a note on ``record``.
    """
    release_cells = grade_ids(release)
    order = list(release_cells)
    cells: list[Any] = []
    seen: set[str] = set()
    used_ids: set[str] = set()
    dropped_foreign = 0
    malformed = 0
    for index, cell in enumerate(submitted["cells"]):
        if not isinstance(cell, dict):
            malformed += 1
            continue
        cell_type = cell.get("cell_type")
        cell_type = cell_type if cell_type in ("code", "markdown", "raw") else "raw"
        source = cell_source(cell)
        raw_meta = cell.get("metadata")
        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        nbg = meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else None
        grade_id = nbg.get("grade_id") if nbg else None
        metadata: dict[str, Any] = {}
        if isinstance(grade_id, str) and grade_id in release_cells and grade_id not in seen:
            seen.add(grade_id)
            ref = release_cells[grade_id]
            ref_nbg = ref.metadata["nbgrader"]
            kind = _kind(ref_nbg)
            metadata = copy.deepcopy(dict(ref.metadata))
            if cell_type != ref.cell_type:
                record.add(
                    NOTE,
                    f"{kind} '{grade_id}' had been changed from {ref.cell_type} to {cell_type}; "
                    "changed back",
                    notebook,
                )
                cell_type = ref.cell_type
            if kind != "answer cell" and source.strip() != cell_source(ref).strip():
                record.add(
                    NOTE, f"{kind} '{grade_id}' was edited; the original was restored", notebook
                )
                source = cell_source(ref)
            if nbg != dict(ref_nbg) and nbg is not None:
                changed = sorted(
                    k
                    for k in ("grade", "solution", "locked", "points")
                    if nbg.get(k) != ref_nbg.get(k)
                )
                if changed:
                    record.add(
                        NOTE,
                        f"nbgrader settings of '{grade_id}' were changed ({', '.join(changed)}); "
                        "restored",
                        notebook,
                    )
        elif isinstance(grade_id, str):
            if grade_id in seen:
                record.add(
                    NOTE,
                    f"cell '{grade_id}' appears twice; the copy runs but is not graded",
                    notebook,
                )
            else:
                dropped_foreign += 1
        elif isinstance(meta.get("tags"), list):
            metadata = {"tags": [t for t in meta["tags"] if isinstance(t, str)]}
        raw_id = cell.get("id")
        cell_id = (
            raw_id
            if isinstance(raw_id, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", raw_id)
            else ""
        )
        if not cell_id or cell_id in used_ids:
            cell_id = f"submitted-{index}"
        used_ids.add(cell_id)
        new = _new_cell(cell_type, source, metadata, cell_id)
        new.grade_id = grade_id if isinstance(grade_id, str) and grade_id in seen else None
        cells.append(new)
    if malformed:
        record.add(NOTE, f"{malformed} malformed cell(s) were ignored", notebook)
    if dropped_foreign:
        record.add(
            NOTE,
            f"{dropped_foreign} graded cell(s) from another notebook or assignment were "
            "ignored (they run, but count for nothing)",
            notebook,
        )
    # put deleted cells back, after the nearest earlier cell of the release that is present
    for position, grade_id in enumerate(order):
        if grade_id in seen:
            continue
        ref = release_cells[grade_id]
        kind = _kind(ref.metadata["nbgrader"])
        what = "put back blank" if kind == "answer cell" else "restored from the release"
        record.add(NOTE, f"{kind} '{grade_id}' was deleted; {what}", notebook)
        insert_at = 0
        for earlier in reversed(order[:position]):
            idx = next((i for i, c in enumerate(cells) if c.grade_id == earlier), None)
            if idx is not None:
                insert_at = idx + 1
                break
        cell_id = f"restored-{position}"
        while cell_id in used_ids:
            cell_id += "-x"
        used_ids.add(cell_id)
        new = _new_cell(ref.cell_type, cell_source(ref), copy.deepcopy(dict(ref.metadata)), cell_id)
        new.grade_id = grade_id
        seen.add(grade_id)
        cells.insert(insert_at, new)
    for cell in cells:
        del cell["grade_id"]
    nb = new_notebook(cells=cells, metadata=copy.deepcopy(dict(release.metadata)))
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb
