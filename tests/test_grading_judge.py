"""The judge (issue 17): value verdicts are decided outside the learner's kernel.

Unit tests of :mod:`nnfw.grading.run.judge` (splitting a test cell, decoding records, what a
judge block may import), then one tiny assignment whose hidden tests record values in the
kernel and judge them in the grader, graded once for a cohort of attackers who defeat the
in-kernel guard (a callback that patches after the guard, a line transform, the guard's own
closure used to forge "ok" verdicts) or the records (forged, missing, duplicated, a bomb):
every one of them scores only what its own answers earn.
"""

from __future__ import annotations

import ast
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import nbformat
import numpy as np
import pytest
from test_grading_sandbox import _cell, _meta, _python3  # the hostile suite's helpers

from nnfw import checks, cli
from nnfw.authoring.release import generate_assignment
from nnfw.grading.course import Workspace
from nnfw.grading.results import load_results
from nnfw.grading.run import judge

ROOT = Path(__file__).resolve().parents[1]
A, NB = "00-judged", "judged"

# --- unit tests ---------------------------------------------------------------------------------


CELL = (
    "assert double([1]) == [2]\n"
    "### BEGIN HIDDEN TESTS\n"
    "record('x', double([3]))\n"
    "### BEGIN JUDGE\n"
    "from nnfw.checks import recorded\n"
    "assert recorded('x') == 6\n"
    "### END JUDGE\n"
    "### END HIDDEN TESTS\n"
)


def test_split_keeps_line_numbers_and_takes_the_judge_out() -> None:
    kernel, source = judge.split(CELL)
    assert "recorded" not in kernel
    assert "JUDGE" not in kernel
    assert kernel.count("\n") == CELL.count("\n")
    assert source == "from nnfw.checks import recorded\nassert recorded('x') == 6\n"
    assert judge.split("print(1)\n") == ("print(1)\n", "")


def _wire(name: str, value) -> dict:
    return checks._wire(name, checks._plain_record(value, name))


def test_records_round_trip_with_their_dtype() -> None:
    import torch

    name, value = judge.decode(_wire("t", torch.tensor([[1.5, -2.0]])))
    assert name == "t"
    assert value.dtype == np.float32
    assert value.shape == (1, 2)
    assert judge.decode(_wire("f", 1.25)) == ("f", 1.25)
    assert judge.decode(_wire("s", "float32")) == ("s", "float32")
    assert np.isnan(judge.decode(_wire("n", {"v": [float("nan")]}))[1]["v"][0])
    assert judge.decode(_wire("b", np.array([True, False])))[1].dtype == np.bool_
    scalar = judge.decode(_wire("0-d", torch.tensor(2.5, dtype=torch.float64)))[1]
    assert scalar.shape == (), "a 0-d tensor must reach the judge as a 0-d array"
    assert float(scalar) == 2.5


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ({"name": "x", "array": {"dtype": "|O", "shape": [1], "b64": "AAAAAAAAAAA="}}, "not a"),
        ({"name": "x", "array": {"dtype": "<f8", "shape": [10**12], "b64": ""}}, "larger"),
        ({"name": "x", "array": {"dtype": "<f8", "shape": [2], "b64": "AAAAAAAAAAA="}}, "bytes"),
        ({"name": "x", "array": {"dtype": "<f8", "shape": [-1], "b64": ""}}, "bad shape"),
        ({"name": "x", "array": {"dtype": "<f8", "shape": [1], "b64": "!!"}}, "base64"),
        ({"name": "x", "array": {"dtype": [("a", "<f8")], "shape": [1], "b64": ""}}, "malformed"),
        ({"name": 3, "json": 1}, "without a name"),
        ({"name": "x"}, "neither"),
        ({"name": "x", "json": json.loads("[" * 20 + "]" * 20)}, "deeply"),
    ],
)
def test_a_malformed_record_is_refused_never_unpickled(payload, why) -> None:
    with pytest.raises(judge.JudgeRecordError, match=why):
        judge.decode(payload)


def _cell_with(outputs: list, source: str = CELL) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}}
    cell = nbformat.v4.new_code_cell(source, metadata=meta)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    nb.cells = [cell]
    return nb


def _display(payload) -> dict:
    return {"output_type": "display_data", "data": {checks.RECORD_MIME: payload}, "metadata": {}}


