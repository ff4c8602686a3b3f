"""The judge: a hidden test's value verdicts, decided outside the learner's kernel.

Everything in the learner's kernel can be changed by learner code that ran before, or runs
during, a test: the functions a test calls, its comparison helpers, the hooks of the
anti-tamper guard (:mod:`nnfw.grading.run.guard`), the frames and names a reference answer
lives in. The guard restores what it can, but an in-process check can always be subverted
by a determined attacker. So the decisive comparisons of a hidden test move out:

* In the **kernel**, the hidden part of a test cell only *computes*: it calls the learner's
  code on inputs it builds itself and hands the results over with
  :func:`nnfw.checks.record` (plain data: NumPy arrays with their dtype, or JSON values).
  Reference answers are not computed there.
* A ``### BEGIN JUDGE`` ... ``### END JUDGE`` block inside ``### BEGIN HIDDEN TESTS`` is
  **never sent to the kernel**. The grader's worker runs it, in its own process, with the
  recorded values (:func:`nnfw.checks.recorded`): it builds the same inputs again (seeded
  NumPy), computes the reference there and compares. It imports nothing but NumPy, the
  standard library and ``nnfw.checks`` (``tests/test_judge.py`` checks every solution).

Forging records gains nothing: a record is a value the learner's code could have returned
anyway, inputs are never taken from the kernel, and the references are not in it. A judge
that fails gives the test cell an ``AssertionError`` output, so nbgrader scores it 0 and the
message reaches the tasks table and the feedback. Where a notebook runs without the grader
(nbval, a plain kernel) the judge block stays in the cell and runs in the kernel on the same
plain values, so the verdicts agree.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import contextvars
import math
import re
import traceback
from typing import Any

import numpy as np
from nbformat.notebooknode import NotebookNode

from nnfw import checks
from nnfw.grading.run.execution import error_output, is_test_cell

__all__ = ["JUDGE_BEGIN", "JUDGE_END", "JudgeRecordError", "decode", "run_judges", "split"]

JUDGE_BEGIN = "### BEGIN JUDGE"
JUDGE_END = "### END JUDGE"
_BLOCK = re.compile(
    rf"^[ \t]*{re.escape(JUDGE_BEGIN)}[ \t]*\n(.*?)^[ \t]*{re.escape(JUDGE_END)}[ \t]*(\n|$)",
    re.MULTILINE | re.DOTALL,
)
#: dtypes a record may have (numbers and booleans; never objects)
_DTYPES = frozenset("?bBhHiIlLqQefdFD")
MAX_RECORDS = 512
MAX_RECORD_BYTES = 64 * 1024 * 1024  # all records of one test cell together


class JudgeRecordError(ValueError):
    """A record output that is not a well-formed plain value."""


def split(source: str) -> tuple[str, str]:
    """``(kernel_source, judge_source)``: the cell without its judge blocks, and the blocks.

    Judge lines are replaced by blank lines in the kernel's copy, so the line numbers of the
    rest of the cell (in tracebacks) do not move.
    """
    judges: list[str] = []

    def cut(match: re.Match[str]) -> str:
        block = match.group(0)
        judges.append(match.group(1))
        return "\n" * block.count("\n")

    kernel = _BLOCK.sub(cut, source)
    return kernel, "\n".join(judges)


def strip_for_kernel(nb: NotebookNode) -> NotebookNode:
    """A copy of ``nb`` whose test cells hold no judge code (what the sandbox gets)."""
    import copy

    out = copy.deepcopy(nb)
    for cell in out.cells:
        if is_test_cell(cell) and JUDGE_BEGIN in cell.source:
            cell.source = split(cell.source)[0]
    return out


def _decode_json(value: Any, depth: int = 0) -> Any:
    if depth > 16:
        msg = "nested too deeply"
        raise JudgeRecordError(msg)
    if type(value) in (type(None), bool, int, float, str):
        return value
    if isinstance(value, list):
        return [_decode_json(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if set(value) == {"__float__"} and value["__float__"] in ("nan", "inf", "-inf"):
            return float(value["__float__"])
        return {str(k): _decode_json(v, depth + 1) for k, v in value.items()}
    msg = f"not a JSON value: {type(value).__name__}"
    raise JudgeRecordError(msg)


def decode(payload: Any) -> tuple[str, Any]:
    """``(name, value)`` of one record output; :class:`JudgeRecordError` if malformed.

    Arrays are rebuilt with ``numpy.frombuffer`` from a whitelisted numeric dtype whose byte
    count must match the shape exactly (never unpickled).
    """
    if not isinstance(payload, dict) or type(payload.get("name")) is not str:
        msg = "a record without a name"
        raise JudgeRecordError(msg)
    name = payload["name"]
    if "json" in payload:
        return name, _decode_json(payload["json"])
    spec = payload.get("array")
    if not isinstance(spec, dict):
        msg = f"record {name!r} holds neither an array nor a JSON value"
        raise JudgeRecordError(msg)
    dtype_str, shape, data = spec.get("dtype"), spec.get("shape"), spec.get("b64")
    if type(dtype_str) is not str or not isinstance(shape, list) or type(data) is not str:
        msg = f"record {name!r} is malformed"
        raise JudgeRecordError(msg)
    try:
        dtype = np.dtype(dtype_str)
    except TypeError:
        msg = f"record {name!r} has an unknown dtype"
        raise JudgeRecordError(msg) from None
    if dtype.char not in _DTYPES or dtype.fields is not None or dtype.subdtype is not None:
        msg = f"record {name!r} has dtype {dtype}, not a number type"
        raise JudgeRecordError(msg)
    if len(shape) > 32 or not all(type(n) is int and 0 <= n for n in shape):
        msg = f"record {name!r} has a bad shape"
        raise JudgeRecordError(msg)
    size = math.prod(shape) * dtype.itemsize
    if size > MAX_RECORD_BYTES:
        msg = f"record {name!r} is larger than the judge accepts"
        raise JudgeRecordError(msg)
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        msg = f"record {name!r} is not valid base64"
        raise JudgeRecordError(msg) from None
    if len(raw) != size:
        msg = f"record {name!r} holds {len(raw)} bytes, its shape says {size}"
        raise JudgeRecordError(msg)
    return name, np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _records(cell: NotebookNode) -> tuple[dict[str, Any], list[str]]:
    """The cell's records (removed from its outputs) and what was wrong with them."""
    found: dict[str, Any] = {}
    problems: list[str] = []
    kept = []
    total = 0
    for output in cell.get("outputs", []):
        data = output.get("data", {}) if output.get("output_type") == "display_data" else {}
        if checks.RECORD_MIME not in data:
            kept.append(output)
            continue
        payload = data[checks.RECORD_MIME]
        total += (
            len(str(payload.get("array", {}).get("b64", ""))) if isinstance(payload, dict) else 0
        )
        if len(found) >= MAX_RECORDS or total > MAX_RECORD_BYTES * 4 // 3:
            problems.append("the test recorded more values than the judge accepts")
            break
        try:
            name, value = decode(payload)
        except JudgeRecordError as exc:
            problems.append(f"a malformed record ({exc})")
            continue
        if name in found:
            problems.append(f"{name!r} was recorded twice")
            continue
        found[name] = value
    cell.outputs = kept
    return found, problems


