"""pytest set-up for the whole repository: GPU switch, nbval wiring, notebook run times.

This file sits at the repository root so that it applies however pytest is started
(`pytest`, `pytest tests/test_x.py`, `pytest solutions/01-tensors/tensors_pytorch.ipynb`).
docs/testing.md explains the design; in short:

* ``pytest --require-gpu`` is for GPU runners: it stops the run with a usage error when a
  framework of the collected tests sees no GPU (PyTorch for torch/Lightning notebooks and
  ``gpu`` tests, TensorFlow for tensorflow/Keras notebooks; PyTorch when neither is collected),
  so a misconfigured runner fails instead of quietly running on the CPU. Without the flag, tests marked ``gpu`` are skipped on machines without CUDA.
* nbval runs every notebook in ``solutions/`` in lax mode (options in pyproject's ``addopts``;
  ``testpaths`` adds ``solutions``). Here: the sanitizer file, the ``notebook``/``slow``/``torch``/
  ``tensorflow`` markers on notebook cells, ``NNFW_FAST=1`` for notebooks that honour it, and
  ``--dist loadfile`` under pytest-xdist (a notebook's cells share one kernel, so one worker).
* Every notebook run (nbval over ``solutions/``, the blank-notebook runs of ``course/``, the
  browser test's Run All in JupyterLab, ``tests/test_browser.py``) is timed;
  the terminal summary prints a table, slowest first, against the 60 s budget, and writes it to
  ``.pytest_cache/d/nnfw/notebook-runtimes.json``. Over budget is reported, not asserted, unless
  ``--strict-notebook-budget`` is given.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import pytest

import nnfw  # noqa: F401  (sets TensorFlow's quiet defaults before any test imports it)
from nnfw.authoring.notebooks import framework_of, honours_fast_mode
from nnfw.config import temporary_env

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent
SANITIZE_FILE = ROOT / "tests" / "nbval_sanitize.cfg"
#: Seconds a notebook may take from kernel start to the last cell on a 2-core CPU (course plan).
NOTEBOOK_BUDGET_S = 60.0
#: The key under which notebook runs are recorded in a test report's user_properties.
RUN_KEY = "nnfw_notebook_run"
#: NNFW_FAST as the user gave it (None: not set; the suite then chooses per notebook).
USER_FAST = os.environ.get("NNFW_FAST")

# `pytest .` must not hand learner notebooks (they fail by design; work/ is a learner's own
# folder from `nnfw start`), sample submissions or the
# demo assignment to nbval. Paths given on the command line are still collected.
collect_ignore_glob = [
    "course/*.ipynb",
    "grader/*.ipynb",
    "grading/*.ipynb",
    "src/*.ipynb",
    "work/*",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-gpu",
        action="store_true",
        default=False,
        help="stop with a usage error (instead of skipping GPU tests) when a framework of the "
        "collected tests sees no GPU: PyTorch for torch/Lightning notebooks and gpu tests, "
        "TensorFlow for tensorflow/Keras notebooks",
    )
    parser.addoption(
        "--strict-notebook-budget",
        action="store_true",
        default=False,
        help=f"exit 1 when a notebook takes over {NOTEBOOK_BUDGET_S:.0f} s "
        "(default: report it only; timings on shared machines are noisy)",
    )


def _cuda_status() -> tuple[bool, str]:
    try:
        import torch
    except ImportError:
        return False, "PyTorch is not installed"
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        return True, f"torch {torch.__version__}, CUDA {torch.version.cuda}: {', '.join(names)}"
    build = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "CPU-only build"
    return False, f"torch {torch.__version__} ({build}) sees no CUDA device"


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config.option, "nbval_sanitize_with") and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(SANITIZE_FILE)
    # pytest-xdist: all cells of a notebook run in one kernel, so in one worker, in order.
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadfile"
    config.stash[_RUNS] = {}
    config.stash[_LOAD] = _loadavg()


def pytest_report_header(config: pytest.Config) -> str:
    fast = "per notebook (1 where honoured)" if USER_FAST is None else repr(USER_FAST)
    return f"nnfw devices: {_cuda_status()[1]}; NNFW_FAST={fast}; {_machine()}"


def _machine() -> str:
    return f"{os.cpu_count()} CPUs, load {_loadavg()}"


def _loadavg() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover (Windows)
        return "n/a"


# --- notebook cells collected by nbval -------------------------------------------------------


def _is_nbval_cell(item: pytest.Item) -> bool:
    return type(item).__name__ == "IPyNbCell" and hasattr(item.parent, "nb")


def pytest_itemcollected(item: pytest.Item) -> None:
    if not _is_nbval_cell(item):
        return
    item.add_marker(pytest.mark.notebook)
    item.add_marker(pytest.mark.slow)
    framework = framework_of(item.path)
    if framework:
        item.add_marker(getattr(pytest.mark, framework))


def _rel(path: Path | str) -> str:
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def fast_env_for(nb: Any) -> dict[str, str]:
    """The NNFW_FAST a notebook runs with under pytest: the user's, else 1 only where honoured."""
    if USER_FAST is not None:
        return {}
    return {"NNFW_FAST": "1" if honours_fast_mode(nb) else "0"}


