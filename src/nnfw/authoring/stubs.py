"""The learner's stubs: nbgrader's ``ClearSolutions`` with a stub that names its task.

``raise NotImplementedError("Task 3 is not answered yet")`` lets the learner's kernel say
"Task 3: not answered yet" instead of a traceback (:mod:`nnfw.learner.selfcheck`).
"""

from __future__ import annotations

from typing import Any

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import ClearSolutions

#: The learner's stub; ``{task}`` is the task number from the answer cell's grade id.
TASK_STUB = '# YOUR CODE HERE\nraise NotImplementedError("Task {task} is not answered yet")'


class TaskStubs(ClearSolutions):
    """``ClearSolutions`` whose Python stub names the task (``task3_one_hot`` -> "Task 3").

    It replaces ``ClearSolutions`` in ``generate_assignment`` (both ``nnfw release`` and the
    grader's own gradebook), so checksums and the gradebook agree with ``course/``. A written
    answer (a markdown answer cell) gets :data:`~nnfw.learner.selfcheck.WRITTEN_STUB`, which
    ``check_my_work`` recognises. An answer cell whose id has no task number gets nbgrader's
    configured stubs.
    """

    def preprocess_cell(
        self, cell: NotebookNode, resources: Any, cell_index: int
    ) -> tuple[NotebookNode, Any]:
        from nnfw.learner.selfcheck import WRITTEN_STUB, task_number

        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        task = task_number(grade_id)
        if task is None:
            return super().preprocess_cell(cell, resources, cell_index)
        saved: dict[str, str] = dict(self.code_stub)  # type: ignore[has-type]
        saved_text: str = self.text_stub  # type: ignore[has-type]
        self.code_stub = {**saved, "python": TASK_STUB.format(task=task)}
        self.text_stub = WRITTEN_STUB.format(task=task)
        try:
            return super().preprocess_cell(cell, resources, cell_index)
        finally:
            self.code_stub, self.text_stub = saved, saved_text
