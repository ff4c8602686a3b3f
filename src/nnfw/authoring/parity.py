"""The pair rules: a PyTorch notebook and its TensorFlow twin have the same sections and tasks.

``tests/test_parity.py`` applies :func:`parity_problems` to every pair of ``solutions/``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nnfw.authoring.notebooks import cell_source

#: Framework names that may differ between the headings of a pair (longest first).
FRAMEWORK_WORDS = (
    "PyTorch Lightning",
    "TensorFlow/Keras",
    "TensorFlow",
    "PyTorch",
    "Lightning",
    "Keras 3",
    "Keras",
    "torch",
    "tf.keras",
    "keras",
    "tf",
)
_FRAMEWORK_RE = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(w) for w in FRAMEWORK_WORDS) + r")(?![\w])",
    re.IGNORECASE,
)


def normalise_heading(heading: str) -> str:
    """A heading with framework names replaced by ``<framework>`` and spaces collapsed."""
    text = _FRAMEWORK_RE.sub("<framework>", heading.strip())
    return re.sub(r"\s+", " ", text)


def sections(nb: Mapping[str, Any], level: int = 2) -> list[str]:
    """The ``##`` headings (for ``level=2``) of a notebook's markdown cells, in order."""
    prefix = "#" * level + " "
    found = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        in_fence = False
        for line in cell_source(cell).splitlines():
            if line.lstrip().startswith("```"):
                in_fence = not in_fence
            elif not in_fence and line.startswith(prefix):
                found.append(line[len(prefix) :].strip())
    return found


def graded_tasks(nb: Mapping[str, Any]) -> list[tuple[str, float]]:
    """``(grade_id, points)`` of every graded (nbgrader ``grade: true``) cell, in order."""
    tasks = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            tasks.append((str(meta.get("grade_id")), float(meta.get("points") or 0)))
    return tasks


def _diff(kind: str, a_name: str, a: list[Any], b_name: str, b: list[Any]) -> list[str]:
    import difflib

    problems = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        left = ", ".join(repr(x) for x in a[i1:i2]) or "nothing"
        right = ", ".join(repr(x) for x in b[j1:j2]) or "nothing"
        problems.append(
            f"{kind} differ at position {i1 + 1}: {a_name} has {left}, {b_name} has {right}"
        )
    return problems


def parity_problems(
    a_name: str, a: Mapping[str, Any], b_name: str, b: Mapping[str, Any]
) -> list[str]:
    """How two notebooks of a pair differ in ``##`` sections and graded tasks (empty: none)."""
    a_sections = [normalise_heading(h) for h in sections(a)]
    b_sections = [normalise_heading(h) for h in sections(b)]
    problems = _diff("sections (## headings)", a_name, a_sections, b_name, b_sections)
    problems += _diff(
        "graded tasks (grade_id, points)", a_name, graded_tasks(a), b_name, graded_tasks(b)
    )
    if not graded_tasks(a) and not graded_tasks(b):
        problems.append(f"neither {a_name} nor {b_name} has a graded cell")
    return problems


# --- the `nnfw outputs` command ---------------------------------------------------------------
