"""Stored outputs of solution notebooks: the cells nbval checks, and the command that refreshes them.

``pytest`` runs every notebook in ``solutions/`` through nbval in *lax* mode: each code cell
must run without an error, and only cells whose **first line** is ``# NBVAL_CHECK_OUTPUT`` have
their outputs compared with the outputs stored in the notebook. So a solution notebook carries
outputs on those cells and on no other (no plots, no training logs in git).

``nnfw outputs refresh [ASSIGNMENT|NOTEBOOK ...]`` executes notebooks in the current environment
(the same kernel nbval uses, in learner mode: ``NNFW_FAST=0``) and keeps the outputs of the marked
cells only; ``execution_count`` is cleared on every other cell (nbval needs one on a cell with
outputs, and a top-to-bottom run numbers code cells 1, 2, ..., so the numbers are stable). Only outputs change: sources, ids and
metadata stay as they were, and the file is written the way nbformat and ``nnfw release`` write
notebooks, so ``course/`` (released without outputs) stays byte-identical.

``nnfw outputs check`` checks the rules without running anything: at least
:data:`MIN_CHECKED_CELLS` marked cells per notebook, each with a stored output, and no output on
any other cell. ``tests/test_notebook_outputs.py`` runs the same check.

Nothing here imports a framework; nbclient and jupyter_client are imported when needed.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnfw.config import temporary_env

#: The marker nbval looks for; the course's rule is that it is a cell's first line.
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
#: Every solution notebook has at least this many marked cells.
MIN_CHECKED_CELLS = 3
#: Environment for a refresh: learner mode (full training), no GUI backend.
REFRESH_ENV: dict[str, str] = {"NNFW_FAST": "0", "MPLBACKEND": "Agg"}
#: Output types that belong in a stored output. Images change with every matplotlib release.
IMAGE_MIME_PREFIX = "image/"


def cell_source(cell: Mapping[str, Any]) -> str:
    """A cell's source as one string (nbformat allows a list of lines)."""
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(str(part) for part in source)
    return str(source)


def is_checked(cell: Mapping[str, Any]) -> bool:
    """True for a code cell whose first line is ``# NBVAL_CHECK_OUTPUT``."""
    if cell.get("cell_type") != "code":
        return False
    lines = cell_source(cell).lstrip("\n").splitlines()
    return bool(lines) and lines[0].strip() == CHECK_MARKER


def honours_fast_mode(nb: Mapping[str, Any]) -> bool:
    """True when a notebook's code calls ``fast_mode()`` or ``epochs(full, fast)``.

    Only such notebooks get ``NNFW_FAST=1`` under pytest: for the others it would change nothing.
    """
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            source = cell_source(cell)
            if "fast_mode(" in source or "epochs(" in source:
                return True
    return False


def framework_of(path: Path | str) -> str | None:
    """``"torch"`` or ``"tensorflow"`` from a notebook's file name (the course's naming rule:
    ``*_pytorch``/``lightning`` and ``*_tensorflow``/``keras``), else None."""
    name = Path(path).name.lower()
    if "pytorch" in name or "lightning" in name or "torch" in name:
        return "torch"
    if "tensorflow" in name or "keras" in name:
        return "tensorflow"
    return None


# --- finding notebooks ----------------------------------------------------------------------


def find_course_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: cwd) with ``solutions/``."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "solutions").is_dir() and (folder / "pyproject.toml").is_file():
            return folder
    msg = f"no course repository (a folder with solutions/ and pyproject.toml) at or above {here}"
    raise FileNotFoundError(msg)


def solution_notebooks(root: Path, targets: Iterable[str] = ()) -> list[Path]:
    """Notebooks named by ``targets`` (assignment folders or notebook paths); all by default."""
    solutions = root / "solutions"
    targets = list(targets)
    if not targets:
        return sorted(solutions.glob("*/*.ipynb"))
    found: list[Path] = []
    for target in targets:
        path = Path(target)
        candidates = [path, root / path, solutions / path]
        match = next((c for c in candidates if c.exists()), None)
        if match is None:
            msg = f"{target}: not an assignment in {solutions} nor a notebook"
            raise FileNotFoundError(msg)
        if match.is_dir():
            notebooks = sorted(match.glob("*.ipynb"))
            if not notebooks:
                msg = f"{target}: no notebooks in {match}"
                raise FileNotFoundError(msg)
            found.extend(notebooks)
        elif match.suffix == ".ipynb":
            found.append(match)
        else:
            msg = f"{target}: not a notebook (.ipynb)"
            raise FileNotFoundError(msg)
    return sorted({p.resolve() for p in found})


