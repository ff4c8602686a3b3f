"""``nnfw audit``: prove each graded task against wrong and correct answers the instructor writes.

A task's hidden tests are only as good as the wrong answers they catch. Beside each source
notebook, ``solutions/<assignment>/audit/<notebook>.py`` holds answers an instructor wrote for
its tasks, as plain data (no imports; read with :func:`ast.literal_eval`, never run)::

    ANSWERS = {
        "task1_softmax": {                       # the answer cell's grade id
            "wrong": {"no_max_shift": "def stable_softmax(...): ...", ...},
            "correct": {"via_logsumexp": "...", ...},
        },
    }

Each answer is the whole text of the task's answer cell, as a learner would leave it. The audit
grades them as students, through the real pipeline (:func:`nnfw.grading.pipeline.grade`: the
release, intake, the sandboxed kernel, nbgrader, the scorer), every other answer cell filled
with the solution, and reports per task:

- a **wrong** answer is *caught* when its task scores less than full marks;
- a **correct** answer is *kept* when its task scores full marks.

Anything else is a finding, and ``nnfw audit`` exits 1.

**Packing.** Grading one notebook per answer would take an hour for the course, so answers
are packed: run *r* of a notebook holds the *r*-th answer of every task at once (tasks that
have run out of answers get the solution). A task's test runs after its own answer cell and
before the later ones, so later answers cannot touch it; an earlier one could (a wrong answer
that breaks shared state). So every surprising result of a packed run (a wrong answer that
kept its points, a correct one that lost them, a task that did not run to a verdict) is
graded again alone before it is reported; ``--isolated`` grades every answer alone.
``--sample`` grades the first wrong answer of every task only (CI's quick audit).
"""

from __future__ import annotations

import ast
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnfw.grading.course import GradingError, Workspace, notebook_names, short
from nnfw.grading.nbio import SOLUTION_MARKER, cell_source, filled_notebook, read_notebook
from nnfw.grading.settings import GradeSettings

Progress = Callable[[str], None]

WRONG = "wrong"
CORRECT = "correct"
KINDS = (WRONG, CORRECT)
#: The folder beside the notebooks that holds the audit answers (never released or graded).
AUDIT_DIR = "audit"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,59}$")
#: The statuses that are a verdict on the answer itself (anything else is graded again alone).
_VERDICTS = ("passed", "failed")


@dataclass(frozen=True)
class Answer:
    """One instructor-written answer to one task."""

    assignment: str
    notebook: str
    task: str
    name: str
    kind: str
    source: str

    @property
    def label(self) -> str:
        """``notebook/task/name``: how the report names it."""
        return f"{self.notebook}/{self.task}/{self.name}"


@dataclass
class Verdict:
    """How one answer fared."""

    answer: Answer
    score: float = 0.0
    max: float = 0.0
    status: str = "not graded"
    message: str = ""
    #: True when the verdict comes from grading the answer alone
    alone: bool = False

    @property
    def full_marks(self) -> bool:
        return self.max > 0 and self.score >= self.max

    @property
    def ok(self) -> bool:
        """The answer did what its kind says: a wrong one lost points, a correct one kept all."""
        if self.status not in _VERDICTS and not self.alone:
            return False  # not a verdict yet: decided by grading it alone
        if self.answer.kind == WRONG:
            return self.status != "not graded" and not self.full_marks
        return self.full_marks


@dataclass
class AuditResult:
    """Every verdict of one audit, in the order of the answer files."""

    verdicts: list[Verdict] = field(default_factory=list)
    seconds: float = 0.0
    #: Tasks of the audited notebooks that have no answers at all.
    unaudited: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.ok]

    def count(self, kind: str) -> tuple[int, int]:
        """``(as expected, in all)`` for the answers of one kind."""
        mine = [v for v in self.verdicts if v.answer.kind == kind]
        return sum(v.ok for v in mine), len(mine)


# --- the answer files -------------------------------------------------------------------------


def answers_path(source_root: Path, assignment: str, notebook: str) -> Path:
    """Where the audit answers of one notebook live."""
    return source_root / assignment / AUDIT_DIR / f"{notebook}.py"


def answer_cells(nb: Any) -> dict[str, str]:
    """The answer (code solution) cells of a source notebook: grade id -> the solution text."""
    return {
        str(c.metadata["nbgrader"]["grade_id"]): SOLUTION_MARKER.sub("", cell_source(c))
        for c in nb.cells
        if c.cell_type == "code"
        and c.metadata.get("nbgrader", {}).get("solution")
        and not c.metadata["nbgrader"].get("grade")
    }


