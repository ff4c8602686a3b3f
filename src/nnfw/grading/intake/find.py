"""Find and unpack submissions: one folder or ``.zip`` file per student, named by the id.

:func:`find_entries` lists a submissions folder by student; :func:`list_files` lists the
files of one entry (a folder, or a zip read without extracting it) as :class:`SubmittedFile`
records whose bytes are read on demand.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nnfw.grading.course import IGNORED_NAMES, SAFE_ID, GradingError

#: A notebook file larger than this is not graded (outputs are cleared anyway, but parsing
#: hundreds of megabytes of JSON per student is not worth it).
MAX_NOTEBOOK_BYTES = 100 * 1024 * 1024
#: The notebook files of one submission that are looked at (a zip of thousands is cut here).
MAX_NOTEBOOK_FILES = 50
#: What one student's notebook files may unpack to, all together, before the rest are refused.
MAX_READ_BYTES = 4 * MAX_NOTEBOOK_BYTES
#: Other files larger than this are called "huge" in the report.
HUGE_FILE_BYTES = 50 * 1024 * 1024


@dataclass
class SubmittedFile:
    rel: str  # path inside the submission, POSIX style
    size: int
    read: Callable[[], bytes]
    #: a symbolic link: listed so the report can say it was ignored, never followed or read
    link: bool = False

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]

    @property
    def folder(self) -> str:
        return self.rel.rsplit("/", 1)[0] if "/" in self.rel else ""


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _ignored(parts: tuple[str, ...]) -> bool:
    return any(p in IGNORED_NAMES or p.startswith(".") for p in parts)


def _list_folder(folder: Path) -> list[SubmittedFile]:
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):  # never follows folder links
        links = [d for d in dirnames if (Path(dirpath) / d).is_symlink()]
        filenames = [*filenames, *links]
        dirnames[:] = sorted(d for d in dirnames if not _ignored((d,)) and d not in links)
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            rel = path.relative_to(folder)
            if _ignored(rel.parts):
                continue
            if path.is_symlink():
                files.append(SubmittedFile(rel.as_posix(), 0, bytes, link=True))
                continue
            if not path.is_file():
                continue
            files.append(
                SubmittedFile(rel.as_posix(), path.stat().st_size, functools.partial(_read, path))
            )
    return files


def _list_zip(path: Path) -> list[SubmittedFile]:
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
        if (info.external_attr >> 16) & 0o170000 == 0o120000:  # a symbolic link stored as such
            files.append(SubmittedFile("/".join(parts), 0, bytes, link=True))
            continue
        files.append(SubmittedFile("/".join(parts), info.file_size, reader(info.filename)))
    return files


def _newest_mtime(path: Path) -> float:
    if path.is_file():
        return path.stat().st_mtime
    times = [p.stat().st_mtime for p in path.rglob("*") if p.is_file()]
    return max(times, default=path.stat().st_mtime)


def student_id_for(entry: Path) -> str:
    """Return the student id an entry (folder or zip file) stands for.

    A name that is already a safe id is the id. Any other name (accents, spaces, shell
    characters, control characters) is spelled in safe characters and given a short hash of
    the exact original name, so two different names never become the same student:
    ``José`` and ``Jose`` (or the two Unicode spellings of ``José``) stay apart.
    """
    name = entry.stem if entry.is_file() else entry.name
    if SAFE_ID.fullmatch(name):
        return name
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9_.@+-]+", "_", ascii_name).strip("_.-+@")[:90]
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{cleaned or 'unnamed'}-{digest}"


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
        if entry.is_symlink():  # a link is never followed: it could point anywhere
            ignored.append(f"{entry.name} (a symbolic link)")
            continue
        if entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip"):
            by_student.setdefault(student_id_for(entry), []).append(entry)
        else:
            ignored.append(entry.name)
    return by_student, ignored


def list_files(entry: Path) -> list[SubmittedFile]:
    """The files of one submission entry (a zip file or a folder), unwrapped.

    A zip of a folder (or a folder holding one folder) is the common case: the single top
    folder is dropped from the paths. Raises ``zipfile.BadZipFile``/``OSError`` for an
    entry that cannot be opened.
    """
    files = _list_zip(entry) if entry.is_file() else _list_folder(entry)
    while files and all("/" in f.rel for f in files):
        top = {f.rel.split("/", 1)[0] for f in files}
        if len(top) != 1:
            break
        for f in files:
            f.rel = f.rel.split("/", 1)[1]
    return files
