"""`nnfw release`: deterministic, no solutions or hidden tests leak, `--check` finds drift.

Parametrized over every assignment in solutions/ plus the package's demo assignment.
"""

from __future__ import annotations

import json
import re
import runpy
import shutil
from pathlib import Path

import pytest

from nnfw import cli
from nnfw.authoring.release import generate_assignment, release
from nnfw.grading.course import Course, list_assignments
from nnfw.grading.demo import DEMO_ASSIGNMENT, DEMO_DATA, sample_submissions

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [(DEMO_DATA, DEMO_ASSIGNMENT)] + [
    (ROOT / "solutions", name) for name in list_assignments(ROOT / "solutions")
]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _course(tmp_path: Path, *assignments: str) -> Course:
    (tmp_path / "solutions").mkdir()
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "README.md").write_text("learner notebooks\n")
    for name in assignments:
        shutil.copytree(DEMO_DATA / DEMO_ASSIGNMENT, tmp_path / "solutions" / name)
    return Course(tmp_path)


def _blocks(source: str, begin: str, end: str) -> list[str]:
    pattern = re.compile(
        rf"^[ \t]*### {begin}[^\n]*\n(.*?)^[ \t]*### {end}", re.DOTALL | re.MULTILINE
    )
    return [m.group(1).strip() for m in pattern.finditer(source)]


@pytest.mark.parametrize(("source_root", "assignment"), SOURCES, ids=[a for _, a in SOURCES])
def test_released_notebooks_hide_solutions_and_hidden_tests(source_root, assignment):
    released = generate_assignment(source_root / assignment, assignment)
    sources = sorted((source_root / assignment).glob("*.ipynb"))
    assert sorted(p for p in released if p.endswith(".ipynb")) == [p.name for p in sources]
    for path in sources:
        text = released[path.name].decode("utf-8")
        assert text.endswith("}\n")
        nb = json.loads(text)
        source_nb = json.loads(path.read_text(encoding="utf-8"))
        all_source = "\n".join("".join(c["source"]) for c in source_nb["cells"])
        hidden = _blocks(all_source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
        solutions = _blocks(all_source, "BEGIN SOLUTION", "END SOLUTION")
        assert solutions, f"{path.name} has no ### BEGIN SOLUTION blocks"
        released_source = "\n".join("".join(c["source"]) for c in nb["cells"])
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
            assert marker not in released_source, f"{path.name}: {marker!r} leaked"
        for block in hidden + solutions:
            assert block not in released_source, f"{path.name} leaks:\n{block}"
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == []
                assert cell["execution_count"] is None


def test_release_is_byte_identical_twice(tmp_path):
    course = _course(tmp_path, "00-demo", "01-copy")
    first = release(course)
    assert sorted(first.written) == [
        "course/00-demo/demo_pytorch.ipynb",
        "course/00-demo/demo_tensorflow.ipynb",
        "course/01-copy/demo_pytorch.ipynb",
        "course/01-copy/demo_tensorflow.ipynb",
    ]
    snapshot = {p: p.read_bytes() for p in (tmp_path / "course").rglob("*.ipynb")}
    second = release(course)
    assert second.written == []
    assert len(second.unchanged) == 4
    assert {p: p.read_bytes() for p in snapshot} == snapshot
    assert (tmp_path / "course" / "README.md").read_text() == "learner notebooks\n"


def test_release_check_names_drifted_files(tmp_path, capsys):
    course = _course(tmp_path, "00-demo")
    args = ["release", "--check", "--course", str(tmp_path)]
    assert cli.main(args) == 1  # nothing released yet
    assert "course/00-demo/demo_pytorch.ipynb: missing" in capsys.readouterr().out
    assert cli.main(["release", "--course", str(tmp_path)]) == 0
    assert cli.main(args) == 0
    assert "up to date" in capsys.readouterr().out

    edited = course.release_dir / "00-demo" / "demo_tensorflow.ipynb"
    edited.write_text(edited.read_text().replace("YOUR CODE HERE", "my answer"))
    (course.release_dir / "00-demo" / "notes.txt").write_text("stale\n")
    shutil.copytree(course.release_dir / "00-demo", course.release_dir / "99-gone")
    assert cli.main(args) == 1
    out = capsys.readouterr().out
    assert "course/00-demo/demo_tensorflow.ipynb: differs" in out
    assert "course/00-demo/notes.txt: not generated from solutions/ (stale)" in out
    assert "course/99-gone/: has no source in solutions/" in out
    assert "course/00-demo/demo_pytorch.ipynb" not in out
    assert "Run `nnfw release`" in out

    # the edited answer is a learner's work: only --force replaces it (test_learner.py)
    assert cli.main(["release", "--course", str(tmp_path), "--force"]) == 0
    assert not (course.release_dir / "99-gone").exists()
    assert not (course.release_dir / "00-demo" / "notes.txt").exists()
    assert cli.main(args) == 0


def test_release_check_passes_with_no_assignments(tmp_path, capsys):
    _course(tmp_path)
    assert cli.main(["release", "--check", "--course", str(tmp_path)]) == 0
    assert "no assignments" in capsys.readouterr().out


def test_course_is_in_sync_with_solutions(capsys):
    """The committed course/ is what `nnfw release` makes from solutions/."""
    code = cli.main(["release", "--check", "--course", str(ROOT)])
    assert code == 0, capsys.readouterr().out


def test_release_usage_errors(tmp_path, capsys):
    _course(tmp_path, "00-demo")
    assert cli.main(["release", "05-lab", "--course", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown assignment(s): 05-lab" in err
    assert "00-demo" in err
    assert cli.main(["release", "--course", str(tmp_path / "nowhere")]) == 2
    assert "no `solutions/` folder" in capsys.readouterr().err


def test_broken_source_notebook_is_a_clear_error(tmp_path, capsys):
    course = _course(tmp_path, "00-demo")
    path = course.source_dir / "00-demo" / "demo_pytorch.ipynb"
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:  # two cells with one grade id: nbgrader refuses
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "task2_tests":
            cell["metadata"]["nbgrader"]["grade_id"] = "task1_tests"
    path.write_text(json.dumps(nb))
    assert cli.main(["release", "--course", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "could not generate assignment '00-demo'" in err
    assert "Traceback" not in err


def test_demo_fixture_and_samples_are_in_sync():
    """The committed fixture and sample submissions are what grader/demo/make_fixture.py writes."""
    maker = runpy.run_path(str(ROOT / "grader" / "demo" / "make_fixture.py"))
    from nnfw.grading.nbio import notebook_bytes

    for name, track in (("demo_pytorch", "PyTorch"), ("demo_tensorflow", "TensorFlow")):
        committed = (DEMO_DATA / DEMO_ASSIGNMENT / f"{name}.ipynb").read_bytes()
        assert committed == notebook_bytes(maker["demo_notebook"](track)), (
            "run `python grader/demo/make_fixture.py`"
        )
    samples = ROOT / "grader" / "demo" / "submissions"
    for rel, data in sample_submissions(DEMO_DATA / DEMO_ASSIGNMENT).items():
        assert (samples / rel).read_bytes() == data, "run `python grader/demo/make_fixture.py`"


def test_help_lists_grading_commands(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("release", "grade", "feedback", "export", "check", "doctor"):
        assert command in out
