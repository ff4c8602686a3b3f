"""``nnfw release``: generate the learner notebooks in ``course/`` from ``solutions/``.

nbgrader's ``generate_assignment`` does the work (solutions replaced by stubs, hidden tests
removed, cells locked, checksums recorded); nnfw runs it in a scratch folder, normalises the
notebooks (no outputs, no run-dependent metadata, nbformat's layout) and writes only what
changed. ``release --check`` compares instead of writing, for CI and the git hook.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnfw.grading.course import (
    IGNORED_NAMES,
    Course,
    GradingError,
    captured_nbgrader_log,
    course_directory_config,
    fast_gradebook_creation,
    list_assignments,
    load_config,
    summarize_log,
)
from nnfw.grading.nbio import normalise, notebook_bytes, read_notebook, write_bytes_if_changed

if TYPE_CHECKING:  # pragma: no cover
    from traitlets.config import Config


@dataclass
class ReleaseResult:
    """What a release (or a release check) found, as paths relative to the course root."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: For ``--check``: ``(path, why)`` for every file that differs from what would be generated.
    drift: list[tuple[str, str]] = field(default_factory=list)


def run_generate_assignment(
    root: Path, assignment: str, db_url: str, config: Config | None = None
) -> None:
    """Run nbgrader's generate_assignment in the course directory ``root``.

    ``root/source/<assignment>`` must exist; the result goes to ``root/release/<assignment>``
    and the assignment's cells are recorded in the gradebook at ``db_url``.
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    fast_gradebook_creation()
    cfg = course_directory_config(config or Config(), root, db_url)
    cfg.CourseDirectory.assignment_id = assignment
    cfg.GenerateAssignment.force = True
    cfg.GenerateAssignment.create_assignment = True
    cfg.GenerateAssignment.preprocessors = _preprocessors()
    failure: Exception | None = None
    with captured_nbgrader_log() as log:
        try:
            coursedir = CourseDirectory(config=cfg)
            GenerateAssignment(coursedir=coursedir, config=cfg).start()
        except Exception as exc:  # noqa: BLE001 - nbgrader raises many kinds; all mean "source is broken"
            failure = exc
    if failure is not None:
        details = summarize_log(log)
        msg = (
            f"nbgrader could not generate assignment {assignment!r}: "
            f"{(details or f'{type(failure).__name__}: {failure}').rstrip('.')}. Fix the source notebooks "
            "(nbgrader cell metadata, ### BEGIN/END markers) and retry."
        )
        raise GradingError(msg)


def _preprocessors() -> list[type]:
    """nbgrader's generate_assignment steps, with :class:`TaskStubs` for ``ClearSolutions``."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import ClearSolutions

    from nnfw.grading.preprocessors import TaskStubs

    steps = list(GenerateAssignment.class_traits()["preprocessors"].default())
    return [TaskStubs if step is ClearSolutions else step for step in steps]


#: The cell tag that lets JupyterLab's Run All carry on past a cell that fails.
RUNS_ON_TAG = "raises-exception"


def tag_task_cells(nb: Any) -> Any:
    """Tag a learner notebook's answer and test cells ``raises-exception``; return ``nb``.

    JupyterLab (and nbclient) stop Run All at the first failing cell unless it carries this
    tag, so an unanswered task would hide every task after it. Grading is unchanged: a
    failing test cell still has an error output and scores 0.
    """
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade")):
            tags = list(cell.metadata.get("tags", []))
            if RUNS_ON_TAG not in tags:
                cell.metadata["tags"] = [*tags, RUNS_ON_TAG]
    return nb


def generate_assignment(
    source_dir: Path, assignment: str, config: Config | None = None
) -> dict[str, bytes]:
    """Return the learner files of one assignment as ``{relative path: bytes}``.

    ``source_dir`` is the assignment's source folder (``solutions/<assignment>``). Notebooks
    are normalised; other files (data, images) are copied as they are.
    """
    with tempfile.TemporaryDirectory(prefix="nnfw-release-") as tmp:
        root = Path(tmp)
        shutil.copytree(
            source_dir, root / "source" / assignment, ignore=shutil.ignore_patterns(*IGNORED_NAMES)
        )
        run_generate_assignment(root, assignment, f"sqlite:///{root / 'gradebook.db'}", config)
        out_dir = root / "release" / assignment
        outputs: dict[str, bytes] = {}
        for path in sorted(out_dir.rglob("*")):
            if not path.is_file() or set(path.relative_to(out_dir).parts) & set(IGNORED_NAMES):
                continue
            rel = path.relative_to(out_dir).as_posix()
            if path.suffix == ".ipynb":
                outputs[rel] = notebook_bytes(tag_task_cells(normalise(read_notebook(path))))
            else:
                outputs[rel] = path.read_bytes()
    return outputs


def _existing_files(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not set(p.relative_to(folder).parts) & set(IGNORED_NAMES)
    }


def release(
    course: Course,
    assignments: Sequence[str] = (),
    *,
    check: bool = False,
    progress: Callable[[str], None] = lambda _line: None,
) -> ReleaseResult:
    """Generate ``course/`` from ``solutions/`` (or, with ``check``, report the differences).

    With no ``assignments`` every assignment is released and ``course/`` assignment folders
    without a source are removed (reported as drift by ``check``).
    """
    known = course.assignments()
    unknown = [a for a in assignments if a not in known]
    if unknown:
        listing = ", ".join(known) if known else "none yet"
        msg = (
            f"unknown assignment(s): {', '.join(unknown)}. Assignments are the folders of "
            f"{course.source_dir} that hold notebooks: {listing}."
        )
        raise GradingError(msg)
    selected = list(assignments) or known
    config = load_config(course.root)
    result = ReleaseResult()
    for assignment in selected:
        outputs = generate_assignment(course.source_dir / assignment, assignment, config)
        target = course.release_dir / assignment
        rel_target = Path(course.release_dirname) / assignment
        existing = _existing_files(target)
        changed = 0
        for rel, data in outputs.items():
            shown = (rel_target / rel).as_posix()
            path = target / rel
            if check:
                if not path.is_file():
                    result.drift.append((shown, "missing"))
                elif path.read_bytes() != data:
                    result.drift.append((shown, "differs"))
                else:
                    result.unchanged.append(shown)
            elif write_bytes_if_changed(data, path):
                result.written.append(shown)
                changed += 1
            else:
                result.unchanged.append(shown)
        for rel in sorted(existing - set(outputs)):
            shown = (rel_target / rel).as_posix()
            if check:
                result.drift.append((shown, "not generated from solutions/ (stale)"))
            else:
                (target / rel).unlink()
                result.removed.append(shown)
        progress(
            f"{assignment}: {len(outputs)} file(s)" + ("" if check else f", {changed} updated")
        )
    if not assignments:  # a full release mirrors solutions/: drop assignments that are gone
        for stale in list_assignments(course.release_dir):
            if stale in known:
                continue
            shown = f"{course.release_dirname}/{stale}/"
            if check:
                result.drift.append((shown, f"has no source in {course.source_dirname}/"))
            else:
                shutil.rmtree(course.release_dir / stale)
                result.removed.append(shown)
    return result
