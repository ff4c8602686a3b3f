"""nbgrader settings for the nnfw course (instructors).

`nnfw release`, `nnfw grade` and `nnfw feedback` load this file, then set the folders
themselves: sources in `solutions/`, learner notebooks in `course/`, and everything about
submissions (submitted/, autograded/, feedback/, gradebook.db) in the grading workspace,
`grading/` by default, which git ignores. `nnfw grade` also writes `grading/nbgrader_config.py`,
which loads this file, so nbgrader's own tools (`nbgrader formgrader`, the Formgrader tab in
JupyterLab) work inside the workspace for manual grading.

Command-line options win over this file (e.g. `nnfw grade --timeout 600`). See
grader/README.md.
"""

from pathlib import Path

c = get_config()  # noqa: F821

# The course directory, as nbgrader sees it from the repository root.
c.CourseDirectory.root = str(Path(__file__).resolve().parents[1])
c.CourseDirectory.course_id = "nnfw-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"

# What a learner sees in place of a solution (nbgrader's default, spelled out).
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograding: a cell may run this long (training cells; `nnfw grade --timeout` overrides).
c.Execute.timeout = 300
# Long outputs and tracebacks are cut in the graded notebook and the feedback.
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100
