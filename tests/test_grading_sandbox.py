"""`nnfw grade` on a hostile cohort: isolation, limits, anti-tamper, parallel = serial (issue 9).

One tiny assignment (numpy and nnfw.checks only, no framework, so each notebook takes a few
seconds) and one batch of students, graded once per module with two jobs: honest students,
a blank one, students whose code attacks the grader (gradebook, other students, hidden tests,
the Python environment, the network), students that exhaust memory, fork, or run too long,
and blank notebooks with tricks that try to pass the tests without solving anything. Each
test asserts what one student got and that the honest students beside them kept full marks.
"""

from __future__ import annotations

import io
import shutil
import socket
import threading
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import nbformat
import pytest

from nnfw import cli
from nnfw.authoring.release import generate_assignment
from nnfw.grading.course import GradingError, Workspace
from nnfw.grading.results import load_results
from nnfw.grading.run import sandbox

A = "00-tiny"
NB = "tiny"
BWRAP, WHY = sandbox.bwrap_status()
needs_bwrap = pytest.mark.skipif(not BWRAP, reason=f"no bubblewrap sandbox here: {WHY}")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.notebook,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def _meta(kind: str, grade_id: str, points: float = 0) -> dict:
    nbg = {
        "grade_id": grade_id,
        "locked": kind in ("setup", "test"),
        "schema_version": 3,
        "solution": kind == "answer",
        "grade": kind == "test",
        "task": False,
    }
    if kind == "test":
        nbg["points"] = points
    return {"nbgrader": nbg}


SETUP = "import numpy as np\nfrom nnfw.checks import assert_close"
ANSWER1 = (
    "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * np.asarray(x, dtype=float)\n"
    "    ### END SOLUTION"
)
TEST1 = (
    "assert_close(double([1, 2]), [2.0, 4.0])\n"
    "### BEGIN HIDDEN TESTS\nassert_close(double([3.5, -1]), [7.0, -2.0])\n### END HIDDEN TESTS"
)
ANSWER2 = "def total(values):\n    ### BEGIN SOLUTION\n    return float(np.sum(values))\n    ### END SOLUTION"
TEST2 = (
    "from nnfw.checks import assert_close\n\nresult = total([1, 2])\n"
    "assert type(result) is float, f'return a float, not {type(result).__name__}'\n"
    "assert np.allclose(result, 3.0)\n"
    "### BEGIN HIDDEN TESTS\nassert isinstance(total([0.5]), float)\n"
    "assert_close(total([0.5, 0.25]), 0.75)\n### END HIDDEN TESTS"
)