# --- executing ------------------------------------------------------------------------------


def current_env_kernel_manager_class() -> type:
    """An AsyncKernelManager class that starts this Python (nbval's ``--nbval-current-env``)."""
    from jupyter_client.manager import AsyncKernelManager
    from nbval.kernel import NbvalKernelspecManager
    from traitlets import default

    class CurrentEnvKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _default_spec_manager(self) -> NbvalKernelspecManager:
            return NbvalKernelspecManager(data_dir=self.data_dir)

    return CurrentEnvKernelManager


def execute(
    nb: Any,
    cwd: Path,
    *,
    timeout: int = 600,
    env: Mapping[str, str] | None = None,
    allow_errors: bool = False,
) -> Any:
    """Execute ``nb`` in place in a fresh kernel of this Python, in ``cwd``; return it.

    ``env`` entries are set for the kernel (and restored here afterwards). With
    ``allow_errors=False`` the first failing cell raises ``nbclient``'s ``CellExecutionError``.
    """
    from nbclient import NotebookClient

    with temporary_env(env):
        from nbval.kernel import CURRENT_ENV_KERNEL_NAME

        client = NotebookClient(
            nb,
            kernel_manager_class=current_env_kernel_manager_class(),
            kernel_name=CURRENT_ENV_KERNEL_NAME,
            timeout=timeout,
            startup_timeout=120,
            allow_errors=allow_errors,
            record_timing=False,
            resources={"metadata": {"path": str(cwd)}},
            # no kernel log lines (e.g. "running over TCP without encryption") on the terminal
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        client.execute(cwd=str(cwd))
    return nb


def _stored(output: Mapping[str, Any], execution_count: int | None) -> Any:
    """An output as it is stored, numbered like its cell."""
    import nbformat

    out = copy.deepcopy(dict(output))
    if "execution_count" in out:
        out["execution_count"] = execution_count
    return nbformat.from_dict(out)


@dataclass
class RefreshResult:
    path: Path
    checked: int
    changed: bool
    seconds: float
    problems: list[str] = field(default_factory=list)


def refresh(path: Path, *, timeout: int = 600) -> RefreshResult:
    """Run ``path`` and store the outputs of its marked cells only; see the module docstring."""
    from nnfw.grading.nbio import read_notebook, write_notebook

    path = Path(path)
    original = read_notebook(path)
    executed = copy.deepcopy(original)
    for cell in executed.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    start = time.perf_counter()
    execute(executed, path.parent, timeout=timeout, env=REFRESH_ENV)
    seconds = time.perf_counter() - start
    problems: list[str] = []
    checked = 0
    for index, (cell, ran) in enumerate(zip(original.cells, executed.cells, strict=True)):
        if cell.cell_type != "code":
            continue
        if is_checked(cell):
            # nbval compares only cells with an execution_count ("unrun" cells must have no
            # outputs). A top-to-bottom run numbers code cells 1, 2, ..., so this is stable.
            checked += 1
            cell.execution_count = ran.execution_count
            cell.outputs = [_stored(out, ran.execution_count) for out in ran.outputs]
            problems.extend(_output_problems(index, cell))
        else:
            cell.execution_count = None
            cell.outputs = []
    changed = write_notebook(original, path)
    return RefreshResult(path, checked, changed, seconds, problems)


# --- checking the rules -----------------------------------------------------------------------


def _cell_name(index: int, cell: Mapping[str, Any]) -> str:
    return f"cell {index} (id {cell.get('id', '?')})"


def _output_problems(index: int, cell: Mapping[str, Any]) -> Iterator[str]:
    outputs = cell.get("outputs", [])
    name = _cell_name(index, cell)
    if not outputs:
        yield f"{name} is marked {CHECK_MARKER} but has no stored output"
    for out in outputs:
        kind = out.get("output_type")
        if kind == "error":
            yield f"{name} is marked {CHECK_MARKER} but its stored output is an error"
        elif kind == "stream" and out.get("name") == "stderr":
            yield f"{name} is marked {CHECK_MARKER} but writes to stderr (warnings are not stable)"
        elif any(str(mime).startswith(IMAGE_MIME_PREFIX) for mime in out.get("data", {})):
            yield f"{name} is marked {CHECK_MARKER} but shows an image; print numbers instead"


def check_notebook(nb: Mapping[str, Any]) -> list[str]:
    """Problems with a solution notebook's stored outputs (empty when it follows the rules)."""
    problems: list[str] = []
    checked = 0
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = cell_source(cell)
        checked_cell = is_checked(cell)
        if checked_cell:
            checked += 1
            problems.extend(_output_problems(index, cell))
        else:
            if CHECK_MARKER in source:
                problems.append(
                    f"{_cell_name(index, cell)}: {CHECK_MARKER} must be the cell's first line"
                )
            if cell.get("outputs"):
                problems.append(
                    f"{_cell_name(index, cell)} has stored outputs but is not marked "
                    f"{CHECK_MARKER}; clear them (nnfw outputs refresh does)"
                )
        if checked_cell and cell.get("outputs") and cell.get("execution_count") is None:
            problems.append(
                f"{_cell_name(index, cell)} has stored outputs but no execution_count, so nbval "
                "would refuse it ('Unrun reference cell has outputs'); refresh it"
            )
        if not checked_cell and cell.get("execution_count") is not None:
            problems.append(f"{_cell_name(index, cell)} has an execution_count; clear it")
    if checked < MIN_CHECKED_CELLS:
        problems.append(
            f"{checked} cell(s) marked {CHECK_MARKER}, at least {MIN_CHECKED_CELLS} wanted: "
            "mark cells with deterministic output (shapes, dtypes, exact integers)"
        )
    return problems


def check(path: Path) -> list[str]:
    """:func:`check_notebook` for the notebook at ``path``."""
    from nnfw.grading.nbio import read_notebook

    return check_notebook(read_notebook(Path(path)))


# --- parity of a PyTorch/TensorFlow pair --------------------------------------------------------

#: Framework names that may differ between the headings of a pair (longest first).
FRAMEWORK_WORDS = (
    "PyTorch Lightning",
    "TensorFlow/Keras",
    "TensorFlow",
    "PyTorch",
    "Lightning",
    "Keras 3",
    "Keras",
    "torch",
    "tf.keras",
    "keras",
    "tf",
)
_FRAMEWORK_RE = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(w) for w in FRAMEWORK_WORDS) + r")(?![\w])",
    re.IGNORECASE,
)


