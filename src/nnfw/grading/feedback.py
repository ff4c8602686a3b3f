"""``nnfw feedback``: per-student HTML feedback, never showing hidden tests.

nbgrader's ``generate_feedback`` renders the autograded notebook, which holds the hidden
tests (autograde puts them back). nnfw first makes a copy without them: the lines between
``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` are removed (by nbgrader's
``ClearHiddenTests``), and the tracebacks of
cells that had hidden tests are cut to their last line (a traceback quotes the failing
source line). The feedback then shows the visible tests, the score and the error message.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nnfw.grading.course import GradingError, Workspace, short
from nnfw.grading.nbgrader_setup import captured_nbgrader_log, course_directory_config
from nnfw.grading.nbio import read_notebook, write_notebook

BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


def strip_hidden_tests(nb: Any) -> Any:
    """Remove hidden tests (and tracebacks quoting them) from ``nb`` in place; return it.

    The regions are removed by nbgrader's own ``ClearHiddenTests`` (what ``generate_assignment``
    uses); a region whose markers do not pair up hides everything from its first marker on.
    """
    from nbgrader.preprocessors import ClearHiddenTests

    clear = ClearHiddenTests(enforce_metadata=False)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or BEGIN_HIDDEN not in cell.source:
            continue
        try:
            clear.preprocess_cell(cell, {}, index)
        except RuntimeError:  # nested or unterminated markers: show nothing after the first
            cell.source = cell.source[: cell.source.index(BEGIN_HIDDEN)].rpartition("\n")[0]
        cell.source = cell.source.rstrip("\n")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [
                    f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
                ]
    return nb


def sanitise_markdown(nb: Any) -> Any:
    """Escape the HTML of every markdown cell that is not on nbconvert's safe list; return ``nb``.

    A learner writes markdown (a written answer) and may write HTML in it; nbgrader's feedback
    page would render a ``<script>`` or an ``onerror=`` there as it is. nbconvert's own
    sanitiser (bleach, as nbviewer uses) escapes what is not safe, so it shows as text.
    Outputs are sanitised by the HTML exporter (``HTMLExporter.sanitize_html``).
    """
    from nbconvert.filters.strings import clean_html

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = clean_html(cell.source)
    return nb


def generate_feedback(
    workspace: Workspace,
    assignment: str,
    students: Sequence[str] = (),
    progress: Callable[[str], None] = print,
) -> tuple[list[Path], list[str]]:
    """Write ``feedback/<student>/<assignment>/*.html``; return ``(files, problems)``."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    autograded = workspace.step_dir("autograded")
    available = sorted(
        p.parent.name for p in autograded.glob(f"*/{assignment}") if any(p.glob("*.ipynb"))
    )
    if students:
        missing = [s for s in students if s not in available]
        if missing:
            msg = (
                f"no graded submission of {assignment} for: {', '.join(missing)}. "
                f"Grade first: nnfw grade SUBMISSIONS --assignment {assignment}"
            )
            raise GradingError(msg)
        available = list(students)
    if not available:
        msg = (
            f"nothing to give feedback on: no graded submissions of {assignment} in "
            f"{workspace.root}. Grade first: nnfw grade SUBMISSIONS --assignment {assignment}"
        )
        raise GradingError(msg)
    written: list[Path] = []
    problems: list[str] = []
    for student in available:
        with tempfile.TemporaryDirectory(prefix="nnfw-feedback-") as tmp:
            root = Path(tmp)
            src = workspace.step_dir("autograded", student, assignment)
            dst = root / "autograded" / student / assignment
            for path in sorted(src.glob("*.ipynb")):
                nb = sanitise_markdown(strip_hidden_tests(read_notebook(path)))
                write_notebook(nb, dst / path.name)
            cfg = course_directory_config(Config(), root, workspace.db_url)
            cfg.CourseDirectory.assignment_id = assignment
            cfg.CourseDirectory.student_id = student
            cfg.GenerateFeedback.force = True
            # learner-written HTML (markdown cells, display(HTML(...)) outputs) is sanitised
            # (bleach, as nbviewer does): no script or event handler reaches the page
            cfg.HTMLExporter.sanitize_html = True
            failure = None
            with captured_nbgrader_log():
                try:
                    GenerateFeedback(coursedir=CourseDirectory(config=cfg), config=cfg).start()
                except Exception as exc:  # noqa: BLE001 - one student's feedback must not stop the rest
                    failure = exc
            if failure is not None:
                problems.append(f"{student}: {short(failure, 200)}")
                progress(f"[nnfw] {student}: feedback failed ({short(failure, 120)})")
                continue
            out = workspace.step_dir("feedback", student, assignment)
            if out.exists():
                shutil.rmtree(out)
            shutil.copytree(root / "feedback" / student / assignment, out)
            files = sorted(out.glob("*.html"))
            written += files
            progress(f"[nnfw] {student}: {len(files)} feedback file(s) in {out}")
    return written, problems
