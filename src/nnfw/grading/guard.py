"""Anti-tamper guard: graded test cells run with genuine builtins, modules and helpers.

A hidden test is only as trustworthy as the objects it calls. Learner code runs in the same
Python process before the tests, so it could replace ``numpy.allclose``,
``nnfw.checks.assert_close``, ``builtins.isinstance`` or a whole ``sys.modules`` entry, swallow
exceptions with ``get_ipython().set_custom_exc``, or rewrite cells with an input transformer.
The trusted side of the grader (:mod:`nnfw.grading.preprocessors`, outside the sandbox) adds
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
import hashlib
import hmac
import re
from typing import Any

from nbformat.notebooknode import NotebookNode

from nnfw.grading.execution import HIDDEN_KEY, is_test_cell

__all__ = ["HIDDEN_KEY", "TAMPERED", "add_hidden_cells", "is_test_cell", "merge_back"]
GUARD_MARK = "# nnfw: integrity check before a graded test (added by the grader)"
TAMPERED = "TamperingDetected"
_VERDICT = re.compile(r"^nnfw-guard (\d+) ([0-9a-f]{32}) (.*)$", re.MULTILINE)

#: Kernel-side code of the guard, run by the preamble with private globals. ``_SECRET``,
#: ``_IMPORTS`` and ``_MARK`` are set by the preamble before this runs.
_KERNEL_CODE = r"""
import builtins, sys, types, hmac, hashlib, importlib, threading
for _name in _IMPORTS:
    try:
        importlib.import_module(_name)
    except Exception:
        pass
from IPython import get_ipython

_ip = get_ipython()
_FULL = ("numpy", "nnfw", "math", "cmath", "operator", "functools", "IPython", "ipykernel",
         "jupyter_client", "zmq", "traitlets", "comm", "importlib", "hmac", "hashlib", "types")
_TOP = ("torch", "torch.testing", "torch.nn.functional", "tensorflow")
_CLASS_PREFIXES = ("nnfw", "IPython", "ipykernel", "jupyter_client", "zmq", "traitlets", "comm")
_Mod = types.ModuleType


def _watched(name):
    return name in _TOP or name.startswith(tuple(p + "." for p in _FULL)) or name in _FULL \
        or name.startswith("tensorflow._api.v2.")


def _callables(ns):
    out = {}
    for key, value in list(ns.items()):
        if callable(value) and not isinstance(value, _Mod):
            code = getattr(value, "__code__", None) if isinstance(value, types.FunctionType) else None
            out[key] = (value, code)
    return out


_builtins_snap = {k: v for k, v in builtins.__dict__.items()
                  if type(v) in (types.BuiltinFunctionType, type) and k not in ("input", "display")}
_modules = {n: m for n, m in list(sys.modules.items()) if isinstance(m, _Mod) and _watched(n)}
_mod_snap = {n: _callables(vars(m)) for n, m in _modules.items()}
# torch's top level is patched by torch itself (torch._dynamo wraps torch.manual_seed, ...):
# there, only the functions tests rely on are checked
_TORCH = ("allclose", "isclose", "equal", "is_tensor", "is_floating_point", "tensor",
          "as_tensor", "from_numpy", "zeros", "ones", "zeros_like", "ones_like", "full", "eye",
          "arange", "all", "any", "abs", "isfinite", "isnan", "max", "min", "sum", "mean",
          "argmax", "stack", "cat", "exp", "log", "sqrt", "diagonal", "randn", "rand", "randint",
          "Tensor", "Generator", "no_grad", "equal", "where", "clone", "numel")
if "torch" in _mod_snap:
    _mod_snap["torch"] = {k: v for k, v in _mod_snap["torch"].items() if k in _TORCH}
_classes = {}
for _n, _m in _modules.items():
    for _k, (_v, _c) in _mod_snap[_n].items():
        if isinstance(_v, type) and getattr(_v, "__module__", "").startswith(_CLASS_PREFIXES):
            _classes[id(_v)] = _v
if "torch" in sys.modules:
    _classes[id(sys.modules["torch"].Tensor)] = sys.modules["torch"].Tensor
_class_snap = {k: (c, _callables(dict(vars(c)))) for k, c in _classes.items()}
_objects = {"the IPython shell": _ip, "the kernel": getattr(_ip, "kernel", None),
            "the display publisher": _ip.display_pub, "the display hook": _ip.displayhook,
            "IPython's events": _ip.events}
_objects["the kernel session"] = getattr(_objects["the kernel"], "session", None)
_obj_snap = {k: (o, _callables(dict(getattr(o, "__dict__", {})))) for k, o in _objects.items()
             if o is not None}
_stdout, _stderr = sys.stdout, sys.stderr
_custom = (_ip.custom_exceptions, _ip.CustomTB)
_lists = {"input transformers": _ip.input_transformers_cleanup,
          "input transformers (post)": _ip.input_transformers_post,
          "AST transformers": _ip.ast_transformers}
_list_snap = {k: list(v) for k, v in _lists.items()}
_events_snap = {e: list(_ip.events.callbacks[e]) for e in _ip.events.callbacks}
_state = {"count": -1, "stash": {}, "hold": 0}