def mode_name(env: dict[str, str]) -> str:
    value = env.get("NNFW_FAST", USER_FAST or "0")
    return "fast" if value.strip().lower() in {"1", "true", "yes", "on"} else "full"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    """Start each notebook's kernel (in nbval's collector set-up) with the right NNFW_FAST."""
    if not _is_nbval_cell(item) or item.parent.kernel is not None:
        return (yield)
    env = fast_env_for(item.parent.nb)
    item.user_properties.append((RUN_KEY, {"kind": "solution", "mode": mode_name(env)}))
    with temporary_env(env):
        return (yield)


# --- run times ------------------------------------------------------------------------------

_RUNS = pytest.StashKey[dict]()
_LOAD = pytest.StashKey[str]()
#: The session's config, for pytest_runtest_logreport (which is not given it).
_CONFIG: dict[str, pytest.Config] = {}


def _key(notebook: str) -> str:
    """``01-tensors/tensors_pytorch.ipynb`` for its solution and its learner notebook alike."""
    for prefix in ("solutions/", "course/"):
        if notebook.startswith(prefix):
            return notebook[len(prefix) :]
    return notebook


def _record(config: pytest.Config, notebook: str, kind: str, **values: Any) -> None:
    runs = config.stash.get(_RUNS, None)
    if runs is None:
        return
    notebook = _key(notebook)
    entry = runs.setdefault(notebook, {}).setdefault(
        kind, {"seconds": 0.0, "mode": None, "failed": False}
    )
    entry["seconds"] += values.pop("seconds", 0.0)
    for key, value in values.items():
        if key == "failed":
            entry["failed"] = entry["failed"] or bool(value)
        elif value is not None:
            entry[key] = value


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = _CONFIG.get("config")
    if config is None:
        return
    props = {key: value for key, value in getattr(report, "user_properties", []) if key == RUN_KEY}
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):  # an nbval cell: every phase counts (kernel start, shutdown)
        extra = props.get(RUN_KEY, {})
        _record(
            config,
            path,
            "solution",
            seconds=report.duration,
            mode=extra.get("mode"),
            failed=report.failed,
        )
    elif RUN_KEY in props and report.when == "call":
        extra = dict(props[RUN_KEY])
        _record(config, extra.pop("notebook"), extra.pop("kind"), failed=report.failed, **extra)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG["config"] = session.config


