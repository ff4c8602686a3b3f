"""Benchmark: ``nnfw grade --jobs N`` against plain serial ``nbgrader autograde``.

    python benchmarks/grade_bench.py [--assignment 01-tensors] [--notebook tensors_pytorch]
                                     [--students 20] [--jobs 2] [--out results.json]

Makes ``--students`` copies of the solved learner notebook (what a correct student submits),
then times, on the same machine one after the other:

1. **nbgrader**: plain ``nbgrader autograde ASSIGNMENT`` over all students, serially (nbgrader's
   own way: one process, no sandbox, no guards);
2. **bare**: only executing the notebooks, ``--jobs`` at a time, each with
   ``jupyter execute`` (nbclient's command: a process per notebook, a fresh
   kernel, nbclient's defaults), the usual way to run a notebook from the command line;
3. **floor**: only executing the notebooks, ``--jobs`` long-lived Python processes that each
   run their share with nbclient: a fresh kernel per notebook, shut down at once, imports
   paid once per process. Nothing but starting kernels and running cells: the least any
   grader that runs every notebook in a fresh kernel must spend;
4. **nnfw**: ``nnfw grade SUBMISSIONS --assignment A --jobs N``: the command as an instructor
   runs it, start-up, workspace set-up, import, sandbox, guards, limits, gradebook merge.

Bare and floor execute what the graders execute for a correct student: the answers and all
tests, hidden ones included (the source notebook), not the learner notebook, whose hidden
tests are missing.

The kernels of 2-4 get the thread settings ``nnfw grade`` gives its kernels (the cores
shared between the ``--jobs`` kernels); nbgrader's single kernel keeps the defaults.
It prints speed-up = nbgrader / nnfw, overhead = nnfw / bare - 1 and nnfw / floor - 1,
and the load average before and after (the figures mean little on a loaded machine). Not
a test: results go to benchmarks/README.md by hand.

``--schedulers REF`` times the schedulers instead, side by side in one run, ``--rounds``
times in turn (the order rotates each round, so drift in the machine's speed spreads
evenly):

* **pool**: ``nnfw grade --jobs N`` of the commit ``REF`` (the hand-made process pool before
  Dask), run from a git worktree through a throw-away virtual environment that reuses this
  one's packages;
* **embedded**: ``nnfw grade --jobs N`` now (an embedded Dask ``LocalCluster``, started
  and stopped inside the timed command, as an instructor runs it);
* **cluster**: ``nnfw grade --scheduler tcp://127.0.0.1:PORT`` on a running ``dask
  scheduler`` with N ``dask worker`` processes on the loopback interface (started before
  timing: a cluster outlives one command), i.e. the throughput of a standing cluster.

It prints every run's seconds, the median per scheduler, and embedded / pool and
cluster / embedded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


FLOOR = """
import sys, time
from nnfw.grading.nbgrader_setup import skip_slow_imports
skip_slow_imports()
import nbformat
from nbclient import NotebookClient
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, allow_errors=True, kernel_name="python3",
                   shutdown_kernel="immediate",
                   resources={"metadata": {"path": path.rpartition("/")[0]}}).execute()
    if any(o.output_type == "error" for c in nb.cells for o in c.get("outputs", [])):
        sys.exit(f"{path} raised an error")
"""


def _cleared(path: Path) -> bytes:
    """The notebook at ``path`` without outputs."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nbformat.writes(nb).encode()


