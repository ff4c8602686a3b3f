"""Anti-tamper guard: graded test cells run with genuine builtins, modules and helpers.

A hidden test is only as trustworthy as the objects it calls. Learner code runs in the same
Python process before the tests, so it could replace ``numpy.allclose``,
``nnfw.checks.assert_close``, ``builtins.isinstance`` or a whole ``sys.modules`` entry, swallow
exceptions with ``get_ipython().set_custom_exc``, or rewrite cells with an input transformer.
The trusted side of the grader (:mod:`nnfw.grading.run.preprocessors`, outside the sandbox) adds
two kinds of hidden cells to the notebook before it is executed, and removes them afterwards:

*preamble* (first cell, run before any learner code, not stored in the kernel's history)
    imports numpy, ``nnfw.checks`` and the frameworks the notebook uses, then snapshots the
    genuine objects: the ``builtins`` dictionary, every function and class of numpy, nnfw,
    math, operator, functools, IPython, ipykernel, jupyter_client, zmq and traitlets (and the
    public TensorFlow API, ``torch.testing``, ``torch.nn.functional``, ``torch.Tensor``'s
    methods and the torch functions tests use: torch patches some of its own top-level
    functions when its submodules load), the ``__code__`` of those
    functions, the ``sys.modules`` entries of those modules, IPython's exception handler,
    input and AST transformers, event callbacks and output streams. It registers a
    ``pre_run_cell`` hook, keeping the snapshot and a per-run secret in a closure.
*guard* (one right before every graded test cell)
    the hook recognises it, **restores** every genuine object (so the test then runs with
    them), removes event callbacks and transformers added since the preamble (they could
    patch objects after the guard or read the test's source), sets aside
    learner names that shadow builtins for the duration of the test cell, and prints a
    verdict signed with the secret (HMAC-SHA256): ``ok`` or ``tampered: numpy.allclose was
    replaced; ...``.

The trusted side checks each guard cell's signed verdict. A verdict that says "tampered", or
no valid verdict at all (the hook was removed, the kernel's execution was replaced, the output
was forged without the secret), gives the following test cell an error output
``TamperingDetected``, so nbgrader scores it 0; the message names what was replaced.

Limits (see grader/README.md): this defeats replacing objects by name, which is what the
known tricks do. Code that deliberately digs into the interpreter (``gc``, frames,
``ctypes``) to find and subvert the guard itself can still defeat any in-process check; it
leaves its source in the graded notebook for the instructor to see.
"""

from __future__ import annotations

import copy
import hmac
import re
from typing import Any

from nbformat.notebooknode import NotebookNode

from nnfw.grading.run.execution import HIDDEN_KEY, is_test_cell

__all__ = ["HIDDEN_KEY", "TAMPERED", "add_hidden_cells", "is_test_cell", "merge_back"]
GUARD_MARK = "# nnfw: integrity check before a graded test (added by the grader)"
#: The kernel side of the guard, inside the nnfw package (executed privately by the preamble).
KERNEL_FILE = ("grading", "run", "kernel_guard.py")
TAMPERED = "TamperingDetected"
_VERDICT = re.compile(r"^nnfw-guard (\d+) ([0-9a-f]{32}) (.*)$", re.MULTILINE)


try:  # the C function, as the kernel side signs with it (kernel_guard)
    from _hashlib import hmac_digest as _sign
except ImportError:  # pragma: no cover - Python without OpenSSL
    _sign = hmac.digest  # type: ignore[assignment]


def _mac(secret: str, text: str) -> str:
    return _sign(secret.encode(), text.encode(), "sha256").hex()[:32]


def preamble_source(secret: str, imports: list[str], reimports: list[str] | None = None) -> str:
    """The hidden first cell: run :mod:`nnfw.grading.run.kernel_guard` privately.

    The module's file is found through the ``nnfw`` package (no ``nnfw.grading`` import in
    the kernel) and executed in a fresh namespace rather than imported, so nothing in
    ``sys.modules`` leads to the guard's state.
    """
    return (
        "def _nnfw_guard():\n"
        "    import importlib.util, os\n"
        "    base = importlib.util.find_spec('nnfw').submodule_search_locations[0]\n"
        f"    path = os.path.join(base, *{KERNEL_FILE!r})\n"
        "    with open(path, encoding='utf-8') as fh:\n"
        "        code = compile(fh.read(), path, 'exec')\n"
        "    ns = {'__name__': '_nnfw_guard'}\n"
        "    exec(code, ns)\n"
        f"    ns['install']({secret.encode()!r}, {imports!r}, {list(reimports or [])!r}, "
        f"{GUARD_MARK!r})\n"
        "_nnfw_guard()\n"
        "del _nnfw_guard\n"
    )