def _rows(runs: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    for notebook, kinds in runs.items():
        worst = max(entry["seconds"] for entry in kinds.values())
        rows.append(
            {
                "notebook": notebook,
                **{kind: kinds.get(kind) for kind in ("solution", "blank", "browser")},
                "seconds": round(worst, 2),
                "over_budget": worst > NOTEBOOK_BUDGET_S,
            }
        )
    rows.sort(key=lambda row: -row["seconds"])
    return rows


def _cell(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "-".ljust(_WIDTH)
    text = f"{entry['seconds']:6.1f} s {entry['mode'] or '?'}"
    return (text + (" FAILED" if entry["failed"] else "")).ljust(_WIDTH)


_WIDTH = 20


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    runs = config.stash.get(_RUNS, {})
    if not runs:
        return
    rows = _rows(runs)
    over = [row for row in rows if row["over_budget"]]
    tr = terminalreporter
    tr.write_sep("=", f"notebook run times (budget {NOTEBOOK_BUDGET_S:.0f} s each, slowest first)")
    tr.write_line(
        f"machine: {platform.node() or '?'}, {os.cpu_count()} CPUs, load at start "
        f"{config.stash.get(_LOAD, '?')}, at end {_loadavg()}; device: {_cuda_status()[1]}"
    )
    tr.write_line(
        f"{'notebook':<44} {'solutions/ (nbval)':<{_WIDTH}}  {'course/ (blank)':<{_WIDTH}}  "
        f"{'browser (JupyterLab)':<{_WIDTH}}  budget"
    )
    for row in rows:
        verdict = "OVER BUDGET" if row["over_budget"] else "ok"
        tr.write_line(
            f"{row['notebook']:<44} {_cell(row['solution'])}  {_cell(row['blank'])}  "
            f"{_cell(row['browser'])}  {verdict}"
        )
    total = sum(entry["seconds"] for kinds in runs.values() for entry in kinds.values())
    tr.write_line(
        f"BENCHMARK notebook-budget: {len(over)} of {len(rows)} notebook(s) over "
        f"{NOTEBOOK_BUDGET_S:.0f} s; {total:.0f} s of notebook runs in all"
        + ("" if not over else " (a report, not a failure; --strict-notebook-budget fails)")
    )
    path = _write_json(config, rows, total)
    if path is not None:
        tr.write_line(f"written to {_rel(path)}")


def _write_json(config: pytest.Config, rows: list[dict[str, Any]], total: float) -> Path | None:
    cache = getattr(config, "cache", None)
    if cache is None:
        return None
    folder = Path(cache.mkdir("nnfw"))
    path = folder / "notebook-runtimes.json"
    data = {
        "budget_seconds": NOTEBOOK_BUDGET_S,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "node": platform.node(),
            "cpus": os.cpu_count(),
            "load_at_start": config.stash.get(_LOAD, None),
            "load_at_end": _loadavg(),
            "device": _cuda_status()[1],
        },
        "nnfw_fast": USER_FAST,
        "total_seconds": round(total, 2),
        "notebooks": rows,
    }
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return path


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput") or not config.getoption("--strict-notebook-budget"):
        return
    if any(row["over_budget"] for row in _rows(config.stash.get(_RUNS, {}))) and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- GPU tests ------------------------------------------------------------------------------


def required_frameworks(items: list[pytest.Item]) -> list[str]:
    """The frameworks whose GPU a ``--require-gpu`` run needs: those of the collected notebooks
    and tests (``torch``/``tensorflow`` markers; ``gpu`` tests use PyTorch), PyTorch if none."""
    needed = {
        name
        for item in items
        for name in ("torch", "tensorflow")
        if name in item.keywords or (name == "torch" and "gpu" in item.keywords)
    }
    return [name for name in ("torch", "tensorflow") if name in needed] or ["torch"]


def _require_gpu(items: list[pytest.Item]) -> None:
    """Stop with a usage error when a framework the run collected sees no GPU."""
    from nnfw.device import gpu_status

    missing = []
    for framework in required_frameworks(items):
        ok, status = gpu_status(framework)
        if not ok:
            count = sum(framework in item.keywords for item in items)
            what = f" ({count} collected item(s) use it)" if count else ""
            missing.append(status + what)
    if missing:
        msg = (
            f"--require-gpu was given but {'; '.join(missing)}. On a GPU runner, install the "
            "GPU environment of that framework (docs/gpu-validation.md: gpu-torch for PyTorch "
            "and Lightning, gpu-tf for TensorFlow and Keras) and check `nvidia-smi` and `nnfw "
            "doctor`, or select the other framework's tests (`-m torch`, `-m tensorflow`); on "
            "a CPU machine, run plain `pytest`."
        )
        raise pytest.UsageError(msg)


def pytest_collection_finish(session: pytest.Session) -> None:
    # after -m/-k deselection: only the frameworks of what will run count
    if session.config.getoption("--require-gpu"):
        _require_gpu(session.items)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--require-gpu"):
        return
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if not gpu_items:
        return
    ok, status = _cuda_status()
    if ok:
        return
    skip = pytest.mark.skip(
        reason=f"needs a CUDA GPU: {status} (use --require-gpu to fail instead)"
    )
    for item in gpu_items:
        item.add_marker(skip)
