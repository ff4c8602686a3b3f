"""Run one notebook's kernel in a sandbox, with limits; return only its outputs.

The trusted grader (nbgrader's autograde in :mod:`nnfw.grading.run.worker`) never runs learner code
itself. For each notebook, :class:`~nnfw.grading.run.preprocessors.SandboxedExecute` calls
:func:`execute`, which

1. copies the student's autograded folder (the submitted notebooks and files) into a fresh
   temporary folder, the *scratch* folder: the only place the sandbox can write;
2. starts ``python -m nnfw.grading.run.executor`` (the *executor*) inside bubblewrap (``bwrap``):
   a new mount namespace whose root is an empty tmpfs holding read-only binds of the system
   (``/usr``, ``/lib``, a few ``/etc`` files), the Python environment and the ``nnfw``
   package, the scratch folder read-write at ``/sandbox`` (also ``HOME`` and the working
   directory), a private ``/tmp`` (tmpfs) and ``/dev``; new user, PID, network (loopback
   only), IPC, UTS and cgroup namespaces; no capabilities; it dies with its parent. The
   workspace, the gradebook, the source notebooks with hidden tests, other students and the
   course repository are not mounted at all;
3. sends the notebook to run (the graded cells as the grader restored them, plus the
   guard's hidden cells, :mod:`nnfw.grading.run.guard`) on the executor's stdin; the executor
   sets resource limits on itself (inherited by the kernel: data segment size per process,
   file size, no core dumps), runs the kernel with nbclient (per-cell timeout, a wall-clock
   limit for the whole notebook, capped output) and streams each cell's outputs back as one
   JSON line on a private copy of its stdout;
4. watches the sandbox from outside (every 0.1 s): total memory of its processes,
   their number, and the wall clock; a sandbox over a limit is killed at once (the PID
   namespace goes with it) and the reason reported. Memory is the proportional set size
   (PSS): pages shared by a fork are not counted twice. PSS is costly to read, so it is
   read only when the resident sizes (an upper bound) add up to more than the limit. A
   notebook given a GPU (``gpu=True``) is also watched for GPU memory, once a second
   (:func:`nnfw.grading.gpus.memory_by_process`, CUDA's context included);
5. deletes the scratch folder.

A notebook is given a GPU only when the scheduler put it on a GPU worker
(:mod:`nnfw.grading.schedule`): then the ``/dev/nvidia*`` devices are bound into the sandbox
and the worker's ``CUDA_VISIBLE_DEVICES`` (its one GPU) passes through. Any other notebook
gets no GPU device and ``CUDA_VISIBLE_DEVICES=""``, so no two kernels share a GPU unless the
instructor asked for it (``--kernels-per-gpu``).

Only outputs come back: the trusted side keeps its own copy of every cell's source and
metadata and merges the outputs into it (:func:`nnfw.grading.run.guard.merge_back`), so nothing
the sandbox says can change which cells are graded or how many points they carry. The
gradebook is written by the trusted processes only.

Without bubblewrap (macOS, Windows, containers without user namespaces) the executor runs as
a plain child process with the same scratch folder, environment, limits and watchdog, and
the grader prints a loud warning: learner code then runs with the instructor's rights.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from nnfw.grading.messages import (
    CellReport,
    ExecutorError,
    ExecutorJob,
    Finished,
    KernelInfo,
    parse_reply,
)
from nnfw.grading.settings import Limits

#: Where the scratch folder appears inside the sandbox (HOME and working directory).
SANDBOX_HOME = "/sandbox"
#: Seconds between two looks at a GPU notebook's GPU memory (``nvidia-smi`` is not free).
GPU_POLL = 1.0
#: The module the sandbox runs (:mod:`nnfw.grading.run.executor`).
EXECUTOR = "nnfw.grading.run.executor"
#: Environment variables passed through to the sandbox (prefixes).
_PASS_ENV = ("NNFW_", "OMP_", "MKL_", "OPENBLAS_", "TF_", "KERAS_", "CUDA_", "TORCH_", "XLA_")
_ETC = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/alternatives",
    "/etc/fonts",
)
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt")


@dataclass
class Outcome:
    """What came back from one sandboxed run."""

    cells: list[dict[str, Any] | None] = field(default_factory=list)
    language_info: dict[str, Any] | None = None
    finished: bool = False
    problem: str = ""  # why the sandbox was stopped, or could not run
    log: str = ""
    sandboxed: bool = True
    error: str = ""  # the executor's own error, if it failed


# --- is bubblewrap usable here? ----------------------------------------------------------------


@lru_cache(maxsize=1)
def bwrap_status() -> tuple[bool, str]:
    """Return ``(usable, why)``: whether ``bwrap`` can make a sandbox on this machine."""
    exe = shutil.which("bwrap")
    if exe is None:
        return False, (
            "bubblewrap (bwrap) is not installed; on Debian/Ubuntu: `sudo apt-get install -y "
            "bubblewrap`, on Fedora: `sudo dnf install bubblewrap` (Linux only)"
        )
    probe = [exe, *_namespace_args(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
    try:
        run = subprocess.run(
            [*probe, "true"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"bwrap could not be started ({exc})"
    if run.returncode != 0:
        detail = (run.stderr or "").strip().splitlines()[-1:] or [f"exit code {run.returncode}"]
        return False, (
            f"bwrap cannot create a sandbox here ({detail[0]}); user namespaces may be "
            "disabled (kernel.unprivileged_userns_clone, or a container without them)"
        )
    return True, f"bubblewrap ({exe})"


def _namespace_args() -> list[str]:
    args = ["--unshare-all", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if os.geteuid() == 0:
        args += ["--cap-drop", "ALL"]
    return args


@lru_cache(maxsize=1)
def _bwrap_has_size() -> bool:
    try:
        out = subprocess.run(
            ["bwrap", "--help"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return "--size" in out.stdout + out.stderr


def resolve_mode(requested: str = "auto") -> tuple[str, str]:
    """Return ``(mode, note)``: ``"bwrap"`` or ``"none"``, and why.

    ``requested`` is ``auto`` (bwrap when usable), ``bwrap`` (required: an error when not
    usable) or ``none`` (no sandbox, for debugging).
    """
    from nnfw.grading.course import GradingError

    if requested == "none":
        return "none", "no sandbox (--sandbox none)"
    ok, why = bwrap_status()
    if ok:
        return "bwrap", why
    if requested == "bwrap":
        msg = f"--sandbox bwrap: {why}"
        raise GradingError(msg)
    return "none", why


# --- the sandbox command -----------------------------------------------------------------------


def _python_paths() -> list[str]:
    """Folders the Python environment needs: prefixes, sys.path, the nnfw package."""
    import nnfw

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.add(str(Path(sys.executable).parent))
    paths.add(str(Path(os.path.realpath(sys.executable)).parent.parent))
    paths.add(str(Path(nnfw.__file__).resolve().parent))
    for entry in sys.path:  # site-packages folders outside the prefixes (user site, ...)
        if Path(entry).name in ("site-packages", "dist-packages"):
            paths.add(entry)
    data = os.environ.get("NNFW_DATA") or str(Path.home() / "nnfw_data")
    if Path(data).is_dir():
        paths.add(data)
    return sorted(p for p in paths if p and p != "/" and Path(p).exists())


def _gpu_devices() -> list[Path]:
    """The NVIDIA device nodes (``/dev/nvidia0``, ``/dev/nvidiactl``, ``/dev/nvidia-uvm``)."""
    return sorted(Path("/dev").glob("nvidia*"))


def bwrap_command(scratch: Path, limits: Limits, *, gpu: bool = False) -> list[str]:
    """The bubblewrap command line that runs the executor with ``scratch`` as /sandbox; with
    ``gpu``, the NVIDIA devices too."""
    cmd = ["bwrap", *_namespace_args()]
    for path in _SYSTEM:
        if Path(path).is_symlink():
            cmd += ["--symlink", str(Path(path).readlink()), path]
        elif Path(path).is_dir():
            cmd += ["--ro-bind", path, path]
    for path in _ETC:
        if Path(path).exists():
            cmd += ["--ro-bind", path, path]
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    if _bwrap_has_size():
        cmd += ["--size", str(limits.tmp_mb * 1024 * 1024)]
    cmd += ["--tmpfs", "/tmp"]
    for path in _python_paths():
        cmd += ["--ro-bind", path, path]
    for dev in _gpu_devices() if gpu else ():  # the worker's GPU
        cmd += ["--dev-bind-try", str(dev), str(dev)]
    cmd += ["--bind", str(scratch), SANDBOX_HOME, "--chdir", SANDBOX_HOME]
    cmd += ["--", sys.executable, "-m", EXECUTOR]
    return cmd


def sandbox_env(
    home: str, kernel_env: dict[str, str] | None = None, *, gpu: bool = False
) -> dict[str, str]:
    """The executor's environment: nothing of the instructor's but a few settings.

    ``kernel_env`` (the job's thread counts and fast mode, chosen by the coordinator) wins
    over this process's own environment. Without ``gpu`` CUDA sees no GPU; with it, the
    worker's ``CUDA_VISIBLE_DEVICES`` passes and TensorFlow allocates GPU memory as it goes.
    """
    env = {k: v for k, v in os.environ.items() if k.startswith(_PASS_ENV)}
    env.update({k: v for k, v in (kernel_env or {}).items() if k.startswith(_PASS_ENV)})
    if gpu:
        env.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    else:
        env["CUDA_VISIBLE_DEVICES"] = ""
    tmp = "/tmp" if home == SANDBOX_HOME else str(Path(home) / ".tmp")
    env.update(
        PATH=os.pathsep.join(
            [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
        ),
        HOME=home,
        TMPDIR=tmp,
        LANG="C.UTF-8",
        MPLBACKEND="Agg",
        MPLCONFIGDIR=f"{tmp}/matplotlib",
        IPYTHONDIR=f"{tmp}/ipython",
        JUPYTER_RUNTIME_DIR=f"{tmp}/jupyter-runtime",
        JUPYTER_CONFIG_DIR=f"{tmp}/jupyter-config",
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        NBGRADER_EXECUTION="autograde",
        NNFW_FAST=env.get("NNFW_FAST") or "1",
        NNFW_SANDBOX_LOG=f"{home}/.nnfw-executor.log",
    )
    if home != SANDBOX_HOME:
        Path(tmp).mkdir(parents=True, exist_ok=True)
    return env


# --- running it, with a watchdog ------------------------------------------------------------


def _tree(pid: int) -> list[Any]:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _resident(proc: Any) -> int:
    """Resident set size: cheap to read (``/proc/PID/statm``), never below the PSS."""
    import psutil

    try:
        return int(proc.memory_info().rss)
    except psutil.Error:
        return 0


def _memory(proc: Any) -> int:
    """Proportional set size (shared pages split between sharers; a fork's copy-on-write
    pages are not counted twice), from ``/proc/PID/smaps_rollup``; else the resident size.

    Reading ``smaps_rollup`` walks the process's page tables: about 9 ms of CPU for a
    kernel that imported torch, so the watchdog reads it only when the cheap resident
    sizes add up to more than the limit."""
    import psutil

    try:
        with open(f"/proc/{proc.pid}/smaps_rollup", "rb") as fh:  # noqa: PTH123
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(proc.memory_info().rss)
    except psutil.Error:
        return 0


def _kill(proc: subprocess.Popen[bytes], mode: str) -> None:
    import psutil

    victims = _tree(proc.pid)
    for p in victims if mode == "none" else victims[:1]:
        try:
            p.kill()
        except psutil.Error:
            pass
    if mode == "none":
        try:
            os.killpg(proc.pid, 9)
        except OSError:
            pass


def _watch(
    proc: subprocess.Popen[bytes],
    limits: Limits,
    mode: str,
    verdict: list[str],
    job_limit: int = 0,
) -> None:
    """Poll the sandbox's processes; kill it on the first limit it passes.

    ``job_limit`` (seconds, 0: none) is the grading job's own limit: past it the sandbox is
    stopped even if the notebook's limits would allow more.
    """

    start = time.monotonic()
    hard = limits.notebook_timeout + 60
    memory = limits.memory_mb * 1024 * 1024
    while proc.poll() is None:
        tree = _tree(proc.pid)
        reason = ""
        count = len(tree) - (1 if mode == "bwrap" else 0)
        if count > limits.max_processes + 2:  # + the executor and the kernel
            reason = (
                f"started more than {limits.max_processes} processes (a fork bomb?) and was stopped"
            )
        else:
            if (
                memory > 0
                and sum(_resident(p) for p in tree) > memory
                and sum(_memory(p) for p in tree) > memory
            ):
                reason = (
                    f"used more than {limits.memory_mb} MB of memory and was stopped "
                    f"(--memory-limit)"
                )
            elif time.monotonic() - start > hard:
                reason = (
                    f"ran longer than the notebook limit of {limits.notebook_timeout} s and was "
                    "stopped"
                )
            elif job_limit and time.monotonic() - start > job_limit:
                reason = f"took longer than the grading limit of {job_limit} s and was stopped"
        if reason:
            verdict.append(reason)
            _kill(proc, mode)
            return
        time.sleep(0.1)


def _watch_gpu(
    proc: subprocess.Popen[bytes], limits: Limits, mode: str, verdict: list[str], log: list[str]
) -> None:
    """Once a second: the GPU memory of the sandbox's processes; kill it past the limit."""
    from nnfw.grading.gpus import GpuQueryError, memory_by_process

    while proc.poll() is None:
        try:
            used = memory_by_process()
        except GpuQueryError as exc:
            log.append(f"GPU memory not watched: {exc}")
            return
        pids = {p.pid for p in _tree(proc.pid)}
        total = sum(mb for pid, mb in used.items() if pid in pids)
        if total > limits.gpu_memory_mb and proc.poll() is None:
            verdict.append(
                f"used more than {limits.gpu_memory_mb} MB of GPU memory ({total} MB) and was "
                "stopped (--gpu-memory-limit)"
            )
            _kill(proc, mode)
            return
        time.sleep(GPU_POLL)


def _read_lines(stream: IO[bytes], sink: list[bytes], limit: int) -> None:
    size = 0
    for line in stream:
        size += len(line)
        if size <= limit:
            sink.append(line)


def execute(
    notebook_json: str,
    workdir: Path,
    limits: Limits,
    *,
    mode: str = "bwrap",
    kernel_name: str = "",
    extra_arguments: list[str] | None = None,
    kernel_env: dict[str, str] | None = None,
    job_limit: int = 0,
    gpu: bool = False,
) -> Outcome:
    """Run the notebook (JSON text) in a sandbox over a copy of ``workdir``; see the module.

    ``gpu``: the notebook may use this worker's GPU (and is watched for GPU memory).
    """
    outcome = Outcome(sandboxed=mode == "bwrap")
    scratch = Path(tempfile.mkdtemp(prefix="nnfw-sandbox-"))
    try:
        if workdir.is_dir():
            shutil.copytree(workdir, scratch, dirs_exist_ok=True, symlinks=True)
        if mode == "bwrap":
            cmd, cwd = bwrap_command(scratch, limits, gpu=gpu), None
            env = sandbox_env(SANDBOX_HOME, kernel_env, gpu=gpu)
        else:
            cmd = [sys.executable, "-m", EXECUTOR]
            cwd, env = str(scratch), sandbox_env(str(scratch), kernel_env, gpu=gpu)
        job = ExecutorJob(
            notebook=notebook_json,
            limits=limits,
            kernel_name=kernel_name,
            extra_arguments=tuple(extra_arguments or ()),
        )
        lines: list[bytes] = []
        verdict: list[str] = []
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            outcome.problem = f"could not start its sandbox ({exc})"
            return outcome
        reader = threading.Thread(
            target=_read_lines,
            args=(proc.stdout, lines, limits.max_output_chars * 4 + 50_000_000),
            daemon=True,
        )
        reader.start()
        watcher = threading.Thread(
            target=_watch, args=(proc, limits, mode, verdict, job_limit), daemon=True
        )
        watcher.start()
        notes: list[str] = []
        watchers = [watcher]
        if gpu and limits.gpu_memory_mb > 0:
            watchers.append(
                threading.Thread(
                    target=_watch_gpu, args=(proc, limits, mode, verdict, notes), daemon=True
                )
            )
            watchers[-1].start()
        try:
            assert proc.stdin is not None
            proc.stdin.write(job.to_json().encode())
            proc.stdin.close()
        except OSError:
            pass
        proc.wait()
        for thread in watchers:
            thread.join()
        reader.join(timeout=10)
        if mode == "none":
            _kill(proc, mode)  # anything it left behind
        _parse(lines, outcome)
        if verdict:
            outcome.problem = verdict[0]
        elif not outcome.finished:
            detail = f": {outcome.error}" if outcome.error else ""
            outcome.problem = f"stopped unexpectedly (sandbox exit code {proc.returncode}{detail})"
        log = scratch / ".nnfw-executor.log"
        if log.is_file():
            with log.open("rb") as fh:
                fh.seek(max(0, log.stat().st_size - 4000))
                outcome.log = fh.read().decode(errors="replace")
        if notes:
            outcome.log = "\n".join([*notes, outcome.log])
        return outcome
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _parse(lines: list[bytes], outcome: Outcome) -> None:
    """Read the executor's replies (:func:`~nnfw.grading.messages.parse_reply`)."""
    cells: dict[int, dict[str, Any]] = {}
    for raw in lines:
        reply = parse_reply(raw)
        if isinstance(reply, CellReport):
            cells[reply.cell] = {"outputs": reply.outputs, "execution_count": reply.execution_count}
        elif isinstance(reply, KernelInfo):
            outcome.language_info = reply.language_info
        elif isinstance(reply, Finished):
            outcome.finished = True
        elif isinstance(reply, ExecutorError):
            outcome.error = reply.error
    if cells:
        outcome.cells = [cells.get(i) for i in range(max(cells) + 1)]