def instructor_imports(nb: NotebookNode) -> list[str]:
    """Top-level import statements of the cells learners cannot edit (not answer cells).

    Before each test the guard binds these names again to the genuine objects, so a test
    that uses a helper imported earlier (``assert_close``, ``np``) gets the real one even if
    learner code rebound the name.
    """
    import ast

    found: list[str] = []
    for cell in nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or nbg.get("solution"):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and not any(
                a.name == "*" for a in node.names
            ):
                statement = ast.unparse(node)
                if statement not in found:
                    found.append(statement)
    return found


def framework_imports(nb: NotebookNode) -> list[str]:
    """Modules the preamble imports: numpy, nnfw.checks, and the notebook's frameworks."""
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    wanted = ["nnfw", "numpy", "numpy.testing", "nnfw.checks"]
    if re.search(r"^\s*(import|from)\s+torch\b", text, re.MULTILINE):
        wanted += ["torch", "torch.testing", "torch.nn.functional"]
    if re.search(r"^\s*(import|from)\s+(tensorflow|keras)\b", text, re.MULTILINE):
        wanted += ["tensorflow"]
    return wanted


def _hidden(source: str, kind: str) -> NotebookNode:
    return NotebookNode(
        cell_type="code",
        source=source,
        metadata=NotebookNode({HIDDEN_KEY: kind}),
        outputs=[],
        execution_count=None,
    )


def add_hidden_cells(nb: NotebookNode, secret: str) -> NotebookNode:
    """Return a copy of ``nb`` with the preamble first and a guard before each test cell."""
    out = copy.deepcopy(nb)
    source = preamble_source(secret, framework_imports(nb), instructor_imports(nb))
    cells = [_hidden(source, "preamble")]
    for cell in out.cells:
        if is_test_cell(cell):
            cells.append(_hidden(GUARD_MARK + "\n", "guard"))
        cells.append(cell)
    out.cells = cells
    return out


def _verdicts(cell: NotebookNode, secret: str) -> dict[int, str]:
    text = "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )
    found: dict[int, str] = {}
    for match in _VERDICT.finditer(text):
        count, mac, status = int(match.group(1)), match.group(2), match.group(3)
        if hmac.compare_digest(mac, _mac(secret, f"{count} {status}")):
            found[count] = status
    return found


def tamper_error(message: str) -> NotebookNode:
    """The error output given to a test cell whose guard did not vouch for it."""
    return NotebookNode(
        output_type="error",
        ename=TAMPERED,
        evalue=message,
        traceback=[f"{TAMPERED}: {message}"],
    )


def merge_back(nb: NotebookNode, executed: list[dict[str, Any] | None], secret: str) -> list[str]:
    """Copy the executed outputs into the trusted ``nb``; return problems found.

    ``executed`` holds, for every cell of :func:`add_hidden_cells`'s notebook in order, the
    outputs and execution count the sandbox reported (``None`` for a cell it never reported).
    Only outputs are taken from the sandbox: sources and metadata stay those of ``nb``. A
    test cell whose guard gave no valid "ok" verdict gets a :data:`TAMPERED` error output.
    """
    problems: list[str] = []
    index = 0
    preamble = executed[0] if executed else None
    guard_ready = bool(preamble) and 0 in _verdicts(NotebookNode(preamble), secret)
    if preamble is not None and not guard_ready:
        problems.append("the grader's integrity check could not start; tests ran unguarded")
    expected = 0
    pending: str | None = None
    missing = False
    for cell in nb.cells:
        index += 1
        if is_test_cell(cell):
            expected += 1
            guard = executed[index] if index < len(executed) else None
            index += 1
            pending, missing = None, False
            if guard_ready and guard is not None:
                status = _verdicts(NotebookNode(guard), secret).get(expected)
                if status is None:
                    missing = True
                    pending = (
                        "the grader's integrity check did not run before this test (was "
                        "IPython or the kernel tampered with?)"
                    )
                elif status != "ok":
                    pending = "tampering detected: " + status.removeprefix("tampered: ")
        result = executed[index] if index < len(executed) else None
        if cell.cell_type != "code" or result is None:
            continue
        cell.outputs = [NotebookNode(o) for o in result.get("outputs", [])]
        cell.execution_count = result.get("execution_count")
        failed = any(o.get("output_type") == "error" for o in cell.outputs)
        if pending is not None and missing and failed:
            # no verdict, but the test failed anyway (the kernel died, a timeout): it scores 0
            # without our help, and "tampering" would be the wrong reason
            pending = None
        if pending is not None:
            cell.outputs.append(tamper_error(pending))
            if not any(p.startswith("tampering") for p in problems):
                problems.append(pending)
            pending = None
    return problems
