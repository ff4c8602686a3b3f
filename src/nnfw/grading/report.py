"""Results: per-student records, the assignment score rule, the table, CSV and histogram.

A student's result is stored as JSON in ``<workspace>/nnfw/results/<assignment>/<student>.json``
(the gradebook keeps the scores; this keeps the reasons). The assignment score is the better
notebook's of a pair, or, with ``--require-both``, the sum of both.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nnfw.grading.course import Workspace
from nnfw.grading.importer import NOTE, PROBLEM, Reason


@dataclass
class TaskResult:
    """One graded test cell."""

    id: str
    score: float
    max: float
    status: str  # passed, failed, not attempted, timed out, kernel died, not run, ...
    message: str = ""


@dataclass
class NotebookResult:
    """One notebook of a student's submission."""

    name: str
    max: float
    submitted: bool = False
    graded: bool = False
    score: float = 0.0
    tasks: list[TaskResult] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    @property
    def has_problem(self) -> bool:
        """True when the instructor should look at this notebook."""
        return any(r.level == PROBLEM for r in self.reasons)

    def status(self) -> str:
        """Plain words: how it went, then every reason."""
        parts: list[str] = []
        if self.graded and self.tasks:
            passed = sum(t.status == "passed" for t in self.tasks)
            blank = sum(t.status == "not attempted" for t in self.tasks)
            if passed == len(self.tasks):
                parts.append(f"all {passed} tasks passed")
            elif blank == len(self.tasks):
                parts.append("not attempted (no task answered)")
            else:
                parts.append(f"{passed} of {len(self.tasks)} tasks passed")
                for task in self.tasks:
                    if task.status != "passed":
                        text = f"{task.id}: {task.status}"
                        parts.append(text + (f" ({task.message})" if task.message else ""))
        elif self.graded:
            parts.append("graded")
        parts += [r.text for r in self.reasons]
        return "; ".join(parts) if parts else "not graded"


