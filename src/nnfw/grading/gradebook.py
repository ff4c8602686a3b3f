"""Gradebook: the workspace's nbgrader gradebook and files, and the only code that writes them.

The coordinator (:mod:`nnfw.grading.pipeline`) calls :func:`prepare_workspace` once per run
and :func:`record` once per graded student, as results arrive; workers never see the
workspace. :func:`manual_scores` reads back what instructors entered in formgrader.
"""

from __future__ import annotations

import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from nnfw.grading.course import (
    COURSE_ID,
    IGNORED_NAMES,
    SOURCE_IGNORED,
    GradingError,
    Workspace,
    notebook_names,
)
from nnfw.grading.intake.student import Imported
from nnfw.grading.messages import NOTE, NotebookGrade, Reason
from nnfw.grading.results import ManualScores, StudentResult, save_result
from nnfw.grading.score import answer_fingerprints

WORKSPACE_CONFIG = '''\
"""nbgrader settings for this grading workspace (written by `nnfw grade`; safe to delete).

This folder is an nbgrader course directory, so nbgrader's own tools work here for manual
grading, e.g. `cd {root} && nbgrader formgrader` or JupyterLab's Formgrader tab.
"""
import os

c = get_config()  # noqa: F821
_shared = {shared!r}
if _shared and os.path.exists(_shared):
    load_subconfig(_shared)  # noqa: F821  (the course's grader/nbgrader_config.py)
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")
'''


@dataclass(frozen=True)
class Prepared:
    """What the workers need of the assignment, read once per run (everything as bytes)."""

    #: the released notebooks by name (what submissions are checked and repaired against)
    releases: dict[str, Any]
    #: the assignment's source folder: relative path -> bytes
    source: dict[str, bytes]
    #: an empty gradebook that knows the assignment (each job grades into a copy)
    template_db: bytes
    #: the course's nbgrader_config.py, or ""
    config_text: str


def prepare_workspace(
    workspace: Workspace, source_root: Path, assignment: str, course_root: Path | None
) -> Prepared:
    """Copy the assignment's source into the workspace and record it in the gradebook."""
    from nnfw.authoring.release import run_generate_assignment
    from nnfw.grading.nbgrader_setup import load_config
    from nnfw.grading.nbio import read_notebook

    workspace.root.mkdir(parents=True, exist_ok=True)
    shared = ""
    if course_root is not None and (course_root / "grader" / "nbgrader_config.py").is_file():
        shared = str((course_root / "grader" / "nbgrader_config.py").resolve())
    (workspace.root / "nbgrader_config.py").write_text(
        WORKSPACE_CONFIG.format(root=workspace.root, shared=shared, course_id=COURSE_ID),
        encoding="utf-8",
    )
    config = load_config(course_root)
    source = workspace.step_dir("source", assignment=assignment)
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(
        source_root / assignment, source, ignore=shutil.ignore_patterns(*SOURCE_IGNORED)
    )
    # the workers' template: a gradebook that knows the assignment and no student
    template = workspace.nnfw_dir / "template" / assignment
    if template.exists():
        shutil.rmtree(template)
    (template / "source").mkdir(parents=True)
    shutil.copytree(source, template / "source" / assignment)
    run_generate_assignment(template, assignment, f"sqlite:///{template / 'gradebook.db'}", config)
    release = workspace.step_dir("release", assignment=assignment)
    if workspace.db_path.is_file():
        try:
            run_generate_assignment(workspace.root, assignment, workspace.db_url, config)
        except GradingError as exc:
            msg = (
                f"{exc} If the notebooks of {assignment} were renamed, added or removed after "
                f"grading began, use a fresh workspace (--workspace) or delete {workspace.root}."
            )
            raise GradingError(msg) from None
    else:  # a new workspace: its gradebook and release are the template's, as generated
        shutil.copy2(template / "gradebook.db", workspace.db_path)
        if release.exists():
            shutil.rmtree(release)
        shutil.copytree(template / "release" / assignment, release)
    releases = {name: read_notebook(release / f"{name}.ipynb") for name in notebook_names(release)}
    files = {
        p.relative_to(source).as_posix(): p.read_bytes()
        for p in sorted(source.rglob("*"))
        if p.is_file() and not any(part in IGNORED_NAMES for part in p.parts)
    }
    config_file = course_root / "grader" / "nbgrader_config.py" if course_root else None
    config_text = (
        config_file.read_text(encoding="utf-8")
        if config_file is not None and config_file.is_file()
        else ""
    )
    return Prepared(releases, files, (template / "gradebook.db").read_bytes(), config_text)


def max_points(nb: Any) -> float:
    return float(
        sum(
            float(c.metadata["nbgrader"].get("points", 0))
            for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")
        )
    )


@dataclass
class KeptManual:
    """What a re-grade did with the manual grades an instructor had entered."""

    #: (notebook, grade id) -> manual score, kept because the learner's answer is unchanged
    scores: ManualScores = field(default_factory=dict)
    #: (notebook, grade id) of manual grades dropped because the answer changed
    dropped: list[tuple[str, str]] = field(default_factory=list)


def _fingerprints(data: bytes | None) -> dict[str, str]:
    if data is None:
        return {}
    try:
        return answer_fingerprints(nbformat.reads(data.decode("utf-8"), as_version=4))
    except Exception:  # noqa: BLE001 - an unreadable old file: nothing to compare with
        return {}


