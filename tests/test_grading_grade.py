"""`nnfw grade`: one batch of good and bad submissions, graded once, asserted per student.

Every kind of bad submission from the issue is one student here; the batch runs once per
module (two students at a time, a 10 s cell timeout for the infinite loop). Then feedback,
export, re-grading and `--require-both` reuse or extend the same workspace.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from nnfw import cli
from nnfw.authoring.release import generate_assignment
from nnfw.grading.course import Workspace, list_assignments
from nnfw.grading.demo import DEMO_ASSIGNMENT, DEMO_DATA
from nnfw.grading.nbio import filled_notebook, read_notebook
from nnfw.grading.results import load_results
from nnfw.grading.score import AWAITING_MANUAL

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 10
NAMES = ("demo_pytorch", "demo_tensorflow")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.notebook,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


# --- building submissions ----------------------------------------------------------------------


def _released() -> dict[str, bytes]:
    return generate_assignment(DEMO_DATA / DEMO_ASSIGNMENT, DEMO_ASSIGNMENT)


def _nb(data: bytes) -> nbformat.NotebookNode:
    return nbformat.reads(data.decode(), as_version=4)


def _bytes(nb: nbformat.NotebookNode) -> bytes:
    return nbformat.writes(nb).encode()


def _cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _solution(released: dict[str, bytes], name: str = "demo_pytorch") -> nbformat.NotebookNode:
    return _nb(
        filled_notebook(
            read_notebook(DEMO_DATA / DEMO_ASSIGNMENT / f"{name}.ipynb"), released[f"{name}.ipynb"]
        )
    )


def _write(folder: Path, files: dict[str, bytes | nbformat.NotebookNode]) -> None:
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_bytes(data) if isinstance(data, nbformat.NotebookNode) else data)


def _zip(path: Path, files: dict[str, bytes | nbformat.NotebookNode]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for rel, data in files.items():
            archive.writestr(rel, _bytes(data) if isinstance(data, nbformat.NotebookNode) else data)


def _answer(nb: nbformat.NotebookNode, grade_id: str, source: str) -> nbformat.NotebookNode:
    _cell(nb, grade_id).source = source
    return nb


def build_submissions(folder: Path) -> None:
    """One student per kind of submission (see the tests below for what each expects)."""
    rel = _released()
    sol = lambda name="demo_pytorch": _solution(rel, name)
    blank = {f"{n}.ipynb": rel[f"{n}.ipynb"] for n in NAMES}
    _write(folder / "full", {f"{n}.ipynb": sol(n) for n in NAMES})
    _write(folder / "blank", blank)
    _write(folder / "notjson", {"demo_pytorch.ipynb": b"this is not JSON at all"})
    _write(folder / "truncated", {"demo_pytorch.ipynb": _bytes(sol())[:3000]})
    _write(folder / "notnotebook", {"demo_pytorch.ipynb": b'{"cells": "no", "answer": 42}'})
    _write(folder / "missing", {"README.txt": b"I forgot the notebook"})
    _write(folder / "renamed", {"my homework (final).ipynb": sol()})
    _zip(folder / "nested.zip", {"hw/week0/demo_pytorch.ipynb": sol(), "notes.txt": b"hi"})
    _write(folder / "extras", {"demo_pytorch.ipynb": sol(), "notes.txt": b"see attached"})
    with (folder / "extras" / "weights.bin").open("wb") as fh:  # sparse: 60 MB, instant
        fh.truncate(60 * 1024 * 1024)

    nb = sol()
    nb.cells.remove(_cell(nb, "task2_tests"))  # its test comes back and passes
    nb.cells.remove(_cell(nb, "task1_answer"))  # comes back blank: 0 for task 1
    _write(folder / "deleted", {"demo_pytorch.ipynb": nb})

    nb = _answer(sol(), "task1_answer", "def square(x):\n    return 0")
    _cell(nb, "task1_tests").source = "pass  # tests are overrated"
    _write(folder / "edited", {"demo_pytorch.ipynb": nb})

    nb = sol()
    _cell(nb, "task2_answer").cell_type = "markdown"
    _cell(nb, "task2_answer").pop("outputs")
    _cell(nb, "task2_answer").pop("execution_count")
    _cell(nb, "task3_tests").cell_type = "raw"
    _cell(nb, "task3_tests").pop("outputs")
    _cell(nb, "task3_tests").pop("execution_count")
    _write(folder / "typechanged", {"demo_pytorch.ipynb": nb})

    loop = "def square(x):\n    while True:\n        pass"
    _write(
        folder / "infinite",
        {"demo_pytorch.ipynb": _answer(sol(), "task1_answer", loop + "\n\nsquare(1)")},
    )
    crash = "import os\n\nos._exit(1)"
    _write(folder / "exits", {"demo_pytorch.ipynb": _answer(sol(), "task2_answer", crash)})
    segv = "import ctypes\n\nctypes.string_at(0)"
    _write(folder / "segfault", {"demo_pytorch.ipynb": _answer(sol(), "task3_answer", segv)})
    boom = "def mean_of(values):\n    return 1\n\n\nraise ValueError('oops, my bad')"
    _write(folder / "exception", {"demo_pytorch.ipynb": _answer(sol(), "task2_answer", boom)})
    nb = sol()
    _cell(
        nb, "task1_answer"
    ).source += "\n\nprint('x' * 30_000_000)\nfor i in range(5000):\n    print(i)"
    _write(folder / "hugeoutput", {"demo_pytorch.ipynb": nb})
    cheat = (
        "class Anything:\n    def __eq__(self, other):\n        return True\n\n\n"
        "def square(x):\n    return Anything()"
    )
    _write(folder / "alwaystrue", {"demo_pytorch.ipynb": _answer(sol(), "task1_answer", cheat)})

    foreign = nbformat.v4.new_notebook()
    foreign.cells = [
        nbformat.v4.new_code_cell(
            "x = 1",
            metadata={
                "nbgrader": {
                    "grade": False,
                    "grade_id": "q1_answer",
                    "locked": False,
                    "schema_version": 3,
                    "solution": True,
                    "task": False,
                }
            },
        )
    ]
    _write(
        folder / "otherassignment",
        {"demo_pytorch.ipynb": foreign, "tensors_pytorch.ipynb": foreign},
    )

    _write(folder / "twice", blank)  # older: a blank folder
    _zip(folder / "twice.zip", {"demo_pytorch.ipynb": sol()})  # newer: a full solution
    os.utime(folder / "twice" / "demo_pytorch.ipynb", (1_600_000_000, 1_600_000_000))
    os.utime(folder / "twice" / "demo_tensorflow.ipynb", (1_600_000_000, 1_600_000_000))


# --- the batch -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(DEMO_DATA / DEMO_ASSIGNMENT, root / "solutions" / DEMO_ASSIGNMENT)
    return root


@pytest.fixture(scope="module")
def batch(course, tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    build_submissions(subs)
    workspace = course / "grading"
    out = io.StringIO()
    from contextlib import redirect_stdout

    args = [
        "grade",
        str(subs),
        "--assignment",
        DEMO_ASSIGNMENT,
        "--course",
        str(course),
        "--timeout",
        str(TIMEOUT),
        "--jobs",
        "2",
    ]
    with redirect_stdout(out):
        code = cli.main(args)
    results = {r.student: r for r in load_results(Workspace(workspace), DEMO_ASSIGNMENT)}
    return {
        "code": code,
        "out": out.getvalue(),
        "results": results,
        "workspace": workspace,
        "course": course,
    }


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _nbr(batch, student, notebook="demo_pytorch"):
    result = batch["results"][student]
    return next(nb for nb in result.notebooks if nb.name == notebook)


def _reasons(batch, student) -> str:
    result = batch["results"][student]
    return " | ".join(
        [r.text for r in result.reasons] + [r.text for nb in result.notebooks for r in nb.reasons]
    )


def _task(batch, student, task, notebook="demo_pytorch"):
    return next(t for t in _nbr(batch, student, notebook).tasks if t.id == task)


def test_batch_finishes_with_a_table_and_exit_1(batch):
    assert batch["code"] == 1  # some submissions need attention
    out = batch["out"]
    assert "[nnfw] [" in out
    assert "student" in out
    assert "notebook" in out
    assert "score" in out
    assert "status" in out
    assert len(batch["results"]) == 20
    for student in batch["results"]:
        assert f"\n{student} " in out


def test_full_solution_scores_full_marks_despite_stderr_warnings(batch):
    for name in NAMES:
        nb = _nbr(batch, "full", name)
        assert (nb.score, nb.max) == (4.0, 4.0), nb.status()
        assert nb.status() == "all 3 tasks passed"
    graded = batch["workspace"] / "autograded" / "full" / DEMO_ASSIGNMENT / "demo_pytorch.ipynb"
    assert "[stderr]" in graded.read_text()  # the warnings are kept, as stdout
    assert not batch["results"]["full"].has_problem


def test_blank_scores_zero_without_crashing(batch):
    result = batch["results"]["blank"]
    assert result.score == 0
    for name in NAMES:
        assert _nbr(batch, "blank", name).status() == "not attempted (no task answered)"
    assert not result.has_problem


@pytest.mark.parametrize(
    ("student", "expected"),
    [
        ("notjson", "is not valid JSON"),
        ("truncated", "is not valid JSON, perhaps truncated"),
        ("notnotebook", "valid JSON but not a Jupyter notebook"),
    ],
)
def test_unreadable_notebooks_score_zero_with_a_reason(batch, student, expected):
    nb = _nbr(batch, student)
    assert nb.score == 0
    assert expected in nb.status()
    assert batch["results"][student].has_problem


def test_missing_notebook(batch):
    result = batch["results"]["missing"]
    assert result.score == 0
    assert result.has_problem
    assert "not submitted" in _reasons(batch, "missing")
    assert "ignored 1 other file(s): README.txt" in _reasons(batch, "missing")


def test_renamed_notebook_is_found_and_graded(batch):
    assert _nbr(batch, "renamed").score == 4
    assert "submitted as 'my homework (final).ipynb' (renamed)" in _reasons(batch, "renamed")


def test_notebook_in_nested_folder_is_found(batch):
    assert _nbr(batch, "nested").score == 4
    assert "found in the sub-folder 'hw/week0/'" in _reasons(batch, "nested")


def test_extra_and_huge_files_are_ignored(batch):
    assert _nbr(batch, "extras").score == 4
    reasons = _reasons(batch, "extras")
    assert "ignored 2 other file(s)" in reasons
    assert "huge: weights.bin 60.0 MB" in reasons
    assert not batch["results"]["extras"].has_problem
    submitted = batch["workspace"] / "submitted" / "extras" / DEMO_ASSIGNMENT
    assert sorted(p.name for p in submitted.iterdir()) == ["demo_pytorch.ipynb"]


def test_deleted_graded_cells_are_put_back(batch):
    nb = _nbr(batch, "deleted")
    assert _task(batch, "deleted", "task1_tests").status == "not attempted"
    assert _task(batch, "deleted", "task2_tests").status == "passed"
    assert nb.score == 3
    reasons = _reasons(batch, "deleted")
    assert "test cell 'task2_tests' was deleted; restored from the release" in reasons
    assert "answer cell 'task1_answer' was deleted; put back blank" in reasons


def test_edited_test_cell_is_restored(batch):
    assert _task(batch, "edited", "task1_tests").status == "failed"
    assert _nbr(batch, "edited").score == 3
    assert "test cell 'task1_tests' was edited; the original was restored" in _reasons(
        batch, "edited"
    )


def test_changed_cell_types_are_changed_back(batch):
    assert _nbr(batch, "typechanged").score == 4
    reasons = _reasons(batch, "typechanged")
    assert "answer cell 'task2_answer' had been changed from code to markdown" in reasons
    assert "test cell 'task3_tests' had been changed from code to raw" in reasons


def test_infinite_loop_times_out(batch):
    task = _task(batch, "infinite", "task1_tests")
    assert task.status in ("timed out", "failed")
    assert _nbr(batch, "infinite").score == 3
    assert f"timed out after {TIMEOUT} s" in _reasons(batch, "infinite")
    assert batch["results"]["infinite"].has_problem


@pytest.mark.parametrize(("student", "score"), [("exits", 1.0), ("segfault", 3.0)])
def test_kernel_crash_costs_the_rest_of_the_notebook_only(batch, student, score):
    nb = _nbr(batch, student)
    assert nb.score == score, nb.status()
    assert "the kernel died" in _reasons(batch, student)
    assert batch["results"][student].has_problem


def test_exception_in_answer_cell(batch):
    task = _task(batch, "exception", "task2_tests")
    assert task.status == "failed"
    assert "ValueError: oops, my bad" in task.message
    assert _nbr(batch, "exception").score == 2


def test_huge_output_is_capped(batch):
    assert _nbr(batch, "hugeoutput").score == 4
    graded = (
        batch["workspace"] / "autograded" / "hugeoutput" / DEMO_ASSIGNMENT / "demo_pytorch.ipynb"
    )
    assert graded.stat().st_size < 5_000_000
    assert "output truncated" in graded.read_text()


def test_eq_always_true_does_not_fool_hidden_tests(batch):
    task = _task(batch, "alwaystrue", "task1_tests")
    assert task.status == "failed"
    assert "should return a number" in task.message
    assert _nbr(batch, "alwaystrue").score == 3


def test_notebook_from_another_assignment(batch):
    nb = _nbr(batch, "otherassignment")
    assert nb.score == 0
    assert "another assignment's notebook" in nb.status()
    assert "tensors_pytorch.ipynb" in _reasons(batch, "otherassignment")


def test_two_submissions_for_one_student_grade_the_newest(batch):
    result = batch["results"]["twice"]
    assert result.score == 4
    assert (
        "2 submissions for this student (twice/, twice.zip); graded the newest, twice.zip"
        in _reasons(batch, "twice")
    )
    assert result.has_problem


def test_gradebook_has_every_student(batch):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{batch['workspace'] / 'gradebook.db'}") as gb:
        students = {s.id for s in gb.students}
        assert students == set(batch["results"])
        full = gb.find_submission(DEMO_ASSIGNMENT, "full")
        assert full.score == 8.0  # nbgrader sums both notebooks; nnfw counts the better one


def test_export_writes_csvs_and_histogram(batch, capsys):
    ws = str(batch["workspace"])
    assert cli.main(["export", "--workspace", ws]) == 0
    out_dir = batch["workspace"] / "export" / DEMO_ASSIGNMENT
    students = list(_csv(out_dir / "students.csv"))
    assert {r["student"] for r in students} == set(batch["results"])
    full = next(r for r in students if r["student"] == "full")
    assert (full["score"], full["max"], full["needs_attention"]) == ("4.0", "4.0", "0")
    notebooks = list(_csv(out_dir / "notebooks.csv"))
    row = next(r for r in notebooks if r["student"] == "notjson")
    assert "not valid JSON" in row["problems"]
    tasks = list(_csv(out_dir / "tasks.csv"))
    row = next(r for r in tasks if r["student"] == "exception" and r["task"] == "task2_tests")
    assert "ValueError" in row["message"]
    assert (out_dir / "histogram.png").read_bytes().startswith(b"\x89PNG")
    items = {(r["notebook"], r["task"]): r for r in _csv(out_dir / "items.csv")}
    assert ("demo_pytorch", "task1_tests") in items
    submitted = sum(
        nb.submitted
        for r in batch["results"].values()
        for nb in r.notebooks
        if nb.name == "demo_pytorch"
    )
    assert items["demo_pytorch", "task1_tests"]["students"] == str(submitted)
    assert (out_dir / "items.png").read_bytes().startswith(b"\x89PNG")


def test_feedback_never_shows_hidden_tests(batch, capsys):
    ws = str(batch["workspace"])
    assert (
        cli.main(["feedback", "--workspace", ws, "--student", "full", "--student", "alwaystrue"])
        == 0
    )
    for student in ("full", "alwaystrue"):
        html = (
            batch["workspace"] / "feedback" / student / DEMO_ASSIGNMENT / "demo_pytorch.html"
        ).read_text()
        assert "square(3)" in html  # visible tests are shown
        for hidden in (
            "HIDDEN TESTS",
            "0.5, 1.5, 4.0",
            "step(5.0, 0.5)",
            "for x in (-2, 0, 1.5, 10)",
        ):
            assert hidden not in html
    assert (
        "should return a number"
        in (
            batch["workspace"] / "feedback" / "alwaystrue" / DEMO_ASSIGNMENT / "demo_pytorch.html"
        ).read_text()
    )


def test_regrading_one_student_changes_only_that_grade(batch, tmp_path):
    from nbgrader.api import Gradebook

    db = f"sqlite:///{batch['workspace'] / 'gradebook.db'}"

    def scores():
        with Gradebook(db) as gb:
            return {s.student.id: s.score for s in gb.assignment_submissions(DEMO_ASSIGNMENT)}

    before = scores()
    _write(tmp_path / "exception", {"demo_pytorch.ipynb": _solution(_released())})
    args = [
        "grade",
        str(tmp_path),
        "--assignment",
        DEMO_ASSIGNMENT,
        "--course",
        str(batch["course"]),
        "--timeout",
        str(TIMEOUT),
    ]
    assert cli.main(args) == 0
    after = scores()
    assert after["exception"] == 4.0
    assert before["exception"] == 2.0
    assert {k: v for k, v in after.items() if k != "exception"} == {
        k: v for k, v in before.items() if k != "exception"
    }
    result = {r.student: r for r in load_results(Workspace(batch["workspace"]), DEMO_ASSIGNMENT)}
    assert result["exception"].score == 4.0
    assert result["full"].score == 4.0


def test_require_both_counts_both_notebooks(course, tmp_path, capsys):
    _write(tmp_path / "subs" / "solo", {"demo_pytorch.ipynb": _solution(_released())})
    args = [
        "grade",
        str(tmp_path / "subs"),
        "--assignment",
        DEMO_ASSIGNMENT,
        "--course",
        str(course),
        "--workspace",
        str(tmp_path / "ws"),
        "--timeout",
        str(TIMEOUT),
        "--require-both",
    ]
    assert cli.main(args) == 1
    out = capsys.readouterr().out
    result = load_results(Workspace(tmp_path / "ws"), DEMO_ASSIGNMENT)[0]
    assert (result.score, result.max) == (4.0, 8.0)
    assert "both notebooks required" in out
    assert "demo_tensorflow" in out
    assert "not submitted" in out


def test_grade_usage_errors(course, tmp_path, capsys):
    base = ["--course", str(course), "--workspace", str(tmp_path / "ws")]
    assert cli.main(["grade", str(tmp_path / "nope"), "--assignment", DEMO_ASSIGNMENT, *base]) == 2
    assert "give a folder holding one folder or .zip file per student" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli.main(["grade", str(tmp_path / "empty"), "--assignment", DEMO_ASSIGNMENT, *base]) == 2
    assert "no submissions found" in capsys.readouterr().err
    assert cli.main(["grade", str(tmp_path / "empty"), "--assignment", "05-lab", *base]) == 2
    assert "unknown assignment '05-lab'" in capsys.readouterr().err
    assert cli.main(["grade", str(tmp_path / "empty"), *base]) == 2
    assert "nnfw grade --demo" in capsys.readouterr().err
    assert cli.main(["feedback", "--workspace", str(tmp_path / "ws2")]) == 2
    assert "Grade first" in capsys.readouterr().err


# --- every assignment in solutions/: solution = full marks, blank = 0 -------------------------------

REAL = list_assignments(ROOT / "solutions")


@pytest.mark.parametrize("assignment", [DEMO_ASSIGNMENT, *REAL])
def test_solution_scores_full_marks_and_blank_scores_zero(assignment, batch, tmp_path):
    if assignment == DEMO_ASSIGNMENT:  # graded in the batch above
        results = batch["results"]
    else:
        source = ROOT / "solutions" / assignment
        released = generate_assignment(source, assignment)
        names = sorted(p.stem for p in source.glob("*.ipynb"))
        subs = tmp_path / "subs"
        _write(
            subs / "full",
            {
                f"{n}.ipynb": filled_notebook(
                    read_notebook(source / f"{n}.ipynb"), released[f"{n}.ipynb"]
                )
                for n in names
            },
        )
        _write(subs / "blank", {f"{n}.ipynb": released[f"{n}.ipynb"] for n in names})
        args = [
            "grade",
            str(subs),
            "--assignment",
            assignment,
            "--course",
            str(ROOT),
            "--workspace",
            str(tmp_path / "ws"),
            "--jobs",
            "2",
        ]
        assert cli.main(args) == 0
        results = {r.student: r for r in load_results(Workspace(tmp_path / "ws"), assignment)}
    for nb in results["full"].notebooks:
        # written answers (graded by hand) wait for the instructor: every other point is earned
        written = [t for t in nb.tasks if t.status == AWAITING_MANUAL]
        assert all(t.status == "passed" for t in nb.tasks if t not in written), nb.status()
        assert nb.score == nb.max - sum(t.max for t in written) > 0, f"{nb.name}: {nb.status()}"
        assert nb.provisional == bool(written)
        assert not nb.has_problem, nb.status()
    for nb in results["blank"].notebooks:
        assert nb.score == 0, f"{nb.name}: {nb.status()}"
        assert nb.graded
        assert not nb.has_problem
        assert not nb.provisional
