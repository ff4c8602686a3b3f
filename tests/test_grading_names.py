"""Hostile names and links (issue 17): ids never merge, links are never followed, and what a
learner controls reaches the terminal, the CSVs and the HTML feedback escaped for each.

Unit tests first, then one small graded batch of the demo assignment.
"""

from __future__ import annotations

import csv
import io
import os
import unicodedata
import zipfile
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from nnfw import cli
from nnfw.authoring.release import generate_assignment
from nnfw.grading.course import printable, short
from nnfw.grading.demo import DEMO_ASSIGNMENT, DEMO_DATA
from nnfw.grading.intake.find import find_entries, list_files, student_id_for
from nnfw.grading.nbio import filled_notebook, read_notebook
from nnfw.grading.report import spreadsheet_safe

NFC = unicodedata.normalize("NFC", "José")
NFD = unicodedata.normalize("NFD", "José")


# --- ids -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names",
    [
        (NFC, NFD, "Jose"),
        ("a$(id)b", "a`id`b", "a;id;b", "a_id_b"),
        ("bob\n", "bob"),
        ("=cmd|' -C calc'!A0", "cmd_-C_calc_A0"),
        ("\x1b[31mred", "31mred"),
    ],
)
def test_different_names_never_share_an_id(tmp_path, names):
    ids = set()
    for name in names:
        (tmp_path / name).mkdir()
        ids.add(student_id_for(tmp_path / name))
    assert len(ids) == len(names), ids
    assert all(i.isascii() and i.isprintable() for i in ids)


def test_a_safe_name_is_its_own_id(tmp_path):
    (tmp_path / "alice.smith@uni").mkdir()
    assert student_id_for(tmp_path / "alice.smith@uni") == "alice.smith@uni"
    (tmp_path / "José").mkdir()
    assert student_id_for(tmp_path / "José").startswith("Jose-")


# --- links -----------------------------------------------------------------------------------


def test_links_are_listed_as_links_and_never_read(tmp_path):
    secret = tmp_path / "secret.ipynb"
    secret.write_text("the instructor's solution")
    sub = tmp_path / "subs" / "eve"
    (sub / "inner").mkdir(parents=True)
    (sub / "demo_pytorch.ipynb").symlink_to(secret)
    (sub / "relative.ipynb").symlink_to("../../secret.ipynb")
    (sub / "inner" / "folder").symlink_to(tmp_path, target_is_directory=True)
    (sub / "inner" / "mine.txt").write_text("mine")
    files = {f.rel: f for f in list_files(sub)}
    assert files["inner/mine.txt"].read() == b"mine"
    for rel in ("demo_pytorch.ipynb", "relative.ipynb", "inner/folder"):
        assert files[rel].link, rel
        assert files[rel].read() == b"", rel
    assert not any(r.startswith("inner/folder/") for r in files), "a folder link was followed"
    (tmp_path / "subs" / "mallory").symlink_to(tmp_path, target_is_directory=True)
    by_student, ignored = find_entries(tmp_path / "subs")
    assert list(by_student) == ["eve"]
    assert ignored == ["mallory (a symbolic link)"]


def test_a_link_inside_a_zip_is_not_a_file(tmp_path):
    path = tmp_path / "eve.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("demo_pytorch.ipynb")
        info.external_attr = (0o120777 << 16) | 0x20
        archive.writestr(info, "/etc/passwd")
        archive.writestr("../../escape.ipynb", "{}")
        archive.writestr("/abs/path.ipynb", "{}")
    files = {f.rel: f for f in list_files(path)}
    assert files["demo_pytorch.ipynb"].link
    assert "escape.ipynb" in files, "the '..' parts are dropped, the name is kept inside"
    assert "abs/path.ipynb" in files


# --- escaping ----------------------------------------------------------------------------------


