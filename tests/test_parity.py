"""Parity of each PyTorch/TensorFlow pair in solutions/: same ``##`` and ``###`` headings in the
same order (framework names aside), the same graded task ids and points, and answer functions
with the same names and parameters (differences allowed only as docs/pair-differences.md lists),
so a learner of either track does the same work and an instructor can grade either notebook. Pairs are found by globbing ``solutions/*/``; a pair that drifts fails with a
message naming the section or task that differs.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from nnfw.authoring.notebooks import framework_of
from nnfw.authoring.parity import (
    allowed_differences,
    normalise_heading,
    parity_problems,
    task_signatures,
)

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = allowed_differences((ROOT / "docs" / "pair-differences.md").read_text(encoding="utf-8"))
ASSIGNMENTS = sorted(
    folder for folder in (ROOT / "solutions").iterdir() if any(folder.glob("*.ipynb"))
)


@pytest.mark.parametrize("folder", ASSIGNMENTS, ids=lambda folder: folder.name)
def test_pair_has_the_same_sections_and_tasks(folder):
    notebooks = sorted(folder.glob("*.ipynb"))
    names = [p.name for p in notebooks]
    assert len(notebooks) == 2, f"{folder.name}: a pair is two notebooks, found {names}"
    frameworks = sorted(framework_of(p) or f"unknown framework: {p.name}" for p in notebooks)
    assert frameworks == ["tensorflow", "torch"], (
        f"{folder.name}: want one PyTorch (*pytorch*/lightning*) and one TensorFlow "
        f"(*tensorflow*/keras*) notebook, found {names}"
    )
    torch_nb, tf_nb = sorted(notebooks, key=lambda p: framework_of(p) != "torch")
    problems = parity_problems(
        torch_nb.name,
        nbformat.read(torch_nb, as_version=4),
        tf_nb.name,
        nbformat.read(tf_nb, as_version=4),
        ALLOWED.get(folder.name),
    )
    assert not problems, f"{folder.name}: the pair has drifted:\n  " + "\n  ".join(problems)


def test_framework_names_do_not_count():
    assert normalise_heading("Training loops in PyTorch") == normalise_heading(
        "Training loops in TensorFlow"
    )
    assert normalise_heading("Callbacks in PyTorch Lightning") == normalise_heading(
        "Callbacks in Keras 3"
    )
    assert normalise_heading("Data with `torch`") == normalise_heading("Data with `tf`")
    assert normalise_heading("Tensors") != normalise_heading("Tensors and shapes")


def _nb(headings, tasks):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"## {h}\nText.") for h in headings]
    for grade_id, points in tasks:
        cell = nbformat.v4.new_code_cell("assert True")
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "points": points}
        nb.cells.append(cell)
    return nb


def test_drift_is_named():
    torch_nb = _nb(
        ["Setup", "Tensors in PyTorch", "Broadcasting", "Tasks"],
        [("test_task1_softmax", 3), ("test_task2_dists", 2)],
    )
    same = _nb(
        ["Setup", "Tensors in TensorFlow", "Broadcasting", "Tasks"],
        [("test_task1_softmax", 3), ("test_task2_dists", 2)],
    )
    assert parity_problems("a_pytorch.ipynb", torch_nb, "a_tensorflow.ipynb", same) == []
    drifted = _nb(
        ["Setup", "Tensors in TensorFlow", "Reductions", "Tasks"],
        [("test_task1_softmax", 2), ("test_task2_dists", 2), ("test_task3_extra", 1)],
    )
    problems = "\n".join(
        parity_problems("a_pytorch.ipynb", torch_nb, "a_tensorflow.ipynb", drifted)
    )
    assert "'Broadcasting'" in problems
    assert "'Reductions'" in problems
    assert "('test_task1_softmax', 3.0)" in problems
    assert "('test_task1_softmax', 2.0)" in problems
    assert "test_task3_extra" in problems
    assert "a_pytorch.ipynb" in problems
    assert "a_tensorflow.ipynb" in problems


def _task_nb(headings3, answers):
    nb = _nb(["Setup", "Tasks"], [])
    nb.cells += [nbformat.v4.new_markdown_cell(f"### {h}") for h in headings3]
    for grade_id, source in answers:
        answer = nbformat.v4.new_code_cell(source)
        answer.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "a"}
        test = nbformat.v4.new_code_cell("assert True")
        test.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "points": 1}
        nb.cells += [answer, test]
    return nb


def test_signatures_name_functions_parameters_and_class_init():
    nb = _task_nb(
        [],
        [
            ("test_t1", "def f(x, /, y=2, *args, z, w=None, **kw):\n    return x"),
            (
                "test_t2",
                (
                    "class Net(Base):\n    def __init__(self, width=8):\n        pass\n"
                    "    def forward(self, x):\n        return x"
                ),
            ),
            ("test_t3", "%timeit 1\ndef g(): pass"),
        ],
    )
    assert task_signatures(nb) == [
        ("test_t1", "f(x, /, y=2, *args, z, w=None, **kw)"),
        ("test_t2", "class Net(self, width=8)"),
    ]


def test_third_level_headings_and_signatures_must_match():
    torch_nb = _task_nb(["Task 1: Softmax in PyTorch"], [("test_t1", "def f(x, dim=-1): pass")])
    tf_nb = _task_nb(["Task 1: Softmax in TensorFlow"], [("test_t1", "def f(x, dim=-1): pass")])
    assert parity_problems("a_pytorch.ipynb", torch_nb, "a_tensorflow.ipynb", tf_nb) == []
    drifted = _task_nb(["Task 1: Softmax"], [("test_t1", "def f(x, axis=-1): pass")])
    problems = "\n".join(
        parity_problems("a_pytorch.ipynb", torch_nb, "a_tensorflow.ipynb", drifted)
    )
    assert "### headings" in problems
    assert "'Task 1: Softmax'" in problems
    assert "'f(x, dim=-1)'" in problems
    assert "'f(x, axis=-1)'" in problems
    allowed = {"test_t1": ("f(x, dim=-1)", "f(x, axis=-1)")}
    tf_axis = _task_nb(["Task 1: Softmax in TensorFlow"], [("test_t1", "def f(x, axis=-1): pass")])
    assert parity_problems("a_pytorch.ipynb", torch_nb, "b.ipynb", tf_axis, allowed) == []
    stale = "\n".join(parity_problems("a_pytorch.ipynb", torch_nb, "b.ipynb", tf_nb, allowed))
    assert "no longer occurs" in stale


def test_allowed_differences_table_is_read():
    table = allowed_differences(
        "| assignment | task | PyTorch | TensorFlow | why |\n|---|---|---|---|---|\n"
        "| 01-tensors | test_task1_softmax | `f(x, dim=-1)` | `f(x, axis=-1)` | names |\n"
        "text | not | a | row | here\n"
    )
    assert table == {"01-tensors": {"test_task1_softmax": ("f(x, dim=-1)", "f(x, axis=-1)")}}