def task_of_answers(nb: Any) -> dict[str, str]:
    """Answer cell grade id -> the grade id of the test cell that scores it."""
    out: dict[str, str] = {}
    pending: list[str] = []
    for cell in nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if nbg.get("solution") and not nbg.get("grade"):
            pending.append(str(nbg["grade_id"]))
        elif nbg.get("grade"):
            out.update(dict.fromkeys(pending, str(nbg.get("grade_id"))))
            pending = []
    return out


def bound_names(source: str) -> set[str]:
    """The names a cell binds at its top level (functions, classes, assignments, imports)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def load_answers(
    path: Path, assignment: str, notebook: str, solutions: dict[str, str]
) -> list[Answer]:
    """Read and check one answer file against the notebook's answer cells ``solutions``.

    Raises :class:`GradingError` naming the file, the task and the answer for anything that
    would make the audit say something false: an unknown task, an answer that does not parse
    or does not define what the answer cell must define (it would fail for that reason alone).
    """
    where = f"{path}"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, ValueError) as exc:
        msg = f"{where}: cannot read it: {exc}"
        raise GradingError(msg) from None
    value = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "ANSWERS" for t in node.targets
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                msg = f"{where}: ANSWERS must be plain data (dicts of strings), no names or calls"
                raise GradingError(msg) from None
    if not isinstance(value, dict):
        msg = f"{where}: no `ANSWERS = {{task id: {{'wrong': {{...}}, 'correct': {{...}}}}}}`"
        raise GradingError(msg)
    answers: list[Answer] = []
    for task, kinds in value.items():
        if task not in solutions:
            known = ", ".join(solutions) or "none"
            msg = (
                f"{where}: {task!r} is not an answer cell of {notebook} (its answer cells: {known})"
            )
            raise GradingError(msg)
        if not isinstance(kinds, dict) or set(kinds) - set(KINDS):
            msg = f"{where}: {task}: expected a dict with the keys 'wrong' and 'correct'"
            raise GradingError(msg)
        required = bound_names(solutions[task])
        for kind in KINDS:
            named = kinds.get(kind, {})
            if not isinstance(named, dict):
                msg = f"{where}: {task}: {kind!r} must map answer names to sources"
                raise GradingError(msg)
            for name, source in named.items():
                label = f"{where}: {task}: {kind} answer {name!r}"
                if not isinstance(name, str) or not _NAME.match(name):
                    msg = f"{label}: name it in snake_case (a-z, 0-9, _), at most 60 characters"
                    raise GradingError(msg)
                if not isinstance(source, str):
                    msg = f"{label}: the answer must be the cell's source, a string"
                    raise GradingError(msg)
                try:
                    missing = required - bound_names(source)
                except SyntaxError as exc:
                    msg = f"{label}: does not parse ({exc.msg}, line {exc.lineno})"
                    raise GradingError(msg) from None
                if missing:
                    msg = (
                        f"{label}: does not define {', '.join(sorted(missing))}, which the "
                        "answer cell must define; it would lose points for that alone"
                    )
                    raise GradingError(msg)
                answers.append(Answer(assignment, notebook, task, name, kind, source.strip("\n")))
    return answers


def collect(
    source_root: Path,
    assignment: str,
    *,
    notebook: str | None = None,
    task: str | None = None,
    sample: bool = False,
) -> tuple[list[Answer], list[str]]:
    """The answers to audit, and the ``notebook/task``s of the audited notebooks without any."""
    folder = source_root / assignment
    names = notebook_names(folder)
    if notebook is not None:
        if notebook not in names:
            msg = f"{assignment} has no notebook {notebook!r} (it has: {', '.join(names)})"
            raise GradingError(msg)
        names = [notebook]
    answers: list[Answer] = []
    unaudited: list[str] = []
    for name in names:
        solutions = answer_cells(read_notebook(folder / f"{name}.ipynb"))
        path = answers_path(source_root, assignment, name)
        found = load_answers(path, assignment, name, solutions) if path.is_file() else []
        if task is not None:
            solutions = {k: v for k, v in solutions.items() if k == task}
            found = [a for a in found if a.task == task]
        if sample:
            firsts: dict[str, Answer] = {}
            for a in found:
                if a.kind == WRONG:
                    firsts.setdefault(a.task, a)
            found = list(firsts.values())
        answers += found
        covered = {a.task for a in found}
        unaudited += [f"{name}/{t}" for t in solutions if t not in covered]
    if task is not None and not answers:
        msg = f"no audit answers for task {task!r} in {assignment}"
        raise GradingError(msg)
    return answers, unaudited


# --- grading them -----------------------------------------------------------------------------


def _runs(answers: Sequence[Answer], isolated: bool) -> list[list[Answer]]:
    """Group answers into submissions: one per answer, or packed (one per task per run)."""
    if isolated:
        return [[a] for a in answers]
    queues: dict[tuple[str, str], list[Answer]] = {}
    for a in answers:
        queues.setdefault((a.notebook, a.task), []).append(a)
    runs: list[list[Answer]] = []
    while any(queues.values()):
        runs.append([q.pop(0) for q in queues.values() if q])
    return runs


def _write_submissions(
    runs: list[list[Answer]], source_root: Path, assignment: str, folder: Path
) -> dict[str, list[Answer]]:
    """One student folder per run; every other answer cell holds the solution."""
    from nnfw.authoring.release import generate_assignment

    released = generate_assignment(source_root / assignment, assignment)
    sources = {
        name: read_notebook(source_root / assignment / f"{name}.ipynb")
        for name in notebook_names(source_root / assignment)
    }
    students: dict[str, list[Answer]] = {}
    width = len(str(len(runs)))
    for number, run in enumerate(runs, 1):
        student = f"audit-{number:0{width}d}"
        students[student] = run
        for name in sorted({a.notebook for a in run}):
            filled = filled_notebook(
                sources[name],
                released[f"{name}.ipynb"],
                {a.task: a.source for a in run if a.notebook == name},
            )
            path = folder / student / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(filled)
    return students


def _grade_runs(
    runs: list[list[Answer]],
    source_root: Path,
    assignment: str,
    settings: GradeSettings,
    scratch: Path,
    *,
    course_root: Path | None,
    progress: Progress,
) -> list[Verdict]:
    from nnfw.grading.pipeline import grade

    scratch.mkdir(parents=True, exist_ok=True)
    submissions = Path(tempfile.mkdtemp(prefix="submissions-", dir=scratch))
    students = _write_submissions(runs, source_root, assignment, submissions)
    workspace = Workspace(Path(tempfile.mkdtemp(prefix="workspace-", dir=scratch)))
    results = grade(
        submissions,
        workspace,
        source_root,
        settings.replace(assignment=assignment, students=()),
        course_root=course_root,
        progress=progress,
    )
    tests = {
        name: task_of_answers(read_notebook(source_root / assignment / f"{name}.ipynb"))
        for name in notebook_names(source_root / assignment)
    }
    verdicts: list[Verdict] = []
    for result in results:
        by_notebook = {nb.name: nb for nb in result.notebooks}
        run = students[result.student]
        for answer in run:
            verdict = Verdict(answer, alone=len(run) == 1)
            nb = by_notebook.get(answer.notebook)
            test_id = tests[answer.notebook].get(answer.task)
            task = next((t for t in nb.tasks if t.id == test_id), None) if nb else None
            if task is None:
                reasons = "; ".join(r.text for r in (nb.reasons if nb else result.reasons))
                verdict.message = reasons or "the notebook was not graded"
            else:
                verdict.score, verdict.max = task.score, task.max
                verdict.status, verdict.message = task.status, short(task.message)
            verdicts.append(verdict)
    shutil.rmtree(submissions, ignore_errors=True)
    return verdicts


def audit(
    source_root: Path,
    assignment: str,
    settings: GradeSettings,
    *,
    course_root: Path | None = None,
    notebook: str | None = None,
    task: str | None = None,
    sample: bool = False,
    isolated: bool = False,
    scratch: Path | None = None,
    progress: Progress = print,
) -> AuditResult:
    """Grade the audit answers of one assignment; see the module's docstring."""
    import time

    start = time.monotonic()
    answers, unaudited = collect(
        source_root, assignment, notebook=notebook, task=task, sample=sample
    )
    result = AuditResult(unaudited=unaudited)
    if not answers:
        result.seconds = time.monotonic() - start
        return result
    runs = _runs(answers, isolated)
    mode = "each alone" if isolated else f"packed into {len(runs)} graded submission(s)"
    progress(
        f"[nnfw] audit of {assignment}: {len(answers)} answer(s) "
        f"({sum(a.kind == WRONG for a in answers)} wrong, "
        f"{sum(a.kind == CORRECT for a in answers)} correct), {mode}"
    )
    with tempfile.TemporaryDirectory(prefix="nnfw-audit-") as tmp:
        base = scratch or Path(tmp)
        verdicts = _grade_runs(
            runs,
            source_root,
            assignment,
            settings,
            base / "packed",
            course_root=course_root,
            progress=progress,
        )
        again = [v.answer for v in verdicts if not v.ok and not v.alone]
        if again:
            progress(
                f"[nnfw] audit of {assignment}: grading {len(again)} surprising result(s) "
                "again, each answer alone"
            )
            alone = _grade_runs(
                [[a] for a in again],
                source_root,
                assignment,
                settings,
                base / "alone",
                course_root=course_root,
                progress=progress,
            )
            by_answer = {v.answer: v for v in alone}
            for v in alone:
                v.alone = True
            verdicts = [by_answer.get(v.answer, v) for v in verdicts]
    order = {a: i for i, a in enumerate(answers)}
    result.verdicts = sorted(verdicts, key=lambda v: order[v.answer])
    result.seconds = time.monotonic() - start
    return result


