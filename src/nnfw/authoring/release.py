"""``nnfw release``: generate the learner notebooks in ``course/`` from ``solutions/``.

nbgrader's ``generate_assignment`` does the work (solutions replaced by stubs, hidden tests
removed, cells locked, checksums recorded); nnfw runs it in a scratch folder, normalises the
notebooks (no outputs, no run-dependent metadata, nbformat's layout) and writes only what
changed. ``release --check`` compares instead of writing, for CI and the git hook.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnfw.grading.course import (
    IGNORED_NAMES,
    SOURCE_IGNORED,
    Course,
    GradingError,
    list_assignments,
)
from nnfw.grading.nbgrader_setup import (
    captured_nbgrader_log,
    course_directory_config,
    fast_gradebook_creation,
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
    #: With ``force``: the folder holding copies of the notebooks with work that were replaced.
    backup: Path | None = None


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

    from nnfw.authoring.stubs import TaskStubs

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
            source_dir, root / "source" / assignment, ignore=shutil.ignore_patterns(*SOURCE_IGNORED)
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


def holds_work(path: Path) -> str | None:
    """Why the course notebook at ``path`` holds a learner's work, or None if it is pristine.

    A released notebook has no outputs and its answer cells match the checksums nbgrader
    recorded when it generated them. Outputs, execution counts, an edited answer cell, or a
    file that no longer parses as a notebook all mean somebody worked in it.
    """
    if path.suffix != ".ipynb" or not path.is_file():
        return None
    try:
        nb = read_notebook(path)
    except Exception:  # noqa: BLE001 - any unreadable notebook may be half-saved work
        return "it no longer reads as a notebook (maybe edited by hand)"
    from nbgrader.utils import compute_checksum

    reasons = []
    if any(
        c.cell_type == "code" and (c.get("outputs") or c.get("execution_count")) for c in nb.cells
    ):
        reasons.append("outputs")
    edited = [
        str(c.metadata.nbgrader.get("grade_id", "?"))
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
        and c.metadata.nbgrader.get("checksum")
        and compute_checksum(c) != c.metadata.nbgrader["checksum"]
    ]
    if edited:
        reasons.append("answers in " + ", ".join(edited))
    return " and ".join(reasons) or None


@dataclass
class WorkAtRisk(GradingError):
    """``nnfw release`` would overwrite or delete notebooks that hold somebody's work."""

    files: list[tuple[str, str]]  # (path shown, why)

    def __str__(self) -> str:
        return f"{len(self.files)} course notebook(s) hold work that the release would replace"


def _backup(course: Course, rels: Sequence[str]) -> Path:
    """Copy the files ``rels`` (relative to the course root) to a new folder in .nnfw/backups/."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = course.root / ".nnfw" / "backups" / stamp
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = course.root / ".nnfw" / "backups" / f"{stamp}-{suffix}"
    for rel in rels:
        source = course.root / rel
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return folder


def release(
    course: Course,
    assignments: Sequence[str] = (),
    *,
    check: bool = False,
    force: bool = False,
    progress: Callable[[str], None] = lambda _line: None,
) -> ReleaseResult:
    """Generate ``course/`` from ``solutions/`` (or, with ``check``, report the differences).

    With no ``assignments`` every assignment is released and ``course/`` assignment folders
    without a source are removed (reported as drift by ``check``).

    Nothing is written while a file that would be replaced or removed holds a learner's work
    (:func:`holds_work`): :class:`WorkAtRisk` names them. With ``force`` those files are first
    copied to ``.nnfw/backups/<time>/`` (``ReleaseResult.backup``), then replaced.
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
    # 1. plan: what every file becomes (nothing is written yet)
    writes: list[tuple[str, Path, bytes]] = []  # (shown, path, data)
    removals: list[tuple[str, Path]] = []
    counts: dict[str, tuple[int, int]] = {}
    for assignment in selected:
        outputs = generate_assignment(course.source_dir / assignment, assignment, config)
        target = course.release_dir / assignment
        rel_target = Path(course.release_dirname) / assignment
        changed = 0
        for rel, data in outputs.items():
            shown = (rel_target / rel).as_posix()
            path = target / rel
            if not path.is_file():
                result.drift.append((shown, "missing"))
            elif path.read_bytes() != data:
                result.drift.append((shown, "differs"))
            else:
                result.unchanged.append(shown)
                continue
            writes.append((shown, path, data))
            changed += 1
        for rel in sorted(_existing_files(target) - set(outputs)):
            shown = (rel_target / rel).as_posix()
            result.drift.append((shown, "not generated from solutions/ (stale)"))
            removals.append((shown, target / rel))
        counts[assignment] = (len(outputs), changed)
    if not assignments:  # a full release mirrors solutions/: drop assignments that are gone
        for stale in list_assignments(course.release_dir):
            if stale not in known:
                shown = f"{course.release_dirname}/{stale}/"
                result.drift.append((shown, f"has no source in {course.source_dirname}/"))
                removals.append((shown, course.release_dir / stale))
    if check:
        for assignment, (n_files, _changed) in counts.items():
            progress(f"{assignment}: {n_files} file(s)")
        return result
    result.drift = []
    # 2. never destroy work without --force, and never without a backup
    at_risk: list[tuple[str, str]] = []
    for _shown, path in [(s, p) for s, p, _d in writes] + removals:
        paths = sorted(path.rglob("*.ipynb")) if path.is_dir() else [path]
        for one in paths:
            why = holds_work(one)
            if why is not None:
                at_risk.append((one.relative_to(course.root).as_posix(), why))
    if at_risk and not force:
        raise WorkAtRisk(at_risk)
    if at_risk:
        result.backup = _backup(course, [rel for rel, _why in at_risk])
    # 3. write
    for shown, path, data in writes:
        write_bytes_if_changed(data, path)
        result.written.append(shown)
    for shown, path in removals:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        result.removed.append(shown)
    for assignment, (n_files, changed) in counts.items():
        progress(f"{assignment}: {n_files} file(s), {changed} updated")
    return result
