"""The learner's path: `nnfw start`, a release that never destroys work, the self-check.

* ``nnfw start`` copies the course into a work folder and never overwrites a file there;
  it refuses folders inside ``course/`` or ``solutions/`` and keeps its folder out of git.
* The learner JupyterLab set-up switches off nbgrader's instructor tools and the news pop-up
  (the ids are checked against the installed extensions, so a rename fails here).
* ``nnfw release`` refuses to replace a ``course/`` notebook that holds answers or outputs
  (exit 1, naming them), and ``--force`` keeps a backup.
* In a kernel, an unanswered task says "Task N: not answered yet" in one line, later cells
  still run, and ``nnfw.check_my_work()`` prints one line per task (passed / failed with the
  message / not answered yet / not run yet), the points and the total.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nnfw import cli
from nnfw.authoring.notebooks import execute
from nnfw.authoring.release import RUNS_ON_TAG, generate_assignment, holds_work, release
from nnfw.grading.course import Course
from nnfw.grading.demo import DEMO_ASSIGNMENT, DEMO_DATA
from nnfw.learner.selfcheck import task_number
from nnfw.learner.start import LEARNER_CONFIG, StartError, lab_command, start

ROOT = Path(__file__).resolve().parents[1]
VENV_SHARE = Path(sys.prefix) / "share" / "jupyter"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _course_root(tmp_path: Path) -> Path:
    """A course root with the demo assignment released into course/."""
    root = tmp_path / "repo"
    (root / "solutions").mkdir(parents=True)
    shutil.copytree(DEMO_DATA / DEMO_ASSIGNMENT, root / "solutions" / DEMO_ASSIGNMENT)
    (root / "course").mkdir()
    (root / "course" / "README.md").write_text("# The course\n")
    release(Course(root))
    return root


# --- nnfw start ---------------------------------------------------------------------------------


def test_start_copies_the_course_and_never_overwrites(tmp_path):
    root = _course_root(tmp_path)
    work = tmp_path / "mywork"
    first = start(work, course_root=root)
    assert sorted(first.copied) == [
        "00-demo/demo_pytorch.ipynb",
        "00-demo/demo_tensorflow.ipynb",
        "README.md",
    ]
    mine = work / "00-demo" / "demo_pytorch.ipynb"
    mine.write_text(mine.read_text().replace("YOUR CODE HERE", "my answer"))
    (work / "00-demo" / "demo_tensorflow.ipynb").unlink()  # deleted: comes back
    again = start(work, course_root=root)
    assert again.copied == ["00-demo/demo_tensorflow.ipynb"]
    assert sorted(again.kept) == ["00-demo/demo_pytorch.ipynb", "README.md"]
    assert "my answer" in mine.read_text()


def test_start_command_reports_copied_and_kept(tmp_path, capsys, monkeypatch):
    root = _course_root(tmp_path)
    monkeypatch.chdir(root)
    assert cli.main(["start", "--no-lab"]) == 0
    out = capsys.readouterr().out
    assert f"your work folder: {root / 'work'}" in out
    assert "copied 3 file(s)" in out
    assert cli.main(["start", "--no-lab"]) == 0
    out = capsys.readouterr().out
    assert "kept 3 file(s) already there" in out
    assert "copied" not in out


@pytest.mark.parametrize("inside", ["course", "course/00-demo", "solutions"])
def test_start_refuses_the_instructors_folders(tmp_path, inside, capsys, monkeypatch):
    root = _course_root(tmp_path)
    with pytest.raises(StartError, match="regenerates"):
        start(root / inside, course_root=root)
    monkeypatch.chdir(root)
    assert cli.main(["start", str(root / inside), "--no-lab"]) == 2
    assert "would be lost" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_start_keeps_the_work_folder_out_of_git(tmp_path):
    root = _course_root(tmp_path)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    result = start(course_root=root)
    assert result.work == (root / "work").resolve()
    assert result.ignored_by_git.startswith("added /work/")
    status = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "work/" not in status
    assert "course/" in status  # the rest of the repository is still seen
    assert start(course_root=root).ignored_by_git == "already ignored by git"


def test_this_repository_ignores_the_default_work_folder():
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", "work/"], check=False)
    assert ignored.returncode == 0, ".gitignore must ignore work/ (nnfw start's default)"


# --- the learner's JupyterLab ------------------------------------------------------------------


def _bundle_text(folder: Path) -> str:
    return "".join(p.read_text(errors="ignore") for p in folder.rglob("*.js"))


def test_learner_jupyterlab_hides_instructor_tools_and_news(tmp_path):
    page = json.loads((LEARNER_CONFIG / "labconfig" / "page_config.json").read_text())
    disabled = page["disabledExtensions"]
    for plugin in ("formgrader", "create-assignment", "course-list", "menu"):
        assert disabled.get(f"@jupyter/nbgrader:{plugin}") is True
    assert disabled.get("@jupyterlab/apputils-extension:announcements") is True
    # the ids are real: nbgrader's and JupyterLab's bundles define them
    nbgrader_js = _bundle_text(VENV_SHARE / "labextensions" / "@jupyter" / "nbgrader")
    lab_js = _bundle_text(VENV_SHARE / "lab" / "static")
    for plugin_id in disabled:
        bundle = nbgrader_js if plugin_id.startswith("@jupyter/nbgrader") else lab_js
        assert f'"{plugin_id}"' in bundle, f"{plugin_id} is not a plugin of the installed UI"
    overrides = json.loads(
        (LEARNER_CONFIG / "labconfig" / "default_setting_overrides.json").read_text()
    )
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    server = json.loads((LEARNER_CONFIG / "jupyter_server_config.json").read_text())
    extensions = server["ServerApp"]["jpserver_extensions"]
    assert extensions["nbgrader.server_extensions.formgrader"] is False
    assert "nbgrader.server_extensions.validate_assignment" not in extensions  # Validate stays

    work = tmp_path / "w"
    work.mkdir()
    (work / "README.md").write_text("hi\n")
    argv, env = lab_command(work, port=8999, open_browser=False, extra_args=["--debug"])
    assert argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={work.resolve()}" in argv
    assert "--ServerApp.port=8999" in argv
    assert "--ServerApp.open_browser=False" in argv
    assert "--LabApp.default_url=/lab/tree/README.md" in argv
    assert argv[-1] == "--debug"
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0] == str(LEARNER_CONFIG)


def test_instructor_jupyterlab_keeps_nbgrader():
    """The learner set-up is only on JUPYTER_CONFIG_PATH of `nnfw start`'s server."""
    from jupyter_core.paths import jupyter_config_path

    assert str(LEARNER_CONFIG) not in jupyter_config_path()


