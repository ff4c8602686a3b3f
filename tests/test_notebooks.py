"""Solution notebooks: stored-output rules, the refresh tool, nbval's wiring, device prints.

The rules (docs/testing.md): a cell whose first line is ``# NBVAL_CHECK_OUTPUT`` carries the
outputs nbval compares; every solution notebook has at least three; no other cell carries any.
Notebooks are found by globbing, so a new assignment is covered without editing this file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nnfw import cli
from nnfw.authoring.notebooks import honours_fast_mode, solution_notebooks
from nnfw.authoring.outputs import CHECK_MARKER, check, is_checked, output_problems, refresh
from nnfw.cli.exitcode import ExitCode
from nnfw.grading.nbio import notebook_bytes

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))


def _id(path: Path) -> str:
    return path.relative_to(ROOT / "solutions").as_posix()


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_stored_outputs_follow_the_rules(path):
    problems = check(path)
    assert not problems, (
        f"{_id(path)}:\n  "
        + "\n  ".join(problems)
        + f"\nFix: mark deterministic cells, then `nnfw outputs refresh {path.parent.name}` "
        "and `nnfw release` (docs/testing.md)."
    )


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_notebook_prints_its_device(path):
    """The set-up (one of the first three code cells) prints the device or the GPUs it sees."""
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"][:3]
    assert any(
        "print(" in src and ("device" in src or "GPU" in src or "accelerator" in src)
        for src in code
    ), f"{_id(path)}: no set-up cell prints the device it uses (docs/notebook-conventions.md)"


#: The wrap-up every notebook ends with, before the graded part (docs/notebook-conventions.md).
WRAP_UP = ("Summary", "Check your understanding", "Further exercises")


def _section_text(nb, heading: str) -> str:
    """The markdown of the ``## heading`` section, up to the next ``##`` heading."""
    text, inside = [], False
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("## "):
                inside = line[3:].strip() == heading
            elif inside:
                text.append(line)
    return "\n".join(text)


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_notebook_ends_with_summary_questions_and_exercises(path):
    import re

    nb = nbformat.read(path, as_version=4)
    headings = [
        line[3:].strip()
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("## ")
    ]
    assert headings[-2:] == ["Tasks", "Check your work"], headings
    tail = [h for h in headings[:-2] if not h.startswith("Appendix (optional)")]
    assert tuple(tail[-3:]) == WRAP_UP, f"{_id(path)}: want {WRAP_UP} before ## Tasks: {headings}"
    bullets = re.findall(r"^[-*] ", _section_text(nb, "Summary"), re.MULTILINE)
    assert 5 <= len(bullets) <= 8, f"{_id(path)}: Summary has {len(bullets)} takeaways (5-8)"
    questions = _section_text(nb, "Check your understanding")
    revealed = questions.count("<details><summary>Answer</summary>")
    assert 4 <= revealed <= 6, f"{_id(path)}: {revealed} questions with answers (4-6)"
    assert revealed == questions.count("</details>"), f"{_id(path)}: unclosed <details>"
    exercises = re.findall(r"^\d+\. ", _section_text(nb, "Further exercises"), re.MULTILINE)
    assert 2 <= len(exercises) <= 3, f"{_id(path)}: {len(exercises)} further exercises (2-3)"


def test_every_assignment_folder_is_found():
    found = solution_notebooks(ROOT)
    assert found == SOLUTIONS
    assert solution_notebooks(ROOT, ["01-tensors"]) == sorted(
        p.resolve() for p in (ROOT / "solutions" / "01-tensors").glob("*.ipynb")
    )
    with pytest.raises(FileNotFoundError, match="no-such-assignment"):
        solution_notebooks(ROOT, ["no-such-assignment"])


# --- the rules on synthetic notebooks ------------------------------------------------------


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _code(source, outputs=(), count=None):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in outputs]
    cell.execution_count = count
    return cell


def test_marker_must_be_the_first_line():
    assert is_checked(_code(f"{CHECK_MARKER}\nprint(1)"))
    assert not is_checked(_code(f"x = 1\n{CHECK_MARKER}"))
    assert not is_checked(nbformat.v4.new_markdown_cell(CHECK_MARKER))


def test_check_names_every_problem():
    nb = _nb(
        _code(f"{CHECK_MARKER}\nprint(1)", ["1\n"], count=1),
        _code(f"{CHECK_MARKER}\nprint(2)"),  # marked, nothing stored
        _code("print(3)", ["3\n"]),  # unmarked with an output
        _code(f"y = 2\n{CHECK_MARKER}"),  # marker not first
        _code(f"{CHECK_MARKER}\nprint(4)", ["4\n"]),  # outputs without execution_count
    )
    problems = "\n".join(output_problems(nb))
    assert "cell 1 (id" in problems
    assert "no stored output" in problems
    assert "cell 2" in problems
    assert "not marked" in problems
    assert "cell 3" in problems
    assert "first line" in problems
    assert "cell 4" in problems
    assert "Unrun reference" in problems
    good = _nb(*[_code(f"{CHECK_MARKER}\nprint({i})", [f"{i}\n"], count=i) for i in (1, 2, 3)])
    assert output_problems(good) == []
    assert "at least 3" in "\n".join(output_problems(_nb(*good.cells[:2])))


