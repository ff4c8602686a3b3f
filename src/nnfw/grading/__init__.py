"""The grading pipeline behind ``nnfw grade|feedback|export`` (built on nbgrader 0.9).

In the order a submission meets them (``docs/architecture.md`` has the map and the data that
passes between the steps)::

    settings      every default once (Limits, GradeSettings); the config file's overrides
    pipeline      grade(): the steps below, top to bottom
    schedule      Dask: an embedded LocalCluster, or a cluster by address
    intake/       find, unpack, match and repair submissions
    run/          on a worker: nbgrader autograde, the kernel in a sandbox, the guard
    score         each task's outcome in plain words (shared with ``nnfw check``)
    gradebook     the workspace's gradebook and files: the only writer
    results       per-student records and the score rule
    report        the table; CSVs and a histogram
    feedback      per-student HTML without the hidden tests
    messages      the typed messages that cross process boundaries
    course, nbgrader_setup, nbio, demo   where things live; nbgrader's config and log;
                  notebook bytes; ``nnfw grade --demo``

Importing this package is cheap; nbgrader and Dask are imported by the functions that need
them.
"""

from __future__ import annotations

from nnfw.grading.course import Course, GradingError, Workspace

__all__ = ["Course", "GradingError", "Workspace"]
