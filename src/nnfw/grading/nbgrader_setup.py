"""nbgrader, set up for nnfw: its settings, its log, and two start-up costs avoided.

Everything that talks to nbgrader's configuration machinery (traitlets ``Config``) or its
logging lives here, so the pipeline's modules stay about grading.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from nnfw.grading.course import COURSE_ID, Course, GradingError

if TYPE_CHECKING:  # pragma: no cover
    from traitlets.config import Config


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
