"""Benchmark: the memory of the trusted processes while ``nnfw grade`` grades hostile work.

    python benchmarks/trusted_memory.py [--jobs 2] [--out results.json]

Issue 17 asks that the trusted processes (the ``nnfw`` command and its Dask workers, not the
sandboxes) stay under 1 GB while they grade submissions built to make them big. This script
makes a cohort of the demo assignment (``nnfw grade --demo``'s ``00-demo``, a PyTorch and a
TensorFlow notebook) in which every student but two attacks the grader's memory:

* ``honest`` (solved) and ``blank``;
* output floods from the kernel: one 50 MB line, two million short lines, 200 displays of
  1 MB each, records (the judge's channel) of 512 MB in all, a record that claims 8 * 10**24
  bytes;
* submissions that are big or costly to parse: a 6 MB JSON file of 2.1 million cells (2 GB as
  Python objects), JSON nested 200 000 deep, a zip of 3000 notebooks, a zip whose notebook
  unpacks to 1 GB of spaces.

It runs ``nnfw grade --jobs N`` on them as an instructor would and samples, every 0.1 s,
the resident size (RSS, an upper bound of the memory a process really holds) of the
``nnfw`` process and each of its descendants that is not inside a sandbox (a ``bwrap``
process or the sandbox's executor, and everything below them, are left out: their memory is
the sandbox's own limit). It prints the peak of each trusted process, and the peak of their
sum. Not a test: results go to benchmarks/README.md by hand.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import psutil

from nnfw.authoring.release import generate_assignment
from nnfw.grading.demo import DEMO_ASSIGNMENT, DEMO_DATA
from nnfw.grading.nbio import filled_notebook, read_notebook

ROOT = Path(__file__).resolve().parents[1]
MB = 2**20

ATTACKS = {
    "flood_line": "print('x' * 50_000_000)",
    "flood_lines": "for _i in range(2_000_000):\n    print(_i)",
    "flood_display": (
        "from IPython.display import display as _display\n"
        "for _i in range(200):\n"
        "    _display({'text/plain': 'y' * 1_000_000}, raw=True)"
    ),
    "record_flood": (
        "import numpy as _np\nfrom nnfw.checks import record as _record\n"
        "for _i in range(8):\n    _record(f'r{_i}', _np.zeros(8_000_000))"
    ),
    "record_claims": (
        "from IPython.display import display as _display\n"
        "_bomb = {'name': 'b', 'array': {'dtype': '<f8', 'shape': [10**6] * 4, 'b64': ''}}\n"
        "_display({'application/vnd.nnfw.record+json': _bomb}, raw=True)"
    ),
}


def _solved() -> dict[str, bytes]:
    released = generate_assignment(DEMO_DATA / DEMO_ASSIGNMENT, DEMO_ASSIGNMENT)
    return {
        name: filled_notebook(read_notebook(DEMO_DATA / DEMO_ASSIGNMENT / name), data)
        for name, data in released.items()
        if name.endswith(".ipynb")
    }


def _with(notebook: bytes, code: str) -> bytes:
    """``notebook`` with ``code`` run at the end of its first answer cell."""
    nb = json.loads(notebook)
    cell = next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    cell["source"] = source + "\n\n" + code + "\n"
    return json.dumps(nb).encode()


def make_cohort(subs: Path) -> list[str]:
    """Write the students' submissions into ``subs``; return their ids."""
    solved = _solved()
    released = generate_assignment(DEMO_DATA / DEMO_ASSIGNMENT, DEMO_ASSIGNMENT)
    folders: dict[str, dict[str, bytes]] = {
        "honest": solved,
        "blank": {n: b for n, b in released.items() if n.endswith(".ipynb")},
    }
    for name, code in ATTACKS.items():
        folders[name] = {n: _with(b, code) for n, b in solved.items()}
    first = min(solved)
    folders["json_cells"] = {first: b'{"cells": [' + b"{}," * 2_100_000 + b"{}]}"}
    folders["json_deep"] = {first: b'{"cells": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"}
    for student, files in folders.items():
        (subs / student).mkdir(parents=True)
        for name, data in files.items():
            (subs / student / name).write_bytes(data)
    with zipfile.ZipFile(subs / "thousands.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(3000):
            archive.writestr(f"junk/{i:04d}.ipynb", b'{"cells": []}')
        archive.writestr(f"deep/er/{first}", solved[first])
    bomb = zipfile.ZipFile(subs / "zip_bomb.zip", "w", zipfile.ZIP_DEFLATED)
    with bomb, bomb.open(first, "w") as fh:
        for _ in range(1024):
            fh.write(b" " * MB)
    return sorted([*folders, "thousands", "zip_bomb"])


def _sandboxed(proc: psutil.Process) -> bool:
    try:
        cmd = proc.cmdline()
    except psutil.Error:
        return True
    return bool(cmd) and (Path(cmd[0]).name == "bwrap" or "nnfw.grading.run.executor" in cmd)


def _trusted(root: psutil.Process) -> list[psutil.Process]:
    """``root`` and its descendants, sandboxes and what runs inside them left out."""
    out, todo = [], [root]
    while todo:
        proc = todo.pop()
        if _sandboxed(proc):
            continue
        out.append(proc)
        try:
            todo += proc.children()
        except psutil.Error:
            pass
    return out


def _label(proc: psutil.Process) -> str:
    try:
        cmd = " ".join(proc.cmdline())
    except psutil.Error:
        return f"pid {proc.pid}"
    if "nnfw.cli" in cmd:
        return "nnfw (coordinator)"
    if "spawn_main" in cmd or "multiprocessing" in cmd:
        return "Dask worker/nanny process"
    return cmd[:60]


def sample(root: psutil.Process, stop: threading.Event, peaks: dict, total: list) -> None:
    while not stop.is_set():
        procs = _trusted(root)
        summed = 0
        for proc in procs:
            try:
                rss = proc.memory_info().rss
            except psutil.Error:
                continue
            summed += rss
            key = (proc.pid, _label(proc))
            peaks[key] = max(peaks.get(key, 0), rss)
        total[0] = max(total[0], summed)
        time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", help="write the figures as JSON here too")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="nnfw-memory-"))
    students = make_cohort(base / "subs")
    cmd = [sys.executable, "-m", "nnfw.cli", "grade", str(base / "subs")]
    shutil.copytree(DEMO_DATA / DEMO_ASSIGNMENT, base / "course" / "solutions" / DEMO_ASSIGNMENT)
    cmd += ["--assignment", DEMO_ASSIGNMENT, "--course", str(base / "course")]
    cmd += ["--workspace", str(base / "ws"), "--jobs", str(args.jobs)]
    cmd += ["--timeout", "60", "--notebook-timeout", "120"]
    print(f"[memory] {len(students)} students: {', '.join(students)}", flush=True)
    start = time.monotonic()
    log = io.BytesIO()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peaks: dict = {}
    total = [0]
    stop = threading.Event()
    sampler = threading.Thread(target=sample, args=(psutil.Process(proc.pid), stop, peaks, total))
    sampler.start()
    assert proc.stdout is not None
    for line in proc.stdout:
        log.write(line)
    code = proc.wait()
    stop.set()
    sampler.join()
    seconds = time.monotonic() - start
    text = log.getvalue().decode(errors="replace")
    print(text[-4000:])
    rows = sorted(peaks.items(), key=lambda kv: -kv[1])
    print(f"[memory] nnfw grade exited {code} in {seconds:.0f} s; peak RSS per trusted process:")
    for (pid, label), rss in rows[:12]:
        print(f"  {rss / MB:7.0f} MB  {label} (pid {pid})")
    print(f"[memory] peak of the trusted processes' sum: {total[0] / MB:.0f} MB")
    figures = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "jobs": args.jobs,
        "students": students,
        "exit_code": code,
        "seconds": round(seconds, 1),
        "peak_rss_mb": {f"{label} (pid {pid})": round(rss / MB) for (pid, label), rss in rows},
        "peak_sum_mb": round(total[0] / MB),
        "largest_mb": round(rows[0][1] / MB) if rows else 0,
    }
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