# --- the report -------------------------------------------------------------------------------


@dataclass
class TaskLine:
    """One task's row of the audit table."""

    assignment: str
    notebook: str
    task: str
    wrong: tuple[int, int] = (0, 0)
    correct: tuple[int, int] = (0, 0)
    kept: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)


def task_lines(results: Iterable[AuditResult]) -> list[TaskLine]:
    """The per-task rows of one or more audits, in file order."""
    lines: dict[tuple[str, str, str], TaskLine] = {}
    for result in results:
        for v in result.verdicts:
            a = v.answer
            line = lines.setdefault(
                (a.assignment, a.notebook, a.task), TaskLine(a.assignment, a.notebook, a.task)
            )
            done, total = line.wrong if a.kind == WRONG else line.correct
            done, total = done + v.ok, total + 1
            if a.kind == WRONG:
                line.wrong = (done, total)
                if not v.ok:
                    line.kept.append(a.name)
            else:
                line.correct = (done, total)
                if not v.ok:
                    line.lost.append(f"{a.name} ({v.status}: {v.message})" if v.message else a.name)
    return list(lines.values())


def summary(results: Sequence[AuditResult]) -> str:
    """One line: how many wrong answers were caught and correct ones kept."""
    caught = sum(r.count(WRONG)[0] for r in results)
    wrong = sum(r.count(WRONG)[1] for r in results)
    kept = sum(r.count(CORRECT)[0] for r in results)
    correct = sum(r.count(CORRECT)[1] for r in results)
    tasks = len(task_lines(results))

    def pct(a: int, b: int) -> str:
        return f"{100 * a / b:.1f}%" if b else "-"

    return (
        f"{tasks} task(s): {caught} of {wrong} wrong answers lost points ({pct(caught, wrong)}), "
        f"{kept} of {correct} correct answers kept full marks ({pct(kept, correct)})"
    )


