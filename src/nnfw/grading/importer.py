"""Collect a folder of submissions into nbgrader's ``submitted/`` layout, repairing what it can.

A submissions folder holds one entry per student: a folder or a ``.zip`` file named by the
student id (an LMS export). For each student nnfw finds the assignment's notebooks (also when
renamed or in a sub-folder), reads them defensively and writes a clean copy to
``submitted/<student>/<assignment>/``: outputs cleared, deleted graded cells put back, edited
locked cells and changed cell types restored, nbgrader metadata taken from the release. Every
finding becomes a :class:`Reason`; nothing here raises for a bad submission.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from nnfw.grading.course import IGNORED_NAMES, SAFE_ID, GradingError, short
from nnfw.grading.nbio import cell_source, write_notebook

#: A notebook file larger than this is not graded (outputs are cleared anyway, but parsing
#: hundreds of megabytes of JSON per student is not worth it).
MAX_NOTEBOOK_BYTES = 100 * 1024 * 1024
#: Other files larger than this are called "huge" in the report.
HUGE_FILE_BYTES = 50 * 1024 * 1024

PROBLEM, NOTE = "problem", "note"


@dataclass
class Reason:
    """One finding about a submission: a ``problem`` needs the instructor, a ``note`` does not."""

    level: str
    text: str
    notebook: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"level": self.level, "text": self.text, "notebook": self.notebook}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reason:
        """Inverse of :meth:`to_dict`."""
        return cls(data["level"], data["text"], data.get("notebook"))


@dataclass
class Imported:
    """One student's submission after import."""

    student: str
    origin: str
    #: notebook name -> path of the cleaned copy in ``submitted/`` (only readable notebooks)
    notebooks: dict[str, Path] = field(default_factory=dict)
    reasons: list[Reason] = field(default_factory=list)

    def add(self, level: str, text: str, notebook: str | None = None) -> None:
        """Record a finding."""
        self.reasons.append(Reason(level, text, notebook))


@dataclass
class _File:
    rel: str  # path inside the submission, POSIX style
    size: int
    read: Callable[[], bytes]

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]

    @property
    def folder(self) -> str:
        return self.rel.rsplit("/", 1)[0] if "/" in self.rel else ""


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def _ignored(parts: tuple[str, ...]) -> bool:
    return any(p in IGNORED_NAMES or p.startswith(".") for p in parts)


def _list_folder(folder: Path) -> list[_File]:
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not _ignored((d,)))
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            rel = path.relative_to(folder)
            if _ignored(rel.parts) or not path.is_file():
                continue
            files.append(_File(rel.as_posix(), path.stat().st_size, lambda p=path: p.read_bytes()))
    return files


def _list_zip(path: Path) -> list[_File]:
    with zipfile.ZipFile(path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]

    def reader(name: str) -> Callable[[], bytes]:
        def read() -> bytes:
            with zipfile.ZipFile(path) as archive, archive.open(name) as fh:
                return fh.read(MAX_NOTEBOOK_BYTES + 1)

        return read

    files = []
    for info in infos:
        rel = info.filename.replace("\\", "/").lstrip("/")
        parts = tuple(p for p in rel.split("/") if p not in ("", ".", ".."))
        if not parts or _ignored(parts):
            continue
        files.append(_File("/".join(parts), info.file_size, reader(info.filename)))
    return files


def _newest_mtime(path: Path) -> float:
    if path.is_file():
        return path.stat().st_mtime
    times = [p.stat().st_mtime for p in path.rglob("*") if p.is_file()]
    return max(times, default=path.stat().st_mtime)


def student_id_for(entry: Path) -> str:
    """Return the student id an entry (folder or zip file) stands for."""
    name = entry.stem if entry.is_file() else entry.name
    if SAFE_ID.match(name):
        return name
    cleaned = re.sub(r"[^A-Za-z0-9_.@+-]+", "_", name).strip("_.-+@")[:100]
    return cleaned or "unnamed"