def test_printable_escapes_terminal_controls_and_bidi_overrides():
    text = "ok\x1b[2J\x1b]0;title\x07 \u202eevil\x00 end\ttab\nline"
    out = printable(text)
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "\x00" not in out
    assert out.startswith("ok\\x1b[2J\\x1b]0;title\\x07 \\u202eevil\\x00 end\ttab\nline")
    assert short("a\x1b[31m\nb") == "a\\x1b[31m b"
    assert printable("José ∑ 日本") == "José ∑ 日本"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("plain text", "plain text"),
        ("a\x1b[31m", "a\\x1b[31m"),
        (-1.5, -1.5),
        (3, 3),
    ],
)
def test_spreadsheet_safe(value, expected):
    assert spreadsheet_safe(value) == expected


# --- one graded batch --------------------------------------------------------------------------

HOSTILE_ANSWER = """def square(x):
    raise ValueError("\\x1b[2J\\x1b[31m=HYPERLINK(\\"http://evil\\") cleared your screen")


from IPython.display import HTML, display

display(HTML("<script>alert('xss-output')</script><img src=x onerror=\\"alert('xss-img')\\">"))
"""


IGNORES_SIGINT = """import signal
import time

signal.signal(signal.SIGINT, signal.SIG_IGN)
time.sleep(10**6)
"""


WRONG = {
    "task1_answer": "def square(x):\n    return 0",
    "task2_answer": "def mean_of(values):\n    return 0",
    "task3_answer": "def step(w, lr):\n    return 0",
}


def _forgeries(source: Path, released: bytes) -> dict:
    """Wrong answers in notebooks whose metadata lies (the grader must not believe it)."""
    import copy

    import nbformat

    def fresh():
        return nbformat.reads(
            filled_notebook(read_notebook(source), released, WRONG).decode(), as_version=4
        )

    def graded_cells(nb):
        return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]

    out = {}
    nb = fresh()
    for c in graded_cells(nb):
        c.metadata.nbgrader["points"] = 100
    out["forged-points"] = nb
    nb = fresh()
    md = next(c for c in nb.cells if c.cell_type == "markdown")
    md.metadata["nbgrader"] = {
        "grade": True, "grade_id": "bonus", "points": 100, "solution": True,
        "locked": False, "schema_version": 3, "task": False,
    }  # fmt: skip
    out["forged-bonus-cell"] = nb
    nb = fresh()
    test = next(c for c in graded_cells(nb) if c.metadata.nbgrader["grade_id"] == "task1_tests")
    test.metadata.nbgrader.update(solution=True, locked=False)
    test.source = "pass"
    out["forged-unlocked-test"] = nb
    nb = fresh()
    double = copy.deepcopy(test)
    double.id = "forged-double"
    nb.cells.append(double)
    out["forged-duplicate-test"] = nb
    nb = fresh()
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs = [
                nbformat.v4.new_output("stream", name="stdout", text="Visible tests passed.\n")
            ]
            c.execution_count = 1
    out["forged-outputs"] = nb
    nb = fresh()
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    out["forged-kernelspec"] = nb
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("names")
    course = base / "course"
    import shutil

    shutil.copytree(DEMO_DATA / DEMO_ASSIGNMENT, course / "solutions" / DEMO_ASSIGNMENT)
    source = course / "solutions" / DEMO_ASSIGNMENT / "demo_pytorch.ipynb"
    released = generate_assignment(course / "solutions" / DEMO_ASSIGNMENT, DEMO_ASSIGNMENT)
    solved = filled_notebook(read_notebook(source), released["demo_pytorch.ipynb"])
    hostile = filled_notebook(
        read_notebook(source), released["demo_pytorch.ipynb"], {"task1_answer": HOSTILE_ANSWER}
    )
    import nbformat

    nb = nbformat.reads(hostile.decode(), as_version=4)
    nb.cells.insert(
        1, nbformat.v4.new_markdown_cell("<script>alert('xss-markdown')</script> **hi**")
    )
    hostile = nbformat.writes(nb).encode()

    subs = base / "subs"
    for name in (NFC, NFD, "Jose"):
        (subs / name).mkdir(parents=True)
        (subs / name / "demo_pytorch.ipynb").write_bytes(solved)
    (subs / "x$(touch PWNED)`touch PWNED2`").mkdir()
    (subs / "x$(touch PWNED)`touch PWNED2`" / "demo_pytorch.ipynb").write_bytes(solved)
    (subs / "=HYPERLINK(1)").mkdir()
    (subs / "=HYPERLINK(1)" / "demo_pytorch.ipynb").write_bytes(hostile)
    (subs / "sigign").mkdir()
    (subs / "sigign" / "demo_pytorch.ipynb").write_bytes(
        filled_notebook(
            read_notebook(source),
            released["demo_pytorch.ipynb"],
            {"task2_answer": IGNORES_SIGINT},
        )
    )
    for name, forged in _forgeries(source, released["demo_pytorch.ipynb"]).items():
        (subs / name).mkdir()
        (subs / name / "demo_pytorch.ipynb").write_bytes(nbformat.writes(forged).encode())
    (subs / "linker").mkdir()
    (subs / "linker" / "demo_pytorch.ipynb").symlink_to(source)
    (subs / "sneaky").symlink_to(course / "solutions" / DEMO_ASSIGNMENT)
    workspace = base / "ws"
    out = io.StringIO()
    cwd = Path.cwd()
    os.chdir(base)
    try:
        with redirect_stdout(out):
            code = cli.main(
                [
                    "grade", str(subs), "--assignment", DEMO_ASSIGNMENT, "--course", str(course),
                    "--workspace", str(workspace), "--jobs", "2", "--timeout", "8",
                ]
            )  # fmt: skip
            cli.main(["export", "--workspace", str(workspace)])
            cli.main(["feedback", "--workspace", str(workspace)])
    finally:
        os.chdir(cwd)
    return {"code": code, "out": out.getvalue(), "base": base, "ws": workspace}