# --- nnfw release never destroys work -------------------------------------------------------------


def test_release_refuses_to_overwrite_work_and_force_keeps_a_backup(tmp_path, capsys):
    root = _course_root(tmp_path)
    course = Course(root)
    pristine = course.release_dir / DEMO_ASSIGNMENT / "demo_pytorch.ipynb"
    assert holds_work(pristine) is None
    answered = course.release_dir / DEMO_ASSIGNMENT / "demo_tensorflow.ipynb"
    nb = nbformat.read(answered, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    cell.source = cell.source.replace('raise NotImplementedError("Task 1', "x = 1  # (Task 1")
    nbformat.write(nb, answered)
    mine = answered.read_bytes()
    ran = nbformat.read(pristine, as_version=4)
    ran.cells[1].outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    nbformat.write(ran, pristine)
    (course.release_dir / DEMO_ASSIGNMENT / "notes.ipynb").write_bytes(mine)  # not generated
    assert "answers in task1_answer" in holds_work(answered)
    assert holds_work(pristine) == "outputs"

    # a changed source means both notebooks would be replaced: refused, nothing touched
    source = root / "solutions" / DEMO_ASSIGNMENT / "demo_tensorflow.ipynb"
    source.write_text(source.read_text().replace("Task 1", "Task 1 (updated)", 1))
    args = ["release", "--course", str(root)]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert "refused" in err
    assert "Nothing was changed" in err
    assert "--force" in err
    assert f"course/{DEMO_ASSIGNMENT}/demo_tensorflow.ipynb: answers in task1_answer" in err
    assert f"course/{DEMO_ASSIGNMENT}/demo_pytorch.ipynb: outputs" in err
    assert f"course/{DEMO_ASSIGNMENT}/notes.ipynb" in err  # would be deleted
    assert answered.read_bytes() == mine

    assert cli.main([*args, "--force"]) == 0
    out = capsys.readouterr().out
    assert "saved the notebooks that held work in" in out
    backups = list((root / ".nnfw" / "backups").iterdir())
    assert len(backups) == 1
    kept = backups[0] / "course" / DEMO_ASSIGNMENT
    assert (kept / "demo_tensorflow.ipynb").read_bytes() == mine
    assert (kept / "notes.ipynb").is_file()
    assert (kept / "demo_pytorch.ipynb").is_file()
    assert holds_work(answered) is None
    assert not (answered.parent / "notes.ipynb").exists()
    assert cli.main(args) == 0  # nothing left at risk


# --- in the kernel: Run All to the end, the report card ---------------------------------------------


def test_task_stubs_name_their_task_and_cells_run_on():
    assert task_number("test_task3_one_hot") == 3
    assert task_number("setup") is None
    released = generate_assignment(DEMO_DATA / DEMO_ASSIGNMENT, DEMO_ASSIGNMENT)
    nb = nbformat.reads(released["demo_pytorch.ipynb"].decode(), as_version=4)
    graded = [
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
        or c.metadata.get("nbgrader", {}).get("grade")
    ]
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert [a.source.splitlines()[-1].strip() for a in answers] == [
        f'raise NotImplementedError("Task {n} is not answered yet")' for n in (1, 2, 3)
    ]
    tagged = [c for c in graded if RUNS_ON_TAG in c.metadata.get("tags", [])]
    assert len(tagged) == 6  # three answer cells and three test cells
    assert all(RUNS_ON_TAG not in c.metadata.get("tags", []) for c in nb.cells[:2])


def _demo_learner(tmp_path: Path, task1: str | None, task2: str | None) -> Path:
    released = generate_assignment(DEMO_DATA / DEMO_ASSIGNMENT, DEMO_ASSIGNMENT)
    nb = nbformat.reads(released["demo_pytorch.ipynb"].decode(), as_version=4)
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    for cell, text in zip(answers, (task1, task2), strict=False):
        if text is not None:
            cell.source = text
    nb.cells[0:0] = [nbformat.v4.new_code_cell("import nnfw")]
    nb.cells.append(nbformat.v4.new_code_cell("print('the last cell ran')"))
    nb.cells.append(nbformat.v4.new_code_cell("nnfw.check_my_work()"))
    path = tmp_path / "demo_pytorch.ipynb"
    nbformat.write(nb, path)
    return path


def _outputs(nb) -> tuple[list[str], str]:
    errors, text = [], ""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                errors.append("\n".join(out.traceback))
            elif out.output_type == "stream":
                text += out.text
    return errors, text


@pytest.mark.slow
def test_unanswered_tasks_say_so_in_one_line_and_the_report_card_shows_each_task(tmp_path):
    released = generate_assignment(DEMO_DATA / DEMO_ASSIGNMENT, DEMO_ASSIGNMENT)
    demo = nbformat.reads(released["demo_pytorch.ipynb"].decode(), as_version=4)
    ids = [c.metadata.nbgrader["grade_id"] for c in demo.cells if "nbgrader" in c.metadata]
    assert ids[1:4] == ["task1_answer", "task1_tests", "task2_answer"]
    source = DEMO_DATA / DEMO_ASSIGNMENT / "demo_pytorch.ipynb"
    solution = nbformat.read(source, as_version=4)
    right = next(
        c.source
        for c in solution.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "task1_answer"
    )
    right = "\n".join(line for line in right.splitlines() if "SOLUTION" not in line)
    wrong = right.replace("return", "return 1 + ", 1)
    path = _demo_learner(tmp_path, wrong, None)
    nb = nbformat.read(path, as_version=4)
    execute(nb, tmp_path, timeout=60, allow_errors=True)
    errors, text = _outputs(nb)
    assert "the last cell ran" in text  # later cells still run (allow_errors = the tag)
    not_answered = [e for e in errors if "not answered yet" in e]
    assert any(e.startswith("Task 2: not answered yet") for e in not_answered)
    assert all(len(e.splitlines()) == 1 for e in not_answered), not_answered
    assert not any("Traceback" in e or "site-packages" in e for e in errors), errors
    card = text[text.index("Your work on demo_pytorch.ipynb") :]
    lines = card.splitlines()
    assert lines[1].startswith("  Task 1 (")
    assert "): failed - " in lines[1]
    assert lines[2].strip().startswith("Task 2 (")
    assert lines[2].endswith("not answered yet")
    assert lines[3].strip().endswith("not answered yet")
    assert "Visible tests: 0 of" in card
    assert "hidden tests" in card

    path = _demo_learner(tmp_path, right, None)
    nb = nbformat.read(path, as_version=4)
    execute(nb, tmp_path, timeout=60, allow_errors=True)
    _errors, text = _outputs(nb)
    card = text[text.index("Your work on") :]
    assert card.splitlines()[1].strip().endswith("): passed")
    assert "(1 of 3 tasks)" in card


@pytest.mark.slow
def test_check_my_work_before_anything_ran_and_outside_a_course_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import nnfw\nnnfw.check_my_work()")]
    execute(nb, tmp_path, timeout=60, allow_errors=True)
    errors, text = _outputs(nb)
    assert not errors
    assert "cannot tell which notebook" in text
    path = _demo_learner(tmp_path, None, None)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"import nnfw\nnnfw.check_my_work({str(path)!r})")]
    execute(nb, tmp_path, timeout=60, allow_errors=True)
    errors, text = _outputs(nb)
    assert not errors
    assert text.count("not run yet") >= 3
    assert "Visible tests: 0 of" in text