@dataclass
class StudentResult:
    """A student's graded submission of one assignment."""

    student: str
    assignment: str
    origin: str = ""
    require_both: bool = False
    notebooks: list[NotebookResult] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    @property
    def score(self) -> float:
        """The assignment score: best notebook, or the sum with ``require_both``."""
        if not self.notebooks:
            return 0.0
        if self.require_both:
            return sum(nb.score for nb in self.notebooks)
        return self.best.score

    @property
    def max(self) -> float:
        """The most the assignment can score under the rule in force."""
        if not self.notebooks:
            return 0.0
        if self.require_both:
            return sum(nb.max for nb in self.notebooks)
        return max(nb.max for nb in self.notebooks)

    @property
    def best(self) -> NotebookResult:
        """The notebook that counts (highest score; the first one on a tie)."""
        return max(
            self.notebooks, key=lambda nb: (nb.score, nb.submitted, -self.notebooks.index(nb))
        )

    @property
    def has_problem(self) -> bool:
        """True when some part needs the instructor (exit code 1)."""
        return any(r.level == PROBLEM for r in self.reasons) or any(
            nb.has_problem for nb in self.notebooks
        )

    def status(self) -> str:
        """Plain words for the assignment row."""
        parts = [r.text for r in self.reasons]
        if len(self.notebooks) > 1:
            if self.require_both:
                parts.insert(0, "both notebooks required: sum of both")
            else:
                parts.insert(0, f"best of the pair: {self.best.name}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "student": self.student,
            "assignment": self.assignment,
            "origin": self.origin,
            "require_both": self.require_both,
            "score": self.score,
            "max": self.max,
            "reasons": [r.to_dict() for r in self.reasons],
            "notebooks": [
                {
                    **{k: v for k, v in asdict(nb).items() if k not in ("reasons", "tasks")},
                    "tasks": [asdict(t) for t in nb.tasks],
                    "reasons": [r.to_dict() for r in nb.reasons],
                    "status": nb.status(),
                }
                for nb in self.notebooks
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudentResult:
        """Inverse of :meth:`to_dict`."""
        notebooks = [
            NotebookResult(
                name=nb["name"],
                max=nb["max"],
                submitted=nb["submitted"],
                graded=nb["graded"],
                score=nb["score"],
                tasks=[TaskResult(**t) for t in nb["tasks"]],
                reasons=[Reason.from_dict(r) for r in nb["reasons"]],
            )
            for nb in data["notebooks"]
        ]
        return cls(
            student=data["student"],
            assignment=data["assignment"],
            origin=data.get("origin", ""),
            require_both=data.get("require_both", False),
            notebooks=notebooks,
            reasons=[Reason.from_dict(r) for r in data["reasons"]],
        )


def save_result(workspace: Workspace, result: StudentResult) -> Path:
    """Write a student's result file; return its path."""
    path = workspace.results_dir(result.assignment) / f"{result.student}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_dict(), indent=1) + "\n", encoding="utf-8")
    return path


def load_results(workspace: Workspace, assignment: str) -> list[StudentResult]:
    """Read every student's result of an assignment, sorted by student id."""
    folder = workspace.results_dir(assignment)
    results = []
    for path in sorted(folder.glob("*.json")):
        try:
            results.append(StudentResult.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (ValueError, KeyError, TypeError):
            continue  # a damaged result file: re-grading that student rewrites it
    return results


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def table(results: Iterable[StudentResult]) -> str:
    """Return the result table: student, notebook, score, max, status."""
    rows: list[tuple[str, str, str, str, str]] = []
    for result in results:
        for nb in result.notebooks:
            score = _fmt(nb.score) if (nb.submitted or nb.has_problem) else "-"
            rows.append((result.student, nb.name, score, _fmt(nb.max), nb.status()))
        if len(result.notebooks) > 1 or result.reasons:
            rows.append(
                (
                    result.student,
                    "= assignment",
                    _fmt(result.score),
                    _fmt(result.max),
                    result.status(),
                )
            )
    header = ("student", "notebook", "score", "max", "status")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = []
    for row in [header, *rows]:
        cells = [
            row[0].ljust(widths[0]),
            row[1].ljust(widths[1]),
            row[2].rjust(widths[2]),
            row[3].rjust(widths[3]),
            row[4],
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in [*widths, 6]))
    return "\n".join(lines)


def export(workspace: Workspace, assignment: str, out_dir: Path) -> list[Path]:
    """Write ``students.csv``, ``notebooks.csv``, ``tasks.csv`` and ``histogram.png``.

    Scores come from the result files (what ``nnfw grade`` recorded); manual grades
    entered later in nbgrader's formgrader are added from the gradebook when present.
    """
    results = load_results(workspace, assignment)
    manual = _manual_scores(workspace, assignment, results)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []

    def reasons(items: list[Reason], level: str | None = None) -> str:
        return " | ".join(r.text for r in items if level is None or r.level == level)

    path = out_dir / "students.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["student", "assignment", "score", "max", "counted", "needs_attention", "status"]
        )
        for r in results:
            counted = "both" if r.require_both else (r.best.name if r.notebooks else "")
            writer.writerow(
                [r.student, r.assignment, r.score, r.max, counted, int(r.has_problem), r.status()]
            )
    written.append(path)

    path = out_dir / "notebooks.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "student",
                "notebook",
                "score",
                "max",
                "submitted",
                "graded",
                "needs_attention",
                "status",
                "problems",
                "notes",
            ]
        )
        for r in results:
            for nb in r.notebooks:
                writer.writerow(
                    [
                        r.student,
                        nb.name,
                        nb.score,
                        nb.max,
                        int(nb.submitted),
                        int(nb.graded),
                        int(nb.has_problem),
                        nb.status(),
                        reasons(nb.reasons, PROBLEM),
                        reasons(nb.reasons, NOTE),
                    ]
                )
    written.append(path)

    path = out_dir / "tasks.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["student", "notebook", "task", "score", "max", "status", "message", "manual_score"]
        )
        for r in results:
            for nb in r.notebooks:
                for t in nb.tasks:
                    writer.writerow(
                        [
                            r.student,
                            nb.name,
                            t.id,
                            t.score,
                            t.max,
                            t.status,
                            t.message,
                            manual.get((r.student, nb.name, t.id), ""),
                        ]
                    )
    written.append(path)

    path = out_dir / "histogram.png"
    _histogram([r.score for r in results], results[0].max if results else 0.0, assignment, path)
    written.append(path)
    return written


def _manual_scores(
    workspace: Workspace, assignment: str, results: list[StudentResult]
) -> dict[tuple[str, str, str], float]:
    """Manual scores entered in formgrader, keyed by (student, notebook, cell)."""
    if not workspace.db_path.is_file() or not results:
        return {}
    from nbgrader.api import Gradebook, MissingEntry

    from nnfw.grading.course import COURSE_ID

    out: dict[tuple[str, str, str], float] = {}
    with Gradebook(workspace.db_url, COURSE_ID) as gb:
        for r in results:
            try:
                submission = gb.find_submission(assignment, r.student)
            except MissingEntry:
                continue
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.manual_score is not None:
                        out[(r.student, notebook.name, grade.name)] = float(grade.manual_score)
    return out


def _histogram(scores: list[float], max_score: float, assignment: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.add_subplot()
    top = max([max_score, *scores, 1.0])
    bins = min(20, max(5, int(top) + 1))
    ax.hist(scores, bins=bins, range=(0, top), color="#4c72b0", edgecolor="white")
    ax.set_xlabel(f"assignment score (out of {max_score:g})")
    ax.set_ylabel("students")
    ax.set_title(f"{assignment}: {len(scores)} student(s)")
    fig.savefig(path, dpi=100, metadata={"Software": None})
