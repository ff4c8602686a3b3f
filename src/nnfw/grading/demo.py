"""``nnfw grade --demo``: the whole grading flow on three sample students, in a scratch folder.

The students are made from an assignment's source notebooks, so the demo works for any
assignment (the course's first one, or the tiny ``00-demo`` shipped in this package):

``alice``  a full solution of the first notebook, as a folder (the pair rule: one is enough)
``bob``    the untouched learner notebook of the last notebook, as a zip file (an LMS export)
``carol``  broken, as a zip with a folder inside: an answer that raises, an edited test
           cell, and a truncated notebook
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from nnfw.grading.course import GradingError, Workspace, list_assignments
from nnfw.grading.nbio import filled_notebook, notebook_bytes, read_notebook, write_bytes_if_changed
from nnfw.grading.settings import GradeSettings

#: The package's own tiny assignment (a PyTorch/TensorFlow pair that imports neither).
DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
DEMO_ASSIGNMENT = "00-demo"
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def _broken(solved: bytes) -> bytes:
    """Return a solved notebook whose first answer raises and whose first test is edited."""
    import nbformat

    nb = nbformat.reads(solved.decode("utf-8"), as_version=4)
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    tests = [
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
        and not c.metadata["nbgrader"].get("solution")
    ]
    if answers:
        answers[0].source = 'raise RuntimeError("I gave up on this one")\n' + answers[0].source
    if len(tests) > 1:
        tests[-1].source = "# I removed the test so that it passes\npass"
    return notebook_bytes(nb)


def sample_submissions(source_dir: Path) -> dict[str, bytes]:
    """Return the three sample students' files as ``{relative path: bytes}``."""
    from nnfw.authoring.release import generate_assignment

    released = generate_assignment(source_dir, source_dir.name)
    names = sorted(n[: -len(".ipynb")] for n in released if n.endswith(".ipynb"))
    first, last = names[0], names[-1]
    solved = filled_notebook(
        read_notebook(source_dir / f"{first}.ipynb"), released[f"{first}.ipynb"]
    )
    files = {f"alice/{first}.ipynb": solved}
    files["bob.zip"] = _zip({f"{last}.ipynb": released[f"{last}.ipynb"]})
    carol = {f"{first}.ipynb": _broken(solved)}
    if last != first:
        blank = released[f"{last}.ipynb"]
        carol[f"{last}.ipynb"] = blank[: len(blank) // 2]  # a truncated upload
    files["carol.zip"] = _zip({f"carol/{name}": data for name, data in carol.items()})
    return files


def _zip(members: dict[str, bytes]) -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(members.items()):
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), data)
    return buffer.getvalue()


def write_sample_submissions(source_dir: Path, out_dir: Path) -> list[Path]:
    """Write the sample students of the assignment in ``source_dir`` into ``out_dir``."""
    written = []
    for rel, data in sample_submissions(source_dir).items():
        path = out_dir / rel
        write_bytes_if_changed(data, path)
        written.append(path)
    return written


def pick_assignment(course_root: Path | None, assignment: str | None) -> tuple[Path, str]:
    """Return ``(source root, assignment)`` for the demo.

    The course's first assignment when there is one, else the package's ``00-demo``; an
    explicit ``assignment`` must be one of these.
    """
    course_assignments = list_assignments(course_root / "solutions") if course_root else []
    if assignment is None:
        if course_assignments:
            return course_root / "solutions", course_assignments[0]  # type: ignore[operator]
        return DEMO_DATA, DEMO_ASSIGNMENT
    if assignment in course_assignments:
        return course_root / "solutions", assignment  # type: ignore[operator]
    if assignment == DEMO_ASSIGNMENT:
        return DEMO_DATA, DEMO_ASSIGNMENT
    listing = ", ".join([*course_assignments, DEMO_ASSIGNMENT])
    msg = f"no assignment {assignment!r} for the demo; choose one of: {listing}"
    raise GradingError(msg)


def run_demo(
    course_root: Path | None,
    *,
    assignment: str | None = None,
    keep: Path | None = None,
    settings: GradeSettings | None = None,
    progress: Callable[[str], None] = print,
) -> int:
    """Grade the three sample students end to end and print the table.

    Returns 0 when every student got the expected result (alice full marks, bob 0, carol's
    problems reported), else 1. ``keep`` keeps the workspace in that folder. ``settings``
    are the grading settings (default: the defaults, one job).
    """
    from nnfw.grading.pipeline import grade
    from nnfw.grading.report import table

    source_root, assignment = pick_assignment(course_root, assignment)
    progress(f"[nnfw] demo: grading three sample students of {assignment} ({source_root})")
    with tempfile.TemporaryDirectory(prefix="nnfw-demo-") as tmp:
        base = keep if keep is not None else Path(tmp)
        submissions = base / "submissions"
        write_sample_submissions(source_root / assignment, submissions)
        workspace = Workspace(base / "grading")
        options = (settings or GradeSettings(jobs=1)).replace(assignment=assignment)
        in_course = source_root != DEMO_DATA
        results = grade(
            submissions,
            workspace,
            source_root,
            options,
            course_root=course_root if in_course else None,
            progress=progress,
        )
        print(table(results))
        by_name = {r.student: r for r in results}
        expected = {
            "alice (full solution)": by_name["alice"].score == by_name["alice"].max,
            "bob (untouched blank)": by_name["bob"].score == 0,
            "carol (broken)": by_name["carol"].has_problem
            and by_name["carol"].score < by_name["carol"].max,
        }
        ok = all(expected.values())
        where = f" The workspace is kept in {base}." if keep is not None else ""
        if ok:
            progress(
                "[nnfw] demo done: alice scored full marks, bob 0 and carol's problems are "
                f"reported above.{where} Next: `nnfw grade SUBMISSIONS --assignment "
                "ASSIGNMENT` on your own submissions (see grader/README.md)."
            )
        else:
            wrong = ", ".join(k for k, v in expected.items() if not v)
            progress(f"[nnfw] demo FAILED: unexpected result for {wrong}.{where}")
    return 0 if ok else 1