def test_run_judges_decides_and_removes_the_records() -> None:
    good = _cell_with([_display(_wire("x", 6))])
    assert judge.run_judges(good) == []
    assert good.cells[0].outputs == []  # the records never reach the graded notebook
    bad = _cell_with([_display(_wire("x", 5))])
    judge.run_judges(bad)
    assert bad.cells[0].outputs[-1]["ename"] == "AssertionError"
    twice = _cell_with([_display(_wire("x", 6)), _display(_wire("x", 6))])
    judge.run_judges(twice)
    assert "recorded twice" in twice.cells[0].outputs[-1]["evalue"]
    missing = _cell_with([])
    judge.run_judges(missing)
    assert "did not hand over 'x'" in missing.cells[0].outputs[-1]["evalue"]


def test_a_test_that_failed_in_the_kernel_is_not_judged_again() -> None:
    error = {"output_type": "error", "ename": "AssertionError", "evalue": "no", "traceback": []}
    nb = _cell_with([error])
    judge.run_judges(nb)
    assert [o["ename"] for o in nb.cells[0].outputs] == ["AssertionError"]


def test_a_broken_judge_is_reported_to_the_instructor() -> None:
    nb = _cell_with([], CELL.replace("assert recorded('x') == 6", "1 / 0"))
    problems = judge.run_judges(nb)
    assert problems
    assert "the judge of t is broken (ZeroDivisionError" in problems[0]
    assert "could not judge" in nb.cells[0].outputs[-1]["evalue"]


ALLOWED = {"numpy", "math", "cmath", "statistics", "itertools", "functools", "nnfw.checks"}


def _judge_blocks() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, 4).cells:
            if cell.cell_type == "code" and judge.JUDGE_BEGIN in cell.source:
                found.append((f"{path.parent.name}/{path.name}", judge.split(cell.source)[1]))
    return found


def test_judge_blocks_import_only_numpy_and_the_standard_helpers() -> None:
    # the judge runs in the trusted worker: no framework (memory, start-up), no learner code
    for where, source in _judge_blocks():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert set(names) <= ALLOWED, f"{where}: a judge block imports {names}"


# --- a judged assignment, graded for a cohort of attackers ----------------------------------------


SETUP = "import numpy as np\nfrom nnfw.checks import assert_close"
ANSWER1 = (
    "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * np.asarray(x, dtype=float)\n"
    "    ### END SOLUTION"
)
TEST1 = """assert_close(double([1, 2]), [2.0, 4.0])
### BEGIN HIDDEN TESTS
from nnfw.checks import record

_x = np.random.default_rng(7).integers(-8, 9, 6) / 4
record("double", double(_x))
### BEGIN JUDGE
import numpy as np

from nnfw.checks import assert_close, recorded

x = np.random.default_rng(7).integers(-8, 9, 6) / 4
assert_close(recorded("double"), 2 * x, name="double of the hidden values")
### END JUDGE
### END HIDDEN TESTS"""
ANSWER2 = "def total(values):\n    ### BEGIN SOLUTION\n    return float(np.sum(values))\n    ### END SOLUTION"
TEST2 = """assert np.allclose(total([1, 2]), 3.0)
### BEGIN HIDDEN TESTS
from nnfw.checks import record

record("total", total([0.5, 0.25, 4.0]))
### BEGIN JUDGE
from nnfw.checks import recorded

got = recorded("total")
assert type(got) is float, f"return a float, not {type(got).__name__}"
assert abs(got - 4.75) < 1e-12, f"total([0.5, 0.25, 4.0]) gave {got}, expected 4.75"
### END JUDGE
### END HIDDEN TESTS"""


def _source() -> nbformat.NotebookNode:
    return _python3(
        [
            nbformat.v4.new_markdown_cell("# Judged\nTwo tasks."),
            nbformat.v4.new_code_cell(SETUP, metadata=_meta("setup", "setup")),
            nbformat.v4.new_code_cell(ANSWER1, metadata=_meta("answer", "task1_answer")),
            nbformat.v4.new_code_cell(TEST1, metadata=_meta("test", "task1_tests", 1)),
            nbformat.v4.new_code_cell(ANSWER2, metadata=_meta("answer", "task2_answer")),
            nbformat.v4.new_code_cell(TEST2, metadata=_meta("test", "task2_tests", 1)),
        ]
    )


# right on the visible values only: what every attack below tries to get points for
HARD_CODED = (
    "def double(x):\n"
    "    if np.asarray(x).tolist() == [1, 2]:\n"
    "        return np.array([2.0, 4.0])\n"
    "    return np.asarray(x, dtype=float)\n"
)
RIGHT2 = "def total(values):\n    return float(np.sum(values))"


