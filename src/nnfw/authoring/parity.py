"""The pair rules: a PyTorch notebook and its TensorFlow twin have the same sections and tasks.

``tests/test_parity.py`` applies :func:`parity_problems` to every pair of ``solutions/``.
"""

from __future__ import annotations

import ast
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


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """``name(a, b=1, *, c=None)``: the name, parameters and defaults, no annotations."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    parts = []
    for i, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        parts.append(arg.arg if default is None else f"{arg.arg}={ast.unparse(default)}")
        if args.posonlyargs and i == len(args.posonlyargs) - 1:
            parts.append("/")
    if args.vararg:
        parts.append(f"*{args.vararg.arg}")
    elif args.kwonlyargs:
        parts.append("*")
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        parts.append(arg.arg if kw_default is None else f"{arg.arg}={ast.unparse(kw_default)}")
    if args.kwarg:
        parts.append(f"**{args.kwarg.arg}")
    return f"{node.name}({', '.join(parts)})"


def definitions(source: str) -> list[str]:
    """The signatures of the top-level functions and classes a code cell defines.

    A function is ``name(params)``; a class is ``class Name`` and the signature of its
    ``__init__`` (how a learner's object is made). Base classes and other methods are left out:
    ``nn.Module.forward`` against ``keras.Layer.call`` is the frameworks' own difference.
    A cell that does not parse (IPython magics) defines nothing here.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(_signature(node))
        elif isinstance(node, ast.ClassDef):
            init = [
                _signature(item).replace("__init__", "", 1)
                for item in node.body
                if isinstance(item, ast.FunctionDef) and item.name == "__init__"
            ]
            found.append(f"class {node.name}" + "".join(init))
    return found


def task_signatures(nb: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(grade_id, signature)`` of what each task's answer cells define, in order.

    A task is a graded cell together with the answer (``solution``) cells before it; a written
    answer (a graded markdown cell) defines nothing.
    """
    found: list[tuple[str, str]] = []
    pending: list[str] = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("solution"):
            pending += definitions(cell_source(cell))
        if meta.get("grade"):
            found += [(str(meta.get("grade_id")), sig) for sig in pending]
            pending = []
    return found


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


#: An allowed difference: a task's grade id -> (signature in the PyTorch notebook, in the
#: TensorFlow one). ``docs/pair-differences.md`` lists them with their reasons.
Allowed = Mapping[str, tuple[str, str]]


def allowed_differences(markdown: str) -> dict[str, dict[str, tuple[str, str]]]:
    """The allowed signature differences of each assignment, read from a markdown table.

    The table in ``docs/pair-differences.md`` has the columns assignment, task (the grade id),
    PyTorch, TensorFlow and why; signatures are in backticks. Other lines are ignored.
    """
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or not line.lstrip().startswith("|"):
            continue
        assignment, task, torch_sig, tf_sig = (c.strip("` ") for c in cells[:4])
        if not re.fullmatch(r"\d\d-[\w-]+", assignment) or not task.startswith("test_"):
            continue
        out.setdefault(assignment, {})[task] = (torch_sig, tf_sig)
    return out


def parity_problems(
    a_name: str,
    a: Mapping[str, Any],
    b_name: str,
    b: Mapping[str, Any],
    allowed: Allowed | None = None,
) -> list[str]:
    """How two notebooks of a pair differ (empty: they do not).

    Compared: the ``##`` and the ``###`` headings in order (framework names aside), the graded
    tasks (grade id and points) and what each task's answer cells define (function names,
    parameters and defaults; class names and ``__init__`` parameters).
    """
    problems = []
    for level in (2, 3):
        a_sections = [normalise_heading(h) for h in sections(a, level)]
        b_sections = [normalise_heading(h) for h in sections(b, level)]
        kind = f"sections ({'#' * level} headings)"
        problems += _diff(kind, a_name, a_sections, b_name, b_sections)
    problems += _diff(
        "graded tasks (grade_id, points)", a_name, graded_tasks(a), b_name, graded_tasks(b)
    )
    a_signatures, b_signatures = task_signatures(a), task_signatures(b)
    for task, (a_sig, b_sig) in (allowed or {}).items():
        if (task, a_sig) not in a_signatures or (task, b_sig) not in b_signatures:
            problems.append(
                f"allowed difference of {task} ({a_sig} / {b_sig}) no longer occurs: "
                "drop it from docs/pair-differences.md"
            )
        a_signatures = [(t, b_sig if (t, s) == (task, a_sig) else s) for t, s in a_signatures]
    problems += _diff(
        "task answers (grade_id, signature)", a_name, a_signatures, b_name, b_signatures
    )
    if not graded_tasks(a) and not graded_tasks(b):
        problems.append(f"neither {a_name} nor {b_name} has a graded cell")
    return problems


# --- the `nnfw outputs` command ---------------------------------------------------------------
