"""The typed messages that cross process boundaries in ``nnfw grade``.

========================  =====================================  ===========================
message                   from -> to                             how it travels
========================  =====================================  ===========================
:class:`NotebookJob`      coordinator -> Dask worker             pickled by Dask (bytes only:
                                                                 no shared file system)
:class:`NotebookGrade`    Dask worker -> coordinator             pickled by Dask
:class:`ExecutorJob`      worker (trusted) -> sandbox executor   one JSON document on stdin
:class:`CellReport`,      sandbox executor -> worker             one JSON line each on a
:class:`KernelInfo`,                                             private copy of stdout;
:class:`Finished`,                                               :func:`parse_reply` drops
:class:`ExecutorError`                                           anything malformed
========================  =====================================  ===========================

:class:`Reason` and :class:`TaskResult` are the findings and per-task outcomes that all of
them, the result files and the reports share. Nothing here imports nbgrader: the sandbox's
executor imports this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from nnfw.grading.settings import GradeSettings, Limits

PROBLEM, NOTE = "problem", "note"


@dataclass
class Reason:
    """One finding about a submission: a ``problem`` needs the instructor, a ``note`` does not."""

    level: str
    text: str
    notebook: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"level": self.level, "text": self.text, "notebook": self.notebook}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reason:
        """Inverse of :meth:`to_dict`."""
        return cls(data["level"], data["text"], data.get("notebook"))


@dataclass
class TaskResult:
    """One graded test cell: its score and, in plain words, what happened."""

    id: str
    score: float
    max: float
    status: str  # passed, failed, not attempted, timed out, kernel died, not run, ...
    message: str = ""


# --- coordinator <-> Dask worker -------------------------------------------------------------


@dataclass(frozen=True)
class NotebookJob:
    """Grade one notebook of one student (a Dask task's argument)."""

    assignment: str
    student: str
    notebook: str
    #: the student's cleaned submission: file name -> bytes (``<notebook>.ipynb``)
    submitted: dict[str, bytes]
    #: the assignment's source folder (with hidden tests): relative path -> bytes
    source: dict[str, bytes]
    #: the assignment's empty template gradebook (an SQLite file)
    template_db: bytes
    settings: GradeSettings
    #: the course's ``grader/nbgrader_config.py`` text, if any
    config_text: str = ""
    #: environment the kernel gets on top of the worker's (thread counts, fast mode)
    kernel_env: dict[str, str] = field(default_factory=dict)
    #: seconds this job may take before its sandbox is stopped
    limit: int = 0
    #: the scheduler gave it a GPU worker: its kernel may use the worker's GPU (and only then
    #: sees one; :func:`nnfw.grading.run.sandbox.execute`)
    gpu: bool = False


@dataclass(frozen=True)
class CellGrade:
    """The gradebook's record of one graded cell after autograding."""

    score: float | None
    max: float
    needs_manual_grade: bool = False


@dataclass
class NotebookGrade:
    """What a worker sends back for one :class:`NotebookJob`."""

    student: str
    notebook: str
    #: nbgrader graded it (its cells have scores in ``cells``)
    graded: bool = False
    cells: dict[str, CellGrade] = field(default_factory=dict)
    comments: dict[str, str | None] = field(default_factory=dict)
    tasks: list[TaskResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: the autograded folder: relative path -> bytes
    autograded: dict[str, bytes] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    #: the sandbox it ran in on the worker ("bwrap" or "none"), and why
    sandbox: str = ""
    sandbox_note: str = ""
    #: why it could not be graded at all ("" when it was)
    failure: str = ""
    seconds: float = 0.0
    worker: str = ""

    @property
    def score(self) -> float:
        """The automatic score: the sum of the graded cells' scores."""
        return float(sum(c.score or 0.0 for c in self.cells.values()))


# --- worker <-> sandbox executor --------------------------------------------------------------


@dataclass(frozen=True)
class ExecutorJob:
    """What the trusted side sends the executor inside the sandbox."""

    notebook: str  # nbformat JSON text
    limits: Limits
    kernel_name: str = ""
    extra_arguments: tuple[str, ...] = ()

    def to_json(self) -> str:
        """One JSON document."""
        return json.dumps(
            {
                "notebook": self.notebook,
                "limits": self.limits.to_dict(),
                "kernel_name": self.kernel_name,
                "extra_arguments": list(self.extra_arguments),
            }
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> ExecutorJob:
        """Inverse of :meth:`to_json`."""
        data = json.loads(raw)
        return cls(
            notebook=str(data["notebook"]),
            limits=Limits.from_dict(data["limits"]),
            kernel_name=str(data.get("kernel_name") or ""),
            extra_arguments=tuple(str(a) for a in data.get("extra_arguments", [])),
        )


@dataclass(frozen=True)
class CellReport:
    """One executed cell's outputs (index into the notebook the executor was sent)."""

    cell: int
    outputs: list[dict[str, Any]]
    execution_count: int | None = None

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps(
            {"cell": self.cell, "outputs": self.outputs, "execution_count": self.execution_count}
        )


@dataclass(frozen=True)
class KernelInfo:
    """The kernel's ``language_info``, for the graded notebook's metadata."""

    language_info: dict[str, Any]

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps({"language_info": self.language_info})


@dataclass(frozen=True)
class Finished:
    """The executor ran every cell."""

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps({"done": True})


@dataclass(frozen=True)
class ExecutorError:
    """The executor itself failed (not a cell: the kernel would not start, ...)."""

    error: str

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps({"error": self.error})


Reply = CellReport | KernelInfo | Finished | ExecutorError


def parse_reply(raw: bytes | str) -> Reply | None:
    """Read one line from the executor; ``None`` for anything malformed (it is ignored)."""
    try:
        msg = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(msg, dict):
        return None
    if isinstance(msg.get("cell"), int) and isinstance(msg.get("outputs"), list):
        count = msg.get("execution_count")
        return CellReport(
            cell=msg["cell"],
            outputs=[o for o in msg["outputs"] if isinstance(o, dict)],
            execution_count=count if isinstance(count, int) else None,
        )
    if isinstance(msg.get("language_info"), dict):
        return KernelInfo(msg["language_info"])
    if msg.get("done") is True:
        return Finished()
    if isinstance(msg.get("error"), str):
        return ExecutorError(msg["error"][:300])
    return None
