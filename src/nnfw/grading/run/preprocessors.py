"""nbgrader preprocessors that make autograding robust.

:class:`GuardedExecute`
    nbgrader's ``Execute``, but a kernel that dies (``os._exit``, a segfault, out of memory)
    no longer aborts the whole notebook: the cell gets an error output, later cells are
    marked "not run", and the cells before keep their scores. Output is capped per cell, so
    a loop that prints forever cannot fill the grader's memory.
:class:`SandboxedExecute`
    nbgrader's ``Execute`` whose kernel runs in a sandbox (:mod:`nnfw.grading.run.sandbox`),
    with the anti-tamper guard (:mod:`nnfw.grading.run.guard`); only outputs come back.
:class:`StderrToStdout`
    nbgrader scores a test cell with any stderr output as 0. Framework warnings (PyTorch,
    TensorFlow, Lightning) go to stderr, so correct answers would lose points. This turns
    stderr streams into stdout (still shown, marked ``[stderr]``) while errors
    (``output_type == "error"``) still score 0.
"""

from __future__ import annotations

from typing import Any

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Dict, Integer, List, Unicode

from nnfw.grading.run.execution import (
    KERNEL_ARGUMENTS,
    KERNEL_DIED,
    LIMIT,
    NOT_RUN,
    NOTEBOOK_TIMEOUT,
    OUTPUT_CAPPED_NOTE,
    GuardedMixin,
    error_output,
)

__all__ = [
    "KERNEL_DIED",
    "LIMIT",
    "NOTEBOOK_TIMEOUT",
    "NOT_RUN",
    "OUTPUT_CAPPED_NOTE",
    "GuardedExecute",
    "SandboxedExecute",
    "StderrToStdout",
]
_error = error_output


class GuardedExecute(GuardedMixin, Execute):
    """nbgrader's Execute that survives a dead kernel, caps output and has a notebook limit.

    The behaviour is :class:`nnfw.grading.run.execution.GuardedMixin`'s (shared with the
    sandbox's executor, which does not import nbgrader).
    """

    def preprocess(
        self, nb: NotebookNode, resources: Any = None, km: Any = None
    ) -> tuple[NotebookNode, Any]:
        """Execute the notebook (see nbconvert's ExecutePreprocessor)."""
        self.reset_guards()
        return super().preprocess(nb, resources, km)

    def preprocess_cell(
        self, cell: NotebookNode, resources: Any, index: int
    ) -> tuple[NotebookNode, Any]:
        """Execute one cell; record a dead kernel on the cell instead of raising."""
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        self._check_assign_resources(resources)
        return self.guarded_cell(cell, index), self.resources


class SandboxedExecute(Execute):
    """nbgrader's Execute, but the kernel runs in a sandbox and only outputs come back.

    The notebook nbgrader hands over (answers as submitted, locked and test cells restored
    from the gradebook's source) stays in this trusted process. A copy with the guard's
    hidden cells (:func:`nnfw.grading.run.guard.add_hidden_cells`) runs in the sandbox
    (:func:`nnfw.grading.run.sandbox.execute`); the outputs are merged back cell by cell
    (:func:`nnfw.grading.run.guard.merge_back`). Cells the sandbox never reported (it was
    stopped for memory, processes or time) get an error output naming the reason.

    Its settings come from the job (:class:`nnfw.grading.messages.NotebookJob`), set by the
    worker; their defaults live in :mod:`nnfw.grading.settings` only.
    """

    extra_arguments = List(
        list(KERNEL_ARGUMENTS),
        help="Extra kernel arguments: no history file, and no kernel log chatter.",
    ).tag(config=True)
    limits = Dict(help="nnfw.grading.settings.Limits, as a dict (default: its defaults).").tag(
        config=True
    )
    sandbox = Unicode(help="'bwrap' or 'none', resolved by the worker.").tag(config=True)
    guard = Bool(True, help="Add the anti-tamper guard cells.").tag(config=True)
    kernel_env = Dict(help="Environment for the kernel (thread counts, fast mode).").tag(
        config=True
    )
    job_limit = Integer(0, help="Seconds the grading job may take (0: no limit).").tag(config=True)
    gpu = Bool(False, help="The kernel may use the worker's GPU (else it sees none).").tag(
        config=True
    )

    def preprocess(
        self, nb: NotebookNode, resources: Any = None, km: Any = None
    ) -> tuple[NotebookNode, Any]:
        """Run ``nb`` in a sandbox and copy its outputs into ``nb``."""
        import secrets
        from pathlib import Path

        import nbformat

        from nnfw.grading.run import guard, judge, sandbox
        from nnfw.grading.settings import Limits

        resources = resources if resources is not None else {}
        path = Path(resources.get("metadata", {}).get("path") or ".")
        secret = secrets.token_hex(16)
        kernel_nb = judge.strip_for_kernel(nb)  # judge blocks never reach the kernel
        to_run = guard.add_hidden_cells(kernel_nb, secret) if self.guard else kernel_nb
        limits = Limits.from_dict(self.limits) if self.limits else Limits()
        kernel = nb.metadata.get("kernelspec", {}).get("name", "")
        outcome = sandbox.execute(
            nbformat.writes(to_run),
            path,
            limits,
            mode=self.sandbox or "bwrap",
            kernel_name=kernel,
            extra_arguments=list(self.extra_arguments),
            kernel_env={**self.kernel_env, "NNFW_RECORD": "1"},
            job_limit=self.job_limit,
            gpu=self.gpu,
        )
        cells = outcome.cells
        if self.guard:
            problems = guard.merge_back(nb, cells, secret)
        else:
            problems = []
            for cell, result in zip(nb.cells, cells, strict=False):
                if cell.cell_type == "code" and result is not None:
                    cell.outputs = [NotebookNode(o) for o in result["outputs"]]
                    cell.execution_count = result.get("execution_count")
        if outcome.problem:
            self._mark_unreported(nb, to_run, cells, outcome.problem)
        problems += judge.run_judges(nb)
        if outcome.language_info:
            nb.metadata["language_info"] = outcome.language_info
        resources.setdefault("nnfw", {}).setdefault("problems", []).extend(problems)
        if outcome.log:
            resources["nnfw"]["executor_log"] = outcome.log
        return nb, resources

    @staticmethod
    def _mark_unreported(
        nb: NotebookNode, to_run: NotebookNode, cells: list[Any], reason: str
    ) -> None:
        """Give the cells the sandbox never reported an error naming why it was stopped."""
        from nnfw.grading.run.guard import HIDDEN_KEY as hidden_key

        reported = {
            id(c)
            for c, r in zip(to_run.cells, cells, strict=False)
            if r is not None and not c.metadata.get(hidden_key)
        }
        first = True
        visible = [c for c in to_run.cells if not c.metadata.get(hidden_key)]
        for original, sent in zip(nb.cells, visible, strict=True):
            if original.cell_type != "code" or not original.source.strip() or id(sent) in reported:
                continue
            if first:
                original.outputs = [_error(LIMIT, f"the notebook {reason}")]
                first = False
            else:
                original.outputs = [_error(NOT_RUN, "not run: the notebook was stopped earlier")]


class StderrToStdout(NbGraderPreprocessor):
    """Turn stderr stream outputs into stdout, so warnings do not cost points."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: Any, cell_index: int
    ) -> tuple[NotebookNode, Any]:
        """Rename stderr streams of a code cell to stdout, marking each line."""
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    output["name"] = "stdout"
                    lines = output.get("text", "").splitlines(keepends=True)
                    output["text"] = "".join(f"[stderr] {line}" for line in lines)
        return cell, resources
