"""nbgrader preprocessors that make autograding robust.

:class:`GuardedExecute`
    nbgrader's ``Execute``, but a kernel that dies (``os._exit``, a segfault, out of memory)
    no longer aborts the whole notebook: the cell gets an error output, later cells are
    marked "not run", and the cells before keep their scores. Output is capped per cell, so
    a loop that prints forever cannot fill the grader's memory.
:class:`StderrToStdout`
    nbgrader scores a test cell with any stderr output as 0. Framework warnings (PyTorch,
    TensorFlow, Lightning) go to stderr, so correct answers would lose points. This turns
    stderr streams into stdout (still shown, marked ``[stderr]``) while errors
    (``output_type == "error"``) still score 0.
"""

from __future__ import annotations

from typing import Any

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer, List

KERNEL_DIED = "KernelDied"
NOT_RUN = "NotRun"
OUTPUT_CAPPED_NOTE = "[nnfw] output truncated: this cell printed more than {limit} characters\n"


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


class GuardedExecute(Execute):
    """nbgrader's Execute that survives a dead kernel and caps each cell's output."""

    extra_arguments = List(
        ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"],
        help="Extra kernel arguments: no history file, and no kernel log chatter.",
    ).tag(config=True)

    max_output_chars = Integer(
        2_000_000, help="Most characters of output kept per cell (-1: no limit)."
    ).tag(config=True)

    def preprocess(
        self, nb: NotebookNode, resources: Any = None, km: Any = None
    ) -> tuple[NotebookNode, Any]:
        """Execute the notebook (see nbconvert's ExecutePreprocessor)."""
        self._dead_at: int | None = None
        self._chars = 0
        self._capped = False
        return super().preprocess(nb, resources, km)

    def preprocess_cell(
        self, cell: NotebookNode, resources: Any, index: int
    ) -> tuple[NotebookNode, Any]:
        """Execute one cell; record a dead kernel on the cell instead of raising."""
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self._dead_at is not None:
            cell.outputs = [
                _error(NOT_RUN, f"not run: the kernel died in cell {self._dead_at + 1}")
            ]
            return cell, resources
        self._chars = 0
        self._capped = False
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead_at = index
            cell.outputs.append(
                _error(
                    KERNEL_DIED,
                    "the kernel died while running this cell (os._exit, a crash in compiled "
                    "code, or out of memory); later cells were not run",
                )
            )
            return cell, resources

    def output(
        self, outs: list[NotebookNode], msg: dict[str, Any], display_id: Any, cell_index: int
    ) -> NotebookNode | None:
        """Keep outputs until the cell has produced ``max_output_chars``, then drop them."""
        limit = self.max_output_chars
        if limit is None or limit < 0 or msg.get("msg_type") == "error":
            return super().output(outs, msg, display_id, cell_index)
        content = msg.get("content", {})
        size = len(content.get("text", "")) + sum(
            len(v) if isinstance(v, str) else len(str(v)) for v in content.get("data", {}).values()
        )
        self._chars += size
        if self._chars <= limit:
            return super().output(outs, msg, display_id, cell_index)
        if not self._capped:
            self._capped = True
            note = NotebookNode(
                output_type="stream", name="stdout", text=OUTPUT_CAPPED_NOTE.format(limit=limit)
            )
            outs.append(note)
        return None


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