def text_table(results: Sequence[AuditResult]) -> str:
    """The audit as a terminal table, a row per task, findings under their task."""
    rows = [("task", "wrong caught", "correct kept")]
    notes: dict[int, list[str]] = {}
    for line in task_lines(results):
        rows.append(
            (
                f"{line.assignment}/{line.notebook}/{line.task}",
                f"{line.wrong[0]}/{line.wrong[1]}",
                f"{line.correct[0]}/{line.correct[1]}",
            )
        )
        notes[len(rows) - 1] = [f"    KEPT POINTS (wrong): {n}" for n in line.kept] + [
            f"    LOST POINTS (correct): {n}" for n in line.lost
        ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    out = []
    for index, row in enumerate(rows):
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        out += notes.get(index, [])
    return "\n".join(out)


def markdown_table(results: Sequence[AuditResult]) -> str:
    """The audit as a Markdown table (for ``docs/audit.md``)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    out = [
        (
            "| assignment | notebook | task | wrong answers caught | correct answers kept | "
            "wrong answers that kept their points | correct answers that lost points |"
        ),
        "|---|---|---|---|---|---|---|",
    ]
    for line in task_lines(results):
        out.append(
            f"| {line.assignment} | {line.notebook} | {line.task} | "
            f"{line.wrong[0]}/{line.wrong[1]} | {line.correct[0]}/{line.correct[1]} | "
            f"{cell(', '.join(line.kept)) or '-'} | {cell('; '.join(line.lost)) or '-'} |"
        )
    return "\n".join(out) + "\n"
