"""Where things live: the course (``solutions/``, ``course/``, ``grader/``) and the workspace.

The course root is the folder holding ``solutions/`` (found by walking up from the current
directory, or given with ``--course``). The instructor's grading workspace (default
``./grading/``, git-ignored) is an nbgrader course directory of its own: it holds a copy of
each graded assignment's source, the gradebook, and the ``submitted/``, ``autograded/`` and
``feedback/`` folders nbgrader expects, plus nnfw's own results (``nnfw/``) and exports.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from traitlets.config import Config

#: nbgrader's course id for the course's gradebook.
COURSE_ID = "nnfw-course"
#: Default per-cell execution timeout (seconds): sized for training cells.
DEFAULT_TIMEOUT = 300
#: What assignment and student ids may look like (they become folder names).
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$")
#: Files and folders that are never part of an assignment.
IGNORED_NAMES = (".ipynb_checkpoints", "__pycache__", ".DS_Store", "__MACOSX", "Thumbs.db")


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
    if not SAFE_ID.match(value):
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


def skip_slow_imports() -> None:
    """Keep the grader's processes from paying for an import nothing here needs (~1 s each).

    ``jsonschema`` (imported by ``nbformat``) builds a full RFC 3987 grammar with ``lark``
    at import time when the optional ``rfc3987_syntax`` package is installed (it is, through
    ``jupyter-events``), only to offer the ``iri`` string format, which no notebook schema
    uses. Marking the module as absent makes ``jsonschema`` skip that format. Call this
    before importing ``nbformat``, in processes that start per notebook or per command
    (the sandbox's executor, the workers, the ``nnfw`` command); it changes nothing where
    the module is already imported.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def _alembic_head() -> str:
    """The gradebook schema's version, read in this process (nbgrader runs a subprocess)."""
    import nbgrader
    from alembic.script import ScriptDirectory

    folder = Path(nbgrader.__file__).resolve().parent / "alembic"
    head = ScriptDirectory(str(folder)).get_current_head()
    if not head:  # pragma: no cover - nbgrader's migrations changed shape
        msg = f"no alembic head in {folder}"
        raise RuntimeError(msg)
    return str(head)


def fast_gradebook_creation() -> None:
    """Make nbgrader create gradebooks without running ``alembic heads`` in a subprocess.

    ``nbgrader.api.Gradebook`` asks a new ``alembic`` process for the schema version each
    time it creates a database (3-4 s here); ``nnfw grade`` creates two per run (the
    workspace and the workers' template). This reads the same version in-process, once;
    if that fails, nbgrader's own way is kept.
    """
    import nbgrader.api

    original = nbgrader.api.get_alembic_version
    if getattr(original, "nnfw_fast", False):
        return

    def get_alembic_version() -> str:
        try:
            return _alembic_head()
        except Exception:  # noqa: BLE001 - fall back to nbgrader's subprocess
            return original()

    get_alembic_version.nnfw_fast = True  # type: ignore[attr-defined]
    nbgrader.api.get_alembic_version = get_alembic_version


def load_config(course_root: Path | None) -> Config:
    """Return nbgrader settings from ``grader/nbgrader_config.py`` (empty when absent)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    if course_root is None:
        return Config()
    path = Course(course_root).config_file
    if not path.is_file():
        return Config()
    try:
        return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    except Exception as exc:  # noqa: BLE001 - the file is the instructor's Python: report, don't crash
        msg = f"could not load {path}: {type(exc).__name__}: {exc}. Fix the file and retry."
        raise GradingError(msg) from None


def course_directory_config(
    base: Config,
    root: Path,
    db_url: str,
    **dirs: str,
) -> Config:
    """Return a copy of ``base`` with nbgrader's CourseDirectory pointed at ``root``."""
    from traitlets.config import Config

    cfg = Config()
    cfg.merge(base)
    cd = cfg.CourseDirectory
    cd.root = str(root)
    cd.course_id = COURSE_ID
    cd.db_url = db_url
    cd.source_directory = dirs.pop("source_directory", "source")
    cd.release_directory = dirs.pop("release_directory", "release")
    cd.submitted_directory = dirs.pop("submitted_directory", "submitted")
    cd.autograded_directory = dirs.pop("autograded_directory", "autograded")
    cd.feedback_directory = dirs.pop("feedback_directory", "feedback")
    for key, value in dirs.items():
        cd[key] = value
    return cfg


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured_nbgrader_log() -> Iterator[list[str]]:
    """Capture nbgrader's (traitlets') log messages at WARNING and above into a list."""
    names = ("traitlets", "nbgrader", "NbGraderAPI")
    handler = _ListHandler()
    saved: list[tuple[logging.Logger, bool, int]] = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.propagate, logger.level))
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.WARNING)
    messages: list[str] = []
    try:
        yield messages
    finally:
        for logger, propagate, level in saved:
            logger.removeHandler(handler)
            logger.propagate = propagate
            logger.setLevel(level)
        for record in handler.records:
            if record.levelno >= logging.WARNING:
                try:
                    messages.append(record.getMessage())
                except Exception:  # noqa: BLE001 - a malformed log call inside nbgrader
                    messages.append(str(record.msg))


_NOISE = ("There was an error processing", "Please see the", "Removing failed")


def summarize_log(lines: list[str], limit: int = 3) -> str:
    """Return the informative part of nbgrader's log: tracebacks cut to their last line."""
    picked: list[str] = []
    for message in lines:
        text = message.strip()
        if not text or text.startswith(_NOISE):
            continue
        if text.startswith("Traceback"):
            text = text.splitlines()[-1]
        else:
            text = text.splitlines()[0]
        if text not in picked:
            picked.append(text)
    return "; ".join(picked[:limit])


def short(text: Any, limit: int = 160) -> str:
    """Return ``text`` on one line, cut to ``limit`` characters."""
    one_line = " ".join(str(text).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
