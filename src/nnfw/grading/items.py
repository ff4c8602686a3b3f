"""Item analysis for ``nnfw export``: how hard each task was, and whether it tells students apart.

For every task of every notebook, over the students who submitted that notebook:

``facility``
    the share of students who got the task (full marks): 1.0 means everybody did;
``discrimination``
    the *corrected item-total correlation* (point-biserial for a pass/fail task): the Pearson
    correlation between a student's score on the task and their score on the rest of the
    notebook (the notebook's total without this task, so the task is not correlated with
    itself). Near 1: the students who do well overall get this task and the others do not;
    near 0: the task is a coin toss as far as the rest of the notebook goes; negative: the
    weaker students get it more often than the stronger ones, which points at a broken test
    or a misleading text. It is left empty when it is undefined (fewer than 3 students, or a
    task or a rest score on which every student is equal).

Flags, for the instructor to look at: ``everybody passed`` and ``nobody passed`` (a task that
separates nobody), ``low discrimination`` (below :data:`LOW_DISCRIMINATION`, with at least
:data:`MIN_STUDENTS_FOR_FLAG` students; a small class gives noisy correlations), ``negative
discrimination``. Assessment platforms (Moodle's quiz statistics, for example) report the
same two figures per question.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nnfw.grading.results import StudentResult

#: A discrimination below this is flagged (the usual rule of thumb for a useful item is 0.2-0.3).
LOW_DISCRIMINATION = 0.2
#: Discrimination flags need at least this many students.
MIN_STUDENTS_FOR_FLAG = 10


@dataclass(frozen=True)
class ItemStats:
    """The analysis of one task."""

    notebook: str
    task: str
    max: float
    students: int
    full_marks: int
    mean_score: float
    discrimination: float | None

    @property
    def facility(self) -> float:
        """The share of students with full marks on the task."""
        return self.full_marks / self.students if self.students else 0.0

    @property
    def flag(self) -> str:
        """What the instructor should look at, in words ('' when nothing)."""
        if not self.students:
            return ""
        if self.full_marks == self.students:
            return "everybody passed"
        if self.full_marks == 0:
            return "nobody passed"
        if self.discrimination is not None and self.students >= MIN_STUDENTS_FOR_FLAG:
            if self.discrimination < 0:
                return "negative discrimination"
            if self.discrimination < LOW_DISCRIMINATION:
                return "low discrimination"
        return ""


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's correlation of two equally long sequences; None when it is undefined."""
    n = len(xs)
    if n < 3 or n != len(ys):
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def item_stats(results: Sequence[StudentResult]) -> list[ItemStats]:
    """The analysis of every task, in notebook and task order."""
    rows: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    order: list[tuple[str, str]] = []
    for result in results:
        for nb in result.notebooks:
            if not nb.submitted:
                continue
            for task in nb.tasks:
                key = (nb.name, task.id)
                if key not in rows:
                    rows[key] = []
                    order.append(key)
                rows[key].append((task.score, task.max, nb.score - task.score))
    stats = []
    for key in sorted(order, key=lambda k: (k[0], order.index(k))):  # notebooks by name
        entries = rows[key]
        top = max(m for _, m, _ in entries)
        scores = [s for s, _, _ in entries]
        stats.append(
            ItemStats(
                notebook=key[0],
                task=key[1],
                max=top,
                students=len(entries),
                full_marks=sum(s >= m > 0 for s, m, _ in entries),
                mean_score=sum(scores) / len(scores),
                discrimination=correlation(scores, [rest for _, _, rest in entries]),
            )
        )
    return stats


def plot_items(stats: Sequence[ItemStats], assignment: str, path: Path) -> None:
    """Facility and discrimination of every task, flagged tasks in red, as a PNG."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    labels = [f"{s.notebook}\n{s.task}" for s in stats]
    height = max(3.0, 0.45 * len(stats) + 1.5)
    fig = Figure(figsize=(10, height), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    ys = list(range(len(stats)))
    colours = ["#c44e52" if s.flag else "#4c72b0" for s in stats]
    left.barh(ys, [s.facility for s in stats], color=colours)
    left.set_xlim(0, 1)
    left.set_xlabel("facility: share of students with full marks")
    left.set_yticks(ys, labels, fontsize=7)
    left.invert_yaxis()
    disc = [s.discrimination if s.discrimination is not None else 0.0 for s in stats]
    right.barh(ys, disc, color=colours)
    right.axvline(LOW_DISCRIMINATION, color="grey", linestyle="--", linewidth=1)
    right.axvline(0, color="black", linewidth=0.8)
    right.set_xlim(-1, 1)
    right.set_xlabel("discrimination: correlation with the rest of the notebook")
    for y, s in zip(ys, stats, strict=True):
        if s.flag:
            right.annotate(s.flag, (0.02, y), fontsize=7, va="center", color="#c44e52")
    fig.suptitle(f"{assignment}: {len(stats)} task(s); red: flagged")
    fig.savefig(path, dpi=100, metadata={"Software": None})
