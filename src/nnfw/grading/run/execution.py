"""Running a notebook so that learner code cannot stop the run: shared execution logic.

:class:`GuardedMixin` is mixed into nbgrader's ``Execute`` (:class:`~nnfw.grading.run.preprocessors.
GuardedExecute`, used by ``nnfw check``) and into nbclient's ``NotebookClient`` (the sandbox's
executor, :mod:`nnfw.grading.run.sandbox`, which does not import nbgrader: it starts once per
graded notebook, so its start-up time is grading overhead). It makes a run survive:

- a kernel that dies (``os._exit``, a segfault, out of memory): the cell gets an error output,
  later cells are marked "not run", the cells before keep their outputs;
- endless output: each cell keeps at most ``max_output_chars`` characters;
- a notebook that runs too long overall (``notebook_timeout``): the running cell is
  interrupted and later cells are not run;
- a kernel that ignores the interrupt after a time-out (``signal.SIG_IGN`` for SIGINT, a C
  call that never checks for signals): if it does not answer within ``interrupt_grace``
  seconds it is stopped and later cells are not run, instead of every later cell waiting
  out its own time-out;
- history snooping: the grader's hidden cells and the graded test cells run without entering
  the kernel's history (``In``, ``_ih``), so later learner code cannot read hidden tests there.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from traitlets import HasTraits, Integer, List

from nnfw.grading.settings import Limits

KERNEL_DIED = "KernelDied"
NOT_RUN = "NotRun"
NOTEBOOK_TIMEOUT = "NotebookTimeLimit"
LIMIT = "ResourceLimit"
CELL_TIMEOUT = "CellTimeoutError"
#: Every graded kernel's extra arguments: no history file, no kernel log chatter.
KERNEL_ARGUMENTS = ("--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR")
#: Metadata key of the cells the grader adds (:mod:`nnfw.grading.run.guard`).
HIDDEN_KEY = "nnfw_hidden"
OUTPUT_CAPPED_NOTE = "[nnfw] output truncated: this cell printed more than {limit} characters\n"
#: nbgrader's error for a cell that timed out (its ``Execute.error_on_timeout``).
ERROR_ON_TIMEOUT = {
    "ename": CELL_TIMEOUT,
    "evalue": "",
    "traceback": [f"\x1b[0;31m{CELL_TIMEOUT}\x1b[0m: No reply from kernel before timeout"],
}


def error_output(ename: str, evalue: str) -> NotebookNode:
    """An error output, as a kernel would produce it."""
    return NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


def is_test_cell(cell: NotebookNode) -> bool:
    """A graded code cell that is not also an answer cell (an autograder test cell)."""
    nbg = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(nbg.get("grade")) and not nbg.get("solution")


class GuardedMixin(HasTraits):
    """Dead-kernel, output-cap, notebook-time-limit and history handling (see the module)."""

    extra_arguments = List(
        list(KERNEL_ARGUMENTS),
        help="Extra kernel arguments: no history file, and no kernel log chatter.",
    ).tag(config=True)

    max_output_chars = Integer(
        Limits.max_output_chars, help="Most characters of output kept per cell (-1: no limit)."
    ).tag(config=True)

    notebook_timeout = Integer(
        0, help="Seconds the whole notebook may run (0: no limit besides the per-cell one)."
    ).tag(config=True)

    interrupt_grace = Integer(
        5, help="Seconds a kernel has to answer again after a time-out's interrupt."
    ).tag(config=True)

    def reset_guards(self) -> None:
        """Start a new run: no dead kernel yet, the notebook's clock starts now."""
        self._dead_at: int | None = None
        self._dead_why = "not run: the kernel died in cell {cell}"
        self._out_of_time: int | None = None
        self._chars = 0
        self._capped = False
        self._deadline = (
            time.monotonic() + self.notebook_timeout if self.notebook_timeout > 0 else None
        )

    def _get_timeout(self, cell: NotebookNode | None) -> int | None:
        """The cell timeout, cut to what is left of the notebook's time."""
        timeout = super()._get_timeout(cell)  # type: ignore[misc]
        if self._deadline is None:
            return timeout
        left = max(1, int(self._deadline - time.monotonic()) + 1)
        return left if timeout is None or timeout <= 0 else min(timeout, left)

    def guarded_cell(self, cell: NotebookNode, index: int) -> NotebookNode:
        """Execute one code cell; never raise for a dead kernel or a spent time limit."""
        if cell.cell_type != "code" or not cell.source.strip():
            return cell
        if self._dead_at is not None:
            cell.outputs = [error_output(NOT_RUN, self._dead_why.format(cell=self._dead_at + 1))]
            return cell
        if self._out_of_time is not None or (
            self._deadline is not None and time.monotonic() >= self._deadline
        ):
            cell.outputs = [
                error_output(
                    NOT_RUN,
                    f"not run: the notebook used up its {self.notebook_timeout} s time limit",
                )
            ]
            return cell
        self._chars = 0
        self._capped = False
        hidden = bool(cell.metadata.get(HIDDEN_KEY)) or is_test_cell(cell)
        try:
            cell = self.execute_cell(cell, index, store_history=not hidden)  # type: ignore[attr-defined]
        except DeadKernelError:
            self._dead_at = index
            cell.outputs.append(
                error_output(
                    KERNEL_DIED,
                    "the kernel died while running this cell (os._exit, a crash in compiled "
                    "code, or out of memory); later cells were not run",
                )
            )
            return cell
        timed_out = any(
            o.get("output_type") == "error" and o.get("ename") == CELL_TIMEOUT for o in cell.outputs
        )
        if timed_out and not self._kernel_answers(self.interrupt_grace):
            self._stop_kernel()
            self._dead_at, self._dead_why = (
                index,
                "not run: the kernel was stopped earlier (it ignored an interrupt)",
            )
            cell.outputs.append(
                error_output(
                    LIMIT,
                    f"the kernel ignored the interrupt after the time-out and was stopped "
                    f"{self.interrupt_grace} s later; later cells were not run",
                )
            )
            return cell
        if self._deadline is not None and time.monotonic() >= self._deadline:
            for out in cell.outputs:
                if out.get("output_type") == "error" and out.get("ename") == CELL_TIMEOUT:
                    out["ename"] = NOTEBOOK_TIMEOUT
                    out["evalue"] = (
                        f"the notebook ran longer than its {self.notebook_timeout} s limit; "
                        "this cell was interrupted and later cells were not run"
                    )
                    out["traceback"] = [f"{NOTEBOOK_TIMEOUT}: {out['evalue']}"]
                    self._out_of_time = index
        return cell

    def _kernel_answers(self, grace: float) -> bool:
        """True when the kernel runs an empty request within ``grace`` seconds (it is free)."""
        import queue

        from jupyter_core.utils import ensure_async, run_sync

        kc = getattr(self, "kc", None)
        if kc is None:
            return True
        msg_id = kc.execute("", silent=True, store_history=False)

        async def wait() -> bool:
            deadline = time.monotonic() + grace
            while (left := deadline - time.monotonic()) > 0:
                try:
                    msg = await ensure_async(kc.shell_channel.get_msg(timeout=left))
                except queue.Empty:
                    return False
                if msg.get("parent_header", {}).get("msg_id") == msg_id:
                    return True
            return False

        try:
            return bool(run_sync(wait)())
        except Exception:  # noqa: BLE001 - a kernel that broke its channels does not answer
            return False

    def _stop_kernel(self) -> None:
        from jupyter_core.utils import ensure_async, run_sync

        km = getattr(self, "km", None)
        if km is None:
            return

        async def stop() -> None:
            await ensure_async(km.shutdown_kernel(now=True))

        with contextlib.suppress(Exception):  # already gone
            run_sync(stop)()

    def on_cell_executed(self, **kwargs: Any) -> None:
        """Record an error the kernel replied with but never showed (e.g. after a timeout)."""
        cell, reply = kwargs["cell"], kwargs["execute_reply"]
        content = reply["content"]
        if content["status"] != "error":
            return
        if any(o.output_type == "error" and o.ename == content["ename"] for o in cell.outputs):
            return
        error = NotebookNode(output_type="error")
        error.ename, error.evalue = content["ename"], content["evalue"]
        error.traceback = content["traceback"] or [
            "ERROR: An error occurred while showtraceback was disabled"
        ]
        cell.outputs.append(error)

    def output(
        self, outs: list[NotebookNode], msg: dict[str, Any], display_id: Any, cell_index: int
    ) -> NotebookNode | None:
        """Keep outputs until the cell has produced ``max_output_chars``, then drop them."""
        limit = self.max_output_chars
        if limit is None or limit < 0 or msg.get("msg_type") == "error":
            return super().output(outs, msg, display_id, cell_index)  # type: ignore[misc]
        content = msg.get("content", {})
        size = len(content.get("text", "")) + sum(
            len(v) if isinstance(v, str) else len(str(v)) for v in content.get("data", {}).values()
        )
        self._chars += size
        if self._chars <= limit:
            return super().output(outs, msg, display_id, cell_index)  # type: ignore[misc]
        if not self._capped:
            self._capped = True
            note = NotebookNode(
                output_type="stream", name="stdout", text=OUTPUT_CAPPED_NOTE.format(limit=limit)
            )
            outs.append(note)
        return None
