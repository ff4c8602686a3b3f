"""The learner's report card, from inside the notebook: ``nnfw.check_my_work()``.

``import nnfw`` in a Jupyter kernel calls :func:`install`, which does two small things in that
kernel (and nothing outside IPython):

* it **records** the outcome of every cell that runs (``post_run_cell``): passed, failed with
  the first line of its error, or "not answered" (the cell raised the answer stub's
  ``NotImplementedError``, or failed right after an answer cell that did);
* it **shortens** three kinds of error output, so a learner reads one line instead of a
  traceback wall: an unanswered task (``NotImplementedError`` from the stub) says
  ``Task N: not answered yet``; a test cell that fails because the answer above it is still
  the stub says the same; a failed ``assert`` shows its message and the line of the cell,
  without the helper package's or a framework's frames. Every other error keeps IPython's
  full traceback (learners debug their own code with it). The cell still *fails* (an error
  output, status ``error``), so nbgrader scores it exactly as before: 0.

:func:`check_my_work` then reads the notebook file for the graded test cells (their task ids
and points) and prints one line per task from the recorded outcomes, a total of the visible
tests, and a reminder that the hidden tests decide the grade. It never runs anything again
and never raises: it reports what last ran in this kernel, so it is instant.

``nnfw check NOTEBOOK`` (:mod:`nnfw.learner.check`) is the same report from a fresh kernel.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["TaskLine", "check_my_work", "install", "not_answered_message", "task_number"]

#: The stub's message starts with this (see nnfw.authoring.release.TaskStubs).
_STUB = re.compile(r"^\s*Task (\d+) is not answered yet")
_STUB_IN_SOURCE = re.compile(r"NotImplementedError\(\s*[\"']Task (\d+) is not answered yet")
_TASK_ID = re.compile(r"task_?(\d+)", re.IGNORECASE)
_MAX_MESSAGE = 160
#: What the release puts in a written answer's cell (see nnfw.authoring.stubs.TaskStubs).
WRITTEN_STUB = "*Task {task}: write your answer here, in place of this line.*"
#: The report card's word for a written answer the learner has filled in.
WRITTEN = "written: graded by your instructor"


def task_number(grade_id: str) -> int | None:
    """``3`` for ``task3_one_hot`` or ``test_task3_one_hot``; None when the id has no number."""
    match = _TASK_ID.search(grade_id or "")
    return int(match.group(1)) if match else None


def not_answered_message(task: int | None) -> str:
    """What an unanswered task's cells say instead of a traceback."""
    name = f"Task {task}" if task is not None else "This task"
    return (
        f"{name}: not answered yet. Write your answer in place of `raise NotImplementedError(...)`"
        " in its answer cell, run that cell, then its test cell."
    )


def _key(source: str) -> str:
    text = "\n".join(line.rstrip() for line in source.strip().splitlines())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _first_line(text: str) -> str:
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 3] + "..."


@dataclass
class _Outcome:
    status: str  # "passed", "failed", "not answered"
    message: str = ""


class _Recorder:
    """Kernel-side state: the outcome of each cell source, and which tasks are still stubs."""

    def __init__(self) -> None:
        self.outcomes: dict[str, _Outcome] = {}
        self.source = ""
        #: Cells (by JupyterLab's cell id, else by source) that last ran with task N's stub.
        self.stubs: dict[str, int] = {}
        #: The task whose stub the previous cell raised (None: the previous cell did not).
        self.unanswered_before: int | None = None
        self.unanswered_now: int | None = None
        self._tests: tuple[Path, float, dict[str, int | None]] | None = None

    # IPython events ---------------------------------------------------------------------
    def pre_run_cell(self, info: Any) -> None:
        self.source = str(getattr(info, "raw_cell", "") or "")
        self.unanswered_now = None
        cell = str(getattr(info, "cell_id", None) or _key(self.source))
        stub = _STUB_IN_SOURCE.search(self.source)
        if stub:
            self.stubs[cell] = int(stub.group(1))
        else:
            self.stubs.pop(cell, None)  # an answer cell run again without its stub

    def post_run_cell(self, result: Any) -> None:
        error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        source = str(getattr(getattr(result, "info", None), "raw_cell", None) or self.source)
        if not source.strip():
            return
        if error is None:
            outcome = _Outcome("passed")
        elif self.unanswered_now is not None or _stub_task(error) is not None:
            outcome = _Outcome("not answered")
        else:
            outcome = _Outcome("failed", _first_line(f"{type(error).__name__}: {error}"))
        self.outcomes[_key(source)] = outcome
        self.unanswered_before = self.unanswered_now

    def test_task(self, source: str) -> int | None:
        """The task whose test cell has this source, from the notebook file (None: not one)."""
        path = _find_notebook(self.outcomes, source)
        if path is None:
            return None
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        if self._tests is None or self._tests[:2] != (path, mtime):
            nb = _read(path) or {}
            tasks = {_key(src): task_number(gid) for gid, _pts, src in _test_cells(nb)}
            self._tests = (path, mtime, tasks)
        return self._tests[2].get(_key(source))

    # the custom exception handler ---------------------------------------------------------
    def handle(self, shell: Any, etype: type, value: BaseException, tb: Any, tb_offset=None):
        stub = _stub_task(value)
        if stub is not None or (isinstance(value, NotImplementedError) and not str(value).strip()):
            self.unanswered_now = stub
            stb = [not_answered_message(stub)]
        elif (task := self._unanswered_test(value)) is not None:
            # a test cell whose answer cell is still the stub
            self.unanswered_now = task
            stb = [not_answered_message(task)]
        elif isinstance(value, AssertionError):
            stb = _short_assertion(shell, value, tb)
        else:
            shell.showtraceback(running_compiled_code=True)
            return None
        shell._showtraceback(etype, value, stb)
        return stb

    def _unanswered_test(self, value: BaseException) -> int | None:
        if not self.stubs:
            return None
        try:
            task = self.test_task(self.source)
        except Exception:  # noqa: BLE001 - the file is only a hint; never break a cell
            task = None
        if task is not None:
            return task if task in self.stubs.values() else None
        if self.unanswered_before is not None and isinstance(value, NameError | AssertionError):
            return self.unanswered_before  # no notebook file: the cell right after a stub
        return None