def _check_ns(label, ns, snap, found, setter):
    for key, (value, code) in snap.items():
        now = ns.get(key, _Mod)
        if now is not value:
            found.append(f"{label}.{key} was replaced")
            setter(key, value)
        elif code is not None and value.__code__ is not code:
            found.append(f"the code of {label}.{key} was replaced")
            value.__code__ = code


def _restore():
    found = []
    sys.settrace(None)
    sys.setprofile(None)
    threading.settrace(None)
    if sys.modules.get("builtins") is not builtins:
        found.append("sys.modules['builtins'] was replaced")
        sys.modules["builtins"] = builtins
    bd = builtins.__dict__
    for key, value in _builtins_snap.items():
        if bd.get(key, _Mod) is not value:
            found.append(f"builtins.{key} was replaced")
            bd[key] = value
    for name, module in _modules.items():
        if sys.modules.get(name) is not module:
            found.append(f"sys.modules[{name!r}] was replaced")
            sys.modules[name] = module
        ns = vars(module)
        _check_ns(name, ns, _mod_snap[name], found, ns.__setitem__)
    for cls, snap in _class_snap.values():
        _check_ns(cls.__module__ + "." + cls.__qualname__, dict(vars(cls)), snap, found,
                  lambda k, v, c=cls: type.__setattr__(c, k, v))
    for label, (obj, snap) in _obj_snap.items():
        ns = getattr(obj, "__dict__", {})
        for key in list(ns):
            if key not in snap and callable(ns[key]) and hasattr(type(obj), key):
                found.append(f"a method of {label} ({key}) was replaced")
                del ns[key]
        _check_ns(label, ns, snap, found, ns.__setitem__)
    if sys.stdout is not _stdout or sys.stderr is not _stderr:
        sys.stdout, sys.stderr = _stdout, _stderr
    if (_ip.custom_exceptions, _ip.CustomTB) != _custom:
        found.append("IPython's exception handler was replaced (set_custom_exc)")
        _ip.custom_exceptions, _ip.CustomTB = _custom
    for label, current in _lists.items():
        if list(current) != _list_snap[label]:
            found.append(f"IPython's {label} were changed")
            current[:] = _list_snap[label]
    for event, callbacks in _ip.events.callbacks.items():
        wanted = _events_snap.get(event, [])
        if callbacks != wanted:  # learner hooks could patch before, or read, the test
            callbacks[:] = wanted
    ns = _ip.user_ns
    for statement in _REIMPORTS:
        genuine = {"__builtins__": builtins}
        try:
            exec(statement, genuine)
        except Exception:
            continue
        for name, value in genuine.items():
            if name != "__builtins__":
                if name in ns and ns[name] is not value:
                    found.append(f"{name} (imported by the notebook) was rebound")
                ns[name] = value
    if ns.get("__builtins__") is not builtins:
        found.append("__builtins__ was replaced")
        ns["__builtins__"] = builtins
    stash = {}
    for key in list(ns):
        if key in _builtins_snap and not key.startswith("_") and ns[key] is not _builtins_snap[key]:
            stash[key] = ns.pop(key)
    _state["stash"] = stash
    return found


def _verdict(found):
    _state["count"] += 1
    status = "ok" if not found else "tampered: " + "; ".join(sorted(set(found)))[:2000]
    text = f"{_state['count']} {status}"
    mac = hmac.new(_SECRET, text.encode(), hashlib.sha256).hexdigest()[:32]
    _stdout.write(f"nnfw-guard {_state['count']} {mac} {status}\n")
    _stdout.flush()


def _pre_run_cell(info):
    if (getattr(info, "raw_cell", "") or "").strip() == _MARK:
        _verdict(_restore())
        _state["hold"] = 2  # the guard cell and the test cell after it


def _post_run_cell(result):
    if _state["stash"]:
        _state["hold"] -= 1
        if _state["hold"] <= 0:
            ns = _ip.user_ns
            for key, value in _state["stash"].items():
                ns.setdefault(key, value)
            _state["stash"] = {}


_ip.events.register("pre_run_cell", _pre_run_cell)
_ip.events.register("post_run_cell", _post_run_cell)
_events_snap = {e: list(_ip.events.callbacks[e]) for e in _ip.events.callbacks}
_verdict([])
"""


def _mac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


def preamble_source(secret: str, imports: list[str], reimports: list[str] | None = None) -> str:
    """The hidden first cell: install the guard with a private namespace."""
    return (
        "exec(compile("
        f"{_KERNEL_CODE!r}, '<nnfw-guard>', 'exec'), "
        f"{{'__name__': '_nnfw_guard', '_SECRET': {secret.encode()!r}, "
        f"'_IMPORTS': {imports!r}, '_REIMPORTS': {list(reimports or [])!r}, "
        f"'_MARK': {GUARD_MARK!r}}})"
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


def merge_back(nb: NotebookNode, executed: list[dict[str, Any]], secret: str) -> list[str]:
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
