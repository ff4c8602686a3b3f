"""Lightning set-up for the course notebooks: quiet defaults and a progress bar.

The set-up cell of a Lightning notebook calls :func:`quiet` once, and gives its
trainers the callbacks of :func:`progress_bar`::

    from nnfw.lightning import progress_bar, quiet

    quiet()
    trainer = L.Trainer(max_epochs=10, callbacks=[*progress_bar()])

Importing this module is cheap: it does not import Lightning (``import nnfw``
never does). Each function imports Lightning when it is called.

Why keep a notebook quiet? Lightning announces its choices ("GPU available:
...", tips about add-ons) through Python's :mod:`logging`, which writes to
stderr, and it warns about settings that do not apply to the course's small,
in-memory data sets. nbgrader scores a test cell that writes to stderr as 0,
and a learner should see the warnings that matter, not these.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from typing import Any

from nnfw.config import fast_mode

__all__ = ["IGNORED_WARNINGS", "LOGGERS", "progress_bar", "quiet"]

#: The loggers :func:`quiet` sets to ``WARNING`` (their info messages go to stderr).
LOGGERS: tuple[str, ...] = ("lightning.pytorch", "lightning.fabric")

#: ``(message pattern, category, why it does not apply)`` of each warning :func:`quiet` hides.
IGNORED_WARNINGS: tuple[tuple[str, type[Warning], str], ...] = (
    (
        r".*does not have many workers.*",
        Warning,
        (
            "the data sets are small NumPy arrays already in memory: DataLoader worker "
            "processes would only add start-up time"
        ),
    ),
    (
        r".*smaller than the logging interval.*",
        Warning,
        (
            "the notebooks log once per epoch (on_epoch=True), so the per-step logging "
            "interval does not matter"
        ),
    ),
    (
        r".*LeafSpec.*",
        FutureWarning,
        (
            "Lightning 2.6 calls a PyTorch helper that PyTorch 2.13 deprecates; harmless, "
            "and nothing a learner can change"
        ),
    ),
)


def quiet() -> None:
    """Keep Lightning's informational messages and three irrelevant warnings off the screen.

    Sets the loggers in :data:`LOGGERS` to ``WARNING`` (warnings and errors still
    show) and ignores the warnings listed in :data:`IGNORED_WARNINGS`, each with the
    reason it does not apply. Every other warning is left as it was.

    Lightning is imported first, because importing it sets its logger's level to
    ``INFO``: a level set before the import would be undone.

    Calling it again changes nothing: the levels are the same and :mod:`warnings`
    keeps one copy of each filter.

    Examples
    --------
    >>> import logging
    >>> from nnfw.lightning import quiet
    >>> quiet()
    >>> logging.getLogger("lightning.pytorch").level == logging.WARNING
    True
    """
    importlib.import_module("lightning.pytorch")
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for pattern, category, _why in IGNORED_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern, category=category)


def progress_bar() -> list[Any]:
    """The progress-bar callbacks for a ``Trainer``: none in fast mode, else tqdm's bar.

    Use it as ``Trainer(callbacks=[..., *progress_bar()], enable_progress_bar=not
    fast_mode())``. The bar is chosen explicitly because, with the ``rich`` package
    installed, Lightning would pick rich's bar, which can stall a notebook run by
    ``jupyter nbconvert --execute``. In fast mode (grading, tests) there is no bar.

    Returns
    -------
    list
        ``[]`` in fast mode (:func:`nnfw.config.fast_mode`), else
        ``[TQDMProgressBar()]``.
    """
    if fast_mode():
        return []
    callbacks = importlib.import_module("lightning.pytorch.callbacks")
    return [callbacks.TQDMProgressBar()]
