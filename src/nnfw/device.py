"""Which devices each framework sees, and how to pick one.

The same notebook code runs on a laptop CPU, an NVIDIA GPU (CUDA) and an Apple
GPU (MPS): ask :func:`torch_device` for the best PyTorch device instead of
writing ``"cuda"``, and call :func:`configure_tensorflow` (or use
:mod:`nnfw.tf`) so TensorFlow never reserves all GPU memory.

Set ``NNFW_DEVICE=cpu`` (or ``cuda``, ``cuda:1``, ``mps``) to override the
automatic choice, for example to compare timings.

Nothing here imports a framework at module import time; :func:`describe`
imports the frameworks that are installed and skips the others.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nnfw.config import quiet_frameworks

if TYPE_CHECKING:  # pragma: no cover
    import torch

#: The frameworks :func:`describe` knows about, in the order they are imported
#: (PyTorch before TensorFlow: see the README's conventions).
FRAMEWORKS: tuple[str, ...] = ("torch", "tensorflow")


@dataclass
class FrameworkDevices:
    """What one framework sees: its version and device names."""

    name: str
    installed: bool
    version: str | None = None
    devices: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def gpus(self) -> list[str]:
        """The GPU devices among :attr:`devices` (CUDA, MPS, TensorFlow's ``GPU:N``)."""
        return [d for d in self.devices if d.split(":")[0] in {"cuda", "mps", "GPU"}]

    def gpu_line(self) -> str:
        """One line for ``nnfw doctor``: which GPU this framework sees, or why none."""
        label = {"torch": "PyTorch", "tensorflow": "TensorFlow"}.get(self.name, self.name)
        if not self.installed:
            return f"{label}: not installed"
        if self.gpus:
            return f"{label}: {', '.join(self.gpus)}"
        return f"{label}: none" + (f" ({self.note})" if self.note else "")

    def __str__(self) -> str:
        if not self.installed:
            return f"{self.name:<11} not installed"
        devices = ", ".join(self.devices) if self.devices else "no devices"
        note = f"  ({self.note})" if self.note else ""
        return f"{self.name:<11} {self.version:<10} {devices}{note}"


@dataclass
class DeviceReport:
    """The result of :func:`describe`; ``print()`` it for a short table."""

    python: str
    platform: str
    frameworks: list[FrameworkDevices]

    def __str__(self) -> str:
        lines = [f"{'python':<11} {self.python:<10} {self.platform}"]
        lines += [str(f) for f in self.frameworks]
        return "\n".join(lines)

    def __getitem__(self, name: str) -> FrameworkDevices:
        for entry in self.frameworks:
            if entry.name == name:
                return entry
        known = ", ".join(f.name for f in self.frameworks)
        msg = f"no framework named {name!r} in this report (it has: {known})"
        raise KeyError(msg)

    @property
    def has_gpu(self) -> bool:
        """True when any framework sees a CUDA or MPS device."""
        return any(
            d.split(":")[0] in {"cuda", "mps", "GPU"} for f in self.frameworks for d in f.devices
        )


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _describe_torch() -> FrameworkDevices:
    import torch

    devices = ["cpu"]
    note = ""
    if torch.cuda.is_available():
        devices += [
            f"cuda:{i} ({torch.cuda.get_device_name(i)})" for i in range(torch.cuda.device_count())
        ]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    if len(devices) == 1:
        note = "no GPU visible"
    return FrameworkDevices("torch", True, torch.__version__, devices, note)


def _cpu_only_tensorflow() -> bool:
    """True when TensorFlow is the ``tensorflow-cpu`` distribution (no CUDA support at all)."""
    from importlib import metadata

    def has(dist: str) -> bool:
        try:
            metadata.version(dist)
        except metadata.PackageNotFoundError:
            return False
        return True

    return has("tensorflow-cpu") and not has("tensorflow")


def _describe_tensorflow() -> FrameworkDevices:
    configure_tensorflow()
    import tensorflow as tf

    devices = []
    for device in tf.config.list_physical_devices():
        name = device.name.replace("/physical_device:", "")
        if device.device_type == "GPU":
            try:
                details = tf.config.experimental.get_device_details(device)
            except Exception:  # noqa: BLE001 - details are a nicety
                details = {}
            if details.get("device_name"):
                name += f" ({details['device_name']})"
        devices.append(name)
    note = ""
    if not any(d.startswith("GPU") for d in devices):
        note = "no GPU visible"
        if _cpu_only_tensorflow():
            note += "; tensorflow-cpu has no GPU support: use the gpu-tf environment"
    return FrameworkDevices("tensorflow", True, tf.__version__, devices, note)


def gpu_status(framework: str) -> tuple[bool, str]:
    """Whether ``framework`` ("torch" or "tensorflow") sees a CUDA GPU, and a line saying so.

    Used by ``pytest --require-gpu`` (conftest.py) for each framework a run collects, and by
    ``nnfw doctor``. Apple's MPS does not count: the GPU runners are NVIDIA machines.
    """
    entry = describe([framework])[framework]
    cuda = [d for d in entry.gpus if not d.startswith("mps")]
    label = {"torch": "PyTorch", "tensorflow": "TensorFlow"}[framework]
    if cuda:
        return True, f"{label} {entry.version} sees {', '.join(cuda)}"
    if not entry.installed:
        return False, f"{label} is not installed"
    why = entry.note or "no GPU visible"
    if framework == "torch":
        import torch

        build = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "CPU-only build"
        return False, f"torch {entry.version} ({build}) sees no CUDA device"
    return False, f"TensorFlow {entry.version} sees no GPU ({why})"


def describe(frameworks: tuple[str, ...] | list[str] | None = None) -> DeviceReport:
    """Report what each installed framework sees.

    Parameters
    ----------
    frameworks : sequence of {"torch", "tensorflow"}, default=None
        Which frameworks to ask. ``None`` asks every installed one, PyTorch
        first. A framework that is not installed is reported as such; this
        function never fails because one is missing.

    Returns
    -------
    DeviceReport
        ``print(report)`` shows one line per framework; ``report["torch"]``
        gives that framework's :class:`FrameworkDevices`.

    Examples
    --------
    >>> report = describe(["torch"])  # doctest: +SKIP
    >>> print(report)  # doctest: +SKIP
    python      3.11.7     Linux-x86_64
    torch       2.13.0+cpu cpu  (no GPU visible)
    """
    names = list(FRAMEWORKS if frameworks is None else frameworks)
    unknown = [n for n in names if n not in FRAMEWORKS]
    if unknown:
        msg = f"unknown framework(s) {unknown}; choose from {list(FRAMEWORKS)}"
        raise ValueError(msg)
    probes = {"torch": _describe_torch, "tensorflow": _describe_tensorflow}
    entries = []
    for name in sorted(names, key=FRAMEWORKS.index):
        if not _installed(name):
            entries.append(FrameworkDevices(name, installed=False))
            continue
        try:
            entries.append(probes[name]())
        except Exception as exc:  # noqa: BLE001  (a broken install must not break the report)
            entries.append(FrameworkDevices(name, True, "?", [], f"failed to load: {exc}"))
    return DeviceReport(
        python=platform.python_version(),
        platform=f"{platform.system()}-{platform.machine()}",
        frameworks=entries,
    )


def torch_device(prefer: str | None = None) -> torch.device:
    """Return the best PyTorch device: CUDA, then Apple MPS, then CPU.

    Parameters
    ----------
    prefer : str, default=None
        Ask for a device by name (``"cpu"``, ``"cuda"``, ``"cuda:1"``,
        ``"mps"``). ``None`` reads ``NNFW_DEVICE`` and otherwise picks
        automatically. Asking for a device that is not available is an error
        (a silent fallback would hide a broken GPU set-up).

    Examples
    --------
    >>> torch_device("cpu")
    device(type='cpu')
    """
    import torch

    choice = prefer if prefer is not None else os.environ.get("NNFW_DEVICE", "").strip() or None
    if choice is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(choice)
    except (RuntimeError, TypeError) as exc:
        msg = (
            f"{choice!r} is not a PyTorch device name; use 'cpu', 'cuda', 'cuda:N' or 'mps' ({exc})"
        )
        raise ValueError(msg) from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = device.index or 0
        if index >= count:
            msg = (
                f"device {choice!r} was requested but PyTorch sees {count} CUDA device(s) "
                f"(torch {torch.__version__}); use torch_device() to pick automatically"
            )
            raise RuntimeError(msg)
    elif device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            msg = "device 'mps' was requested but this PyTorch build or machine has no MPS support"
            raise RuntimeError(msg)
    elif device.type != "cpu":
        msg = f"device type {device.type!r} is not supported by the course; use cpu, cuda or mps"
        raise ValueError(msg)
    return device


def configure_tensorflow() -> list[str]:
    """Import TensorFlow politely and return the names of its GPUs.

    Sets the quiet environment defaults first (see
    :func:`nnfw.config.quiet_frameworks`), imports TensorFlow, turns on memory
    growth for every GPU so TensorFlow takes only what it needs, and lowers
    TensorFlow's Python logger to ``ERROR``. Safe to call many times.
    """
    quiet_frameworks()
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # pragma: no cover - only once the GPU is in use
            pass  # already initialised: memory growth is fixed by TF_FORCE_GPU_ALLOW_GROWTH
    return [g.name for g in gpus]


def _versions() -> dict[str, Any]:  # used by `nnfw doctor`
    from importlib import metadata

    names = {
        "torch": ["torch"],
        "tensorflow": ["tensorflow-cpu", "tensorflow", "tensorflow-macos"],
        "keras": ["keras"],
        "lightning": ["lightning"],
        "nbgrader": ["nbgrader"],
        "nbval": ["nbval"],
        "jupyterlab": ["jupyterlab"],
        "numpy": ["numpy"],
        "matplotlib": ["matplotlib"],
        "scikit-learn": ["scikit-learn"],
        "mlxtend": ["mlxtend"],
    }
    found: dict[str, Any] = {"python": sys.version.split()[0]}
    for label, dists in names.items():
        found[label] = None
        for dist in dists:
            try:
                found[label] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return found