def _after_the_guard(code: str) -> str:
    """Answer code that runs ``code`` after the guard's restore in every later cell."""
    body = "".join(f"    {line}\n" for line in code.splitlines())
    return (
        "def _late(info, _done=[]):\n    import nnfw.checks\n"
        "    if getattr(nnfw.checks.record, '__name__', '') != 'record':\n        return\n"
        f"{body}"
        "get_ipython().events.register('pre_run_cell', _late)\n"
    )


PATCH = "import nnfw.checks\nnnfw.checks.assert_close = lambda *a, **k: None\n"
ATTACKS = {
    # registered after the guard's own callback: runs after its restore and its "ok"
    "late_callback": (
        "def _patch(info):\n"
        "    import nnfw.checks\n"
        "    nnfw.checks.assert_close = lambda *a, **k: None\n"
        "get_ipython().events.register('pre_run_cell', _patch)\n"
    ),
    # appends a patch to every cell, the guard's included, before the guard's hook runs
    "line_transform": (
        "get_ipython().input_transformer_manager.line_transforms.append(\n"
        "    lambda lines: lines + ['import nnfw.checks; "
        "nnfw.checks.assert_close = lambda *a, **k: None\\n'])\n"
    ),
    # takes the guard's own verdict function out of its closure and forges "ok" verdicts
    "forged_verdicts": (
        "ip = get_ipython()\n"
        "hook = next(f for f in ip.events.callbacks['pre_run_cell']\n"
        "            if getattr(f, '__name__', '') == '_pre_run_cell')\n"
        "cells = dict(zip(hook.__code__.co_freevars, (c.cell_contents for c in hook.__closure__)))\n"
        "def _fake(info, v=cells['_verdict'], mark=cells['mark'], state=cells['_state']):\n"
        "    if (info.raw_cell or '').strip() == mark:\n"
        "        v([])\n"
        "        state['hold'] = 2\n"
        "ip.events.callbacks['pre_run_cell'][:] = [_fake]\n" + PATCH
    ),
    # the records themselves: forged, suppressed, duplicated, a bomb
    "forged_record": _after_the_guard(
        "_record = nnfw.checks.record\n"
        "nnfw.checks.record = lambda name, value: _record(\n"
        "    name, np.zeros(6) if name == 'double' else value)\n"
    ),
    "no_record": _after_the_guard(
        "_record = nnfw.checks.record\n"
        "nnfw.checks.record = lambda name, value: (\n"
        "    None if name == 'double' else _record(name, value))\n"
    ),
    "duplicate_record": (
        "from IPython.display import display\nimport nnfw.checks\n"
        "_double = double\n"
        "def double(x):\n"
        "    out = _double(x)\n"
        "    payload = nnfw.checks._wire('double', 2 * np.asarray(x, dtype=float))\n"
        "    display({nnfw.checks.RECORD_MIME: payload}, raw=True)\n"
        "    return out\n"
    ),
    "record_bomb": (
        "from IPython.display import display\nimport nnfw.checks\n"
        "_double = double\n"
        "def double(x):\n"
        "    bomb = {'name': 'bomb', 'array': {'dtype': '<f8', 'shape': [10**6] * 4, 'b64': ''}}\n"
        "    display({nnfw.checks.RECORD_MIME: bomb}, raw=True)\n"
        "    return _double(x)\n"
    ),
}
# the executor's result channel: reach it through /proc, or kill the executor after forging
CHANNEL = {
    "channel_write": (
        "import glob, json, os\nhits = []\n"
        "for fd in glob.glob(f'/proc/{os.getppid()}/fd/*'):\n"
        "    try:\n"
        "        with open(fd, 'w') as fh:\n"
        "            fh.write(json.dumps({'kind': 'finished'}) + '\\n')\n"
        "        hits.append(fd)\n"
        "    except OSError:\n"
        "        pass\n"
        "print('CHANNEL', hits)\n"
    ),
    "executor_killed": (
        'import os, signal\nprint(\'{"kind": "finished"}\', flush=True)\n'
        "os.kill(os.getppid(), signal.SIGKILL)\n"
    ),
}
LIMITS = ["--timeout", "30", "--notebook-timeout", "60", "--memory-limit", "1500"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("course")
    (root / "solutions" / A).mkdir(parents=True)
    nbformat.write(_source(), root / "solutions" / A / f"{NB}.ipynb")
    blank = nbformat.reads(
        generate_assignment(root / "solutions" / A, A)[f"{NB}.ipynb"].decode(), 4
    )
    subs = tmp_path_factory.mktemp("submissions")
    workspace = tmp_path_factory.mktemp("ws") / "grading"
    students = {"honest": ("def double(x):\n    return 2 * np.asarray(x, dtype=float)", RIGHT2)}
    students["blank"] = (None, None)
    students["hard_coded"] = (HARD_CODED, RIGHT2)
    for name, attack in ATTACKS.items():
        students[name] = (HARD_CODED + attack, RIGHT2)
    for name, attack in CHANNEL.items():
        students[name] = (HARD_CODED + attack, RIGHT2)
    for name, (answer1, answer2) in students.items():
        nb = nbformat.from_dict(blank)
        if answer1 is not None:
            _cell(nb, "task1_answer").source = answer1
            _cell(nb, "task2_answer").source = answer2
        (subs / name).mkdir()
        nbformat.write(nb, subs / name / f"{NB}.ipynb")
    out, err = io.StringIO(), io.StringIO()
    args = ["grade", str(subs), "-a", A, "--course", str(root), "--workspace", str(workspace)]
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main([*args, *LIMITS, "--jobs", "2"])
    results = {r.student: r for r in load_results(Workspace(workspace), A)}
    return {"code": code, "out": out.getvalue(), "results": results, "workspace": workspace}


def _task(graded: dict, student: str, grade_id: str):
    nb = graded["results"][student].notebooks[0]
    return next(t for t in nb.tasks if t.id == grade_id)


@pytest.mark.slow
@pytest.mark.notebook
def test_the_judge_gives_honest_work_full_marks_and_blank_work_none(graded) -> None:
    assert graded["results"]["honest"].score == 2.0, graded["out"]
    assert graded["results"]["blank"].score == 0.0
    task = _task(graded, "hard_coded", "task1_tests")
    assert task.score == 0
    assert "double of the hidden values differs" in task.message


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_an_attack_on_the_guard_or_the_records_earns_only_the_honest_task(graded, student) -> None:
    # task 1 is hard-coded plus the attack: the judge fails it whatever the kernel did;
    # task 2 is answered honestly: it keeps its point unless the guard saw the patch
    assert _task(graded, student, "task1_tests").score == 0, graded["out"]
    task2 = _task(graded, student, "task2_tests")
    assert task2.score == 1 or task2.status == "tampering", (student, task2)


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize(
    ("student", "reason"),
    [
        ("no_record", "did not hand over 'double'"),
        ("duplicate_record", "'double' was recorded twice"),
        ("record_bomb", "malformed record"),
        ("forged_record", "double of the hidden values differs"),
    ],
)
def test_a_tampered_record_fails_with_a_specific_reason(graded, student, reason) -> None:
    assert reason in _task(graded, student, "task1_tests").message


@pytest.mark.slow
@pytest.mark.notebook
def test_records_and_judge_code_never_reach_the_graded_notebook_or_the_kernel(graded) -> None:
    path = graded["workspace"] / "autograded" / "honest" / A / f"{NB}.ipynb"
    text = json.dumps(nbformat.read(path, 4))
    assert checks.RECORD_MIME not in text
    assert "recorded(" in text  # the judge stays in the graded notebook's source, for you


def test_the_kernel_never_gets_the_judge() -> None:
    kernel_nb = judge.strip_for_kernel(_source())
    text = "\n".join(c.source for c in kernel_nb.cells)
    assert "recorded(" not in text
    assert "2 * x" not in text
    assert 'record("double"' in text


@pytest.mark.slow
@pytest.mark.notebook
def test_the_executors_channel_cannot_be_reached_or_forged(graded) -> None:
    path = graded["workspace"] / "autograded" / "channel_write" / A / f"{NB}.ipynb"
    text = json.dumps(nbformat.read(path, 4))
    assert "CHANNEL []" in text  # the executor is not dumpable: its fds are closed to the kernel
    assert graded["results"]["channel_write"].score == 1.0
    # a killed executor: the fake "finished" line is only cell output; the cells it never
    # reported score nothing and say why
    killed = graded["results"]["executor_killed"]
    assert killed.score == 0.0, graded["out"]
    messages = " ".join(t.message for t in killed.notebooks[0].tasks)
    assert "not run" in messages or "stopped" in messages, messages
