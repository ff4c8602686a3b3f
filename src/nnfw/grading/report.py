"""Report: the result table, and the export (CSVs and a histogram) of an assignment."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nnfw.grading.course import Workspace, printable
from nnfw.grading.gradebook import manual_scores
from nnfw.grading.messages import NOTE, PROBLEM, Reason
from nnfw.grading.results import StudentResult, load_results


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


#: Marks a provisional score in the table (a written answer awaits its manual grade).
PROVISIONAL_MARK = "*"
PROVISIONAL_NOTE = (
    f"{PROVISIONAL_MARK} provisional: written answers await manual grading. Grade them in "
    "formgrader (cd into the workspace, `nbgrader formgrader`), then `nnfw export` and "
    "`nnfw feedback` use the manual grades; re-grading keeps them."
)


def table(results: Iterable[StudentResult]) -> str:
    """Return the result table: student, notebook, score, max, status.

    A provisional score (a written answer still awaits its manual grade) carries a ``*``, and
    a note under the table says what to do.
    """
    rows: list[tuple[str, str, str, str, str]] = []
    provisional = False
    for result in results:
        for nb in result.notebooks:
            score = _fmt(nb.score) if (nb.submitted or nb.has_problem) else "-"
            if nb.provisional:
                score += PROVISIONAL_MARK
            rows.append((result.student, nb.name, score, _fmt(nb.max), nb.status()))
        provisional = provisional or result.provisional
        if len(result.notebooks) > 1 or result.reasons:
            mark = PROVISIONAL_MARK if result.provisional else ""
            rows.append(
                (
                    result.student,
                    "= assignment",
                    _fmt(result.score) + mark,
                    _fmt(result.max),
                    result.status(),
                )
            )
    header = ("student", "notebook", "score", "max", "status")
    rows = [(a, b, c, d, printable(e)) for a, b, c, d, e in rows]  # no terminal controls
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
    if provisional:
        lines.append(PROVISIONAL_NOTE)
    return "\n".join(lines)


#: A spreadsheet reads a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that no spreadsheet runs: text starting like a formula gets a leading ``'``.

    Numbers stay numbers; text also loses its control characters (:func:`printable`). This is
    OWASP's advice against CSV injection: learner-controlled text (file names, error
    messages) must not become ``=HYPERLINK(...)`` in the instructor's spreadsheet.
    """
    if not isinstance(value, str):
        return value
    text = printable(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`spreadsheet_safe`."""

    def __init__(self, fh: Any) -> None:
        self._writer = csv.writer(fh)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([spreadsheet_safe(v) for v in row])


def export(workspace: Workspace, assignment: str, out_dir: Path) -> list[Path]:
    """Write ``students.csv``, ``notebooks.csv``, ``tasks.csv``, ``items.csv`` and two plots.

    ``items.csv`` and ``items.png`` are the item analysis (:mod:`nnfw.grading.items`): per
    task, the share of students who got it, its discrimination and a flag;
    ``histogram.png`` shows the assignment scores.

    Scores come from the result files (what ``nnfw grade`` recorded) with the manual grades
    entered later in nbgrader's formgrader: a written answer's manual score counts in every
    file, and ``provisional`` says which scores still wait for one.
    """
    results = load_results(workspace, assignment)
    manual = manual_scores(workspace, assignment, [r.student for r in results])
    for result in results:
        result.apply_manual(
            {
                (nb, task): s
                for (student, nb, task), s in manual.items()
                if student == result.student
            }
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []

    def reasons(items: list[Reason], level: str | None = None) -> str:
        return " | ".join(r.text for r in items if level is None or r.level == level)

    path = out_dir / "students.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = _SafeWriter(fh)
        writer.writerow(
            [
                "student",
                "assignment",
                "score",
                "max",
                "provisional",
                "counted",
                "needs_attention",
                "status",
            ]
        )
        for r in results:
            counted = "both" if r.require_both else (r.best.name if r.notebooks else "")
            writer.writerow(
                [
                    r.student,
                    r.assignment,
                    r.score,
                    r.max,
                    int(r.provisional),
                    counted,
                    int(r.has_problem),
                    r.status(),
                ]
            )
    written.append(path)

    path = out_dir / "notebooks.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = _SafeWriter(fh)
        writer.writerow(
            [
                "student",
                "notebook",
                "score",
                "max",
                "submitted",
                "graded",
                "provisional",
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
                        int(nb.provisional),
                        int(nb.has_problem),
                        nb.status(),
                        reasons(nb.reasons, PROBLEM),
                        reasons(nb.reasons, NOTE),
                    ]
                )
    written.append(path)

    path = out_dir / "tasks.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = _SafeWriter(fh)
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
    written += _items(results, assignment, out_dir)
    return written


def _items(results: list[StudentResult], assignment: str, out_dir: Path) -> list[Path]:
    from nnfw.grading.items import item_stats, plot_items

    stats = item_stats(results)
    path = out_dir / "items.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = _SafeWriter(fh)
        writer.writerow(
            [
                "notebook",
                "task",
                "max",
                "students",
                "full_marks",
                "facility",
                "mean_score",
                "discrimination",
                "flag",
            ]
        )
        for s in stats:
            writer.writerow(
                [
                    s.notebook,
                    s.task,
                    s.max,
                    s.students,
                    s.full_marks,
                    round(s.facility, 3),
                    round(s.mean_score, 3),
                    "" if s.discrimination is None else round(s.discrimination, 3),
                    s.flag,
                ]
            )
    plot = out_dir / "items.png"
    plot_items(stats, assignment, plot)
    return [path, plot]


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