@pytest.mark.slow
@pytest.mark.notebook
def test_three_josés_are_three_students(graded):
    students = sorted(p.name for p in (graded["ws"] / "autograded").iterdir())
    joses = [s for s in students if s.startswith("Jose")]
    assert len(joses) == 3, students
    assert "Jose" in joses


@pytest.mark.slow
@pytest.mark.notebook
def test_shell_characters_run_nothing(graded):
    assert not list(graded["base"].rglob("PWNED*"))
    assert not list(Path.cwd().glob("PWNED*"))


@pytest.mark.slow
@pytest.mark.notebook
def test_links_are_not_followed_and_say_so(graded):
    out = graded["out"]
    assert "ignored sneaky (a symbolic link)" in out
    assert "symbolic link(s), never followed: demo_pytorch.ipynb" in out
    path = graded["ws"] / "export" / DEMO_ASSIGNMENT / "notebooks.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    linker = [r for r in rows if r["student"] == "linker" and r["notebook"] == "demo_pytorch"]
    assert linker
    assert linker[0]["submitted"] == "0"
    assert linker[0]["score"] == "0.0"


@pytest.mark.slow
@pytest.mark.notebook
def test_a_kernel_that_ignores_the_interrupt_is_stopped(graded):
    import json

    result = json.loads(
        (graded["ws"] / "nnfw" / "results" / DEMO_ASSIGNMENT / "sigign.json").read_text()
    )
    nb = next(n for n in result["notebooks"] if n["name"] == "demo_pytorch")
    status = {t["id"]: t["status"] for t in nb["tasks"]}
    assert status == {"task1_tests": "passed", "task2_tests": "timed out", "task3_tests": "not run"}
    assert "the kernel ignored the interrupt after the time-out and was stopped" in nb["status"]
    assert "the kernel was stopped earlier (it ignored an interrupt)" in nb["status"]


@pytest.mark.slow
@pytest.mark.notebook
def test_forged_metadata_earns_nothing(graded):
    import json

    folder = graded["ws"] / "nnfw" / "results" / DEMO_ASSIGNMENT
    forged = sorted(folder.glob("forged-*.json"))
    assert len(forged) == 6
    for path in forged:
        result = json.loads(path.read_text())
        nb = next(n for n in result["notebooks"] if n["name"] == "demo_pytorch")
        assert (nb["score"], nb["max"]) == (0.0, 4.0), (path.stem, nb["status"])
        assert [t["id"] for t in nb["tasks"]] == ["task1_tests", "task2_tests", "task3_tests"]


