"""Authoring: what instructors and notebook authors run beside the grading pipeline.

``notebooks``  solution notebooks: find, execute, fast mode, frameworks (used by the tests too)
``outputs``    ``nnfw outputs refresh|check``: the stored outputs nbval compares
``parity``     the PyTorch/TensorFlow pair rules: same sections, same tasks
``release``    ``nnfw release``: generate ``course/`` from ``solutions/`` (and ``--check``)
``stubs``      the learner's stubs that name their task (used by release and the gradebook)
"""