def test_fast_mode_detection():
    assert honours_fast_mode(_nb(_code("EPOCHS = nnfw.config.epochs(200, 20)")))
    assert honours_fast_mode(_nb(_code("if fast_mode():\n    n = 10")))
    assert not honours_fast_mode(_nb(_code("EPOCHS = 200")))


# --- the refresh tool and nbval, for real (each starts a kernel) -----------------------------

SAMPLE_CELLS = [
    ("setup", "import os\nx = 6 * 7"),
    ("checked-print", f"{CHECK_MARKER}\nprint(x)"),
    ("plot-like", "print('not stored')\nx"),
    ("checked-result", f"{CHECK_MARKER}\n(2, 3), 'int64'"),
    ("checked-env", f"{CHECK_MARKER}\nos.environ.get('NNFW_FAST')"),
]


def _sample(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    for cell_id, source in SAMPLE_CELLS:
        cell = nbformat.v4.new_code_cell(source)
        cell["id"] = cell_id
        nb.cells.append(cell)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# Sample"))
    nb.cells[0]["id"] = "title"
    path.write_bytes(notebook_bytes(nb))
    return path


@pytest.mark.slow
def test_refresh_stores_marked_outputs_only_and_is_stable(tmp_path, capfd):
    path = _sample(tmp_path / "sample.ipynb")
    result = refresh(path)
    assert "IPKernelApp" not in capfd.readouterr().err, "the kernel's log reached the terminal"
    assert result.changed
    assert result.checked == 3
    assert result.problems == []
    data = path.read_bytes()
    assert data == notebook_bytes(nbformat.reads(data.decode(), as_version=4)), "not nbformat's"
    nb = json.loads(data)
    cells = {c["id"]: c for c in nb["cells"]}

    def text(cell_id):
        out = cells[cell_id]["outputs"][0]
        return "".join(out["text"] if "text" in out else out["data"]["text/plain"])

    assert text("checked-print") == "42\n"
    assert text("checked-result") == "((2, 3), 'int64')"
    assert text("checked-env") == "'0'"  # refreshed in learner mode, whatever the caller's env
    assert cells["plot-like"]["outputs"] == []
    assert cells["setup"]["outputs"] == []
    assert cells["setup"]["execution_count"] is None
    assert cells["checked-print"]["execution_count"] == 2  # a top-to-bottom run's number
    assert check(path) == []
    again = refresh(path)
    assert not again.changed
    assert path.read_bytes() == data


@pytest.mark.slow
def test_refresh_reports_a_failing_notebook_and_writes_nothing(tmp_path, capsys, monkeypatch):
    path = _sample(tmp_path / "broken.ipynb")
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = f"{CHECK_MARKER}\nraise ValueError('boom')"
    path.write_bytes(notebook_bytes(nb))
    before = path.read_bytes()
    assert cli.main(["outputs", "refresh", str(path)]) == ExitCode.PROBLEM
    assert "FAILED" in capsys.readouterr().err
    assert path.read_bytes() == before


@pytest.mark.slow
def test_nbval_compares_marked_cells_with_the_sanitizer(tmp_path):
    """The pyproject options + tests/nbval_sanitize.cfg: a wrong stored output fails, a changed
    memory address or timing does not, and an output that depends on NNFW_FAST is caught."""
    path = _sample(tmp_path / "sample.ipynb")
    refresh(path)
    nb = nbformat.read(path, as_version=4)
    address = nbformat.v4.new_code_cell(
        f"{CHECK_MARKER}\nprint(f'<object at {{hex(id(object()))}}> took 12.3 ms')"
    )
    address["id"] = "address"
    address.execution_count = 9
    address.outputs = [
        nbformat.v4.new_output(
            "stream", name="stdout", text="<object at 0x7f00deadbeef> took 3 s\n"
        )
    ]
    nb.cells.append(address)
    path.write_bytes(notebook_bytes(nb))

    def run(fast="0"):
        env = {**os.environ, "NNFW_FAST": fast}
        return subprocess.run(
            [sys.executable, "-m", "pytest", str(path), "-q", "-p", "no:cacheprovider",
             "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
             "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg")],
            capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path, env=env,
        )  # fmt: skip

    ok = run()
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-2000:]
    fast = run(fast="1")
    assert fast.returncode == 1, fast.stdout[-3000:]
    assert "Cell 4" in fast.stdout
    nb.cells[2].outputs[0]["text"] = "41\n"
    path.write_bytes(notebook_bytes(nb))
    wrong = run()
    assert wrong.returncode == 1, wrong.stdout[-3000:]
    assert "Cell 1" in wrong.stdout
    assert "41" in wrong.stdout
    assert "Cell 5" not in wrong.stdout  # the address cell still matches


def test_sanitizer_is_configured(pytestconfig):
    assert Path(pytestconfig.option.nbval_sanitize_with).name == "nbval_sanitize.cfg"
    assert pytestconfig.option.nbval_lax
    assert pytestconfig.option.nbval_current_env


def test_outputs_cli_usage_errors(capsys):
    assert cli.main(["outputs", "check", "no-such-assignment"]) == ExitCode.USAGE
    assert "no-such-assignment" in capsys.readouterr().err
    assert cli.main(["outputs"]) == ExitCode.USAGE
