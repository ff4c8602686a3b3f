"""The executor: the one program that runs *inside* the sandbox (``python -m``).

It reads an :class:`~nnfw.grading.messages.ExecutorJob` on stdin, sets resource limits on
itself (inherited by the kernel: data segment size, file size, no core dumps, a process
count backstop), makes itself non-dumpable (so the kernel, the same user, cannot read the
notebook with its hidden tests out of this process's memory), runs the kernel with nbclient
(:class:`~nnfw.grading.run.execution.GuardedMixin`: per-cell timeout, a wall-clock limit for
the whole notebook, capped output, dead kernels survived) and streams one
:class:`~nnfw.grading.messages.CellReport` per cell back on a private copy of stdout, then
:class:`~nnfw.grading.messages.Finished`.

Everything it says is untrusted by the other side (:mod:`nnfw.grading.run.sandbox`): only
cell outputs are taken from it. It does not import nbgrader (it starts once per graded
notebook, so its start-up time is grading overhead). If its parent goes away (the worker was
killed), it stops the kernel and exits instead of running on unwatched.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from nnfw.grading.messages import CellReport, ExecutorError, ExecutorJob, Finished, KernelInfo
from nnfw.grading.settings import Limits


def set_limits(limits: Limits) -> None:
    """Cap this process's resources (and so its children's) as far as ``limits`` say."""
    import resource

    def cap(which: int, value: int) -> None:
        try:
            _soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass

    mb = 1024 * 1024
    if limits.memory_mb:
        cap(resource.RLIMIT_DATA, limits.memory_mb * mb)
    cap(resource.RLIMIT_FSIZE, limits.file_size_mb * mb)
    cap(resource.RLIMIT_CORE, 0)
    if os.geteuid() != 0 and limits.max_processes:
        # counts every process and thread of this user; a backstop for the watchdog
        try:
            total = int(Path("/proc/loadavg").read_text().split()[3].split("/")[1])
        except (OSError, ValueError, IndexError):
            total = 4096
        cap(resource.RLIMIT_NPROC, total + 32 * limits.max_processes)


def not_dumpable() -> None:
    """Keep the kernel (same user) from reading this process's memory, which holds the
    notebook with its hidden tests (``/proc/PID/mem``; PR_SET_DUMPABLE = 4)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def stop_with_parent(poll: float = 0.5) -> threading.Thread:
    """Start a thread that kills this process's children and exits when the parent dies.

    Bubblewrap's ``--die-with-parent`` covers the sandboxed case; without a sandbox the
    executor is a plain child, and a killed worker would leave it (and its kernel, which
    runs in a session of its own) running.
    """
    parent = os.getppid()

    def watch() -> None:
        import psutil

        while os.getppid() == parent:
            time.sleep(poll)
        try:
            for child in psutil.Process().children(recursive=True):
                try:
                    child.kill()
                except psutil.Error:
                    pass
        finally:
            os._exit(3)

    thread = threading.Thread(target=watch, name="nnfw-stop-with-parent", daemon=True)
    thread.start()
    return thread


def main() -> int:
    """Read a job on stdin, run it, stream cell outputs as JSON lines."""
    raw = sys.stdin.buffer.read()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")  # not inherited by the kernel
    log = os.open(
        os.environ.get("NNFW_SANDBOX_LOG", os.devnull), os.O_WRONLY | os.O_CREAT | os.O_APPEND
    )
    os.dup2(log, 1)
    os.dup2(log, 2)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    job = ExecutorJob.from_json(raw)
    set_limits(job.limits)
    not_dumpable()
    stop_with_parent()

    from nnfw.grading.nbgrader_setup import skip_slow_imports

    skip_slow_imports()
    import nbformat
    from nbclient import NotebookClient
    from nbformat.notebooknode import NotebookNode

    from nnfw.grading.run.execution import ERROR_ON_TIMEOUT, GuardedMixin

    lock = threading.Lock()

    def send(msg: CellReport | KernelInfo | Finished | ExecutorError) -> None:
        with lock:
            out.write(msg.to_json() + "\n")
            out.flush()

    class Runner(GuardedMixin, NotebookClient):
        def run(self) -> None:
            self.reset_guards()
            with self.setup_kernel():
                assert self.kc is not None
                info = self.wait_for_reply(self.kc.kernel_info())
                if info:
                    send(KernelInfo(dict(info["content"].get("language_info", {}))))
                for index, cell in enumerate(self.nb.cells):
                    self.run_one(cell, index)

        def run_one(self, cell: Any, index: int) -> None:
            try:
                cell = self.guarded_cell(cell, index)
            except Exception as exc:  # noqa: BLE001 - a kernel broken by learner code
                broken = NotebookNode(
                    output_type="error",
                    ename="KernelBroken",
                    evalue=f"the kernel stopped answering properly ({type(exc).__name__})",
                    traceback=[],
                )
                cell.outputs = [*cell.get("outputs", []), broken]
            send(CellReport(index, list(cell.get("outputs", [])), cell.get("execution_count")))

    nb = nbformat.reads(job.notebook, as_version=4)
    runner = Runner(
        nb,
        resources={"metadata": {"path": str(Path.cwd())}},
        timeout=job.limits.cell_timeout,
        notebook_timeout=job.limits.notebook_timeout,
        max_output_chars=job.limits.max_output_chars,
        interrupt_on_timeout=True,
        allow_errors=True,
        raise_on_iopub_timeout=False,
        error_on_timeout=ERROR_ON_TIMEOUT,
        kernel_name=job.kernel_name or "python3",
        # the sandbox is thrown away with the kernel: no need to wait for a clean exit
        shutdown_kernel="immediate",
    )
    if job.extra_arguments:
        runner.extra_arguments = list(job.extra_arguments)
    try:
        runner.run()
    except Exception as exc:  # noqa: BLE001 - reported to the trusted side, which decides
        send(ExecutorError(f"{type(exc).__name__}: {exc}"))
        return 1
    send(Finished())
    return 0


if __name__ == "__main__":
    sys.exit(main())
