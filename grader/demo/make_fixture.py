"""Write the demo assignment's source notebooks (``00-demo``) and sample submissions.

The demo assignment is a tiny stand-in for a real one: a PyTorch/TensorFlow pair with the
same three graded tasks, written without importing either framework so that grading it takes
seconds. One task's correct answer writes framework-like warnings to stderr, to prove that
warnings never cost points. Run from the repository root after editing this file::

    python grader/demo/make_fixture.py

It writes ``src/nnfw/grading/demo_data/00-demo/*.ipynb`` (shipped inside the package, so
``nnfw grade --demo`` works from an installed copy) and ``grader/demo/submissions/`` (the
three sample students the demo grades). Both are committed; a test checks they match.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "nnfw" / "grading" / "demo_data" / "00-demo"
SUBMISSIONS = ROOT / "grader" / "demo" / "submissions"

SETUP = '''\
import sys
import warnings

import nnfw  # noqa: F401  (first in every notebook: quiets the frameworks)
from nnfw.checks import assert_close


def gradient(w):
    """Return the gradient of f(w) = (w - 3) ** 2, warning the way frameworks do."""
    # PyTorch, TensorFlow and Lightning print warnings like these to stderr; a correct
    # answer that triggers them must still earn full marks.
    warnings.warn("(demo) this stands in for a framework UserWarning", UserWarning, stacklevel=2)
    print("W0000 00:00:1700000000.000000 (demo) a TensorFlow-style log line", file=sys.stderr)
    return 2 * (w - 3)'''

TASKS = [
    (
        "task1",
        1,
        (
            "### Task 1: square (1 point)\n\nWrite `square(x)` that returns `x` multiplied by itself, "
            "as a plain Python number."
        ),
        '''def square(x):
    """Return x squared."""
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION''',
        """assert square(3) == 9, f"square(3) should be 9, got {square(3)!r}"
### BEGIN HIDDEN TESTS
for x in (-2, 0, 1.5, 10):
    result = square(x)
    assert isinstance(result, (int, float)), (
        f"square({x}) should return a number, got {type(result).__name__}"
    )
    assert_close(result, x * x, name=f"square({x})")
### END HIDDEN TESTS""",
    ),
    (
        "task2",
        2,
        (
            "### Task 2: mean (2 points)\n\nWrite `mean_of(values)` that returns the arithmetic mean "
            "of a list of numbers as a `float`, and raises `ValueError` for an empty list."
        ),
        '''def mean_of(values):
    """Return the mean of values as a float."""
    ### BEGIN SOLUTION
    values = list(values)
    if not values:
        raise ValueError("mean_of() needs at least one value")
    return float(sum(values) / len(values))
    ### END SOLUTION''',
        """assert_close(mean_of([1, 2, 3]), 2.0, name="mean_of([1, 2, 3])")
### BEGIN HIDDEN TESTS
assert type(mean_of([1, 2])) is float, "mean_of() should return a float"
assert_close(mean_of([0.5, 1.5, 4.0]), 2.0, name="mean_of([0.5, 1.5, 4.0])")
try:
    mean_of([])
except ValueError:
    pass
else:
    raise AssertionError("mean_of([]) should raise ValueError")
### END HIDDEN TESTS""",
    ),
    (
        "task3",
        1,
        (
            "### Task 3: one gradient step (1 point)\n\nWrite `step(w, lr)` that returns "
            "`w - lr * gradient(w)`, one step of gradient descent on $f(w) = (w - 3)^2$. "
            "`gradient` prints warnings, as framework code often does: they cost no points."
        ),
        '''def step(w, lr):
    """Return w after one gradient-descent step with learning rate lr."""
    ### BEGIN SOLUTION
    return w - lr * gradient(w)
    ### END SOLUTION''',
        """assert_close(step(0.0, 0.1), 0.6, name="step(0.0, 0.1)")
### BEGIN HIDDEN TESTS
assert_close(step(5.0, 0.5), 3.0, name="step(5.0, 0.5)")
assert_close(step(3.0, 0.1), 3.0, name="step(3.0, 0.1)")
### END HIDDEN TESTS""",
    ),
]


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int = 0) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def demo_notebook(track: str) -> nbformat.NotebookNode:
    """Return the source notebook of one track (``"PyTorch"`` or ``"TensorFlow"``)."""
    cells = [
        new_markdown_cell(
            f"# Demo assignment ({track} track)\n\n"
            "A tiny assignment that shows how the course is graded. It imports no framework, "
            "so it runs in seconds. Write your answers where it says `YOUR CODE HERE`, then run "
            "the test cell under each answer.",
            id="intro",
        ),
        new_code_cell(
            SETUP, id="setup", metadata=_meta("setup", grade=False, solution=False, locked=True)
        ),
        new_markdown_cell("## Tasks", id="tasks"),
    ]
    for task_id, points, text, answer, tests in TASKS:
        cells += [
            new_markdown_cell(text, id=f"{task_id}-text"),
            new_code_cell(
                answer,
                id=f"{task_id}-answer",
                metadata=_meta(f"{task_id}_answer", grade=False, solution=True, locked=False),
            ),
            new_code_cell(
                tests,
                id=f"{task_id}-tests",
                metadata=_meta(
                    f"{task_id}_tests", grade=True, solution=False, locked=True, points=points
                ),
            ),
        ]
    nb = new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb


def main() -> int:
    """Write the fixture notebooks and the sample submissions."""
    sys.path.insert(0, str(ROOT / "src"))
    from nnfw.grading.demo import write_sample_submissions
    from nnfw.grading.nbio import write_notebook

    SOURCE.mkdir(parents=True, exist_ok=True)
    for name, track in (("demo_pytorch", "PyTorch"), ("demo_tensorflow", "TensorFlow")):
        write_notebook(demo_notebook(track), SOURCE / f"{name}.ipynb")
    write_sample_submissions(SOURCE, SUBMISSIONS)
    print(f"wrote {SOURCE.relative_to(ROOT)} and {SUBMISSIONS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
