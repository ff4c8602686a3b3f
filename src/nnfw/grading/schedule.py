"""Schedule: run the grading jobs on Dask distributed, embedded or on a cluster.

By default :class:`Scheduler` starts an embedded ``LocalCluster``: one worker *process* per
``--jobs`` slot (one thread each), scheduler and workers on 127.0.0.1 only,
each worker preloading the grader (:func:`nnfw.grading.run.worker.dask_setup`); its
HTTP server listens on a free loopback port. With
``--scheduler tcp://HOST:PORT`` it connects to a running cluster instead (see
``docs/architecture.md``, "Grading on a cluster").

Jobs and results are plain messages (:class:`~nnfw.grading.messages.NotebookJob` and
:class:`~nnfw.grading.messages.NotebookGrade`, pickled by Dask): workers need no shared file
system. :meth:`Scheduler.run` yields results as they arrive, so the coordinator merges each
into the gradebook at once and stays the only writer.

A worker that dies (killed, out of memory) takes its running job with it; Dask runs the job
again on another worker, and when it has failed ``retries + 1`` times (the embedded cluster's
``distributed.scheduler.allowed-failures``; a remote cluster uses its own setting) the job
comes back as a failed result with a reason. The batch never stops for it.

GPUs: workers that advertise a ``GPU`` resource (``dask worker ... --resources GPU=1``) receive
the PyTorch notebooks, one at a time each, and only those jobs are given the worker's GPU
(:attr:`NotebookJob.gpu <nnfw.grading.messages.NotebookJob.gpu>`); every other job sees no
GPU. ``gpus=N`` (``nnfw grade --gpus N``) makes the embedded cluster start such workers
itself: ``kernels_per_gpu`` per GPU (default one: two kernels never share a GPU unless
asked), each seeing only its GPU (:mod:`nnfw.grading.gpus`); the other workers see none.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import threading
from collections.abc import Iterable, Iterator
from typing import Any, Self

from nnfw.grading.course import GradingError, short
from nnfw.grading.messages import NotebookGrade, NotebookJob

#: The Dask resource a GPU worker advertises; PyTorch notebooks ask for one unit of it.
GPU_RESOURCE = "GPU"
#: Seconds to wait for a remote scheduler to answer.
CONNECT_TIMEOUT = 30


def _is_pytorch(notebook: str) -> bool:
    from nnfw.authoring.notebooks import framework_of

    return framework_of(f"{notebook}.ipynb") == "torch"


def _take_gpus(count: int) -> list[Any]:
    """The first ``count`` GPUs of this machine; a :class:`GradingError` if it has fewer."""
    from nnfw.grading.gpus import GpuQueryError, list_gpus

    try:
        found = list_gpus()
    except GpuQueryError as exc:
        msg = f"--gpus {count}: cannot list this machine's GPUs: {exc}"
        raise GradingError(msg) from None
    if len(found) < count:
        msg = (
            f"--gpus {count}: this machine has {len(found)} usable GPU(s) (nvidia-smi; "
            "CUDA_VISIBLE_DEVICES narrows them). Ask for fewer, or drop --gpus to grade on the CPU."
        )
        raise GradingError(msg)
    return found[:count]


class Scheduler:
    """Where the jobs run: an embedded cluster (``address=None``) or one at ``address``.

    Use as a context manager; :meth:`start` may be called early (it starts the embedded
    cluster in a background thread, so its start-up overlaps the coordinator's set-up).
    """

    def __init__(
        self,
        address: str | None,
        workers: int,
        *,
        retries: int = 1,
        gpus: int = 0,
        kernels_per_gpu: int = 1,
    ) -> None:
        self.address = address
        self.workers = workers
        self.retries = retries
        self.kernels_per_gpu = kernels_per_gpu
        #: the GPUs the embedded cluster hands out (``gpus`` of this machine's)
        self.gpus = _take_gpus(gpus) if gpus and address is None else []
        self.cluster: Any = None
        self.client: Any = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._gpu_workers = 0
        self._checked = False

    # --- start and stop ----------------------------------------------------------------------

    def start(self) -> Scheduler:
        """Start connecting (or starting the embedded cluster) in the background."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._connect, name="nnfw-dask", daemon=True)
            self._thread.start()
        return self

    def _connect(self) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster

            if self.address is None:
                with dask.config.set(
                    {
                        "distributed.scheduler.allowed-failures": self.retries,
                        # one job per worker thread at a time: a dying worker takes only its
                        # running job with it, and queued jobs go to whichever worker is free
                        "distributed.scheduler.worker-saturation": 1.0,
                        "distributed.worker.daemon": False,  # the workers' sandboxes are children
                        "distributed.worker.profile.enabled": False,  # see run.worker.dask_setup
                    }
                ):
                    options = {"n_workers": self.workers, **self._cpu_worker_options()}
                    self.cluster = LocalCluster(
                        **options,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        # its HTTP server (health checks; a dashboard if bokeh is
                        # installed) on a free loopback port, never a fixed one
                        dashboard_address="127.0.0.1:0",
                        silence_logs=logging.ERROR,
                        preload=["nnfw.grading.run.worker"],
                    )
                self.client = Client(self.cluster, set_as_default=False)
                if self.gpus:
                    self._add_gpu_workers()
            else:
                self.client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except BaseException as exc:  # noqa: BLE001 - re-raised in wait()
            self._error = exc

    def _gpu_slots(self) -> int:
        return len(self.gpus) * self.kernels_per_gpu

    def _cpu_worker_options(self) -> dict[str, Any]:
        """With GPUs: fewer plain workers (they see no GPU) and an even share of memory."""
        if not self.gpus:
            return {}
        from distributed import system

        total = max(self.workers, self._gpu_slots())
        return {
            "n_workers": total - self._gpu_slots(),
            "memory_limit": int(system.MEMORY_LIMIT / total),
            "env": {"CUDA_VISIBLE_DEVICES": ""},
        }

    def _add_gpu_workers(self) -> None:
        """Start ``kernels_per_gpu`` workers per GPU, each seeing only its GPU."""
        template = self.cluster.new_spec
        for gpu in self.gpus:
            for slot in range(self.kernels_per_gpu):
                spec = copy.deepcopy(template)
                spec["options"]["resources"] = {GPU_RESOURCE: 1}
                spec["options"]["env"] = {"CUDA_VISIBLE_DEVICES": gpu.uuid}
                self.cluster.worker_spec[f"gpu{gpu.index}-{slot}"] = spec
        self.cluster.scale(len(self.cluster.worker_spec))
        self.client.wait_for_workers(len(self.cluster.worker_spec), timeout=300)

    def wait(self) -> Scheduler:
        """Block until the cluster is usable; raise :class:`GradingError` if it is not."""
        self.start()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            where = self.address or "the embedded Dask cluster"
            msg = f"could not start grading on {where}: {short(self._error, 200)}"
            if self.address is not None:
                msg += (
                    ". Is `dask scheduler` running there, and is the address "
                    "tcp://HOST:PORT (default port 8786)?"
                )
            raise GradingError(msg)
        info = self.client.scheduler_info()
        workers = info.get("workers", {})
        if self.address is not None and not workers:
            msg = f"the Dask scheduler at {self.address} has no workers: start `dask worker`"
            raise GradingError(msg)
        self._gpu_workers = sum(
            1 for w in workers.values() if w.get("resources", {}).get(GPU_RESOURCE)
        )
        self._checked = True
        return self

    @property
    def ready(self) -> bool:
        """Whether the cluster is usable now; never blocks for long (it finishes :meth:`wait`
        once the background start is over, raising its error if it failed)."""
        if not self._checked and self._thread is not None and not self._thread.is_alive():
            self.wait()
        return self._checked

    def describe(self) -> str:
        """One line for the progress output: where the jobs run (it may still be starting)."""
        if self.address is None:
            if self.gpus:
                from nnfw.grading.gpus import describe

                total = max(self.workers, self._gpu_slots())
                return (
                    f"an embedded Dask cluster, {total} worker(s), {self._gpu_slots()} of them "
                    f"on {describe(self.gpus)}, {self.kernels_per_gpu} kernel(s) per GPU"
                )
            return f"an embedded Dask cluster, {self.workers} worker(s)"
        if self.client is None:
            return f"Dask at {self.address} (not connected)"
        workers = len(self.client.scheduler_info().get("workers", {}))
        where = f"Dask at {self.address}"
        gpus = f", {self._gpu_workers} with a GPU" if self._gpu_workers else ""
        return f"{where}, {workers} worker(s){gpus}"

    def close(self) -> None:
        """Disconnect; stop the embedded cluster and its workers."""
        if self._thread is not None:
            self._thread.join()
        for thing in (self.client, self.cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # noqa: BLE001, S110 - closing must not hide the real error
                    pass
        self.client = self.cluster = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- running jobs ------------------------------------------------------------------------

    def run(self, jobs: Iterable[NotebookJob]) -> Iterator[tuple[NotebookJob, NotebookGrade]]:
        """Submit ``jobs`` as the iterable yields them (so the first ones run while the caller
        still prepares the rest); then yield ``(job, result)`` as each finishes, failures
        included."""
        from distributed import as_completed

        from nnfw.grading.run.worker import grade_notebook

        futures: dict[Any, NotebookJob] = {}
        early: list[NotebookJob] = []  # prepared while the cluster was still starting

        def submit(job: NotebookJob) -> None:
            resources = None
            if self._gpu_workers and _is_pytorch(job.notebook):
                resources = {GPU_RESOURCE: 1}
                job = dataclasses.replace(job, gpu=True)
            future = self.client.submit(
                grade_notebook,
                job,
                key=f"nnfw-grade-{len(futures)}-{job.student}-{job.notebook}",
                pure=False,
                resources=resources,
            )
            futures[future] = job

        self.start()
        for job in jobs:
            if self.ready:
                for waiting in early:
                    submit(waiting)
                early.clear()
                submit(job)
            else:
                early.append(job)
        if early:
            self.wait()
            for waiting in early:
                submit(waiting)
        if not futures:
            return
        for future in as_completed(list(futures), loop=self.client.loop):
            job = futures.pop(future)
            yield job, self._result(future, job)
            future.release()

    def _result(self, future: Any, job: NotebookJob) -> NotebookGrade:
        from distributed.scheduler import KilledWorker

        try:
            result = future.result()
        except KilledWorker:
            return NotebookGrade(
                student=job.student,
                notebook=job.notebook,
                failure=(
                    f"the grader's worker process died while grading it, {self.retries + 1} "
                    "time(s) (killed, or out of memory outside the sandbox)"
                ),
            )
        except Exception as exc:  # noqa: BLE001 - a lost job costs that notebook only
            return NotebookGrade(
                student=job.student,
                notebook=job.notebook,
                failure=f"the grader crashed ({type(exc).__name__}: {short(exc, 200)})",
            )
        if not isinstance(result, NotebookGrade):
            return NotebookGrade(
                student=job.student, notebook=job.notebook, failure="the worker sent no result"
            )
        return result
