"""The item analysis of `nnfw export`: facility, discrimination and flags, on known classes."""

from __future__ import annotations

import numpy as np
import pytest

from nnfw.grading.items import ItemStats, correlation, item_stats, plot_items
from nnfw.grading.messages import TaskResult
from nnfw.grading.results import NotebookResult, StudentResult


def _student(name: str, scores: dict[str, float], *, submitted: bool = True) -> StudentResult:
    tasks = [
        TaskResult(id=t, score=s, max=2.0, status="passed" if s == 2 else "failed")
        for t, s in scores.items()
    ]
    nb = NotebookResult(
        name="nb",
        max=2.0 * len(tasks),
        submitted=submitted,
        graded=submitted,
        score=sum(scores.values()),
        tasks=tasks,
    )
    return StudentResult(student=name, assignment="a", notebooks=[nb])


# 12 students: `easy` everybody gets, `never` nobody, `good` follows the rest, `odd` runs against it
CLASS = [
    _student(
        f"s{i:02d}",
        {
            "easy": 2,
            "good": 2 if i >= 6 else 0,
            "odd": 0 if i >= 6 else 2,
            "never": 0,
            "rest": 2 if i >= 5 else 0,
            "more": 2 if i >= 4 else 0,
        },
    )
    for i in range(12)
]


def test_correlation_matches_numpy_and_is_none_when_undefined():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=20), rng.normal(size=20)
    assert correlation(list(x), list(y)) == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert correlation([1, 1, 1], [1, 2, 3]) is None  # a task everybody got
    assert correlation([0, 1], [0, 1]) is None  # too few students


def test_item_stats_facility_discrimination_and_flags():
    stats = {s.task: s for s in item_stats(CLASS)}
    assert [s.task for s in item_stats(CLASS)] == ["easy", "good", "odd", "never", "rest", "more"]
    easy, good, odd, never = stats["easy"], stats["good"], stats["odd"], stats["never"]
    assert (easy.students, easy.full_marks, easy.facility) == (12, 12, 1.0)
    assert easy.discrimination is None
    assert easy.flag == "everybody passed"
    assert never.facility == 0.0
    assert never.flag == "nobody passed"
    assert good.facility == 0.5
    assert good.discrimination > 0.4  # above LOW_DISCRIMINATION: no flag
    assert good.flag == ""
    assert odd.discrimination < 0
    assert odd.flag == "negative discrimination"
    # the rest score leaves the task itself out: compare with the formula by hand
    rest = [
        nb.score - t.score for r in CLASS for nb in r.notebooks for t in nb.tasks if t.id == "good"
    ]
    mine = [t.score for r in CLASS for nb in r.notebooks for t in nb.tasks if t.id == "good"]
    assert good.discrimination == pytest.approx(np.corrcoef(mine, rest)[0, 1])


def test_students_who_did_not_submit_the_notebook_do_not_count():
    blank = _student(
        "late", {"easy": 0, "good": 0, "odd": 0, "never": 0, "rest": 0, "more": 0}, submitted=False
    )
    stats = {s.task: s for s in item_stats([*CLASS, blank])}
    assert stats["easy"].students == 12
    assert stats["easy"].flag == "everybody passed"


def test_few_students_get_no_discrimination_flag():
    stats = {s.task: s for s in item_stats(CLASS[4:8])}
    assert stats["odd"].discrimination is not None
    assert stats["odd"].discrimination < 0
    assert stats["odd"].flag == ""  # 4 students: too few to call it


def test_plot_items_writes_a_png(tmp_path):
    path = tmp_path / "items.png"
    plot_items(item_stats(CLASS), "a", path)
    assert path.read_bytes().startswith(b"\x89PNG")
    assert ItemStats("nb", "t", 2.0, 0, 0, 0.0, None).flag == ""
