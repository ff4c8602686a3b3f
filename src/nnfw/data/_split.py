"""Three-way train/validation/test split."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nnfw.data._base import _check_seed

__all__ = ["train_val_test_split"]


def _n_from_size(size: Any, name: str, n_samples: int) -> int:
    """Turn a fraction in [0, 1) or a count in [0, n_samples] into a count."""
    if isinstance(size, bool) or not isinstance(size, Real):
        msg = f"{name} must be a fraction in [0, 1) or an int, got {size!r} ({type(size).__name__})"
        raise TypeError(msg)
    if isinstance(size, Integral):
        if not 0 <= int(size) <= n_samples:
            msg = f"{name} must be between 0 and n_samples={n_samples} as an int, got {size}"
            raise ValueError(msg)
        return int(size)
    if not 0.0 <= float(size) < 1.0:
        msg = f"{name} must be a fraction in [0, 1) (or an int number of samples), got {size}"
        raise ValueError(msg)
    # Round up like scikit-learn; round() first so that 0.07 * 100 gives 7, not 8.
    return math.ceil(round(float(size) * n_samples, 9))


def _stratified_order(labels: NDArray[Any], rng: np.random.Generator) -> NDArray[np.intp]:
    """A random order of the samples in which every class is spread evenly.

    The i-th of the c samples of a class (in random order) gets the key
    ``(i + 0.5) / c``; sorting by key (ties in random order) interleaves the
    classes, so every contiguous slice of the order holds each class in
    proportion, to within about one sample.
    """
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    keys = np.empty(len(labels))
    for k, count in enumerate(counts):
        members = rng.permutation(np.flatnonzero(inverse == k))
        keys[members] = (np.arange(count) + 0.5) / count
    return np.lexsort((rng.random(len(labels)), keys))


def train_val_test_split(
    *arrays: ArrayLike,
    val_size: float = 0.15,
    test_size: float = 0.15,
    seed: int,
    stratify: ArrayLike | None = None,
    shuffle: bool = True,
) -> list[NDArray[Any]]:
    """Split arrays into random train, validation and test parts.

    Like :func:`sklearn.model_selection.train_test_split`, with a validation
    part and a required ``seed``, so that every split in the course can be
    reproduced.

    Parameters
    ----------
    *arrays : array-likes
        Arrays with the same length (first dimension), split by their rows.
    val_size, test_size : float or int, default=0.15
        A float in [0, 1) is a fraction of the samples (rounded up); an int is a
        number of samples. At least one sample must be left for training.
    seed : int
        Seed of the random generator (keyword, required): the same seed gives
        the same split. Not used when ``shuffle=False``.
    stratify : array-like of shape (n_samples,), default=None
        Class labels: if given, each part gets the classes in the same
        proportions as ``stratify`` (to within about one sample per class).
    shuffle : bool, default=True
        If False, the parts are consecutive: the first rows go to training,
        then validation, then test. Cannot be combined with ``stratify``.

    Returns
    -------
    list of ndarray
        ``[a_train, a_val, a_test, b_train, b_val, b_test, ...]``: three NumPy
        arrays per input array, in the order of the inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from nnfw.data import train_val_test_split
    >>> X, y = np.arange(40).reshape(20, 2), np.arange(20) % 2
    >>> X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
    ...     X, y, val_size=0.2, test_size=0.2, seed=0, stratify=y
    ... )
    >>> len(X_train), len(X_val), len(X_test), int(y_val.sum())
    (12, 4, 4, 2)
    """
    if not arrays:
        msg = "train_val_test_split needs at least one array to split"
        raise TypeError(msg)
    arrs = [np.asarray(a) for a in arrays]
    for i, a in enumerate(arrs):
        if a.ndim == 0:
            msg = f"array {i} is a scalar ({a!r}); expected an array with one row per sample"
            raise ValueError(msg)
    lengths = [len(a) for a in arrs]
    if len(set(lengths)) > 1:
        msg = f"all arrays must have the same length, got lengths {lengths}"
        raise ValueError(msg)
    n_samples = lengths[0]
    n_val = _n_from_size(val_size, "val_size", n_samples)
    n_test = _n_from_size(test_size, "test_size", n_samples)
    n_train = n_samples - n_val - n_test
    if n_train < 1:
        msg = (
            f"val_size={val_size!r} and test_size={test_size!r} leave no sample for training: "
            f"{n_val} + {n_test} of {n_samples} samples; make them smaller "
            "(as fractions they must add up to less than 1)"
        )
        raise ValueError(msg)
    rng = np.random.default_rng(_check_seed(seed))

    if stratify is not None:
        if not shuffle:
            msg = "stratify needs shuffle=True; got shuffle=False"
            raise ValueError(msg)
        labels = np.asarray(stratify)
        if labels.shape != (n_samples,):
            msg = (
                f"stratify must have shape ({n_samples},), one label per sample; "
                f"got shape {labels.shape}"
            )
            raise ValueError(msg)
        classes, counts = np.unique(labels, return_counts=True)
        sizes = {"train": n_train, "val": n_val, "test": n_test}
        for part, size in sizes.items():
            if 0 < size < len(classes):
                msg = (
                    f"the {part} part would have {size} sample(s), fewer than the "
                    f"{len(classes)} classes in stratify; make it larger or do not stratify"
                )
                raise ValueError(msg)
        n_parts = sum(size > 0 for size in sizes.values())
        if counts.min() < n_parts:
            msg = (
                f"the least populated class in stratify ({classes[counts.argmin()]!r}) has "
                f"{counts.min()} sample(s); stratifying into {n_parts} parts needs at least "
                f"{n_parts} per class"
            )
            raise ValueError(msg)
        order = _stratified_order(labels, rng)
    elif shuffle:
        order = rng.permutation(n_samples)
    else:
        order = np.arange(n_samples)

    parts = [order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]]
    if stratify is not None:  # undo the regular interleaving of the classes within each part
        parts = [rng.permutation(idx) for idx in parts]
    return [a[idx] for a in arrs for idx in parts]