def normalise_heading(heading: str) -> str:
    """A heading with framework names replaced by ``<framework>`` and spaces collapsed."""
    text = _FRAMEWORK_RE.sub("<framework>", heading.strip())
    return re.sub(r"\s+", " ", text)


def sections(nb: Mapping[str, Any], level: int = 2) -> list[str]:
    """The ``##`` headings (for ``level=2``) of a notebook's markdown cells, in order."""
    prefix = "#" * level + " "
    found = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        in_fence = False
        for line in cell_source(cell).splitlines():
            if line.lstrip().startswith("```"):
                in_fence = not in_fence
            elif not in_fence and line.startswith(prefix):
                found.append(line[len(prefix) :].strip())
    return found


def graded_tasks(nb: Mapping[str, Any]) -> list[tuple[str, float]]:
    """``(grade_id, points)`` of every graded (nbgrader ``grade: true``) cell, in order."""
    tasks = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            tasks.append((str(meta.get("grade_id")), float(meta.get("points") or 0)))
    return tasks


def _diff(kind: str, a_name: str, a: list[Any], b_name: str, b: list[Any]) -> list[str]:
    import difflib

    problems = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        left = ", ".join(repr(x) for x in a[i1:i2]) or "nothing"
        right = ", ".join(repr(x) for x in b[j1:j2]) or "nothing"
        problems.append(
            f"{kind} differ at position {i1 + 1}: {a_name} has {left}, {b_name} has {right}"
        )
    return problems


