"""nnfw: the helper package behind the nnfw-course notebooks.

Every notebook of the course starts with ``import nnfw``. Importing it is cheap
and imports neither PyTorch nor TensorFlow: the framework-specific helpers live
in :mod:`nnfw.torch` and :mod:`nnfw.tf` and are imported only when a notebook
asks for them.

Importing ``nnfw`` does one thing on purpose: it sets quiet defaults for
TensorFlow's environment variables (C++ log level, oneDNN banner, GPU memory
growth) *before* TensorFlow can be imported, because TensorFlow reads them only
once, at import. nbgrader scores a test cell that writes to stderr as 0, so
framework log noise must never reach a graded cell. Variables that are already
set are left alone; see :func:`nnfw.config.quiet_frameworks`.

In a Jupyter kernel it also installs the learner's self-check (:mod:`nnfw.learner.selfcheck`): the
outcome of each cell is recorded for :func:`check_my_work`, and an unanswered task says
"Task N: not answered yet" instead of printing a traceback (the cell still fails, so grading
is unchanged).

Submodules
----------
config   fast_mode(), quiet_frameworks()
data     load_iris, load_mnist_sample, fetch_mnist, make_points, make_two_class, ...
device   describe(), torch_device(), configure_tensorflow()
seed     seed_everything()
history  History
checks   assert_close, count_params, accuracy
plot     decision_boundary, history, digits, fit_1d
selfcheck check_my_work()   (the report card a notebook's last cell prints)
torch    loader()            (imports torch)
tf       dataset()           (imports tensorflow)
lightning quiet(), progress_bar()  (imports lightning; the Lightning set-up cell calls quiet())
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nnfw import config as config

config.quiet_frameworks()

from nnfw.learner import selfcheck as _selfcheck  # after the quiet defaults

_selfcheck.install()
check_my_work = _selfcheck.check_my_work

__version__ = "0.1.0"

_SUBMODULES = ("checks", "data", "device", "history", "plot", "seed", "tf", "torch", "grading")

if TYPE_CHECKING:  # pragma: no cover
    from nnfw import checks, data, device, history, plot, seed  # noqa: F401


def __getattr__(name: str) -> Any:
    """Import submodules on first attribute access (``nnfw.data.load_iris()``)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"nnfw.{name}")
    msg = f"module 'nnfw' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted([*globals(), *_SUBMODULES])


__all__ = ["__version__", "check_my_work", "config"]