def _python3(cells: list) -> nbformat.NotebookNode:
    """A notebook of ``cells`` for the ``python3`` kernel."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = cells
    return nb


def _source() -> nbformat.NotebookNode:
    return _python3(
        [
            nbformat.v4.new_markdown_cell("# Tiny\nTwo tasks."),
            nbformat.v4.new_code_cell(SETUP, metadata=_meta("setup", "setup")),
            nbformat.v4.new_code_cell(ANSWER1, metadata=_meta("answer", "task1_answer")),
            nbformat.v4.new_code_cell(TEST1, metadata=_meta("test", "task1_tests", 1)),
            nbformat.v4.new_code_cell(ANSWER2, metadata=_meta("answer", "task2_answer")),
            nbformat.v4.new_code_cell(TEST2, metadata=_meta("test", "task2_tests", 1)),
        ]
    )


def _cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _solved(blank: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(blank)
    _cell(nb, "task1_answer").source = "def double(x):\n    return 2 * np.asarray(x, dtype=float)"
    _cell(nb, "task2_answer").source = "def total(values):\n    return float(np.sum(values))"
    return nb


def _with(blank: nbformat.NotebookNode, answer1: str, answer2: str | None = None):
    nb = nbformat.from_dict(blank)
    _cell(nb, "task1_answer").source = answer1
    if answer2 is not None:
        _cell(nb, "task2_answer").source = answer2
    return nb


def _probe(what: str, code: str) -> str:
    """Answer code that tries something and prints whether it worked."""
    body = "\n".join("    " + line for line in code.splitlines())
    return (
        f"try:\n{body}\n    print('ATTACK {what}: SUCCEEDED')\n"
        f"except Exception as exc:\n    print('ATTACK {what}: BLOCKED', type(exc).__name__)\n"
    )


# --- the students -------------------------------------------------------------------------------


def students(blank, workspace: Path, submissions: Path, course: Path, port: int) -> dict:
    ws, subs = str(workspace), str(submissions)
    stolen = "\n".join(
        [
            "import glob, os",
            f"hits = [p for p in glob.glob({ws!r} + '/**/*.ipynb', recursive=True)",
            f"        + glob.glob({str(course)!r} + '/solutions/**/*.ipynb', recursive=True)",
            "        if 'HIDDEN TESTS' in open(p).read()]",
            "assert hits, 'nothing found'",
            "print(open(hits[0]).read()[:200])",
        ]
    )
    return {
        "honest": _solved(blank),
        "honest2": _solved(blank),
        "blank": blank,
        # isolation: each prints ATTACK <what>: SUCCEEDED or BLOCKED
        "gradebook": _with(
            blank,
            _probe(
                "gradebook",
                f"open({ws!r} + '/gradebook.db', 'wb').write(b'gone')\n"
                "import glob\n"
                f"for p in glob.glob({ws!r} + '/**/gradebook.db', recursive=True):\n"
                "    open(p, 'wb').write(b'gone')",
            ),
        ),
        "others": _with(
            blank,
            _probe(
                "others",
                f"open({ws!r} + '/submitted/honest/{A}/{NB}.ipynb', 'w').write('x')\n"
                f"open({subs!r} + '/honest/{NB}.ipynb', 'w').write('x')",
            ),
        ),
        "hidden": _with(blank, _probe("hidden", stolen)),
        "environment": _with(
            blank,
            _probe(
                "environment",
                "import numpy, nnfw.checks, os\n"
                "open(os.path.join(os.path.dirname(numpy.__file__), 'pwned.py'), 'w').write('')\n"
                "open(nnfw.checks.__file__, 'a').write('\\n')",
            ),
        ),
        "network": _with(
            blank,
            _probe(
                "network",
                f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)",
            )
            + _probe(
                "internet", "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=3)"
            ),
        ),
        # limits
        "memoryhog": _with(
            blank,
            "import os, time\nfor _ in range(6):\n    if os.fork() == 0:\n"
            "        data = b'x' * (250 * 2**20)\n        time.sleep(60)\n        os._exit(0)\n"
            "time.sleep(60)",
        ),
        "bighog": _with(blank, "hog = []\nwhile True:\n    hog.append(b'x' * 2**26)"),
        "forkbomb": _with(
            blank,
            "import os, time\nfor _ in range(300):\n    if os.fork() == 0:\n"
            "        time.sleep(60)\n        os._exit(0)\ntime.sleep(60)",
        ),
        "slow": _with(
            _solved(blank),
            "import time\ntime.sleep(8)\ndef double(x):\n    return 2 * np.asarray(x, dtype=float)",
            "import time\ntime.sleep(8)\ndef total(values):\n    time.sleep(8)\n"
            "    return float(np.sum(values))",
        ),
        # tricks on a blank notebook: each must earn 0
        "alwaysequal": _with(
            blank,
            "class Anything(float):\n    def __eq__(self, other):\n        return True\n"
            "    __hash__ = float.__hash__\n\n\ndef double(x):\n    return [Anything(), Anything()]",
            "class Anything(float):\n    def __eq__(self, other):\n        return True\n"
            "    __hash__ = float.__hash__\n\n\ndef total(values):\n    return Anything(0)",
        ),
        "allclose": _with(
            blank,
            "import numpy\nnumpy.allclose = lambda *a, **k: True\nnumpy.isclose = "
            "lambda a, b, **k: numpy.ones(numpy.shape(b), bool)\n"
            "def double(x):\n    return numpy.zeros(len(x))",
            "def total(values):\n    return 0.0",
        ),
        "assertclose": _with(
            blank,
            "import nnfw.checks\nnnfw.checks.assert_close = lambda *a, **k: None\n"
            "assert_close = lambda *a, **k: None\ndef double(x):\n    return 0",
        ),
        "isinstance": _with(
            blank,
            "import builtins\n_real = builtins.isinstance\n"
            "builtins.isinstance = lambda o, c: True if c is float else _real(o, c)\n"
            "builtins.AssertionError = type('Nothing', (Exception,), {})\n"
            "def double(x):\n    return 0",
            "def total(values):\n    return '6'",
        ),
        "builtinsdict": _with(
            blank,
            "import builtins\n__builtins__ = dict(vars(builtins), isinstance=lambda *a: True)\n"
            "def isinstance(*a):\n    return True\n\n\ndef total(values):\n    return 'x'",
        ),
        "sysmodules": _with(
            blank,
            "import sys, types\nfake = types.ModuleType('nnfw.checks')\n"
            "fake.assert_close = lambda *a, **k: None\nsys.modules['nnfw.checks'] = fake\n"
            "npfake = types.ModuleType('numpy')\nnpfake.allclose = lambda *a, **k: True\n"
            "sys.modules['numpy'] = npfake\ndef double(x):\n    return 0",
        ),
        "customexc": _with(
            blank,
            "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n"
            "def double(x):\n    return 0",
        ),
        "transformer": _with(
            blank,
            "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])\n"
            "def double(x):\n    return 0",
        ),
        "unhook": _with(
            blank,
            "ip = get_ipython()\nfor event in ip.events.callbacks.values():\n    event.clear()\n"
            "ip.set_custom_exc((BaseException,), lambda *a, **k: None)\n"
            "def double(x):\n    return 0",
        ),
        "systemexit": _with(blank, "def double(x):\n    return 0\n\n\nraise SystemExit(0)"),
        "osexit": _with(blank, "import os\n\nos._exit(0)"),
        "editedtest": _edited(blank),
    }


def _edited(blank):
    nb = _with(blank, "def double(x):\n    return 0")
    _cell(nb, "task1_tests").source = "pass"
    _cell(nb, "task2_tests").source = "print('all good')"
    return nb


TRICKS = (
    "alwaysequal",
    "allclose",
    "assertclose",
    "isinstance",
    "builtinsdict",
    "sysmodules",
    "customexc",
    "transformer",
    "unhook",
    "systemexit",
    "osexit",
    "editedtest",
)
LIMITS = ["--timeout", "12", "--notebook-timeout", "20", "--memory-limit", "700"]
LIMITS += ["--max-processes", "32"]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    (root / "solutions" / A).mkdir(parents=True)
    nbformat.write(_source(), root / "solutions" / A / f"{NB}.ipynb")
    return root


def _grade(subs: Path, course: Path, workspace: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = ["grade", str(subs), "-a", A, "--course", str(course), "--workspace", str(workspace)]
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main([*args, *LIMITS, *extra])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def batch(course, tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    workspace = tmp_path_factory.mktemp("ws") / "grading"
    blank = nbformat.reads(
        generate_assignment(course / "solutions" / A, A)[f"{NB}.ipynb"].decode(), 4
    )
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    connections: list[object] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                connections.append(server.accept())
            except OSError:
                pass

    stop = threading.Event()
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    made = students(blank, workspace, subs, course, port)
    for name, nb in made.items():
        (subs / name).mkdir()
        nbformat.write(nb, subs / name / f"{NB}.ipynb")
    honest_bytes = (subs / "honest" / f"{NB}.ipynb").read_bytes()
    import nnfw.checks

    checks_bytes = Path(nnfw.checks.__file__).read_bytes()
    try:
        code, out, err = _grade(subs, course, workspace, "--jobs", "2")
    finally:
        stop.set()
        thread.join()
        server.close()
    results = {r.student: r for r in load_results(Workspace(workspace), A)}
    return {
        "code": code,
        "out": out,
        "err": err,
        "results": results,
        "workspace": workspace,
        "subs": subs,
        "course": course,
        "connections": connections,
        "honest_bytes": honest_bytes,
        "checks_bytes": checks_bytes,
    }


def _nb(batch, student: str):
    return batch["results"][student].notebooks[0]


def _graded_output(batch, student: str) -> str:
    path = batch["workspace"] / "autograded" / student / A / f"{NB}.ipynb"
    nb = nbformat.read(path, 4)
    return "\n".join(
        o.get("text", "") + o.get("evalue", "") for c in nb.cells for o in c.get("outputs", [])
    )


def test_honest_students_keep_full_marks_beside_attackers(batch):
    for student in ("honest", "honest2"):
        assert batch["results"][student].score == 2.0, batch["out"]
    assert batch["results"]["blank"].score == 0.0
    assert "each in a bubblewrap sandbox" in batch["out"] or not BWRAP


def test_gradebook_is_intact_and_written_by_the_grader_only(batch):
    from nbgrader.api import Gradebook

    with Gradebook(Workspace(batch["workspace"]).db_url, "nnfw-course") as gb:
        students = {s.id for s in gb.students}
        assert set(batch["results"]) <= students
        assert gb.find_submission(A, "honest").score == 2.0
        assert gb.find_submission(A, "honest2").score == 2.0


@needs_bwrap
@pytest.mark.parametrize(
    ("student", "what"),
    [
        ("gradebook", "gradebook"),
        ("others", "others"),
        ("hidden", "hidden"),
        ("environment", "environment"),
        ("network", "network"),
        ("network", "internet"),
    ],
)
def test_sandbox_blocks_the_attack(batch, student, what):
    output = _graded_output(batch, student)
    assert f"ATTACK {what}: BLOCKED" in output, output
    assert f"ATTACK {what}: SUCCEEDED" not in output
    assert batch["results"][student].score == 0.0


@needs_bwrap
def test_other_students_files_and_the_environment_are_untouched(batch):
    import numpy

    import nnfw.checks

    assert (batch["subs"] / "honest" / f"{NB}.ipynb").read_bytes() == batch["honest_bytes"]
    submitted = batch["workspace"] / "submitted" / "honest" / A / f"{NB}.ipynb"
    assert nbformat.read(submitted, 4).cells  # still a notebook
    assert not (Path(numpy.__file__).parent / "pwned.py").exists()
    assert Path(nnfw.checks.__file__).read_bytes() == batch["checks_bytes"]
    assert batch["connections"] == []  # nobody reached the grader's machine


def test_memory_hog_is_stopped_and_reported(batch):
    for student in ("memoryhog", "bighog"):
        nb = _nb(batch, student)
        text = " ".join(r.text for r in nb.reasons) + " ".join(t.message for t in nb.tasks)
        assert nb.score == 0.0
        assert "memory" in text.lower() or "MemoryError" in text, text


def test_fork_bomb_is_stopped_and_reported(batch):
    nb = _nb(batch, "forkbomb")
    text = " ".join(r.text for r in nb.reasons)
    assert nb.score == 0.0
    assert "more than 32 processes" in text, text


def test_notebook_wall_clock_limit(batch):
    nb = _nb(batch, "slow")
    text = " ".join(r.text for r in nb.reasons) + " ".join(t.message for t in nb.tasks)
    assert "20 s" in text, text
    assert nb.score < 2.0
    assert batch["results"]["slow"].has_problem


@pytest.mark.parametrize("student", TRICKS)
def test_tricks_on_a_blank_notebook_earn_zero(batch, student):
    assert batch["results"][student].score == 0.0, _graded_output(batch, student)


@pytest.mark.parametrize(
    ("student", "named"),
    [
        ("allclose", "numpy.allclose was replaced"),
        ("assertclose", "nnfw.checks.assert_close was replaced"),
        ("isinstance", "builtins.isinstance was replaced"),
        ("builtinsdict", "__builtins__ was replaced"),
        ("sysmodules", "sys.modules['numpy'] was replaced"),
        ("customexc", "exception handler was replaced"),
        ("transformer", "input transformers (post) were changed"),
    ],
)
def test_tampering_is_detected_and_named(batch, student, named):
    nb = _nb(batch, student)
    messages = " ".join(t.message for t in nb.tasks)
    assert named in messages, messages
    assert any(t.status == "tampering" for t in nb.tasks)


def test_removing_the_guard_hooks_does_not_help(batch):
    # the guard gives no verdict; a test that then passes would get "tampering detected",
    # and here the swallowed exception still fails the test (the kernel's reply says error)
    nb = _nb(batch, "unhook")
    assert nb.score == 0.0
    assert all(t.status != "passed" for t in nb.tasks)


def test_parallel_and_serial_give_identical_results(batch, tmp_path):
    picked = ("honest", "blank", "alwaysequal", "allclose")
    subs = tmp_path / "subs"
    for name in picked:
        shutil.copytree(batch["subs"] / name, subs / name)
    workspace = tmp_path / "serial"
    _code, out, _ = _grade(subs, batch["course"], workspace, "--jobs", "1")
    serial = {r.student: r for r in load_results(Workspace(workspace), A)}

    def view(result):
        return [
            (
                n.name,
                n.score,
                n.max,
                [(t.id, t.status, t.message) for t in n.tasks],
                [r.text for r in n.reasons],
            )
            for n in result.notebooks
        ]

    for name in picked:
        assert view(serial[name]) == view(batch["results"][name]), name

    def rows(text):  # the table's rows of these students, column widths aside
        return [" ".join(ln.split()) for ln in text.splitlines() if ln.split(" ")[0] in picked]

    assert rows(out) == rows(batch["out"])


def test_without_bwrap_the_grader_warns_loudly(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_status", lambda: (False, "bwrap is not installed"))
    assert sandbox.resolve_mode("auto") == ("none", "bwrap is not installed")
    with pytest.raises(GradingError, match="bwrap is not installed"):
        sandbox.resolve_mode("bwrap")
    assert sandbox.resolve_mode("none")[0] == "none"