def _old_autograded(workspace: Workspace, result: StudentResult, name: str) -> bytes | None:
    path = workspace.step_dir("autograded", result.student, result.assignment) / f"{name}.ipynb"
    return path.read_bytes() if path.is_file() else None


def merge(
    workspace: Workspace, result: StudentResult, grades: dict[str, NotebookGrade]
) -> KeptManual:
    """Replace this student's submission in the gradebook with ``result``.

    ``grades`` holds the workers' results by notebook; a submitted notebook without a usable
    one (its job failed) is recorded with score 0 and flagged for manual grading. Manual
    grades and comments entered in formgrader survive the re-grade where what the learner
    wrote for that task (:func:`~nnfw.grading.score.answer_fingerprints`) is unchanged; the
    others are dropped (the instructor grades the new answer).
    """
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    usable = {name: g for name, g in grades.items() if not g.failure}
    failed = {nb.name for nb in result.notebooks if nb.submitted and nb.name not in usable}
    kept = KeptManual()
    with warnings.catch_warnings(), Gradebook(workspace.db_url, COURSE_ID) as gb:
        # nbgrader's add_submission trips SQLAlchemy's autoflush warnings; they are harmless
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_student(result.student)
        manual: dict[tuple[str, str], tuple[float | None, float | None]] = {}
        remarks: dict[tuple[str, str], str] = {}
        try:
            old = gb.find_submission(result.assignment, result.student)
        except MissingEntry:
            pass
        else:
            for notebook in old.notebooks:
                for grade in notebook.grades:
                    if grade.manual_score is not None or grade.extra_credit is not None:
                        manual[notebook.name, grade.name] = (grade.manual_score, grade.extra_credit)
                for comment in notebook.comments:
                    if comment.manual_comment:
                        remarks[notebook.name, comment.name] = comment.manual_comment
            gb.remove_submission(result.assignment, result.student)
        names = {name for name, _ in [*manual, *remarks]}
        unchanged = {
            (name, task)
            for name in names
            for task, print_ in _fingerprints(_old_autograded(workspace, result, name)).items()
            if name in usable
            and _fingerprints(usable[name].autograded.get(f"{name}.ipynb")).get(task) == print_
        }
        submission = gb.add_submission(result.assignment, result.student)
        for notebook in submission.notebooks:
            graded = usable.get(notebook.name)
            cells = graded.cells if graded is not None else {}
            for grade in notebook.grades:
                cell = cells.get(grade.name)
                if cell is None:
                    grade.auto_score = 0.0
                    grade.needs_manual_grade = notebook.name in failed
                else:
                    grade.auto_score = cell.score
                    grade.needs_manual_grade = cell.needs_manual_grade
                key = (notebook.name, grade.name)
                if key in manual and key in unchanged:
                    grade.manual_score, grade.extra_credit = manual[key]
                    grade.needs_manual_grade = False
                    if grade.manual_score is not None:
                        kept.scores[key] = float(grade.manual_score)
                elif key in manual:
                    kept.dropped.append(key)
            comments = graded.comments if graded is not None else {}
            for comment in notebook.comments:
                comment.auto_comment = comments.get(comment.name)
                if (notebook.name, comment.name) in unchanged:
                    comment.manual_comment = remarks.get((notebook.name, comment.name))
        gb.db.commit()
    return kept


def record(
    workspace: Workspace,
    result: StudentResult,
    grades: dict[str, NotebookGrade],
    imported: Imported,
) -> None:
    """Write one graded student into the workspace: gradebook, graded files, result, log."""
    assignment, student = result.assignment, result.student
    kept = merge(workspace, result, grades)
    result.apply_manual(kept.scores)
    for name, task in kept.dropped:
        for nb in result.notebooks:
            if nb.name == name:
                text = f"{task}: the answer changed since it was graded by hand; grade it again"
                nb.reasons.append(Reason(NOTE, text, name))
    autograded = workspace.step_dir("autograded", student, assignment)
    if autograded.exists():
        shutil.rmtree(autograded)
    for graded in grades.values():
        for rel, data in graded.autograded.items():
            path = (autograded / rel).resolve()
            if path.is_relative_to(autograded.resolve()):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
    feedback = workspace.step_dir("feedback", student, assignment)
    if feedback.exists():
        shutil.rmtree(feedback)  # stale: `nnfw feedback` makes it again
    save_result(workspace, result)
    logs = workspace.logs_dir(assignment)
    logs.mkdir(parents=True, exist_ok=True)
    lines = [f"student {student}, submission {imported.origin}"]
    lines += [f"{r.level}: {r.notebook or '-'}: {r.text}" for r in imported.reasons]
    for name, graded in sorted(grades.items()):
        where = f"[{name}] graded on {graded.worker} in {graded.seconds:.1f} s"
        lines.append(f"{where}, sandbox: {graded.sandbox or '-'} ({graded.sandbox_note or '-'})")
        lines += graded.log
    (logs / f"{student}.log").write_text("\n".join(lines) + "\n", encoding="utf-8")


def manual_scores(
    workspace: Workspace, assignment: str, students: list[str]
) -> dict[tuple[str, str, str], float]:
    """Manual scores entered in formgrader, keyed by (student, notebook, grade id)."""
    if not workspace.db_path.is_file() or not students:
        return {}
    from nbgrader.api import Gradebook, MissingEntry

    out: dict[tuple[str, str, str], float] = {}
    with Gradebook(workspace.db_url, COURSE_ID) as gb:
        for student in students:
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.manual_score is not None:
                        out[(student, notebook.name, grade.name)] = float(grade.manual_score)
    return out
