"""Run one notebook's kernel in a sandbox, with limits; return only its outputs.

The trusted grader (nbgrader's autograde in :mod:`nnfw.grading.worker`) never runs learner code
itself. For each notebook, :class:`~nnfw.grading.preprocessors.SandboxedExecute` calls
:func:`execute`, which

1. copies the student's autograded folder (the submitted notebooks and files) into a fresh
   temporary folder, the *scratch* folder: the only place the sandbox can write;
2. starts ``python -m nnfw.grading.sandbox`` (the *executor*) inside bubblewrap (``bwrap``):
   a new mount namespace whose root is an empty tmpfs holding read-only binds of the system
   (``/usr``, ``/lib``, a few ``/etc`` files), the Python environment and the ``nnfw``
   package, the scratch folder read-write at ``/sandbox`` (also ``HOME`` and the working
   directory), a private ``/tmp`` (tmpfs) and ``/dev``; new user, PID, network (loopback
   only), IPC, UTS and cgroup namespaces; no capabilities; it dies with its parent. The
   workspace, the gradebook, the source notebooks with hidden tests, other students and the
   course repository are not mounted at all;
3. sends the notebook to run (the graded cells as the grader restored them, plus the
   guard's hidden cells, :mod:`nnfw.grading.guard`) on the executor's stdin; the executor
   sets resource limits on itself (inherited by the kernel: data segment size per process,
   file size, no core dumps), runs the kernel with nbclient (per-cell timeout, a wall-clock
   limit for the whole notebook, capped output) and streams each cell's outputs back as one
   JSON line on a private copy of its stdout;
4. watches the sandbox from outside (every 0.1 s): total memory of its processes,
   their number, and the wall clock; a sandbox over a limit is killed at once (the PID
   namespace goes with it) and the reason reported. Memory is the proportional set size
   (PSS): pages shared by a fork are not counted twice. PSS is costly to read, so it is
   read only when the resident sizes (an upper bound) add up to more than the limit;
5. deletes the scratch folder.

Only outputs come back: the trusted side keeps its own copy of every cell's source and
metadata and merges the outputs into it (:func:`nnfw.grading.guard.merge_back`), so nothing
the sandbox says can change which cells are graded or how many points they carry. The
gradebook is written by the trusted processes only.

Without bubblewrap (macOS, Windows, containers without user namespaces) the executor runs as
a plain child process with the same scratch folder, environment, limits and watchdog, and
the grader prints a loud warning: learner code then runs with the instructor's rights.
"""

from __future__ import annotations

import json
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

#: Where the scratch folder appears inside the sandbox (HOME and working directory).
SANDBOX_HOME = "/sandbox"
#: Error names the grader gives cells it stopped.
LIMIT_ENAME = "ResourceLimit"
NOTEBOOK_TIMEOUT_ENAME = "NotebookTimeLimit"
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


@dataclass(frozen=True)
class Limits:
    """Limits for one notebook's sandbox (``nnfw grade --help`` names the options)."""

    cell_timeout: int = 300
    notebook_timeout: int = 1800
    memory_mb: int = 4096
    max_processes: int = 64
    max_output_chars: int = 2_000_000
    file_size_mb: int = 1024
    tmp_mb: int = 512


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


def bwrap_command(scratch: Path, limits: Limits) -> list[str]:
    """The bubblewrap command line that runs the executor with ``scratch`` as /sandbox."""
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
    for dev in sorted(Path("/dev").glob("nvidia*")):  # GPUs, when the grader has them
        cmd += ["--dev-bind-try", str(dev), str(dev)]
    cmd += ["--bind", str(scratch), SANDBOX_HOME, "--chdir", SANDBOX_HOME]
    cmd += ["--", sys.executable, "-m", "nnfw.grading.sandbox"]
    return cmd


def sandbox_env(home: str) -> dict[str, str]:
    """The executor's environment: nothing of the instructor's but a few settings."""
    env = {k: v for k, v in os.environ.items() if k.startswith(_PASS_ENV)}
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
        NNFW_FAST=os.environ.get("NNFW_FAST") or "1",
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


