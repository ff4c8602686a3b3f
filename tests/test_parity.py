"""Parity of each PyTorch/TensorFlow pair in solutions/: same ``##`` sections in the same order
(framework names aside) and the same graded task ids and points, so an instructor can grade
either notebook. Pairs are found by globbing ``solutions/*/``; a pair that drifts fails with a
message naming the section or task that differs.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from nnfw.authoring.notebooks import framework_of
from nnfw.authoring.parity import normalise_heading, parity_problems

ROOT = Path(__file__).resolve().parents[1]
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