def _solved_submission(args: argparse.Namespace) -> bytes:
    """What a correct student submits: the learner notebook with the solutions filled in."""
    from nnfw.authoring.release import generate_assignment
    from nnfw.grading.nbio import filled_notebook, read_notebook

    source = ROOT / "solutions" / args.assignment
    released = generate_assignment(source, args.assignment)
    return filled_notebook(
        read_notebook(source / f"{args.notebook}.ipynb"), released[f"{args.notebook}.ipynb"]
    )


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="01-tensors")
    parser.add_argument("--notebook", default="tensors_pytorch")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", help="write the figures as JSON here too")
    parser.add_argument("--skip-nbgrader", action="store_true")
    parser.add_argument(
        "--schedulers",
        metavar="REF",
        help="compare the schedulers instead: the pool of commit REF, embedded Dask, a cluster",
    )
    parser.add_argument("--rounds", type=int, default=2, help="with --schedulers (default 2)")
    args = parser.parse_args()
    if args.schedulers:
        return compare_schedulers(args)

    source = ROOT / "solutions" / args.assignment
    solved = _solved_submission(args)
    # what the graders execute for a correct student: the answers and every test, the hidden
    # ones included (nbgrader restores them from the source), i.e. the source notebook
    graded = _cleared(source / f"{args.notebook}.ipynb")
    from nnfw.grading.settings import THREAD_VARIABLES, kernel_threads

    env = dict(os.environ, NNFW_FAST="1", MPLBACKEND="Agg", PYTHONWARNINGS="ignore")
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    nbgrader_env = {k: v for k, v in env.items() if k not in THREAD_VARIABLES}
    if not any(name in env for name in THREAD_VARIABLES):
        env.update(dict.fromkeys(THREAD_VARIABLES, str(kernel_threads(args.jobs))))
    students = [f"s{n:02d}" for n in range(1, args.students + 1)]
    figures: dict[str, object] = {
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "assignment": f"{args.assignment}/{args.notebook}",
        "students": args.students,
        "jobs": args.jobs,
        "load_before": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory(prefix="nnfw-bench-") as tmp:
        base = Path(tmp)
        subs = base / "submissions"
        for student in students:
            (subs / student).mkdir(parents=True)
            (subs / student / f"{args.notebook}.ipynb").write_bytes(solved)

        # 1. plain nbgrader, serially
        if not args.skip_nbgrader:
            course = base / "nbgrader-course"
            shutil.copytree(source, course / "source" / args.assignment)
            for extra in course.glob(f"source/{args.assignment}/*.ipynb"):
                if extra.stem != args.notebook:
                    extra.unlink()
            (course / "nbgrader_config.py").write_text(
                "c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
                "c.Execute.timeout = 300\n",
                encoding="utf-8",
            )
            subprocess.run(
                [str(BIN / "nbgrader"), "generate_assignment", args.assignment, "--force"],
                cwd=course,
                env=nbgrader_env,
                check=True,
                capture_output=True,
            )
            for student in students:
                folder = course / "submitted" / student / args.assignment
                folder.mkdir(parents=True)
                (folder / f"{args.notebook}.ipynb").write_bytes(solved)
            figures["nbgrader_serial_s"] = _timed(
                [str(BIN / "nbgrader"), "autograde", args.assignment, "--force"],
                course,
                nbgrader_env,
            )

        # 2. bare execution, --jobs at a time
        bare = base / "bare"

        def run_one(student: str) -> None:
            folder = bare / student
            folder.mkdir(parents=True)
            path = folder / f"{args.notebook}.ipynb"
            path.write_bytes(graded)
            subprocess.run(
                [str(BIN / "jupyter-execute"), "--timeout=600", path.name],
                cwd=folder,
                env=env,
                check=True,
                capture_output=True,
            )

        start = time.perf_counter()
        with ThreadPoolExecutor(args.jobs) as pool:
            list(pool.map(run_one, students))
        figures["bare_execution_s"] = time.perf_counter() - start

        # 3. the floor: --jobs long-lived processes, a fresh kernel per notebook
        floor = base / "floor"
        shares: list[list[str]] = [[] for _ in range(args.jobs)]
        for n, student in enumerate(students):
            folder = floor / student
            folder.mkdir(parents=True)
            (folder / f"{args.notebook}.ipynb").write_bytes(graded)
            shares[n % args.jobs].append(str(folder / f"{args.notebook}.ipynb"))
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", FLOOR, *share],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for share in shares
            if share
        ]
        if any(proc.wait() != 0 for proc in procs):
            msg = "the floor run failed"
            raise RuntimeError(msg)
        figures["floor_execution_s"] = time.perf_counter() - start

        # 4. nnfw grade
        figures["nnfw_grade_s"] = _timed(
            [
                str(BIN / "nnfw"),
                "grade",
                str(subs),
                "--assignment",
                args.assignment,
                "--workspace",
                str(base / "ws"),
                "--jobs",
                str(args.jobs),
            ],
            ROOT,
            env,
        )
        from nnfw.grading.course import Workspace
        from nnfw.grading.results import load_results

        scores = sorted(
            f"{r.score:g}/{r.max:g}" for r in load_results(Workspace(base / "ws"), args.assignment)
        )
        figures["nnfw_scores"] = {s: scores.count(s) for s in sorted(set(scores))}
    figures["load_after"] = os.getloadavg()
    nnfw_s = float(figures["nnfw_grade_s"])  # type: ignore[arg-type]
    if "nbgrader_serial_s" in figures:
        figures["speedup_vs_nbgrader"] = float(figures["nbgrader_serial_s"]) / nnfw_s  # type: ignore[arg-type]
    figures["overhead_vs_bare"] = nnfw_s / float(figures["bare_execution_s"]) - 1  # type: ignore[arg-type]
    figures["overhead_vs_floor"] = nnfw_s / float(figures["floor_execution_s"]) - 1  # type: ignore[arg-type]
    text = json.dumps(figures, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


def _old_environment(ref: str, base: Path) -> Path:
    """A worktree of ``ref`` and a venv whose ``python`` imports that commit's nnfw first."""
    tree = base / "old"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(tree), ref],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    venv = base / "old-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    here = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    # the old src first; then this environment's packages (their .pth files included)
    (site / "00-nnfw-old.pth").write_text(
        f"{tree / 'src'}\nimport site; site.addsitedir({here!r})\n", encoding="utf-8"
    )
    return venv / "bin" / "python"