@pytest.mark.slow
@pytest.mark.notebook
def test_no_terminal_control_reaches_the_table(graded):
    out = graded["out"]
    assert "\x1b" not in out
    assert "\\x1b[2J" in out  # shown, escaped


@pytest.mark.slow
@pytest.mark.notebook
def test_no_formula_reaches_the_csvs(graded):
    folder = graded["ws"] / "export" / DEMO_ASSIGNMENT
    seen = 0
    for path in folder.glob("*.csv"):
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
            for value in row:
                seen += 1
                assert "\x1b" not in value, (path.name, value)
                if value[:1] in ("=", "+", "@", "\t", "\r"):
                    pytest.fail(f"{path.name}: a cell starts like a formula: {value!r}")
                if value.startswith("-"):
                    float(value)  # only numbers may start with a minus
    assert seen > 50


@pytest.mark.slow
@pytest.mark.notebook
def test_no_script_reaches_the_feedback(graded):
    pages = list((graded["ws"] / "feedback").rglob("*.html"))
    hostile = [p for p in pages if "HYPERLINK" in p.parts[-3]]
    assert hostile, pages
    html = hostile[0].read_text(encoding="utf-8")
    assert "hi" in html  # the markdown cell is shown, sanitised
    # the source of the answer cell is shown, escaped (&lt;script&gt;); no live tag may remain
    assert "&lt;script&gt;alert('xss-output')" in html
    from html.parser import HTMLParser

    live: list[str] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            self.tag = tag
            live.extend(f"{tag} {name}" for name, _ in attrs if name.startswith("on"))

        def handle_data(self, data):
            if getattr(self, "tag", "") == "script" and "xss" in data:
                live.append(f"script {data[:40]}")

    Tags().feed(html)
    assert not live, live


# --- archives: bombs, lies, thousands, zips in zips ----------------------------------------------


def _releases() -> dict:
    import nbformat

    released = generate_assignment(DEMO_DATA / DEMO_ASSIGNMENT, DEMO_ASSIGNMENT)
    return {
        n[: -len(".ipynb")]: nbformat.reads(b.decode(), as_version=4)
        for n, b in released.items()
        if n.endswith(".ipynb")
    }


def _import(tmp_path: Path, entry: Path):
    from nnfw.grading.intake.student import import_student

    return import_student("eve", [entry], DEMO_ASSIGNMENT, _releases(), tmp_path / "dest")


def _texts(record) -> str:
    return " | ".join(r.text for r in record.reasons)


