"""The learner's side: ``nnfw start`` (:mod:`~nnfw.learner.start`), ``nnfw check``
(:mod:`~nnfw.learner.check`) and the in-kernel report card (:mod:`~nnfw.learner.selfcheck`,
installed by ``import nnfw`` in a kernel).

Importing this package is cheap: the submodules are imported where they are used.
"""