def _judge(source: str, records: dict[str, Any]) -> str | None:
    """Run judge code on ``records``; ``None`` if it passed, else the failing message."""
    namespace: dict[str, Any] = {"__name__": "nnfw_judge", "__builtins__": builtins}

    def run() -> None:
        checks._RECORDS.set(records)
        exec(compile(source, "<judge>", "exec"), namespace)  # noqa: S102 - instructor code

    try:
        contextvars.copy_context().run(run)
    except AssertionError as exc:
        return str(exc) or "a hidden test failed"
    return None


def run_judges(nb: NotebookNode) -> list[str]:
    """Decide the judge blocks of ``nb``'s test cells, in place; return grader problems.

    For each test cell with a judge block: its record outputs are taken out of its outputs;
    if the kernel side passed (no error output), the judge runs on them and a failure adds
    an ``AssertionError`` output. A judge that raises anything else is a fault of the test,
    not of the learner: the cell gets the error too (so nothing is scored on a broken test)
    and the problem is reported for the instructor.
    """
    problems: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if not is_test_cell(cell):
            continue
        _kernel, source = split(cell.source)
        records, bad = _records(cell)
        if not source.strip():
            continue
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            continue
        if bad:
            cell.outputs.append(error_output("AssertionError", "; ".join(dict.fromkeys(bad))))
            continue
        try:
            failure = _judge(source, records)
        except Exception as exc:  # noqa: BLE001 - a broken judge block is the test's fault
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
            where = traceback.format_exception_only(type(exc), exc)[-1].strip()
            problems.append(f"the judge of {grade_id} is broken ({where}); fix the hidden test")
            failure = f"the grader could not judge this test ({where})"
        if failure is not None:
            cell.outputs.append(error_output("AssertionError", failure))
    return problems
