"""`nnfw check` (the learner's self-check), nbgrader's Validate on learner notebooks, the demo."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from nnfw import cli
from nnfw.authoring.release import generate_assignment
from nnfw.grading.demo import DEMO_ASSIGNMENT, DEMO_DATA

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "grader" / "demo" / "submissions"

pytestmark = [
    pytest.mark.notebook,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


@pytest.fixture(scope="module")
def learner(tmp_path_factory) -> Path:
    """A learner's folder: the blank notebook, a solved one and a broken one."""
    folder = tmp_path_factory.mktemp("learner")
    released = generate_assignment(DEMO_DATA / DEMO_ASSIGNMENT, DEMO_ASSIGNMENT)
    (folder / "blank.ipynb").write_bytes(released["demo_pytorch.ipynb"])
    shutil.copy(SAMPLES / "alice" / "demo_pytorch.ipynb", folder / "solved.ipynb")
    with zipfile.ZipFile(SAMPLES / "carol.zip") as archive:
        (folder / "broken.ipynb").write_bytes(archive.read("carol/demo_pytorch.ipynb"))
        (folder / "truncated.ipynb").write_bytes(archive.read("carol/demo_tensorflow.ipynb"))
    return folder


@pytest.mark.slow
def test_check_solved_notebook_passes(learner, capsys):
    assert cli.main(["check", str(learner / "solved.ipynb"), "--timeout", "30"]) == 0
    out = capsys.readouterr().out
    assert out.count(" passed") == 3
    assert "Visible tests: 4 of 4 points pass (3 of 3 tasks)" in out
    assert "hidden tests" in out


@pytest.mark.slow
def test_check_blank_notebook_is_not_attempted(learner, capsys):
    assert cli.main(["check", str(learner / "blank.ipynb"), "--timeout", "30"]) == 1
    out = capsys.readouterr().out
    assert out.count("not answered yet") == 3
    assert "0 of 3" in out


@pytest.mark.slow
def test_check_broken_notebook_shows_the_failing_message(learner, capsys):
    assert cli.main(["check", str(learner / "broken.ipynb"), "--timeout", "30"]) == 1
    out = capsys.readouterr().out
    assert "Task 1 (1 point): failed - RuntimeError: I gave up on this one" in out
    assert "you changed the locked cell 'task3_tests'" in out


def test_check_usage_errors(learner, tmp_path, capsys):
    assert cli.main(["check", str(tmp_path / "nope.ipynb")]) == 2
    assert "not found" in capsys.readouterr().err
    assert cli.main(["check", str(learner / "truncated.ipynb")]) == 2
    err = capsys.readouterr().err
    assert "is not valid JSON" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_nbgrader_validate_works_on_learner_notebooks(learner):
    """JupyterLab's Validate button runs nbgrader's Validator on course/ notebooks."""
    from nbgrader.validator import Validator

    blank = Validator().validate(str(learner / "blank.ipynb"))
    assert len(blank["failed"]) == 3  # every test fails on a blank notebook
    solved = Validator().validate(str(learner / "solved.ipynb"))
    # Validate (unlike the grader and `nnfw check`) counts stderr as failure: the demo's task 3
    # prints framework-like warnings on purpose, so only that cell may be reported
    for failure in solved.get("failed", []):
        assert "(demo)" in failure["raw_error"]


@pytest.mark.slow
def test_demo_grades_three_students(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # outside the course: the package's demo assignment
    assert cli.main(["grade", "--demo", "--timeout", "30", "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert "demo done" in out
    for line in (
        "alice    demo_pytorch       4.0  4.0  all 3 tasks passed",
        "bob      demo_tensorflow    0.0  4.0  not attempted",
    ):
        assert line in out
    assert "carol" in out
    assert "not valid JSON" in out
    assert "usage" not in capsys.readouterr().err