def parity_problems(
    a_name: str, a: Mapping[str, Any], b_name: str, b: Mapping[str, Any]
) -> list[str]:
    """How two notebooks of a pair differ in ``##`` sections and graded tasks (empty: none)."""
    a_sections = [normalise_heading(h) for h in sections(a)]
    b_sections = [normalise_heading(h) for h in sections(b)]
    problems = _diff("sections (## headings)", a_name, a_sections, b_name, b_sections)
    problems += _diff(
        "graded tasks (grade_id, points)", a_name, graded_tasks(a), b_name, graded_tasks(b)
    )
    if not graded_tasks(a) and not graded_tasks(b):
        problems.append(f"neither {a_name} nor {b_name} has a graded cell")
    return problems


# --- the `nnfw outputs` command ---------------------------------------------------------------

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def _targets(args: Any) -> tuple[Path, list[Path]]:
    root = find_course_root()
    return root, solution_notebooks(root, args.targets)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)


def _cmd_refresh(args: Any) -> int:
    import sys

    try:
        root, paths = _targets(args)
    except FileNotFoundError as exc:
        print(f"nnfw outputs refresh: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    status = EXIT_OK
    for path in paths:
        name = _rel(path, root)
        print(f"{name}: running ...", flush=True)
        try:
            result = refresh(path, timeout=args.timeout)
        except Exception as exc:  # noqa: BLE001  (a failing cell: report it, go on with the rest)
            status = EXIT_PROBLEM
            text = str(exc).strip().splitlines()
            print(f"{name}: FAILED, nothing written: {type(exc).__name__}", file=sys.stderr)
            for line in text[-15:]:
                print(f"    {line}", file=sys.stderr)
            continue
        state = "updated" if result.changed else "unchanged"
        print(f"{name}: {result.checked} checked cell(s), {state} ({result.seconds:.1f} s)")
        for problem in [*result.problems, *check(path)]:
            status = EXIT_PROBLEM
            print(f"{name}: {problem}", file=sys.stderr)
    if status == EXIT_OK:
        print("done. Now run `nnfw release` (course/ is released without outputs) and commit both.")
    return status


def _cmd_check(args: Any) -> int:
    import sys

    try:
        root, paths = _targets(args)
    except FileNotFoundError as exc:
        print(f"nnfw outputs check: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    bad = 0
    for path in paths:
        problems = check(path)
        bad += bool(problems)
        for problem in problems:
            print(f"{_rel(path, root)}: {problem}")
    print(f"{len(paths)} notebook(s) checked, {bad} with problems")
    return EXIT_PROBLEM if bad else EXIT_OK


def register(sub: Any) -> None:
    """Add ``nnfw outputs refresh|check`` to ``nnfw``'s subparsers."""
    import argparse

    outputs = sub.add_parser(
        "outputs",
        help="refresh or check the stored outputs nbval compares; for notebook authors",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Solution notebooks store outputs only for cells whose first line is "
        f"`{CHECK_MARKER}`; pytest (nbval) compares them.\n\nexamples:\n"
        "  nnfw outputs refresh                 # run every solution notebook, store outputs\n"
        "  nnfw outputs refresh 03-high-level   # one assignment (or a notebook path)\n"
        "  nnfw outputs check                   # the rules only; runs nothing\n"
        "then: nnfw release && nnfw release --check",
    )
    verbs = outputs.add_subparsers(dest="outputs_command", metavar="VERB", required=True)
    p = verbs.add_parser(
        "refresh",
        help="run notebooks (NNFW_FAST=0) and store the outputs of marked cells only",
        description="Execute notebooks in this Python (the kernel nbval uses) in learner mode "
        "(NNFW_FAST=0) and keep the outputs of cells marked "
        f"{CHECK_MARKER}; every other output and every execution count is cleared. "
        "Exit 1 when a notebook fails or breaks a rule.",
    )
    p.add_argument("targets", nargs="*", metavar="ASSIGNMENT|NOTEBOOK")
    p.add_argument("--timeout", type=int, default=600, metavar="S", help="per cell (600)")
    p.set_defaults(func=_cmd_refresh)
    p = verbs.add_parser(
        "check",
        help="check the stored-output rules without running anything",
        description=f"Exit 1 when a notebook has fewer than {MIN_CHECKED_CELLS} cells marked "
        f"{CHECK_MARKER}, a marked cell without a stored output, or outputs on other cells.",
    )
    p.add_argument("targets", nargs="*", metavar="ASSIGNMENT|NOTEBOOK")
    p.set_defaults(func=_cmd_check)