def find_entries(submissions: Path) -> tuple[dict[str, list[Path]], list[str]]:
    """Return ``({student: [entries]}, [ignored entry names])`` of a submissions folder."""
    if not submissions.is_dir():
        what = "a file" if submissions.exists() else "missing"
        msg = (
            f"{submissions} is {what}: give a folder holding one folder or .zip file per "
            "student (for example an LMS export, unzipped once)"
        )
        raise GradingError(msg)
    by_student: dict[str, list[Path]] = {}
    ignored: list[str] = []
    for entry in sorted(submissions.iterdir()):
        if _ignored((entry.name,)):
            continue
        if entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip"):
            by_student.setdefault(student_id_for(entry), []).append(entry)
        else:
            ignored.append(entry.name)
    return by_student, ignored


# --- reading one notebook file ------------------------------------------------------------


def parse_notebook(data: bytes) -> tuple[dict[str, Any] | None, str]:
    """Parse notebook bytes leniently; return ``(notebook dict, "")`` or ``(None, why)``."""
    if not data.strip():
        return None, "is empty"
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


def _ids(nb: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata")
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        if isinstance(nbg, dict) and isinstance(nbg.get("grade_id"), str):
            out.setdefault(nbg["grade_id"], cell)
    return out


def _similarity(candidate: dict[str, Any], release: nbformat.NotebookNode) -> tuple[int, int]:
    ids = set(_ids(candidate))
    overlap = len(ids & set(_ids(release)))
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
    submitted: dict[str, Any], release: nbformat.NotebookNode, notebook: str, record: Imported
) -> nbformat.NotebookNode:
    """Return a clean nbformat 4.5 copy of ``submitted`` that nbgrader can grade fairly.

    Cells are rebuilt (outputs and unknown metadata dropped); cells carrying the release's
    grade ids get the release's nbgrader metadata and cell type; locked cells get the
    release's source; graded, answer and locked cells that were deleted are put back where
    they belong. Each repair is recorded as a note on ``record``.
    """
    release_cells = _ids(release)
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
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
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


# --- one student -----------------------------------------------------------------------------


