"""Solution notebooks: find them, run them, and read the course's naming and fast-mode rules.

Used by authoring (:mod:`~nnfw.authoring.outputs`, :mod:`~nnfw.authoring.parity`), by the
grader (which framework a notebook uses) and by the test suite (``conftest.py``). Nothing here
imports a framework; nbclient and jupyter_client are imported when needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nnfw.config import temporary_env


def cell_source(cell: Mapping[str, Any]) -> str:
    """A cell's source as one string (nbformat allows a list of lines)."""
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(str(part) for part in source)
    return str(source)


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