def _stub_task(error: BaseException) -> int | None:
    if not isinstance(error, NotImplementedError):
        return None
    match = _STUB.match(str(error))
    return int(match.group(1)) if match else None


def _is_cell_file(shell: Any, filename: str) -> bool:
    if filename.startswith("<ipython-input") or "/ipykernel_" in filename.replace("\\", "/"):
        return True
    return filename in getattr(getattr(shell, "compile", None), "_filename_map", {})


def _short_assertion(shell: Any, value: BaseException, tb: Any) -> list[str]:
    """``AssertionError: message`` and where in the notebook's own cells it failed."""
    import linecache

    message = str(value).strip() or "an assert in this cell failed"
    lines = [f"AssertionError: {message}"]
    where = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if _is_cell_file(shell, code.co_filename):
            text = linecache.getline(code.co_filename, tb.tb_lineno).strip()
            scope = "this cell" if code.co_name == "<module>" else f"{code.co_name}()"
            where.append(f"  at line {tb.tb_lineno} of {scope}: {text}")
        tb = tb.tb_next
    return lines + where[-2:]


_RECORDER: _Recorder | None = None


def install() -> bool:
    """Install the recorder and the short error messages in the running IPython shell.

    Does nothing outside IPython (plain Python, pytest) and nothing the second time; returns
    whether it is installed. ``import nnfw`` calls it.
    """
    global _RECORDER
    if "IPython" not in sys.modules:
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:  # noqa: BLE001 - a broken IPython must never break `import nnfw`
        return False
    if shell is None or not hasattr(shell, "events"):
        return False
    if getattr(shell, "_nnfw_selfcheck", None) is not None:
        _RECORDER = shell._nnfw_selfcheck
        return True
    recorder = _Recorder()
    shell.events.register("pre_run_cell", recorder.pre_run_cell)
    shell.events.register("post_run_cell", recorder.post_run_cell)
    if not shell.custom_exceptions:  # never replace a handler somebody else set
        shell.set_custom_exc(
            (NotImplementedError, AssertionError, NameError),
            lambda sh, etype, value, tb, tb_offset=None: recorder.handle(
                sh, etype, value, tb, tb_offset
            ),
        )
    shell._nnfw_selfcheck = recorder
    _RECORDER = recorder
    return True


# --- the report ---------------------------------------------------------------------------------


@dataclass
class TaskLine:
    """One line of the report card."""

    task: int | None
    grade_id: str
    points: float
    status: str  # "passed", "failed", "not answered yet", "not run yet", WRITTEN
    message: str = ""

    def __str__(self) -> str:
        name = f"Task {self.task}" if self.task is not None else self.grade_id
        points = f"{self.points:g} point{'s' if self.points != 1 else ''}"
        text = f"{name} ({points}): {self.status}"
        return f"{text} - {self.message}" if self.message else text


def _test_cells(nb: dict[str, Any]) -> list[tuple[str, float, str]]:
    cells = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            cells.append((str(meta.get("grade_id", "?")), float(meta.get("points", 0)), source))
    return cells


