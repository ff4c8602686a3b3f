"""Written answers, graded by hand, end to end: release -> grade -> formgrader -> export/feedback.

A copy of the package's tiny ``00-demo`` assignment gets a written task (a graded markdown
answer cell, as in 04-overfitting and 05-lab) in both notebooks. Then, in one workspace:

1. ``nnfw release`` gives the learner a stub that names the task; ``check_my_work`` and
   ``nnfw check`` call an untouched one "not answered yet" and a filled-in one "written:
   graded by your instructor", not a failure;
2. ``nnfw grade`` reports the written answer as "awaiting manual grading" (a note, not a
   problem: exit 0), marks the score provisional with ``*`` in the table and ``provisional``
   in the result and ``students.csv``; a blank notebook's written answer is "not attempted";
3. the instructor enters a score and a comment through formgrader's own REST API, on a real
   ``jupyter server`` with nbgrader's formgrader extension started in the workspace;
4. ``nnfw export`` counts the manual score (no longer provisional), ``nnfw feedback`` shows
   it and the comment;
5. re-grading the same submission keeps the manual grade; re-grading a changed answer drops it
   and says so.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest

from nnfw import cli
from nnfw.authoring.release import generate_assignment
from nnfw.grading.course import Workspace
from nnfw.grading.demo import DEMO_ASSIGNMENT, DEMO_DATA
from nnfw.grading.nbio import filled_notebook, read_notebook
from nnfw.grading.report import PROVISIONAL_NOTE
from nnfw.grading.results import load_results
from nnfw.grading.score import AWAITING_MANUAL, GRADED_BY_HAND
from nnfw.learner.selfcheck import WRITTEN, WRITTEN_STUB, report

pytestmark = [
    pytest.mark.slow,
    pytest.mark.notebook,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

NAMES = ("demo_pytorch", "demo_tensorflow")
TASK = "task4_in_words"
POINTS = 3
MODEL_ANSWER = "A model answer: squaring is multiplying a number by itself."
ANSWER = "Squaring multiplies a number by itself, so the result is never negative."
CHANGED = "I changed my mind: squaring doubles a number."


def _written_task(nb: nbformat.NotebookNode) -> None:
    """Add Task 4, a written answer graded by hand, after the last task."""
    text = nbformat.v4.new_markdown_cell(
        f"### Task 4: in your own words ({POINTS} points, graded by hand)\n\n"
        "Say in one or two sentences what squaring does."
    )
    text.id = "task4-text"
    answer = nbformat.v4.new_markdown_cell(MODEL_ANSWER)
    answer.id = "task4-in-words"
    answer.metadata["nbgrader"] = {
        "grade": True,
        "solution": True,
        "locked": False,
        "points": POINTS,
        "grade_id": TASK,
        "schema_version": 3,
        "task": False,
    }
    nb.cells += [text, answer]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    source = root / "solutions" / DEMO_ASSIGNMENT
    shutil.copytree(DEMO_DATA / DEMO_ASSIGNMENT, source)
    for name in NAMES:
        path = source / f"{name}.ipynb"
        nb = nbformat.read(path, as_version=4)
        _written_task(nb)
        nbformat.write(nb, path)
    return root


@pytest.fixture(scope="module")
def released(course) -> dict[str, bytes]:
    return generate_assignment(course / "solutions" / DEMO_ASSIGNMENT, DEMO_ASSIGNMENT)


def _nb(data: bytes) -> nbformat.NotebookNode:
    return nbformat.reads(data.decode(), as_version=4)


def _cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _submission(course, released, written: str | None, name="demo_pytorch") -> bytes:
    """The full solution of ``name``, its written answer ``written`` (None: left blank)."""
    nb = _nb(
        filled_notebook(
            read_notebook(course / "solutions" / DEMO_ASSIGNMENT / f"{name}.ipynb"),
            released[f"{name}.ipynb"],
        )
    )
    _cell(nb, TASK).source = (
        written if written is not None else _cell(_nb(released[f"{name}.ipynb"]), TASK).source
    )
    return nbformat.writes(nb).encode()


def _grade(course, folder: Path) -> tuple[int, str]:
    out = io.StringIO()
    args = ["grade", str(folder), "--assignment", DEMO_ASSIGNMENT, "--course", str(course)]
    with redirect_stdout(out):
        code = cli.main([*args, "--timeout", "30", "--jobs", "2"])
    return code, out.getvalue()


def _results(course) -> dict:
    return {r.student: r for r in load_results(Workspace(course / "grading"), DEMO_ASSIGNMENT)}


def _task(result, task=TASK, notebook="demo_pytorch"):
    nb = next(n for n in result.notebooks if n.name == notebook)
    return next(t for t in nb.tasks if t.id == task)


def _rows(out: str) -> dict[str, str]:
    """The table's demo_pytorch row of each student."""
    return {
        line.split()[0]: line
        for line in out.splitlines()
        if len(line.split()) > 1 and line.split()[1] == "demo_pytorch"
    }


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def graded(course, released, tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    for student, written in (("writer", ANSWER), ("changer", ANSWER), ("silent", None)):
        (subs / student).mkdir()
        (subs / student / "demo_pytorch.ipynb").write_bytes(_submission(course, released, written))
    (subs / "blank").mkdir()
    (subs / "blank" / "demo_pytorch.ipynb").write_bytes(released["demo_pytorch.ipynb"])
    code, out = _grade(course, subs)
    return {"code": code, "out": out, "results": _results(course), "subs": subs}


# --- 1. the learner's side ------------------------------------------------------------------


def test_release_gives_a_stub_that_names_the_task(released):
    cell = _cell(_nb(released["demo_pytorch.ipynb"]), TASK)
    assert cell.cell_type == "markdown"
    assert cell.source == WRITTEN_STUB.format(task=4)
    assert MODEL_ANSWER not in released["demo_pytorch.ipynb"].decode()
    assert "raises-exception" not in cell.metadata.get("tags", [])


def test_check_my_work_lists_the_written_answer(course, released, tmp_path):
    path = tmp_path / "demo_pytorch.ipynb"
    path.write_bytes(released["demo_pytorch.ipynb"])
    text, lines = report(path)
    line = next(x for x in lines if x.grade_id == TASK)
    assert (line.task, line.status) == (4, "not answered yet")
    assert "graded by your instructor" in text
    assert "Visible tests: 0 of 4 points" in text  # the written 3 points are not "tests"
    path.write_bytes(_submission(course, released, ANSWER))
    _text, lines = report(path)
    assert next(x for x in lines if x.grade_id == TASK).status == WRITTEN


def test_nnfw_check_does_not_fail_a_written_answer(course, released, tmp_path, capsys):
    path = tmp_path / "demo_pytorch.ipynb"
    path.write_bytes(_submission(course, released, ANSWER))
    assert cli.main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"Task 4 ({POINTS} points): {WRITTEN}" in out
    assert "4 of 4 points pass (3 of 3 tasks)" in out
    path.write_bytes(_submission(course, released, None))
    assert cli.main(["check", str(path)]) == 1  # not done: the written answer is blank
    assert f"Task 4 ({POINTS} points): not answered yet" in capsys.readouterr().out


# --- 2. nnfw grade ------------------------------------------------------------------------------


def test_grade_reports_awaiting_manual_grading_not_a_problem(graded):
    assert graded["code"] == 0, graded["out"]
    writer = graded["results"]["writer"]
    task = _task(writer)
    assert (task.status, task.score, task.max) == (AWAITING_MANUAL, 0.0, POINTS)
    assert writer.provisional
    assert writer.score == 4.0
    assert not writer.has_problem
    nb = writer.notebooks[0]
    assert (
        "1 written answer(s) awaiting manual grading (task4_in_words): score provisional"
        in nb.status()
    )
    assert "all 3 tasks passed" in nb.status()


def test_table_marks_provisional_scores(graded):
    rows = _rows(graded["out"])
    assert "4.0*" in rows["writer"]
    assert "awaiting manual grading" in rows["writer"]
    assert PROVISIONAL_NOTE in graded["out"]
    assert "*" not in rows["blank"].split("demo_pytorch")[1].split()[0]


def test_blank_written_answers_are_not_attempted(graded):
    for student in ("blank", "silent"):
        result = graded["results"][student]
        assert _task(result).status == "not attempted", student
        assert not result.provisional
    assert graded["results"]["silent"].score == 4.0
    assert graded["results"]["blank"].score == 0.0


# --- 3. formgrader ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Formgrader:
    """A real ``jupyter server`` with nbgrader's formgrader, started in the workspace."""

    def __init__(self, workspace: Path, home: Path) -> None:
        self.port, self.token = _free_port(), secrets.token_hex(16)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY"))}
        env |= {
            "HOME": str(home),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "IPYTHONDIR": str(home / "ipython"),
        }
        self.log = home / "server.log"
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "server",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={workspace}",
            "--ServerApp.jpserver_extensions={'nbgrader.server_extensions.formgrader': True}",
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=workspace, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                self.request("GET", "/formgrader/api/assignments")
                break
            except (OSError, urllib.error.URLError) as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    pytest.fail(
                        f"formgrader did not start ({exc}):\n{self.log.read_text()[-3000:]}"
                    )
                time.sleep(0.5)

    def request(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def manual(course, graded, tmp_path_factory):
    """Enter 2 of 3 points and a comment for writer and changer, through formgrader's API."""
    server = Formgrader(course / "grading", tmp_path_factory.mktemp("home"))
    try:
        entered = {}
        for student in ("writer", "changer"):
            submissions = server.request(
                "GET", f"/formgrader/api/student_notebook_submissions/{student}/{DEMO_ASSIGNMENT}"
            )
            notebook = next(s for s in submissions if s["name"] == "demo_pytorch")
            grades = server.request("GET", f"/formgrader/api/grades?submission_id={notebook['id']}")
            grade = next(g for g in grades if g["name"] == TASK)
            assert grade["needs_manual_grade"], grade
            assert grade["auto_score"] is None
            saved = server.request(
                "PUT", f"/formgrader/api/grade/{grade['id']}", {"manual_score": 2}
            )
            assert (saved["manual_score"], saved["needs_manual_grade"]) == (2, False)
            comments = server.request(
                "GET", f"/formgrader/api/comments?submission_id={notebook['id']}"
            )
            comment = next(c for c in comments if c["name"] == TASK)
            remark = f"Good start, {student}; say why it is never negative."
            server.request(
                "PUT", f"/formgrader/api/comment/{comment['id']}", {"manual_comment": remark}
            )
            entered[student] = remark
    finally:
        server.close()
    return entered


def test_export_counts_the_manual_grade(course, manual):
    assert cli.main(["export", "--workspace", str(course / "grading")]) == 0
    out_dir = course / "grading" / "export" / DEMO_ASSIGNMENT
    students = {r["student"]: r for r in _csv(out_dir / "students.csv")}
    assert (students["writer"]["score"], students["writer"]["max"]) == ("6.0", "7.0")
    assert students["writer"]["provisional"] == "0"
    assert (students["blank"]["score"], students["blank"]["provisional"]) == ("0.0", "0")
    tasks = [
        r for r in _csv(out_dir / "tasks.csv") if r["student"] == "writer" and r["task"] == TASK
    ]
    assert [(r["score"], r["status"], r["manual_score"]) for r in tasks] == [
        ("2.0", GRADED_BY_HAND, "2.0")
    ]


def test_feedback_shows_the_manual_grade_and_comment(course, manual):
    assert (
        cli.main(["feedback", "--workspace", str(course / "grading"), "--student", "writer"]) == 0
    )
    html = (
        course / "grading" / "feedback" / "writer" / DEMO_ASSIGNMENT / "demo_pytorch.html"
    ).read_text()
    assert ANSWER in html
    assert manual["writer"] in html
    import re

    text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\s+", " ", text)
    assert "Score: 6.0 / 7.0" in text, text[:400]  # the notebook's total, manual grade in
    assert "(Score: 2.0 / 3.0)" in text  # the written answer's own line


# --- 5. re-grading ------------------------------------------------------------------------------


def test_regrading_keeps_manual_grades_of_unchanged_answers(course, released, manual, tmp_path):
    (tmp_path / "writer").mkdir()
    (tmp_path / "writer" / "demo_pytorch.ipynb").write_bytes(_submission(course, released, ANSWER))
    (tmp_path / "changer").mkdir()
    (tmp_path / "changer" / "demo_pytorch.ipynb").write_bytes(
        _submission(course, released, CHANGED)
    )
    code, out = _grade(course, tmp_path)
    assert code == 0, out
    results = _results(course)
    kept = _task(results["writer"])
    assert (kept.status, kept.score) == (GRADED_BY_HAND, 2.0)
    assert (results["writer"].score, results["writer"].provisional) == (6.0, False)
    rows = _rows(out)
    assert "6.0" in rows["writer"]
    assert "6.0*" not in rows["writer"]
    dropped = _task(results["changer"])
    assert (dropped.status, dropped.score) == (AWAITING_MANUAL, 0.0)
    assert results["changer"].provisional
    assert "task4_in_words: the answer changed since it was graded by hand; grade it again" in (
        results["changer"].notebooks[0].status()
    )
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'grading' / 'gradebook.db'}") as gb:
        writer = gb.find_grade(TASK, "demo_pytorch", DEMO_ASSIGNMENT, "writer")
        changer = gb.find_grade(TASK, "demo_pytorch", DEMO_ASSIGNMENT, "changer")
        remark = gb.find_comment(TASK, "demo_pytorch", DEMO_ASSIGNMENT, "writer")
        assert (writer.manual_score, writer.needs_manual_grade) == (2.0, False)
        assert (changer.manual_score, changer.needs_manual_grade) == (None, True)
        assert remark.manual_comment == manual["writer"]
