"""Import one student's submission: match its files to the assignment's notebooks, repair
them, and write clean copies to nbgrader's ``submitted/<student>/<assignment>/``.

The submission may hold the notebooks renamed, in a sub-folder, or beside other files;
every finding becomes a :class:`~nnfw.grading.messages.Reason` on the returned
:class:`Imported`, and nothing here raises for a bad submission.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from nnfw.grading.course import short
from nnfw.grading.intake.find import (
    HUGE_FILE_BYTES,
    MAX_NOTEBOOK_BYTES,
    MAX_NOTEBOOK_FILES,
    MAX_READ_BYTES,
    SubmittedFile,
    _newest_mtime,
    _size,
    list_files,
)
from nnfw.grading.intake.repair import grade_ids, parse_notebook, repair, similarity
from nnfw.grading.messages import NOTE, PROBLEM, Reason
from nnfw.grading.nbio import write_notebook


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
    files: list[SubmittedFile] | None
    try:
        files = list_files(entry)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        record.add(PROBLEM, f"{entry.name} could not be opened as a zip file ({short(exc, 80)})")
        files = None
    opened = files is not None
    files = files or []
    links = [f for f in files if f.link]
    if links:
        listing = ", ".join(f.rel for f in links[:5]) + (" …" if len(links) > 5 else "")
        record.add(NOTE, f"ignored {len(links)} symbolic link(s), never followed: {listing}")
        files = [f for f in files if not f.link]
    notebooks = [f for f in files if f.name.lower().endswith(".ipynb")]
    others = [f for f in files if not f.name.lower().endswith(".ipynb")]
    if others:
        huge = [f for f in others if f.size > HUGE_FILE_BYTES]
        listing = ", ".join(f.rel for f in others[:5]) + (" …" if len(others) > 5 else "")
        text = f"ignored {len(others)} other file(s): {listing}"
        if huge:
            text += f" (huge: {', '.join(f'{f.rel} {_size(f.size)}' for f in huge[:3])})"
        record.add(NOTE, text)

    if len(notebooks) > MAX_NOTEBOOK_FILES:
        wanted = {f"{name}.ipynb" for name in releases}
        notebooks.sort(key=lambda f: (f.name not in wanted, f.rel.count("/"), f.rel))
        dropped = notebooks[MAX_NOTEBOOK_FILES:]
        notebooks = notebooks[:MAX_NOTEBOOK_FILES]
        record.add(
            NOTE,
            f"ignored {len(dropped)} of {len(dropped) + len(notebooks)} notebook files: a "
            f"submission is looked at up to {MAX_NOTEBOOK_FILES} notebooks (the assignment's "
            "names first)",
        )

    parsed: dict[str, tuple[dict[str, Any] | None, str]] = {}
    budget = [MAX_READ_BYTES]  # bytes this student's files may still unpack, all together

    def parse(f: SubmittedFile) -> tuple[dict[str, Any] | None, str]:
        if f.rel not in parsed:
            if budget[0] <= 0:
                parsed[f.rel] = (
                    None,
                    (
                        f"was not read: this submission's notebooks already unpacked to "
                        f"{_size(MAX_READ_BYTES)}, the most one student's may"
                    ),
                )
            elif f.size > MAX_NOTEBOOK_BYTES:
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
                    budget[0] -= len(data)
                    if len(data) > MAX_NOTEBOOK_BYTES:  # a zip entry whose stated size lied
                        parsed[f.rel] = (
                            None,
                            (
                                f"unpacks to more than the {_size(MAX_NOTEBOOK_BYTES)} limit (the "
                                "zip file says less); not parsed"
                            ),
                        )
                    else:
                        parsed[f.rel] = parse_notebook(data)
        return parsed[f.rel]

    # match files to the assignment's notebooks: exact name at the top, then in a sub-folder,
    # then a name that contains the notebook's, then content (grade ids and text)
    matched: dict[str, SubmittedFile] = {}
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
        best: tuple[tuple[int, int], SubmittedFile] | None = None
        for f in notebooks:
            if f.rel in used:
                continue
            nb, _ = parse(f)
            if nb is None:
                continue
            score = similarity(nb, release)
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
        elif grade_ids(nb):
            record.add(
                NOTE,
                f"ignored {f.rel}: a notebook of another assignment (its graded cells "
                "do not belong to this one)",
            )
        else:
            record.add(NOTE, f"ignored {f.rel}: not one of this assignment's notebooks")

    for name, release in releases.items():
        found = matched.get(name)
        if found is None:
            continue
        f = found
        nb, why = parse(f)
        if nb is None:
            record.add(PROBLEM, f"{f.rel} {why}; scored 0", name)
            continue
        overlap, _ = similarity(nb, release)
        if overlap == 0:
            other = (
                "another assignment's notebook"
                if grade_ids(nb)
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
