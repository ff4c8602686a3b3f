"""The grader's GPUs, as ``nvidia-smi`` reports them (no CUDA library is loaded).

``nnfw grade --gpus N`` (:mod:`nnfw.grading.schedule`) starts one Dask worker per GPU (or
``--kernels-per-gpu K`` per GPU), each seeing only its GPU through ``CUDA_VISIBLE_DEVICES``
(the GPU's UUID, so that CUDA's device order cannot differ from ``nvidia-smi``'s); PyTorch
notebooks ask those workers for one unit of the ``GPU`` resource. A job that was not given a
GPU sees none: the sandbox then binds no ``/dev/nvidia*`` device and hides the GPUs from CUDA
(:func:`nnfw.grading.run.sandbox.execute`).

The watchdog of a GPU job (:func:`nnfw.grading.run.sandbox.execute`) asks
:func:`memory_by_process` once a second how much GPU memory each process uses (CUDA's
context included: what ``nvidia-smi`` shows), adds up the sandbox's processes, and stops the
sandbox past ``--gpu-memory-limit``, with that reason, like the other limits.

Only the coordinator and the trusted workers call this module; it runs ``nvidia-smi`` from
``PATH``, so tests put a stand-in there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

#: The command that reports the GPUs (looked up on ``PATH`` at each call).
NVIDIA_SMI = "nvidia-smi"
#: Seconds ``nvidia-smi`` may take to answer.
QUERY_TIMEOUT = 10


class GpuQueryError(RuntimeError):
    """``nvidia-smi`` is missing or did not answer; the message says which."""


@dataclass(frozen=True)
class Gpu:
    """One GPU of this machine."""

    index: int
    uuid: str
    name: str
    memory_mb: int


def _query(*args: str) -> list[list[str]]:
    exe = shutil.which(NVIDIA_SMI)
    if exe is None:
        msg = f"`{NVIDIA_SMI}` was not found on PATH (no NVIDIA driver on this machine?)"
        raise GpuQueryError(msg)
    try:
        done = subprocess.run(
            [exe, *args, "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=QUERY_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        msg = f"`{NVIDIA_SMI}` did not answer ({type(exc).__name__}: {exc})"
        raise GpuQueryError(msg) from None
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip().splitlines()
        msg = f"`{NVIDIA_SMI}` failed (exit code {done.returncode}: {why[-1] if why else ''})"
        raise GpuQueryError(msg)
    return [
        [part.strip() for part in line.split(",")]
        for line in done.stdout.splitlines()
        if line.strip()
    ]


def list_gpus() -> list[Gpu]:
    """The GPUs this process may use: all of them, or those ``CUDA_VISIBLE_DEVICES`` names
    (indices or UUIDs), in its order. Raises :class:`GpuQueryError`."""
    gpus = []
    for row in _query("--query-gpu=index,uuid,name,memory.total"):
        try:
            gpus.append(Gpu(int(row[0]), row[1], row[2], int(float(row[3]))))
        except (IndexError, ValueError):
            continue  # a line nvidia-smi did not mean for us
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return gpus
    chosen = []
    for entry in (e.strip() for e in visible.split(",")):
        match = [g for g in gpus if entry and (entry == str(g.index) or g.uuid.startswith(entry))]
        if not match:
            break  # CUDA stops at the first entry it cannot use, too
        chosen.append(match[0])
    return chosen


def memory_by_process() -> dict[int, int]:
    """MB of GPU memory each process uses, by PID, over all GPUs. Raises
    :class:`GpuQueryError`."""
    used: dict[int, int] = {}
    for row in _query("--query-compute-apps=pid,used_memory"):
        try:
            pid, mb = int(row[0]), int(float(row[1]))
        except (IndexError, ValueError):
            continue  # "[N/A]" where the driver does not say
        used[pid] = used.get(pid, 0) + mb
    return used


def describe(gpus: list[Gpu]) -> str:
    """``"2 GPUs (NVIDIA H200, 143771 MB)"``, for the progress output."""
    if not gpus:
        return "no GPU"
    kinds = sorted({f"{g.name}, {g.memory_mb} MB" for g in gpus})
    return f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''} ({'; '.join(kinds)})"
