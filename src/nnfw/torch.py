"""PyTorch adapters: NumPy arrays in, ``DataLoader`` out.

Every notebook starts from the same NumPy arrays (see :mod:`nnfw.data`);
:func:`loader` turns them into a seeded, batched :class:`~torch.utils.data.DataLoader`.
Importing this module imports PyTorch (and nothing of TensorFlow).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from nnfw.checks import as_numpy
from nnfw.device import torch_device

__all__ = ["loader", "to_tensor", "torch_device"]


def to_tensor(
    array: Any,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """Turn an array into a tensor with the course's default dtypes.

    Floating-point data becomes ``float32`` (NumPy's default ``float64`` is
    twice the memory and unsupported on MPS); integer data becomes ``int64``,
    the dtype PyTorch's classification losses expect for labels; booleans
    stay booleans. ``dtype`` overrides the choice.
    """
    values = as_numpy(array, "array")
    if dtype is None:
        kind = values.dtype.kind
        dtype = torch.float32 if kind == "f" else torch.int64 if kind in "iu" else None
    tensor = torch.as_tensor(np.ascontiguousarray(values), dtype=dtype)
    return tensor.to(device) if device is not None else tensor


def loader(
    X: Any,
    y: Any | None = None,
    *,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int | None = None,
    device: torch.device | str | None = None,
    drop_last: bool = False,
) -> DataLoader[tuple[torch.Tensor, ...]]:
    """Wrap ``X`` (and labels ``y``) in a :class:`~torch.utils.data.DataLoader`.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Features; floats become ``float32``.
    y : array-like of shape (n_samples, ...), default=None
        Targets; integers become ``int64``. Without ``y`` each batch is a
        1-tuple ``(X_batch,)``.
    batch_size : int, default=32
    shuffle : bool, default=False
        Reshuffle every epoch. Use it for training data only.
    seed : int, default=None
        Seed of the shuffling generator, so the order of batches repeats from
        run to run. Required when ``shuffle=True`` (the course never shuffles
        without a seed).
    device : torch.device or str, default=None
        Put the whole data set on this device up front (fine for the course's
        small data sets; it saves a copy per batch). ``None`` keeps it on the CPU.
    drop_last : bool, default=False

    Examples
    --------
    >>> import numpy as np
    >>> batches = loader(np.zeros((10, 2)), np.arange(10), batch_size=4)
    >>> [tuple(xb.shape) for xb, yb in batches]
    [(4, 2), (4, 2), (2, 2)]
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        msg = f"batch_size must be a positive int, got {batch_size!r}"
        raise ValueError(msg)
    if shuffle and seed is None:
        msg = "shuffle=True needs a seed=... so that the batch order is repeatable"
        raise ValueError(msg)
    features = to_tensor(X, device=device)
    if features.ndim == 0 or len(features) == 0:
        msg = f"X must hold at least one sample, got shape {tuple(features.shape)}"
        raise ValueError(msg)
    tensors = [features]
    if y is not None:
        targets = to_tensor(y, device=device)
        if targets.ndim == 0 or len(targets) != len(features):
            msg = f"X has {len(features)} samples but y has shape {tuple(targets.shape)}"
            raise ValueError(msg)
        tensors.append(targets)
    generator = None
    if seed is not None:
        generator = torch.Generator()
        generator.manual_seed(seed)
    return DataLoader(
        TensorDataset(*tensors),
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        drop_last=drop_last,
    )
