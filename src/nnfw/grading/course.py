"""Where things live: the course (``solutions/``, ``course/``, ``grader/``) and the workspace.

The course root is the folder holding ``solutions/`` (found by walking up from the current
directory, or given with ``--course``). The instructor's grading workspace (default
``./grading/``, git-ignored) is an nbgrader course directory of its own: it holds a copy of
each graded assignment's source, the gradebook, and the ``submitted/``, ``autograded/`` and
``feedback/`` folders nbgrader expects, plus nnfw's own results (``nnfw/``) and exports.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: nbgrader's course id for the course's gradebook.
COURSE_ID = "nnfw-course"
#: What assignment and student ids may look like (they become folder names).
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}")  # use with fullmatch
#: Files and folders that are never part of an assignment.
IGNORED_NAMES = (".ipynb_checkpoints", "__pycache__", ".DS_Store", "__MACOSX", "Thumbs.db")
#: Folders of a source assignment that are for the instructor only: never released to learners
#: and never copied to the grader (``audit/``: the wrong and correct answers of ``nnfw audit``).
INSTRUCTOR_ONLY = ("audit",)
#: What the release and the grader leave out of ``solutions/<assignment>/``.
SOURCE_IGNORED = IGNORED_NAMES + INSTRUCTOR_ONLY


class GradingError(Exception):
    """A problem the user can fix (bad option, missing folder): exit code 2."""


@dataclass(frozen=True)
class Course:
    """The course's folders: sources in ``solutions/``, learner notebooks in ``course/``."""

    root: Path
    source_dirname: str = "solutions"
    release_dirname: str = "course"

    @property
    def source_dir(self) -> Path:
        """Folder of nbgrader source notebooks, one sub-folder per assignment."""
        return self.root / self.source_dirname

    @property
    def release_dir(self) -> Path:
        """Folder of generated learner notebooks."""
        return self.root / self.release_dirname

    @property
    def config_file(self) -> Path:
        """The course's nbgrader settings (``grader/nbgrader_config.py``)."""
        return self.root / "grader" / "nbgrader_config.py"

    def assignments(self) -> list[str]:
        """Return the assignments: sub-folders of ``solutions/`` that hold notebooks, sorted."""
        return list_assignments(self.source_dir)


def list_assignments(folder: Path) -> list[str]:
    """Return the sorted names of ``folder``'s sub-folders that contain ``.ipynb`` files."""
    if not folder.is_dir():
        return []
    return sorted(
        child.name
        for child in folder.iterdir()
        if child.is_dir() and child.name not in IGNORED_NAMES and any(child.glob("*.ipynb"))
    )


def notebook_names(assignment_dir: Path) -> list[str]:
    """Return the notebook names (without ``.ipynb``) of one assignment folder, sorted."""
    return sorted(p.stem for p in assignment_dir.glob("*.ipynb") if p.is_file())


def find_course_root(start: Path | None = None) -> Path:
    """Return the nearest folder at or above ``start`` (default: cwd) holding ``solutions/``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "solutions").is_dir():
            return folder
    msg = (
        f"no course found: neither {here} nor any folder above it has a `solutions/` folder. "
        "Run the command from the course repository, or pass --course DIR."
    )
    raise GradingError(msg)


def check_id(value: str, what: str) -> str:
    """Return ``value`` if it is a safe assignment/student id, else raise GradingError."""
    if not SAFE_ID.fullmatch(value):
        msg = (
            f"{what} {value!r} is not usable as a folder name: use letters, digits and "
            "`_ . @ + -` (at most 100 characters, not starting with a symbol)"
        )
        raise GradingError(msg)
    return value


@dataclass(frozen=True)
class Workspace:
    """The instructor's grading workspace (an nbgrader course directory outside git)."""

    root: Path

    @property
    def db_path(self) -> Path:
        """The nbgrader gradebook."""
        return self.root / "gradebook.db"

    @property
    def db_url(self) -> str:
        """SQLAlchemy URL of the gradebook."""
        return f"sqlite:///{self.db_path}"

    def step_dir(self, step: str, student: str = ".", assignment: str = "") -> Path:
        """Return ``root/step/student/assignment`` (nbgrader's directory structure)."""
        path = self.root / step
        if student != ".":
            path = path / student
        return path / assignment if assignment else path

    @property
    def nnfw_dir(self) -> Path:
        """nnfw's own files: per-student results, logs, worker scratch."""
        return self.root / "nnfw"

    def results_dir(self, assignment: str) -> Path:
        """Per-student result files (scores, statuses and reasons) of an assignment."""
        return self.nnfw_dir / "results" / assignment

    def logs_dir(self, assignment: str) -> Path:
        """Per-student grading logs of an assignment."""
        return self.nnfw_dir / "logs" / assignment

    def graded_assignments(self) -> list[str]:
        """Assignments that have results in this workspace, sorted."""
        folder = self.nnfw_dir / "results"
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("*.json")))


def printable(text: Any) -> str:
    """``text`` with every control or format character written as an escape, ``\\x1b``.

    What a learner controls (file names, error messages, printed output) reaches the
    terminal table, the CSVs and the logs; an ANSI escape there could recolour, hide or
    rewrite lines, and a bidirectional override could reorder them. Newlines and tabs stay.
    """
    out = []
    for char in str(text):
        if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co"):
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}")
    return "".join(out)


def short(text: Any, limit: int = 160) -> str:
    """Return ``text`` on one line, printable (:func:`printable`), cut to ``limit`` characters."""
    one_line = " ".join(printable(text).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
