"""One call to make a notebook repeatable: :func:`seed_everything`.

Every source of randomness the course uses is seeded from one integer:
Python's :mod:`random`, NumPy's global generator, PyTorch (CPU and every GPU),
TensorFlow/Keras, and Lightning (through ``PL_GLOBAL_SEED``, which its
``seed_everything`` and data-loader workers read).

Seeding a framework means importing it, and a PyTorch notebook should never pay
for importing TensorFlow. So frameworks are seeded when they are *already
imported* (or when named in ``frameworks=``): import your framework first, then
call ``seed_everything``. The function returns the names it seeded, so a
notebook can show it.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Iterable

import numpy as np

_KNOWN = ("torch", "tensorflow", "keras")
_MAX_SEED = 2**32 - 1


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        msg = f"seed must be an int, got {type(seed).__name__} {seed!r}"
        raise TypeError(msg)
    seed = int(seed)
    if not 0 <= seed <= _MAX_SEED:
        msg = f"seed must be between 0 and 2**32 - 1, got {seed}"
        raise ValueError(msg)
    return seed


def seed_everything(
    seed: int,
    *,
    frameworks: Iterable[str] | None = None,
    deterministic: bool = False,
) -> list[str]:
    """Seed Python, NumPy and the deep-learning frameworks with one integer.

    Parameters
    ----------
    seed : int
        A value in ``[0, 2**32 - 1]``.
    frameworks : iterable of {"torch", "tensorflow", "keras"}, default=None
        Frameworks to seed. ``None`` seeds those already imported, so this
        never imports a framework you did not ask for.
    deterministic : bool, default=False
        Also ask the frameworks for deterministic kernels
        (``torch.use_deterministic_algorithms`` and TensorFlow's
        ``enable_op_determinism``). Slower, and some GPU operations then raise
        an error, so it is off by default; on the CPU, seeding alone already
        makes the course's small models repeatable.

    Returns
    -------
    list of str
        What was seeded, for example ``["python", "numpy", "torch"]``.

    Examples
    --------
    >>> seed_everything(0, frameworks=[])
    ['python', 'numpy']
    >>> a = np.random.rand()
    >>> _ = seed_everything(0, frameworks=[])
    >>> a == np.random.rand()
    True
    """
    seed = _check_seed(seed)
    if frameworks is None:
        wanted = [name for name in _KNOWN if name in sys.modules]
    else:
        wanted = list(frameworks)
        unknown = [name for name in wanted if name not in _KNOWN]
        if unknown:
            msg = f"cannot seed unknown framework(s) {unknown}; known: {list(_KNOWN)}"
            raise ValueError(msg)

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002  (the legacy global generator is what np.random.rand uses)
    os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses; this one's hash seed is fixed
    os.environ["PL_GLOBAL_SEED"] = str(seed)  # Lightning's workers and seed_everything read it
    seeded = ["python", "numpy"]

    if "torch" in wanted:
        import torch

        torch.manual_seed(seed)  # seeds the CPU and every CUDA/MPS device
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = deterministic or torch.backends.cudnn.deterministic
        if deterministic:
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True)
        seeded.append("torch")

    if "tensorflow" in wanted or "keras" in wanted:
        from nnfw.config import quiet_frameworks

        quiet_frameworks()
        import keras

        # Seeds Python, NumPy and the active Keras backend (TensorFlow by default).
        keras.utils.set_random_seed(seed)
        if "tensorflow" in wanted:
            import tensorflow as tf

            tf.random.set_seed(seed)
            if deterministic:
                tf.config.experimental.enable_op_determinism()
            seeded.append("tensorflow")
        if "keras" in wanted:
            seeded.append("keras")
    return seeded
