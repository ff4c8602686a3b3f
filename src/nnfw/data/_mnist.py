"""The full MNIST data set (70,000 images), downloaded once and cached."""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from nnfw.data._base import (
    Bunch,
    DataNotAvailableError,
    RemoteFile,
    _cache_problem,
    _check_int,
    _check_real,
    _fetch_remote,
    _unavailable_message,
    get_data_home,
)

__all__ = [
    "MNIST_BASE_URL",
    "MNIST_FILES",
    "MNIST_TEST_IMAGES",
    "MNIST_TEST_LABELS",
    "MNIST_TRAIN_IMAGES",
    "MNIST_TRAIN_LABELS",
    "fetch_mnist",
]

#: Where the four MNIST files are downloaded from (a mirror of Yann LeCun's files).
MNIST_BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

MNIST_TRAIN_IMAGES = RemoteFile(
    filename="train-images-idx3-ubyte.gz",
    sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    size=9912422,
)
MNIST_TRAIN_LABELS = RemoteFile(
    filename="train-labels-idx1-ubyte.gz",
    sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    size=28881,
)
MNIST_TEST_IMAGES = RemoteFile(
    filename="t10k-images-idx3-ubyte.gz",
    sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    size=1648877,
)
MNIST_TEST_LABELS = RemoteFile(
    filename="t10k-labels-idx1-ubyte.gz",
    sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    size=4542,
)
#: The four files, in the order :func:`fetch_mnist`'s ``files=`` expects them.
MNIST_FILES = (MNIST_TRAIN_IMAGES, MNIST_TRAIN_LABELS, MNIST_TEST_IMAGES, MNIST_TEST_LABELS)

# IDX magic numbers: two zero bytes, 0x08 (unsigned byte data), then the number of dimensions.
_IDX_MAGIC = {1: 0x00000801, 3: 0x00000803}

_DESCR = """\
MNIST handwritten digits
------------------------

=================  ================================
Samples            70,000 (60,000 train, 10,000 test)
Classes            10 (digits 0-9)
Image size         28 x 28 pixels, grey levels 0-255
Features           784 (the flattened image)
=================  ================================

Yann LeCun, Corinna Cortes and Christopher Burges' classic benchmark,
downloaded once from the four original IDX files. The first ``n_train``
rows are the official training set and the rest the official test set;
keep that split when you compare with published results.
"""