def _written_cells(nb: dict[str, Any]) -> list[tuple[str, float, str]]:
    """``(grade_id, points, source)`` of the written answers (graded markdown answer cells)."""
    cells = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "markdown" and meta.get("grade") and meta.get("solution"):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            cells.append((str(meta.get("grade_id", "?")), float(meta.get("points", 0)), source))
    return cells


def is_written_stub(grade_id: str, source: str) -> bool:
    """True when a written answer's cell still holds the release's stub (or nothing)."""
    text = source.strip()
    return not text or text == WRITTEN_STUB.format(task=task_number(grade_id)).strip()


def _read(path: Path) -> dict[str, Any] | None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return None
    return nb if isinstance(nb, dict) else None


def _find_notebook(outcomes: dict[str, _Outcome], source: str = "") -> Path | None:
    """The notebook this kernel runs: JupyterLab's session path, else the best match here.

    The best match is the notebook in the current folder with the most test cells among the
    cells that ran (or, given ``source``, one that has a test cell with that source).
    """
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb"):
        for candidate in (Path(session), Path.cwd() / Path(session).name):
            if candidate.is_file():
                return candidate
    best, best_hits = None, 0
    for candidate in sorted(Path.cwd().glob("*.ipynb")):
        nb = _read(candidate)
        if nb is None:
            continue
        keys = {_key(src) for _id, _pts, src in _test_cells(nb)}
        hits = len(keys & outcomes.keys()) + (2 * len(keys) + 1 if _key(source) in keys else 0)
        if hits > best_hits:
            best, best_hits = candidate, hits
    return best


def report(notebook: str | os.PathLike[str] | None = None) -> tuple[str, list[TaskLine]]:
    """The report card's text and lines (what :func:`check_my_work` prints)."""
    outcomes = _RECORDER.outcomes if _RECORDER is not None else {}
    path = Path(notebook) if notebook is not None else _find_notebook(outcomes)
    if path is None:
        unknown = (
            "check_my_work: cannot tell which notebook this is. Run the notebook's cells first "
            "(Run All), or name it: nnfw.check_my_work('tensors_pytorch.ipynb')."
        )
        return unknown, []
    nb = _read(path)
    tests = _test_cells(nb) if nb is not None else []
    written = _written_cells(nb) if nb is not None else []
    if not tests and not written:
        return f"check_my_work: {path.name} has no graded tasks (is it a course notebook?).", []
    lines = []
    for grade_id, points, source in tests:
        outcome = outcomes.get(_key(source))
        if outcome is None:
            line = TaskLine(task_number(grade_id), grade_id, points, "not run yet")
        elif outcome.status == "not answered":
            line = TaskLine(task_number(grade_id), grade_id, points, "not answered yet")
        else:
            line = TaskLine(
                task_number(grade_id), grade_id, points, outcome.status, outcome.message
            )
        lines.append(line)
    tested = list(lines)
    for grade_id, points, source in written:
        status = "not answered yet" if is_written_stub(grade_id, source) else WRITTEN
        lines.append(TaskLine(task_number(grade_id), grade_id, points, status))
    lines.sort(key=lambda line: (line.task is None, line.task or 0))
    passed = [line for line in tested if line.status == "passed"]
    total = sum(line.points for line in tested)
    got = sum(line.points for line in passed)
    text = [f"Your work on {path.name}, as its test cells last ran in this kernel:"]
    text += [f"  {line}" for line in lines]
    text.append(
        f"Visible tests: {got:g} of {total:g} points pass ({len(passed)} of {len(tested)} tasks)."
    )
    if written:
        hand = sum(points for _gid, points, _src in written)
        text.append(
            f"Written answers ({hand:g} points) are graded by your instructor, not by tests; "
            "this reads them from the saved notebook, so save it first (Ctrl+S)."
        )
    if any(line.status == "not run yet" for line in lines):
        text.append("Tasks 'not run yet': run their answer and test cells (or Run All), then this.")
    if _RECORDER is None:
        text.append("(Outcomes are recorded from `import nnfw` on: run the set-up cell first.)")
    text.append(
        "The hidden tests that run when your notebook is graded check more than these, so they "
        "decide your final grade."
    )
    return "\n".join(text), lines


def check_my_work(notebook: str | os.PathLike[str] | None = None) -> None:
    """Print one line per graded task of this notebook: passed, failed, not answered, not run.

    ``notebook`` is the notebook file; by default the one JupyterLab runs this kernel for (or
    the notebook in the current folder whose test cells ran here). Outcomes are those of the
    test cells as they last ran in this kernel: after changing an answer, run its cell and its
    test cell again. Never raises.
    """
    try:
        text, _lines = report(notebook)
    except Exception as exc:  # noqa: BLE001 - a report card must never break Run All
        text = f"check_my_work could not read the notebook: {type(exc).__name__}: {exc}"
    print(text)
