"""`nnfw grade` on a real Dask cluster: a scheduler and two workers in separate processes.

The test starts ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, as they
would run on separate machines (nothing shared but the network: jobs and results travel as
bytes), and grades a cohort from the hostile-submission suite (honest students beside
attackers and tricksters, ``tests/test_grading_sandbox.py``) three ways: on the cluster
(``--scheduler``), on the embedded default cluster (``--jobs 2``) and with ``--jobs 1``. The
three must agree exactly. Then a worker is killed in the middle of a job: the job runs again
elsewhere and the results are still the same; and on a cluster that allows no retry, the
student whose worker died gets a reason instead of a grade, and the student graded on the
other worker is not affected (Dask counts a death against every job *running* on that worker;
in batches larger than twice the cluster's threads the rest wait on the scheduler). Last, on
a cluster with one GPU-tagged worker, the PyTorch notebooks run there.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import nbformat
import psutil
import pytest
import test_grading_sandbox as hostile

from nnfw import cli
from nnfw.authoring.release import generate_assignment
from nnfw.grading.course import Workspace
from nnfw.grading.pipeline import grade
from nnfw.grading.results import load_results
from nnfw.grading.settings import GradeSettings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.notebook,
    pytest.mark.network,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

A, NB = hostile.A, hostile.NB
#: honest work, a blank notebook, attacks on the grader and tricks on blank notebooks
COHORT = (
    "honest",
    "blank",
    "gradebook",
    "others",
    "hidden",
    "alwaysequal",
    "allclose",
    "customexc",
    "osexit",
    "editedtest",
)
DASK = Path(sys.executable).with_name("dask")


def _start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [str(DASK), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def _dask_cluster(logs: Path, workers: dict[str, list[str]], scheduler_env: dict[str, str]):
    """``dask scheduler`` and one ``dask worker`` process per entry of ``workers`` (name ->
    extra options), all on 127.0.0.1; yields ``(address, processes, {name: worker address})``."""
    info = logs / "scheduler.json"
    scheduler = [
        "scheduler",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-dashboard",
        "--scheduler-file",
        str(info),
    ]
    procs = [_start(scheduler, logs / "scheduler.log", env=scheduler_env)]
    try:
        deadline = time.monotonic() + 60
        while not info.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert info.is_file(), (logs / "scheduler.log").read_text()
        address = json.loads(info.read_text())["address"]
        for name, extra in workers.items():
            worker = ["worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"]
            procs.append(_start([*worker, "--name", name, *extra], logs / f"{name}.log"))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(len(workers), timeout=60)
            info_workers = client.scheduler_info()["workers"]
        by_name = {w["name"]: addr for addr, w in info_workers.items()}
        yield address, procs, by_name
    finally:
        _stop(procs)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two worker processes on 127.0.0.1, one retry after a worker dies (as
    the embedded cluster does)."""
    preload = ["--preload", "nnfw.grading.run.worker"]
    with _dask_cluster(
        tmp_path_factory.mktemp("dask"),
        {"w1": preload, "w2": preload},
        {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"},
    ) as (address, procs, _names):
        yield {"address": address, "procs": procs}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "solutions" / A).mkdir(parents=True)
    nbformat.write(hostile._source(), course / "solutions" / A / f"{NB}.ipynb")
    blank = nbformat.reads(
        generate_assignment(course / "solutions" / A, A)[f"{NB}.ipynb"].decode(), 4
    )
    subs = tmp_path_factory.mktemp("submissions")
    made = hostile.students(blank, tmp_path_factory.mktemp("ws") / "grading", subs, course, 9)
    for name in COHORT:
        (subs / name).mkdir()
        nbformat.write(made[name], subs / name / f"{NB}.ipynb")
    return {"course": course, "subs": subs, "blank": blank, "made": made}


