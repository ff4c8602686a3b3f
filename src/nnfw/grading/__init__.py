"""The course's grading pipeline, behind ``nnfw release|grade|feedback|export|check``.

Built on nbgrader 0.9. Importing this package is cheap; nbgrader is imported by the
functions that need it.

Modules
-------
course     where things live (course root, workspace), nbgrader settings, errors
release    ``nnfw release``: generate ``course/`` from ``solutions/``; ``--check``
importer   collect a folder of per-student folders or zip files into nbgrader's layout
worker     grade one student in isolation (run as a subprocess by ``autograde``)
autograde  ``nnfw grade``: import, grade every student, merge into the gradebook
report     the result table, assignment scores (best of a pair), CSV and histogram export
feedback   ``nnfw feedback``: per-student HTML without hidden tests
check      ``nnfw check``: the learner's self-check
demo       ``nnfw grade --demo``: a complete run on sample submissions
cli        the subcommands, registered by ``nnfw.cli``
"""

from __future__ import annotations

from nnfw.grading.course import Course, GradingError, Workspace

__all__ = ["Course", "GradingError", "Workspace"]
