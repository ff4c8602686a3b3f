"""TensorFlow adapters: NumPy arrays in, ``tf.data.Dataset`` out.

Importing this module configures TensorFlow the course's way first (quiet
logs, GPU memory growth: see :func:`nnfw.device.configure_tensorflow`), then
imports it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfw.checks import as_numpy
from nnfw.device import configure_tensorflow

configure_tensorflow()

import tensorflow as tf

__all__ = ["configure_tensorflow", "dataset", "to_tensor"]


def to_tensor(array: Any, *, dtype: tf.DType | None = None) -> tf.Tensor:
    """Turn an array into a tensor: floats as ``float32``, integers as ``int64``."""
    values = as_numpy(array, "array")
    if dtype is None:
        kind = values.dtype.kind
        dtype = tf.float32 if kind == "f" else tf.int64 if kind in "iu" else None
    return tf.convert_to_tensor(values, dtype=dtype)


def dataset(
    X: Any,
    y: Any | None = None,
    *,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int | None = None,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """Wrap ``X`` (and labels ``y``) in a batched, prefetching ``tf.data.Dataset``.

    Same arguments and dtypes as :func:`nnfw.torch.loader`, so both notebooks
    of a pair read the same. With ``y`` each element is ``(X_batch, y_batch)``,
    which ``model.fit`` accepts directly; without it, ``X_batch``.

    Shuffle here, not in ``fit``: Keras ignores ``model.fit(..., shuffle=True)``
    when it is given a dataset. With ``shuffle=True`` (and a ``seed``) the order
    changes every epoch, the same way in every run.

    Examples
    --------
    >>> import numpy as np
    >>> ds = dataset(np.zeros((10, 2)), np.arange(10), batch_size=4)
    >>> [tuple(xb.shape) for xb, yb in ds]
    [(4, 2), (4, 2), (2, 2)]
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        msg = f"batch_size must be a positive int, got {batch_size!r}"
        raise ValueError(msg)
    if shuffle and seed is None:
        msg = "shuffle=True needs a seed=... so that the batch order is repeatable"
        raise ValueError(msg)
    features = as_numpy(X, "X")
    if features.ndim == 0 or len(features) == 0:
        msg = f"X must hold at least one sample, got shape {features.shape}"
        raise ValueError(msg)
    if features.dtype.kind == "f":
        features = features.astype(np.float32, copy=False)
    elements: Any = features
    if y is not None:
        targets = as_numpy(y, "y")
        if targets.ndim == 0 or len(targets) != len(features):
            msg = f"X has {len(features)} samples but y has shape {targets.shape}"
            raise ValueError(msg)
        targets = targets.astype(np.int64 if targets.dtype.kind in "iu" else np.float32, copy=False)
        elements = (features, targets)
    ds = tf.data.Dataset.from_tensor_slices(elements)
    if shuffle:
        ds = ds.shuffle(len(features), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
