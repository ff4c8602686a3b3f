"""`nnfw audit`: the answer files, the audit of a small course, and CI's sample of the real one.

The small course is a copy of the package's ``00-demo`` assignment (seconds to grade) with
answer files written here; the real course's answer files are checked for coverage (every
task: at least 4 wrong answers, one of them hard-coding the visible test, and 1 correct one)
and its sample (the first wrong answer of every task) is graded as CI's quick audit.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nnfw import cli
from nnfw.authoring.release import generate_assignment
from nnfw.grading.audit import (
    CORRECT,
    WRONG,
    answer_cells,
    answers_path,
    bound_names,
    collect,
    load_answers,
)
from nnfw.grading.course import GradingError, list_assignments, notebook_names
from nnfw.grading.demo import DEMO_ASSIGNMENT, DEMO_DATA
from nnfw.grading.nbio import read_notebook

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"

DEMO_ANSWERS = '''
"""Audit answers of the demo (written by the test)."""

ANSWERS = {
    "task1_answer": {
        "wrong": {
            "doubles": "def square(x):\\n    return 2 * x\\n",
            "hard_coded_visible": "def square(x):\\n    return 9\\n",
            "misses_seven": "def square(x):\\n    return 0 if x == 7 else x * x\\n",
        },
        "correct": {"power": "def square(x):\\n    return x**2\\n"},
    },
    "task2_answer": {
        "wrong": {
            "no_error": "def mean_of(values):\\n    v = list(values)\\n    return sum(v) / max(1, len(v))\\n",
        },
        "correct": {
            "statistics": "import statistics\\n\\n\\ndef mean_of(values):\\n    return float(statistics.mean(values))\\n",
            "marked_correct_but_wrong": "def mean_of(values):\\n    return 2.0\\n",
        },
    },
}
'''


def _demo_course(tmp_path: Path, answers: str | None) -> Path:
    course = tmp_path / "course"
    shutil.copytree(DEMO_DATA / DEMO_ASSIGNMENT, course / "solutions" / DEMO_ASSIGNMENT)
    if answers is not None:
        path = answers_path(course / "solutions", DEMO_ASSIGNMENT, "demo_pytorch")
        path.parent.mkdir()
        path.write_text(answers, encoding="utf-8")
    return course


def _solutions() -> dict[str, str]:
    return answer_cells(read_notebook(DEMO_DATA / DEMO_ASSIGNMENT / "demo_pytorch.ipynb"))


# --- the answer files --------------------------------------------------------------------------


def test_bound_names_are_what_a_cell_defines():
    src = (
        "import numpy as np\nfrom a import b\nx, (y, z) = 1, (2, 3)\n\ndef f(): pass\nclass C: pass"
    )
    assert bound_names(src) == {"np", "b", "x", "y", "z", "f", "C"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ANSWERS = {'task9': {'wrong': {}}}", "'task9' is not an answer cell of demo_pytorch"),
        ("ANSWERS = {'task1_answer': {'right': {}}}", "the keys 'wrong' and 'correct'"),
        ("ANSWERS = dict(x=1)", "must be plain data"),
        ("X = 1", "no `ANSWERS = "),
        ("ANSWERS = {'task1_answer': {'wrong': {'Bad Name': 'x'}}}", "snake_case"),
        ("ANSWERS = {'task1_answer': {'wrong': {'typo': 'def square(x:\\n'}}}", "does not parse"),
        (
            "ANSWERS = {'task1_answer': {'wrong': {'renamed': 'def sq(x):\\n    return x * x'}}}",
            "does not define square, which the answer cell must define",
        ),
        ("ANSWERS = {", "cannot read it"),
    ],
)
def test_a_bad_answer_file_is_a_clear_error(tmp_path, text, expected):
    path = tmp_path / "demo_pytorch.py"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GradingError, match=r"demo_pytorch\.py") as info:
        load_answers(path, DEMO_ASSIGNMENT, "demo_pytorch", _solutions())
    assert expected in str(info.value)


def test_answers_are_read_in_file_order_and_sampled(tmp_path):
    course = _demo_course(tmp_path, DEMO_ANSWERS)
    answers, unaudited = collect(course / "solutions", DEMO_ASSIGNMENT)
    assert [(a.task, a.kind, a.name) for a in answers][:4] == [
        ("task1_answer", WRONG, "doubles"),
        ("task1_answer", WRONG, "hard_coded_visible"),
        ("task1_answer", WRONG, "misses_seven"),
        ("task1_answer", CORRECT, "power"),
    ]
    assert "demo_pytorch/task3_answer" in unaudited
    assert "demo_tensorflow/task1_answer" in unaudited
    sample, _ = collect(course / "solutions", DEMO_ASSIGNMENT, sample=True)
    assert [(a.task, a.name) for a in sample] == [
        ("task1_answer", "doubles"),
        ("task2_answer", "no_error"),
    ]


def test_the_release_and_the_grader_leave_the_answers_out(tmp_path):
    course = _demo_course(tmp_path, DEMO_ANSWERS)
    released = generate_assignment(course / "solutions" / DEMO_ASSIGNMENT, DEMO_ASSIGNMENT)
    assert sorted(released) == ["demo_pytorch.ipynb", "demo_tensorflow.ipynb"]
    from nnfw.grading.course import Workspace
    from nnfw.grading.gradebook import prepare_workspace

    prepared = prepare_workspace(
        Workspace(tmp_path / "ws"), course / "solutions", DEMO_ASSIGNMENT, None
    )
    assert not [p for p in prepared.source if "audit" in p], "the workers must not get them"


# --- auditing: a small course, graded for real ---------------------------------------------------


@pytest.mark.slow
def test_audit_names_wrong_answers_that_keep_points_and_correct_ones_that_lose(tmp_path, capsys):
    course = _demo_course(tmp_path, DEMO_ANSWERS)
    markdown = tmp_path / "audit.md"
    code = cli.main(["audit", "--course", str(course), "--jobs", "2", "--markdown", str(markdown)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "00-demo/demo_pytorch/task1_answer  2/3" in out, out
    assert "KEPT POINTS (wrong): misses_seven" in out
    assert "LOST POINTS (correct): marked_correct_but_wrong (failed: " in out
    assert "should raise ValueError" in out  # the test's own message, to see why
    assert "3 of 4 wrong answers lost points (75.0%)" in out
    assert "2 of 3 correct answers kept full marks (66.7%)" in out
    assert "no answers for 4 task(s)" in out
    table = markdown.read_text(encoding="utf-8")
    assert "| 00-demo | demo_pytorch | task1_answer | 2/3 | 1/1 | misses_seven | - |" in table


@pytest.mark.slow
def test_a_clean_audit_exits_0(tmp_path, capsys):
    answers = {
        "task1_answer": (
            "def square(x):\n    return abs(x)\n",
            "def square(x):\n    return x**2\n",
        ),
        "task2_answer": (
            "def mean_of(values):\n    return float(sum(values)) / len(values)\n",
            (
                "def mean_of(values):\n    values = list(values)\n"
                "    if not values:\n        raise ValueError('empty')\n"
                "    return sum(values) / float(len(values))\n"
            ),
        ),
        "task3_answer": (
            "def step(w, lr):\n    return w + lr * gradient(w)\n",
            "def step(w, lr):\n    g = gradient(w)\n    return w - lr * g\n",
        ),
    }
    text = "ANSWERS = " + repr(
        {t: {"wrong": {"bad": w}, "correct": {"good": c}} for t, (w, c) in answers.items()}
    )
    course = _demo_course(tmp_path, text)
    other = answers_path(course / "solutions", DEMO_ASSIGNMENT, "demo_tensorflow")
    other.write_text(text, encoding="utf-8")
    code = cli.main(["audit", DEMO_ASSIGNMENT, "--course", str(course), "--jobs", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "6 of 6 wrong answers lost points (100.0%), 6 of 6 correct answers kept" in out


def test_audit_usage_errors_are_one_line(tmp_path, capsys):
    course = _demo_course(tmp_path, DEMO_ANSWERS)
    assert cli.main(["audit", "99-nope", "--course", str(course)]) == 2
    assert "unknown assignment(s) 99-nope" in capsys.readouterr().err
    assert cli.main(["audit", "--course", str(course), "--notebook", "x", "--task", "y"]) == 2
    assert "00-demo has no notebook 'x' (it has: demo_pytorch, demo_tensorflow)" in (
        capsys.readouterr().err
    )


# --- the real course ------------------------------------------------------------------------------

NOTEBOOKS = [
    (assignment, name)
    for assignment in list_assignments(SOLUTIONS)
    for name in notebook_names(SOLUTIONS / assignment)
]


@pytest.mark.parametrize(("assignment", "name"), NOTEBOOKS, ids=[f"{a}/{n}" for a, n in NOTEBOOKS])
def test_every_task_has_its_audit_answers(assignment, name):
    solutions = answer_cells(read_notebook(SOLUTIONS / assignment / f"{name}.ipynb"))
    path = answers_path(SOLUTIONS, assignment, name)
    assert path.is_file(), f"no audit answers: write {path.relative_to(ROOT)}"
    answers = load_answers(path, assignment, name, solutions)
    for task in solutions:
        wrong = [a.name for a in answers if a.task == task and a.kind == WRONG]
        correct = [a.name for a in answers if a.task == task and a.kind == CORRECT]
        assert len(wrong) >= 4, f"{task}: {len(wrong)} wrong answers, at least 4 wanted"
        assert "hard_coded_visible" in wrong, f"{task}: no wrong answer `hard_coded_visible`"
        assert correct, f"{task}: no correct variant"


@pytest.mark.slow
@pytest.mark.notebook
def test_ci_sample_of_the_course_audit(capsys):
    """CI's quick audit: the first wrong answer of every task loses points (docs/audit.md)."""
    code = cli.main(["audit", "--sample", "--course", str(ROOT)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "wrong answers lost points (100.0%)" in out


def test_one_task_of_a_full_answer_file_is_picked(tmp_path):
    course = _demo_course(tmp_path, DEMO_ANSWERS)
    answers, unaudited = collect(course / "solutions", DEMO_ASSIGNMENT, task="task2_answer")
    assert {a.task for a in answers} == {"task2_answer"}
    assert len(answers) == 3
    assert "demo_pytorch/task1_answer" not in unaudited