def _loopback_cluster(workers: int, base: Path) -> tuple[str, list[subprocess.Popen[bytes]]]:
    info = base / "scheduler.json"
    dask = str(BIN / "dask")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [
        subprocess.Popen(
            [
                dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ],
            **quiet,  # type: ignore[call-overload]
        )
    ]
    while not info.is_file():
        time.sleep(0.2)
    address = json.loads(info.read_text())["address"]
    procs += [
        subprocess.Popen(
            [
                dask,
                "worker",
                address,
                "--nworkers",
                "1",
                "--nthreads",
                "1",
                "--no-dashboard",
                "--preload",
                "nnfw.grading.run.worker",
            ],
            **quiet,  # type: ignore[call-overload]
        )
        for _ in range(workers)
    ]
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def compare_schedulers(args: argparse.Namespace) -> int:
    """``--schedulers REF``: pool (REF) vs embedded Dask vs a loopback cluster, in turns."""
    import statistics

    from nnfw.grading.course import Workspace
    from nnfw.grading.results import load_results
    from nnfw.grading.settings import THREAD_VARIABLES, kernel_threads

    solved = _solved_submission(args)
    env = dict(os.environ, NNFW_FAST="1", MPLBACKEND="Agg", PYTHONWARNINGS="ignore")
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    # every run's kernels get the same threads: the cores shared between the N at once
    env.update(dict.fromkeys(THREAD_VARIABLES, str(kernel_threads(args.jobs))))
    figures: dict[str, object] = {
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "assignment": f"{args.assignment}/{args.notebook}",
        "students": args.students,
        "jobs": args.jobs,
        "pool_ref": args.schedulers,
        "load_before": os.getloadavg(),
    }
    times: dict[str, list[float]] = {"pool": [], "embedded": [], "cluster": []}
    scores: dict[str, set[str]] = {name: set() for name in times}
    with tempfile.TemporaryDirectory(prefix="nnfw-bench-") as tmp:
        base = Path(tmp)
        subs = base / "submissions"
        for n in range(1, args.students + 1):
            (subs / f"s{n:02d}").mkdir(parents=True)
            (subs / f"s{n:02d}" / f"{args.notebook}.ipynb").write_bytes(solved)
        old_python = _old_environment(args.schedulers, base)
        address, procs = _loopback_cluster(args.jobs, base)
        common = [str(subs), "--assignment", args.assignment, "--course", str(ROOT)]
        commands = {
            "pool": [str(old_python), "-m", "nnfw.cli", "grade", *common, "--jobs", str(args.jobs)],
            "embedded": [str(BIN / "nnfw"), "grade", *common, "--jobs", str(args.jobs)],
            "cluster": [str(BIN / "nnfw"), "grade", *common, "--scheduler", address],
        }
        order = list(commands)
        try:
            for round_ in range(args.rounds):
                for name in order[round_ % 3 :] + order[: round_ % 3]:
                    workspace = base / f"ws-{name}-{round_}"
                    cmd = [*commands[name], "--workspace", str(workspace)]
                    start = time.perf_counter()
                    subprocess.run(cmd, cwd=ROOT, env=env, check=False, capture_output=True)
                    times[name].append(time.perf_counter() - start)
                    results = load_results(Workspace(workspace), args.assignment)
                    scores[name].add(
                        " ".join(sorted(f"{r.student}={r.score:g}/{r.max:g}" for r in results))
                    )
                    print(f"[bench] round {round_ + 1} {name}: {times[name][-1]:.1f} s", flush=True)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait()
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base / "old")],
                cwd=ROOT,
                check=False,
                capture_output=True,
            )
    median = {name: statistics.median(values) for name, values in times.items()}
    figures.update(
        runs_s=times,
        median_s=median,
        embedded_vs_pool=median["embedded"] / median["pool"],
        cluster_vs_embedded=median["cluster"] / median["embedded"],
        same_scores=len({next(iter(v)) for v in scores.values()}) == 1
        and all(len(v) == 1 for v in scores.values()),
        load_after=os.getloadavg(),
    )
    text = json.dumps(figures, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
