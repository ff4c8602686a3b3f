"""Results: per-student records and the assignment score rule.

A student's result is stored as JSON in ``<workspace>/nnfw/results/<assignment>/<student>.json``
(the gradebook keeps the scores; this keeps the reasons). The assignment score is the better
notebook's of a pair, or, with ``--require-both``, the sum of both.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nnfw.grading.course import Workspace
from nnfw.grading.messages import PROBLEM, Reason, TaskResult
from nnfw.grading.score import AWAITING_MANUAL, GRADED_BY_HAND

#: Manual scores entered in formgrader: (notebook, grade id) -> score.
ManualScores = dict[tuple[str, str], float]


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

    @property
    def awaiting(self) -> list[TaskResult]:
        """The tasks that wait for an instructor's manual grade."""
        return [t for t in self.tasks if t.status == AWAITING_MANUAL]

    @property
    def provisional(self) -> bool:
        """True while a task waits for a manual grade: the score may still go up."""
        return self.submitted and bool(self.awaiting)

    def apply_manual(self, scores: dict[str, float]) -> None:
        """Take the manual scores (grade id -> score) entered in formgrader into the result.

        A task waiting for a manual grade becomes ``graded by hand``; an automatic score that
        an instructor overrode keeps its status and says so. The notebook's score follows.
        """
        for task in self.tasks:
            if task.id not in scores:
                continue
            manual = float(scores[task.id])
            self.score += manual - task.score
            task.score = manual
            if task.status in (AWAITING_MANUAL, GRADED_BY_HAND, "not attempted"):
                task.status, task.message = GRADED_BY_HAND, ""
            elif "score set by hand" not in task.message:
                task.message = "; ".join(p for p in (task.message, "score set by hand") if p)

    def status(self) -> str:
        """Plain words: how it went, then every reason."""
        parts: list[str] = []
        if self.graded and self.tasks:
            done = [
                t
                for t in self.tasks
                if t.status == "passed" or (t.status == GRADED_BY_HAND and t.score >= t.max)
            ]
            awaiting = self.awaiting
            checked = [t for t in self.tasks if t not in awaiting]
            blank = sum(t.status == "not attempted" for t in self.tasks)
            if len(done) == len(checked) and checked:
                parts.append(f"all {len(done)} tasks passed")
            elif blank == len(self.tasks):
                parts.append("not attempted (no task answered)")
            elif checked:
                parts.append(f"{len(done)} of {len(checked)} tasks passed")
                for task in checked:
                    if task in done:
                        continue
                    text = f"{task.id}: {task.status}"
                    if task.status == GRADED_BY_HAND:
                        text += f" ({task.score:g} of {task.max:g})"
                    parts.append(text + (f" ({task.message})" if task.message else ""))
            if awaiting:
                ids = ", ".join(t.id for t in awaiting)
                parts.append(
                    f"{len(awaiting)} written answer(s) awaiting manual grading ({ids}): "
                    "score provisional"
                )
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
    def provisional(self) -> bool:
        """True while a submitted notebook waits for manual grades (the score may go up)."""
        return any(nb.provisional for nb in self.notebooks)

    def apply_manual(self, scores: ManualScores) -> None:
        """Take formgrader's manual scores ((notebook, grade id) -> score) into the result."""
        for nb in self.notebooks:
            nb.apply_manual({task: s for (name, task), s in scores.items() if name == nb.name})

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
            "provisional": self.provisional,
            "reasons": [r.to_dict() for r in self.reasons],
            "notebooks": [
                {
                    **{k: v for k, v in asdict(nb).items() if k not in ("reasons", "tasks")},
                    "tasks": [asdict(t) for t in nb.tasks],
                    "reasons": [r.to_dict() for r in nb.reasons],
                    "provisional": nb.provisional,
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
