"""Run: grade one notebook on a worker, its kernel in a sandbox (the pipeline's second step).

``worker``         the Dask task: one :class:`~nnfw.grading.messages.NotebookJob` in, one
                   :class:`~nnfw.grading.messages.NotebookGrade` out (nbgrader's autograde in a
                   private folder made from the job's bytes)
``preprocessors``  nbgrader's Execute replaced: the kernel runs in the sandbox
``sandbox``        the host side: bubblewrap, limits, the watchdog (trusted)
``executor``       the program inside the sandbox that runs the kernel (untrusted side)
``execution``      the run-survival logic shared by the executor and ``nnfw check``
``guard``          the anti-tamper guard's host side: hidden cells, signed verdicts
``kernel_guard``   the anti-tamper guard's kernel side (runs in the learner's kernel)
"""