def _watch(proc: subprocess.Popen[bytes], limits: Limits, mode: str, verdict: list[str]) -> None:
    """Poll the sandbox's processes; kill it on the first limit it passes."""

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
        if reason:
            verdict.append(reason)
            _kill(proc, mode)
            return
        time.sleep(0.1)


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
) -> Outcome:
    """Run the notebook (JSON text) in a sandbox over a copy of ``workdir``; see the module."""
    outcome = Outcome(sandboxed=mode == "bwrap")
    scratch = Path(tempfile.mkdtemp(prefix="nnfw-sandbox-"))
    try:
        if workdir.is_dir():
            shutil.copytree(workdir, scratch, dirs_exist_ok=True, symlinks=True)
        if mode == "bwrap":
            cmd, cwd, env = bwrap_command(scratch, limits), None, sandbox_env(SANDBOX_HOME)
        else:
            cmd = [sys.executable, "-m", "nnfw.grading.sandbox"]
            cwd, env = str(scratch), sandbox_env(str(scratch))
        job = {
            "notebook": notebook_json,
            "limits": limits.__dict__,
            "kernel_name": kernel_name,
            "extra_arguments": list(extra_arguments or []),
        }
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
        watcher = threading.Thread(target=_watch, args=(proc, limits, mode, verdict), daemon=True)
        watcher.start()
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(job).encode())
            proc.stdin.close()
        except OSError:
            pass
        proc.wait()
        watcher.join()
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
        return outcome
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _parse(lines: list[bytes], outcome: Outcome) -> None:
    """Read the executor's JSON lines; anything malformed is ignored."""
    cells: dict[int, dict[str, Any]] = {}
    for raw in lines:
        try:
            msg = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(msg, dict):
            continue
        if isinstance(msg.get("cell"), int) and isinstance(msg.get("outputs"), list):
            cells[msg["cell"]] = {
                "outputs": [o for o in msg["outputs"] if isinstance(o, dict)],
                "execution_count": msg.get("execution_count")
                if isinstance(msg.get("execution_count"), int)
                else None,
            }
        elif isinstance(msg.get("language_info"), dict):
            outcome.language_info = msg["language_info"]
        elif msg.get("done") is True:
            outcome.finished = True
        elif isinstance(msg.get("error"), str):
            outcome.error = msg["error"][:300]
    if cells:
        outcome.cells = [cells.get(i) for i in range(max(cells) + 1)]


# --- the executor (runs inside the sandbox) -------------------------------------------------


def _set_limits(limits: dict[str, Any]) -> None:
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
    if limits.get("memory_mb"):
        cap(resource.RLIMIT_DATA, int(limits["memory_mb"]) * mb)
    cap(resource.RLIMIT_FSIZE, int(limits.get("file_size_mb", 1024)) * mb)
    cap(resource.RLIMIT_CORE, 0)
    if os.geteuid() != 0 and limits.get("max_processes"):
        # counts every process and thread of this user; a backstop for the watchdog
        try:
            total = int(Path("/proc/loadavg").read_text().split()[3].split("/")[1])
        except (OSError, ValueError, IndexError):
            total = 4096
        cap(resource.RLIMIT_NPROC, total + 32 * int(limits["max_processes"]))


def _not_dumpable() -> None:
    """Keep the kernel (same user) from reading this process's memory, which holds the
    notebook with its hidden tests (``/proc/PID/mem``; PR_SET_DUMPABLE = 4)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def main() -> int:
    """The executor: read a job on stdin, run it, stream cell outputs as JSON lines."""
    raw = sys.stdin.buffer.read()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")  # not inherited by the kernel
    log = os.open(
        os.environ.get("NNFW_SANDBOX_LOG", os.devnull), os.O_WRONLY | os.O_CREAT | os.O_APPEND
    )
    os.dup2(log, 1)
    os.dup2(log, 2)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    job = json.loads(raw)
    limits = job["limits"]
    _set_limits(limits)
    _not_dumpable()

    from nnfw.grading.course import skip_slow_imports

    skip_slow_imports()
    import nbformat
    from nbclient import NotebookClient
    from nbformat.notebooknode import NotebookNode

    from nnfw.grading.execution import ERROR_ON_TIMEOUT, GuardedMixin

    lock = threading.Lock()

    def send(msg: dict[str, Any]) -> None:
        with lock:
            out.write(json.dumps(msg) + "\n")
            out.flush()

    class Runner(GuardedMixin, NotebookClient):
        def run(self) -> None:
            self.reset_guards()
            with self.setup_kernel():
                assert self.kc is not None
                info = self.wait_for_reply(self.kc.kernel_info())
                if info:
                    send({"language_info": dict(info["content"].get("language_info", {}))})
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
            send(
                {
                    "cell": index,
                    "outputs": cell.get("outputs", []),
                    "execution_count": cell.get("execution_count"),
                }
            )

    nb = nbformat.reads(job["notebook"], as_version=4)
    runner = Runner(
        nb,
        resources={"metadata": {"path": str(Path.cwd())}},
        timeout=int(limits["cell_timeout"]),
        notebook_timeout=int(limits["notebook_timeout"]),
        max_output_chars=int(limits["max_output_chars"]),
        interrupt_on_timeout=True,
        allow_errors=True,
        raise_on_iopub_timeout=False,
        error_on_timeout=ERROR_ON_TIMEOUT,
        kernel_name=job.get("kernel_name") or "python3",
        # the sandbox is thrown away with the kernel: no need to wait for a clean exit
        shutdown_kernel="immediate",
    )
    if job.get("extra_arguments"):
        runner.extra_arguments = job["extra_arguments"]
    try:
        runner.run()
    except Exception as exc:  # noqa: BLE001 - reported to the trusted side, which decides
        send({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    send({"done": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())