def _read_idx(path: Path, ndim: int) -> NDArray[np.uint8]:
    """Read a gzipped IDX file of unsigned bytes with ``ndim`` dimensions.

    Raises a ValueError naming the file if it is not gzip, has the wrong magic
    number or holds fewer or more bytes than its header announces.
    """
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        msg = f"{path} is not a valid gzip file ({type(exc).__name__}: {exc})"
        raise ValueError(msg) from None
    header = 4 + 4 * ndim
    if len(raw) < header:
        msg = f"{path} is too short to be an IDX file: {len(raw)} bytes"
        raise ValueError(msg)
    (magic,) = struct.unpack(">I", raw[:4])
    if magic != _IDX_MAGIC[ndim]:
        msg = (
            f"{path} is not a {ndim}-D IDX file of unsigned bytes: "
            f"magic number {magic:#010x}, expected {_IDX_MAGIC[ndim]:#010x}"
        )
        raise ValueError(msg)
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape)) + header
    if len(raw) != expected:
        msg = (
            f"{path} is truncated or has extra data: header says shape {shape} "
            f"({expected} bytes in all), file has {len(raw)} bytes"
        )
        raise ValueError(msg)
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _read_mnist_pair(
    images_path: Path, labels_path: Path
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    images = _read_idx(images_path, ndim=3)
    labels = _read_idx(labels_path, ndim=1)
    if len(images) != len(labels):
        msg = (
            f"{images_path.name} has {len(images)} images but {labels_path.name} has "
            f"{len(labels)} labels; the files do not belong together"
        )
        raise ValueError(msg)
    if labels.size and labels.max() > 9:
        msg = f"{labels_path} has label {labels.max()}; MNIST labels are 0-9"
        raise ValueError(msg)
    return images, labels


def fetch_mnist(
    *,
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
    base_url: str = MNIST_BASE_URL,
    files: Sequence[RemoteFile] = MNIST_FILES,
    n_retries: int = 3,
    delay: float = 1.0,
    timeout: float = 30,
    return_X_y: bool = False,
) -> Bunch | tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """Load the full MNIST data set, downloading it the first time.

    =================  ===================================
    Samples            70,000 (60,000 train + 10,000 test)
    Classes            10
    Image size         28 x 28, ``uint8`` grey levels 0-255
    Features           784
    Download           4 files, about 11.6 MB
    =================  ===================================

    The four gzipped IDX files are downloaded with :func:`pooch.retrieve` and
    kept in ``get_data_home(data_home) / "mnist"``. Their SHA-256 is checked
    after every download and every time a cached file is used; a corrupted
    cached file is deleted and downloaded again. For the offline 5,000-image
    sample, see :func:`load_mnist_sample`.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Data folder; see :func:`get_data_home` (``NNFW_DATA``, else ``~/nnfw_data``).
    download_if_missing : bool, default=True
        If False, never use the network: raise :class:`DataNotAvailableError`
        when a file is missing or corrupted.
    base_url : str, default=MNIST_BASE_URL
        URL of the folder holding the four files (for a local mirror).
    files : sequence of RemoteFile, default=MNIST_FILES
        The train images, train labels, test images and test labels files, in
        that order. Only change this for a mirror with other files (the test
        suite serves small fake ones).
    n_retries : int, default=3
        Extra download attempts per file after a network or HTTP error (not
        after a checksum mismatch).
    delay : float, default=1.0
        Seconds between attempts.
    timeout : float, default=30
        Seconds to wait for the server before an attempt fails.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        With these keys:

        images : ndarray of shape (70000, 28, 28), uint8
        data : ndarray of shape (70000, 784), uint8
            The flattened images (a view of ``images``).
        target : ndarray of shape (70000,), int64
        n_train : int
            60000: rows ``[:n_train]`` are the official training set,
            rows ``[n_train:]`` the official test set.
        target_names : ndarray of str, ``"0"`` to ``"9"``
        folder : pathlib.Path
            Where the files are cached.
        DESCR : str
    (data, target) : tuple of ndarrays
        If ``return_X_y`` is True.

    Raises
    ------
    DataNotAvailableError
        A file is missing or corrupted and may not, or could not, be downloaded.
    ChecksumError
        A downloaded file has the wrong SHA-256.
    ValueError
        A file with the right hash is not valid IDX (only with custom ``files``).

    Examples
    --------
    >>> from nnfw.data import fetch_mnist
    >>> mnist = fetch_mnist()  # doctest: +SKIP
    >>> mnist.images.shape, mnist.n_train  # doctest: +SKIP
    ((70000, 28, 28), 60000)
    >>> X_train, y_train = mnist.data[: mnist.n_train], mnist.target[: mnist.n_train]  # doctest: +SKIP
    """
    files = tuple(files)
    if len(files) != 4 or not all(isinstance(f, RemoteFile) for f in files):
        msg = (
            "files must be 4 RemoteFile objects (train images, train labels, test images, "
            f"test labels), got {files!r}"
        )
        raise TypeError(msg)
    n_retries = _check_int(n_retries, "n_retries", minimum=0)
    delay = _check_real(delay, "delay", minimum=0)
    timeout = _check_real(timeout, "timeout", minimum=0, strict=True)

    folder = get_data_home(data_home) / "mnist"
    problems = [(f, p) for f in files if (p := _cache_problem(f, folder)) is not None]
    if problems and not download_if_missing:
        msg = _unavailable_message(problems, folder, base_url, "download_if_missing=False")
        raise DataNotAvailableError(msg)
    for remote, _ in problems:
        (folder / remote.filename).unlink(missing_ok=True)  # drop a corrupted copy first
        _fetch_remote(remote, folder, base_url, n_retries=n_retries, delay=delay, timeout=timeout)

    paths = [folder / f.filename for f in files]
    train_images, train_labels = _read_mnist_pair(paths[0], paths[1])
    test_images, test_labels = _read_mnist_pair(paths[2], paths[3])
    if train_images.shape[1:] != test_images.shape[1:]:
        msg = (
            f"{paths[0].name} has images of shape {train_images.shape[1:]} but "
            f"{paths[2].name} has {test_images.shape[1:]}"
        )
        raise ValueError(msg)
    images = np.concatenate([train_images, test_images])
    target = np.concatenate([train_labels, test_labels]).astype(np.int64)
    data = images.reshape(len(images), -1)
    if return_X_y:
        return data, target
    return Bunch(
        images=images,
        data=data,
        target=target,
        n_train=len(train_images),
        target_names=np.array([str(d) for d in range(10)]),
        folder=folder,
        DESCR=_DESCR,
    )
