"""Every grading default, spelt once: :class:`Limits` (one notebook's sandbox) and
:class:`GradeSettings` (one ``nnfw grade`` run).

The CLI builds its option defaults and help texts from these classes, the course's
``grader/nbgrader_config.py`` may override them (:meth:`GradeSettings.from_config`), and the
worker receives the settings inside each job (:class:`nnfw.grading.messages.NotebookJob`): no
other module holds a default of its own.

In ``grader/nbgrader_config.py``::

    c.Execute.timeout = 300             # nbgrader's own key: seconds a cell may run
    c.NnfwGrade.memory_mb = 4096        # any field of Limits or GradeSettings
    c.NnfwGrade.scheduler = "tcp://grader.example.org:8786"

Command-line options win over the file, and the file wins over the defaults here.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

#: The config-file section that holds nnfw's own grading settings.
CONFIG_SECTION = "NnfwGrade"
#: Sandbox modes: ``auto`` (bubblewrap where it works, else a loud warning), ``bwrap``
#: (required), ``none`` (no sandbox; debugging only).
SANDBOX_MODES = ("auto", "bwrap", "none")
#: Thread-count settings of the numerical libraries (OpenMP, MKL, OpenBLAS, TensorFlow).
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
)


@dataclass(frozen=True)
class Limits:
    """What one notebook's sandbox may use; more stops it and the reason is reported."""

    #: seconds one cell may run
    cell_timeout: int = 300
    #: seconds the whole notebook may run (the running cell is interrupted, the rest not run)
    notebook_timeout: int = 1800
    #: MB of memory, all the sandbox's processes together (0: no limit)
    memory_mb: int = 4096
    #: processes the sandbox may start
    max_processes: int = 64
    #: characters of output kept per cell
    max_output_chars: int = 2_000_000
    #: largest file the sandbox may write, MB
    file_size_mb: int = 1024
    #: size of the sandbox's private /tmp, MB
    tmp_mb: int = 512
    #: MB of GPU memory a notebook given a GPU may use, CUDA's context included (0: no limit)
    gpu_memory_mb: int = 4096

    def to_dict(self) -> dict[str, int]:
        """Return a JSON-ready dict (what crosses into the sandbox)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        return cls(**{k: int(v) for k, v in data.items()})


@dataclass(frozen=True)
class GradeSettings:
    """How to grade one assignment: see ``nnfw grade --help``."""

    assignment: str = ""
    limits: Limits = field(default_factory=Limits)
    #: ``auto``, ``bwrap`` or ``none`` (see :data:`SANDBOX_MODES`); resolved on each worker
    sandbox: str = "auto"
    #: add the anti-tamper guard cells before every test
    guard: bool = True
    #: students graded at once on the embedded cluster (None: one per CPU core)
    jobs: int | None = None
    #: a running Dask scheduler (``tcp://HOST:PORT``); None: an embedded local cluster
    scheduler: str | None = None
    #: seconds one student may take in all, shared by the notebooks (None: derived, see
    #: :meth:`notebook_limit`)
    student_timeout: int | None = None
    #: score both notebooks of a pair (default: the better one counts)
    require_both: bool = False
    #: only these students (empty: all)
    students: tuple[str, ...] = ()
    #: times a job whose worker died is tried again before it gets a reason
    retries: int = 1
    #: GPUs of this machine the embedded cluster gives to PyTorch notebooks (0: none)
    gpus: int = 0
    #: kernels that may share one GPU at a time (one worker each)
    kernels_per_gpu: int = 1

    def replace(self, **changes: Any) -> GradeSettings:
        """A copy with ``changes``; keys naming a field of :class:`Limits` go there."""
        limit_keys = {f.name for f in dataclasses.fields(Limits)}
        limits = {k: changes.pop(k) for k in list(changes) if k in limit_keys}
        new = dataclasses.replace(self, **changes)
        if limits:
            new = dataclasses.replace(new, limits=dataclasses.replace(new.limits, **limits))
        return new

    @classmethod
    def from_config(cls, config: Any) -> GradeSettings:
        """Defaults overridden by a traitlets Config (``c.Execute.timeout``, ``c.NnfwGrade.*``)."""
        changes: dict[str, Any] = {}
        if "Execute" in config and "timeout" in config.Execute:
            changes["cell_timeout"] = int(config.Execute.timeout)
        if CONFIG_SECTION in config:
            known = {f.name for f in dataclasses.fields(cls)} | {
                f.name for f in dataclasses.fields(Limits)
            }
            for key, value in config[CONFIG_SECTION].items():
                if key not in known or key == "limits":
                    names = ", ".join(sorted(known - {"limits"}))
                    msg = f"c.{CONFIG_SECTION}.{key}: no such setting (known: {names})"
                    raise ValueError(msg)
                changes[key] = tuple(value) if key == "students" else value
        return cls().replace(**changes)

    def problems(self) -> list[str]:
        """What is wrong with these settings, in the CLI's words (empty: fine)."""
        out: list[str] = []
        lim = self.limits
        for option, value in (
            ("--timeout", lim.cell_timeout),
            ("--notebook-timeout", lim.notebook_timeout),
            ("--max-processes", lim.max_processes),
            ("--jobs", self.jobs),
            ("--student-timeout", self.student_timeout),
            ("--kernels-per-gpu", self.kernels_per_gpu),
        ):
            if value is not None and value < 1:
                out.append(f"{option} must be at least 1, got {value}")
        if lim.memory_mb < 0:
            out.append(f"--memory-limit must be 0 (no limit) or more, got {lim.memory_mb}")
        if (gpu_mb := lim.gpu_memory_mb) < 0:
            out.append(f"--gpu-memory-limit must be 0 (no limit) or more, got {gpu_mb}")
        if self.gpus < 0:
            out.append(f"--gpus must be 0 (no GPU) or more, got {self.gpus}")
        if self.gpus and self.scheduler is not None:
            out.append(
                "--gpus is for the embedded cluster; on a Dask cluster start one worker per GPU "
                "with `dask worker ... --resources GPU=1` and CUDA_VISIBLE_DEVICES set "
                "(docs/architecture.md, 'Grading on a cluster')"
            )
        if self.sandbox not in SANDBOX_MODES:
            out.append(f"--sandbox must be one of {', '.join(SANDBOX_MODES)}, got {self.sandbox!r}")
        if self.retries < 0:
            out.append(f"retries must be 0 or more, got {self.retries}")
        return out

    def job_count(self, students: int) -> int:
        """Workers to start for ``students`` students on the embedded cluster: at least one
        per GPU slot (``gpus * kernels_per_gpu``) when GPUs are given."""
        cpu = max(1, min(self.jobs or default_jobs(), max(1, students)))
        return max(cpu, self.gpus * self.kernels_per_gpu)

    def notebook_limit(self, notebooks: int) -> int:
        """Seconds one notebook's job may take before it is stopped.

        Default: the smaller of 4 cell timeouts and the notebook timeout, plus 120 s of
        grader overhead shared by the student's notebooks; ``student_timeout`` is shared
        out between the notebooks instead when given.
        """
        n = max(1, notebooks)
        if self.student_timeout is not None:
            return max(1, self.student_timeout // n)
        lim = self.limits
        return min(lim.cell_timeout * 4, lim.notebook_timeout) + 120 // n


def default_jobs() -> int:
    """How many students to grade at once by default: the number of usable CPU cores."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def kernel_threads(jobs: int, cores: int | None = None) -> int:
    """Threads each kernel may use when ``jobs`` notebooks run at once: the cores, shared.

    Two kernels that each start a thread per core on a two-core machine spend time
    spinning and switching instead of computing (the course's models are small).
    """
    return max(1, (cores or default_jobs()) // max(1, jobs))