def import_student(
    student: str,
    entries: list[Path],
    assignment: str,
    releases: dict[str, nbformat.NotebookNode],
    dest: Path,
    *,
    require_both: bool = False,
) -> Imported:
    """Import one student's submission into ``dest`` (``submitted/<student>/<assignment>``).

    Never raises for a bad submission: every problem is recorded on the returned
    :class:`Imported`, and unreadable notebooks are simply not written (nbgrader then scores
    them 0).
    """
    entry = entries[0]
    if len(entries) > 1:
        entry = max(entries, key=_newest_mtime)
        names = ", ".join(e.name + ("/" if e.is_dir() else "") for e in entries)
        record = Imported(student, entry.name)
        record.add(
            PROBLEM,
            f"{len(entries)} submissions for this student ({names}); graded the newest, "
            f"{entry.name}",
        )
    else:
        record = Imported(student, entry.name)
    if student != (entry.stem if entry.is_file() else entry.name):
        record.add(NOTE, f"'{entry.name}' is graded as student id '{student}'")
    if dest.exists():
        shutil.rmtree(dest)
    files: list[_File] | None
    try:
        files = _list_zip(entry) if entry.is_file() else _list_folder(entry)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        record.add(PROBLEM, f"{entry.name} could not be opened as a zip file ({short(exc, 80)})")
        files = None
    # a zip of a folder (or a folder holding one folder) is the common case: unwrap it
    while files and all("/" in f.rel for f in files):
        top = {f.rel.split("/", 1)[0] for f in files}
        if len(top) != 1:
            break
        for f in files:
            f.rel = f.rel.split("/", 1)[1]
    opened = files is not None
    files = files or []
    notebooks = [f for f in files if f.name.lower().endswith(".ipynb")]
    others = [f for f in files if not f.name.lower().endswith(".ipynb")]
    if others:
        huge = [f for f in others if f.size > HUGE_FILE_BYTES]
        listing = ", ".join(f.rel for f in others[:5]) + (" …" if len(others) > 5 else "")
        text = f"ignored {len(others)} other file(s): {listing}"
        if huge:
            text += f" (huge: {', '.join(f'{f.rel} {_size(f.size)}' for f in huge[:3])})"
        record.add(NOTE, text)

    parsed: dict[str, tuple[dict[str, Any] | None, str]] = {}

    def parse(f: _File) -> tuple[dict[str, Any] | None, str]:
        if f.rel not in parsed:
            if f.size > MAX_NOTEBOOK_BYTES:
                parsed[f.rel] = (
                    None,
                    (
                        f"is {_size(f.size)}, over the {_size(MAX_NOTEBOOK_BYTES)} limit: clear "
                        "its outputs (Edit > Clear Outputs of All Cells) and resubmit"
                    ),
                )
            else:
                try:
                    data = f.read()
                except (OSError, zipfile.BadZipFile, EOFError, RuntimeError) as exc:
                    parsed[f.rel] = (None, f"could not be read ({short(exc, 80)})")
                else:
                    parsed[f.rel] = parse_notebook(data)
        return parsed[f.rel]

    # match files to the assignment's notebooks: exact name at the top, then in a sub-folder,
    # then a name that contains the notebook's, then content (grade ids and text)
    matched: dict[str, _File] = {}
    used: set[str] = set()
    for name in releases:
        exact = [f for f in notebooks if f.name == f"{name}.ipynb"]
        exact.sort(key=lambda f: (f.rel.count("/"), f.rel))
        if exact:
            matched[name] = exact[0]
            used.add(exact[0].rel)
            if exact[0].folder:
                record.add(NOTE, f"found in the sub-folder '{exact[0].folder}/'", name)
            for extra in exact[1:]:
                used.add(extra.rel)
                record.add(NOTE, f"another copy, {extra.rel}, was ignored", name)
    for name in releases:
        if name in matched:
            continue
        loose = [
            f
            for f in notebooks
            if f.rel not in used and name.lower() in f.name.lower().replace(" ", "_")
        ]
        if loose:
            matched[name] = loose[0]
            used.add(loose[0].rel)
            record.add(NOTE, f"submitted as '{loose[0].rel}' (renamed); graded", name)
    for name, release in releases.items():
        if name in matched:
            continue
        best: tuple[tuple[int, int], _File] | None = None
        for f in notebooks:
            if f.rel in used:
                continue
            nb, _ = parse(f)
            if nb is None:
                continue
            score = _similarity(nb, release)
            if score[0] > 0 and (best is None or score > best[0]):
                best = (score, f)
        if best is not None:
            matched[name] = best[1]
            used.add(best[1].rel)
            record.add(NOTE, f"submitted as '{best[1].rel}' (renamed); graded", name)

    leftovers = [f for f in notebooks if f.rel not in used]
    for f in leftovers:
        nb, why = parse(f)
        if nb is None:
            record.add(NOTE, f"ignored {f.rel}: it {why}")
        elif _ids(nb):
            record.add(
                NOTE,
                f"ignored {f.rel}: a notebook of another assignment (its graded cells "
                "do not belong to this one)",
            )
        else:
            record.add(NOTE, f"ignored {f.rel}: not one of this assignment's notebooks")

    for name, release in releases.items():
        f = matched.get(name)
        if f is None:
            continue
        nb, why = parse(f)
        if nb is None:
            record.add(PROBLEM, f"{f.rel} {why}; scored 0", name)
            continue
        overlap, _ = _similarity(nb, release)
        if overlap == 0:
            other = (
                "another assignment's notebook"
                if _ids(nb)
                else "a notebook without the course's graded cells"
            )
            record.add(
                PROBLEM,
                f"{f.rel} is {other}, not {assignment}/{name}.ipynb; scored 0",
                name,
            )
            continue
        clean = repair(nb, release, name, record)
        path = dest / f"{name}.ipynb"
        write_notebook(clean, path)
        record.notebooks[name] = path

    missing = [name for name in releases if name not in matched]
    if missing and opened and not files:
        record.add(PROBLEM, "the submission is empty")
    submitted_any = bool(record.notebooks)
    for name in missing:
        hint = ""
        if leftovers:
            hint = f" (it holds {', '.join(f.rel for f in leftovers[:3])} instead)"
        level = PROBLEM if (require_both or not submitted_any) else NOTE
        text = f"not submitted{hint}"
        if level == NOTE:
            text += "; the other notebook of the pair counts"
        record.add(level, text, name)
    return record