def _grade(subs: Path, course: Path, workspace: Path, *extra: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    args = ["grade", str(subs), "-a", A, "--course", str(course), "--workspace", str(workspace)]
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main([*args, *hostile.LIMITS, *extra])
    if code == 2:  # a usage error: show it in the assertion that follows
        return code, out.getvalue() + err.getvalue()
    return code, out.getvalue()


def _view(workspace: Path) -> dict[str, list]:
    return {
        r.student: [
            (
                n.name,
                n.score,
                n.max,
                [(t.id, t.status, t.message) for t in n.tasks],
                [r.text for r in n.reasons],
            )
            for n in r.notebooks
        ]
        for r in load_results(Workspace(workspace), A)
    }


def _rows(table: str) -> list[str]:
    return [" ".join(ln.split()) for ln in table.splitlines() if ln.split(" ")[0] in COHORT]


@pytest.fixture(scope="module")
def three_ways(cluster, cohort, tmp_path_factory):
    runs = {}
    for name, extra in (
        ("cluster", ("--scheduler", cluster["address"])),
        ("embedded", ("--jobs", "2")),
        ("serial", ("--jobs", "1")),
    ):
        workspace = tmp_path_factory.mktemp(name) / "grading"
        code, out = _grade(cohort["subs"], cohort["course"], workspace, *extra)
        runs[name] = {"code": code, "out": out, "view": _view(workspace)}
    return runs


def test_the_cluster_grades_the_hostile_cohort(three_ways):
    for name in ("embedded", "serial"):
        assert three_ways[name]["code"] != 2, three_ways[name]["out"]
    run = three_ways["cluster"]
    assert run["code"] == 1, run["out"]  # the attackers need attention
    assert "on Dask at tcp://127.0.0.1:" in run["out"]
    assert "2 worker(s)" in run["out"]
    view = run["view"]
    assert sorted(view) == sorted(COHORT)
    assert view["honest"][0][1] == view["honest"][0][2] == 2.0, view["honest"]
    for name in COHORT:
        if name != "honest":
            assert view[name][0][1] == 0.0, (name, view[name])


@pytest.mark.parametrize("other", ["embedded", "serial"])
def test_cluster_embedded_and_serial_agree(three_ways, other):
    assert three_ways["cluster"]["view"] == three_ways[other]["view"]
    assert _rows(three_ways["cluster"]["out"]) == _rows(three_ways[other]["out"])
    assert three_ways["cluster"]["code"] == three_ways[other]["code"]


def _is_dask_worker(proc: psutil.Process) -> bool:
    """A worker process a nanny started (``spawn_main``; retitled when setproctitle is there)."""
    command = " ".join(proc.cmdline())
    return "spawn_main" in command or command.startswith("dask worker")


def _sandboxed_worker(roots: list[psutil.Process]) -> psutil.Process | None:
    """A Dask worker process (below ``roots``) that is running a notebook's sandbox now."""
    for root in roots:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for proc in procs:
            try:
                cmd = " ".join(proc.cmdline())
                if "nnfw.grading.run.executor" in cmd:
                    for parent in proc.parents():
                        if _is_dask_worker(parent):
                            return parent
            except psutil.Error:
                continue
    return None


def _kill_a_busy_worker(roots: list[psutil.Process], killed: list[int], stop: threading.Event):
    deadline = time.monotonic() + 120
    while not stop.is_set() and time.monotonic() < deadline:
        victim = _sandboxed_worker(roots)
        if victim is not None:
            time.sleep(0.5)  # well inside the job: its kernel is running learner code
            try:
                victim.kill()
                killed.append(victim.pid)
            except psutil.Error:
                continue
            return
        time.sleep(0.05)


def _slow(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The same work, three seconds slower (so a kill lands in the middle of it)."""
    nb = nbformat.reads(nbformat.writes(nb), 4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import time\n\ntime.sleep(3)"))
    return nb


def test_a_worker_killed_mid_job_is_survived(cluster, cohort, tmp_path):
    subs = tmp_path / "subs"
    for name in ("honest", "blank", "alwaysequal"):
        (subs / name).mkdir(parents=True)
        nbformat.write(_slow(cohort["made"][name]), subs / name / f"{NB}.ipynb")
    calm = tmp_path / "calm" / "grading"
    _grade(subs, cohort["course"], calm, "--scheduler", cluster["address"])
    roots = [psutil.Process(p.pid) for p in cluster["procs"][1:]]
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_a_busy_worker, args=(roots, killed, stop))
    killer.start()
    try:
        workspace = tmp_path / "killed" / "grading"
        code, out = _grade(subs, cohort["course"], workspace, "--scheduler", cluster["address"])
    finally:
        stop.set()
        killer.join()
    assert killed, "no worker was caught in the middle of a job"
    assert code == 0, out
    assert _view(workspace) == _view(calm)
    assert not psutil.pid_exists(killed[0]) or psutil.Process(killed[0]).status() == "zombie"


def test_a_job_whose_worker_dies_without_retries_gets_a_reason(cohort, tmp_path):
    subs = tmp_path / "subs"
    for name in ("honest", "blank"):
        (subs / name).mkdir(parents=True)
        nbformat.write(_slow(cohort["made"][name]), subs / name / f"{NB}.ipynb")
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_a_busy_worker, args=([psutil.Process()], killed, stop))
    killer.start()
    try:
        results = grade(
            subs,
            Workspace(tmp_path / "grading"),
            cohort["course"] / "solutions",
            GradeSettings(assignment=A, jobs=2, retries=0).replace(
                cell_timeout=12, notebook_timeout=20, memory_mb=700
            ),
            progress=lambda _line: None,
        )
    finally:
        stop.set()
        killer.join()
    assert killed, "no worker was caught in the middle of a job"
    by_name = {r.student: r for r in results}
    assert sorted(by_name) == ["blank", "honest"]
    hit = [r for r in results if r.has_problem]
    assert len(hit) == 1, [r.to_dict() for r in results]
    reasons = " ".join(r.text for r in hit[0].notebooks[0].reasons)
    assert "worker process died while grading it, 1 time(s)" in reasons
    assert hit[0].score == 0
    other = next(r for r in results if r is not hit[0])
    assert not other.has_problem  # graded on the other worker, untouched
    assert other.score == (2.0 if other.student == "honest" else 0.0)


@pytest.fixture(scope="module")
def gpu_cluster(tmp_path_factory):
    """A scheduler, one plain worker and one worker that advertises ``GPU=1``."""
    with _dask_cluster(
        tmp_path_factory.mktemp("dask-gpu"), {"cpu": [], "gpu": ["--resources", "GPU=1"]}, {}
    ) as (address, _procs, names):
        yield {"address": address, "gpu": names["gpu"], "cpu": names["cpu"]}


def test_pytorch_notebooks_go_to_gpu_workers(gpu_cluster):
    from nnfw.grading.messages import NotebookJob
    from nnfw.grading.schedule import Scheduler

    def job(n: int, notebook: str) -> NotebookJob:
        # not a gradebook: the job fails at once, but its result names the worker it ran on
        return NotebookJob(A, f"s{n}", notebook, {}, {}, b"not a database", GradeSettings())

    jobs = [job(n, name) for n in range(4) for name in ("lab_pytorch", "lab_tensorflow")]
    with Scheduler(gpu_cluster["address"], 0) as scheduler:
        scheduler.wait()
        assert "1 with a GPU" in scheduler.describe()
        ran = [(j.notebook, g.worker, g.failure) for j, g in scheduler.run(jobs)]
    assert len(ran) == len(jobs)
    assert all(failure for _nb, _worker, failure in ran)  # the fake jobs fail, with a reason
    torch_workers = {worker for nb, worker, _ in ran if nb == "lab_pytorch"}
    assert torch_workers == {gpu_cluster["gpu"]}