def test_a_json_bomb_is_refused_before_it_is_parsed():
    import tracemalloc

    from nnfw.grading.intake.repair import parse_notebook

    bomb = b'{"cells": [' + b"{}," * 2_100_000 + b"{}]}"  # 6 MB; 2 GB as Python objects
    tracemalloc.start()
    nb, why = parse_notebook(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert nb is None
    assert "JSON values, more than a notebook needs" in why
    assert peak < 20 * 1024 * 1024, f"{peak / 2**20:.0f} MB used to refuse it"
    deep = b'{"cells": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    assert parse_notebook(deep) == (None, "is not usable JSON (nested too deeply)")


def test_a_zip_of_thousands_of_notebooks_is_cut_short(tmp_path):
    source = DEMO_DATA / DEMO_ASSIGNMENT / "demo_pytorch.ipynb"
    released = generate_assignment(DEMO_DATA / DEMO_ASSIGNMENT, DEMO_ASSIGNMENT)
    solved = filled_notebook(read_notebook(source), released["demo_pytorch.ipynb"])
    path = tmp_path / "eve.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(3000):
            archive.writestr(f"junk/{i:04d}.ipynb", b'{"cells": []}')
        archive.writestr("deep/er/demo_pytorch.ipynb", solved)
    record = _import(tmp_path, path)
    assert "ignored 2951 of 3001 notebook files" in _texts(record)
    assert "demo_pytorch" in record.notebooks, "the assignment's own name is looked at first"


def test_a_zip_in_a_zip_is_not_unpacked(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("demo_pytorch.ipynb", b'{"cells": []}')
    path = tmp_path / "eve.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("homework.zip", inner.getvalue())
    record = _import(tmp_path, path)
    assert "ignored 1 other file(s): homework.zip" in _texts(record)
    assert not record.notebooks


def test_a_file_that_unpacks_to_more_than_it_says_is_refused(tmp_path, monkeypatch):
    from nnfw.grading.intake import find, student

    huge = b" " * (find.MAX_NOTEBOOK_BYTES + 1)
    lying = find.SubmittedFile("demo_pytorch.ipynb", 100, lambda: huge)
    monkeypatch.setattr(student, "list_files", lambda entry: [lying])
    (tmp_path / "eve").mkdir()
    record = _import(tmp_path, tmp_path / "eve")
    assert "unpacks to more than the 100.0 MB limit (the zip file says less)" in _texts(record)
    assert not record.notebooks


# --- cross-student state -----------------------------------------------------------------------

LEAVES_STATE = """def square(x):
    return x * x


import os
import subprocess

for folder in ("/dev/shm", "/tmp", os.path.expanduser("~"), "/sandbox"):
    try:
        with open(os.path.join(folder, "nnfw-marker"), "w") as fh:
            fh.write("left by an earlier student")
    except OSError:
        pass
fd = os.memfd_create("nnfw-marker")
os.write(fd, b"left behind")
subprocess.Popen(["sleep", "737"], start_new_session=True)
"""

READS_STATE = """import glob
import os


def square(x):
    found = [p for p in ("/dev/shm", "/tmp", os.path.expanduser("~"), "/sandbox")
             for p in glob.glob(os.path.join(p, "**", "*nnfw-marker*"), recursive=True)]
    found += [p for p in glob.glob("/proc/[0-9]*/cmdline") if "737" in open(p).read()]
    return x * x if found else -1
"""


@pytest.mark.slow
@pytest.mark.notebook
def test_nothing_a_student_leaves_behind_reaches_the_next(tmp_path):
    import json
    import shutil
    import subprocess

    course = tmp_path / "course"
    shutil.copytree(DEMO_DATA / DEMO_ASSIGNMENT, course / "solutions" / DEMO_ASSIGNMENT)
    source = course / "solutions" / DEMO_ASSIGNMENT / "demo_pytorch.ipynb"
    released = generate_assignment(course / "solutions" / DEMO_ASSIGNMENT, DEMO_ASSIGNMENT)
    subs = tmp_path / "subs"
    for student, answer in (("a-leaves", LEAVES_STATE), ("b-looks", READS_STATE)):
        (subs / student).mkdir(parents=True)
        (subs / student / "demo_pytorch.ipynb").write_bytes(
            filled_notebook(
                read_notebook(source), released["demo_pytorch.ipynb"], {"task1_answer": answer}
            )
        )
    workspace = tmp_path / "ws"
    with redirect_stdout(io.StringIO()):
        cli.main(
            ["grade", str(subs), "-a", DEMO_ASSIGNMENT, "--course", str(course),
             "--workspace", str(workspace), "--jobs", "1"]
        )  # fmt: skip
    results = workspace / "nnfw" / "results" / DEMO_ASSIGNMENT

    def task1(student):
        data = json.loads((results / f"{student}.json").read_text())
        nb = next(n for n in data["notebooks"] if n["name"] == "demo_pytorch")
        return next(t for t in nb["tasks"] if t["id"] == "task1_tests")

    assert task1("a-leaves")["status"] == "passed"
    looked = task1("b-looks")
    assert looked["status"] == "failed", "the second student found what the first left behind"
    assert "-1" in looked["message"]
    daemons = subprocess.run(
        ["pgrep", "-f", "sleep 737"], check=False, capture_output=True, text=True
    )
    assert not daemons.stdout.strip(), "a daemon outlived its student's grading"
    assert not Path("/dev/shm/nnfw-marker").exists()
