"""Shared pieces of :mod:`nnfw.data`: Bunch, the data folder, downloads, checks.

Downloads follow scikit-learn's ``sklearn/datasets/_base.py``: every remote
file is a :class:`RemoteFile` constant (name, SHA-256, size) and one private
function, :func:`_fetch_remote`, downloads it with :func:`pooch.retrieve`, which
writes a temporary file, checks the hash and moves the file into place only if
the hash matches. pooch is imported only when a file is checked or downloaded.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any

__all__ = [
    "Bunch",
    "ChecksumError",
    "DataNotAvailableError",
    "RemoteFile",
    "clear_data_home",
    "get_data_home",
]

logger = logging.getLogger("nnfw.data")

#: Environment variable that sets the data folder (see :func:`get_data_home`).
DATA_HOME_ENV = "NNFW_DATA"
_DEFAULT_DATA_HOME = "~/nnfw_data"


class Bunch(dict[str, Any]):
    """A dictionary whose keys can also be used as attributes.

    The same idea as :class:`sklearn.utils.Bunch`, written here so that
    :mod:`nnfw.data` does not import scikit-learn. ``b.data`` and
    ``b["data"]`` are the same object.

    Examples
    --------
    >>> b = Bunch(data=[1, 2], target=[0, 1])
    >>> b.data
    [1, 2]
    >>> b.DESCR = "two samples"
    >>> sorted(b)
    ['DESCR', 'data', 'target']
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(kwargs)

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self.keys()]


class DataNotAvailableError(OSError):
    """A data set is not on disk and could not (or may not) be downloaded.

    Raised by the ``fetch_*`` functions with ``download_if_missing=False`` when
    files are missing or corrupted, and when the download server cannot be
    reached. The message names the files, the folder and the URLs, and says
    how to fix it.
    """


class ChecksumError(OSError):
    """A downloaded file does not have the expected SHA-256 hash."""


@dataclass(frozen=True)
class RemoteFile:
    """A file to download: its name on the server, SHA-256 hash and size.

    Parameters
    ----------
    filename : str
        Name of the file, both on the server (appended to the base URL) and in
        the cache folder.
    sha256 : str
        Hexadecimal SHA-256 of the file: the truth about its content.
    size : int
        Size in bytes, used only as a cheap first check of a cached file.
    """

    filename: str
    sha256: str
    size: int


def get_data_home(data_home: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder where downloaded data sets are kept, creating it.

    The folder is, in order of preference: ``data_home`` if given, the
    environment variable ``NNFW_DATA`` if set and not empty, else
    ``~/nnfw_data``. A leading ``~`` is expanded. A lab can point every machine
    at one pre-filled (even read-only) folder with ``NNFW_DATA``.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use; ``None`` means "ask ``NNFW_DATA``, else the default".

    Returns
    -------
    pathlib.Path
        The data folder, which exists when this function returns.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     get_data_home(tmp).is_dir()
    True
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or _DEFAULT_DATA_HOME
    path = Path(data_home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def clear_data_home(data_home: str | os.PathLike[str] | None = None) -> None:
    """Delete the data folder and everything in it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to delete; ``None`` means :func:`get_data_home`'s choice.
    """
    shutil.rmtree(get_data_home(data_home))


# --- argument checks shared by the public functions ---------------------------------------------


def _check_int(value: Any, name: str, *, minimum: int) -> int:
    """Return ``value`` as an int, or raise a TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        msg = f"{name} must be an integer >= {minimum}, got {value!r} ({type(value).__name__})"
        raise TypeError(msg)
    if value < minimum:
        msg = f"{name} must be an integer >= {minimum}, got {value}"
        raise ValueError(msg)
    return int(value)


def _check_real(
    value: Any, name: str, *, minimum: float | None = None, strict: bool = False
) -> float:
    """Return ``value`` as a finite float (>= ``minimum``, or > if ``strict``), or raise."""
    expected = "a finite number"
    if minimum is not None:
        expected += f" {'>' if strict else '>='} {minimum}"
    if isinstance(value, bool) or not isinstance(value, Real):
        msg = f"{name} must be {expected}, got {value!r} ({type(value).__name__})"
        raise TypeError(msg)
    too_small = minimum is not None and (value <= minimum if strict else value < minimum)
    if not math.isfinite(value) or too_small:
        msg = f"{name} must be {expected}, got {value}"
        raise ValueError(msg)
    return float(value)


def _check_seed(seed: Any) -> int:
    """Seeds are plain non-negative ints, so every result can be reproduced."""
    return _check_int(seed, "seed", minimum=0)


# --- downloads ----------------------------------------------------------------------------------


def _cache_problem(remote: RemoteFile, folder: Path) -> str | None:
    """Return None if ``folder / remote.filename`` is intact, else what is wrong with it."""
    import pooch

    path = folder / remote.filename
    if not path.is_file():
        return "missing"
    if (
        path.stat().st_size != remote.size
        or pooch.file_hash(str(path), alg="sha256") != remote.sha256
    ):
        return "corrupted: SHA-256 does not match"
    return None


def _folder_url(base_url: str) -> str:
    return base_url if base_url.endswith("/") else base_url + "/"


def _file_url(base_url: str, remote: RemoteFile) -> str:
    return _folder_url(base_url) + remote.filename


def _unavailable_message(
    problems: Sequence[tuple[RemoteFile, str]], folder: Path, base_url: str, reason: str
) -> str:
    """The message of :class:`DataNotAvailableError`: what, where, why, and how to fix it."""
    lines = [f"{len(problems)} data file(s) not available in {folder}:"]
    lines += [
        f"  {remote.filename} ({problem}), from {_file_url(base_url, remote)}"
        for remote, problem in problems
    ]
    lines += [
        f"Reason: {reason}",
        "Fix it in one of two ways:",
        (
            "  1. allow the download (download_if_missing=True) on a machine that can reach "
            f"{_folder_url(base_url)};"
        ),
        (
            f"  2. download the file(s) yourself and put them in {folder}, or set the "
            f"{DATA_HOME_ENV} environment variable (or data_home=) to a data folder that has them."
        ),
    ]
    return "\n".join(lines)


@contextmanager
def _quiet_pooch() -> Iterator[None]:
    """Silence pooch's own logger for a while.

    pooch prints ``Downloading data from ...`` to stderr at level INFO; our
    downloads log to the ``nnfw.data`` logger instead, which is silent unless
    configured. The logger's level is restored afterwards.
    """
    import pooch

    pooch_logger = pooch.get_logger()
    level = pooch_logger.level
    pooch_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        pooch_logger.setLevel(level)


def _download_error(exc: OSError) -> str:
    """A short reason for a failed download: the HTTP status, else the first cause.

    requests wraps a refused connection or a timeout in several layers; the
    innermost exception (``ConnectionRefusedError``, ``TimeoutError``, ...) is
    the one a reader understands.
    """
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP error {exc.response.status_code} {exc.response.reason}"
    cause: BaseException = exc
    seen = {id(cause)}
    while (inner := cause.__cause__ or cause.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        cause = inner
    return f"{type(cause).__name__}: {cause}"


def _fetch_remote(
    remote: RemoteFile,
    folder: Path,
    base_url: str,
    *,
    n_retries: int = 3,
    delay: float = 1.0,
    timeout: float = 30.0,
) -> Path:
    """Download ``remote`` into ``folder`` with :func:`pooch.retrieve` and return its path.

    pooch writes a temporary file in ``folder`` and moves it to ``folder /
    remote.filename`` only if its SHA-256 matches; otherwise it deletes it. A
    network or HTTP error is tried again, ``1 + n_retries`` attempts in all,
    ``delay`` seconds apart (pooch's own ``retry_if_failed`` would wait 1, 2,
    ... 10 s whatever ``delay`` says, and would also download wrong bytes
    again). ``timeout`` is the number of seconds to wait for the server.

    Raises
    ------
    DataNotAvailableError
        If the server cannot be reached or answers with an error.
    ChecksumError
        If the downloaded bytes do not have the expected SHA-256.
    """
    import pooch
    import requests

    url = _file_url(base_url, remote)
    downloader = pooch.HTTPDownloader(timeout=timeout, progressbar=False)
    attempt = 0
    while True:
        attempt += 1
        logger.info("Downloading %s (attempt %d)", url, attempt)
        try:
            with _quiet_pooch():
                path = pooch.retrieve(
                    url,
                    known_hash=f"sha256:{remote.sha256}",
                    fname=remote.filename,
                    path=folder,
                    downloader=downloader,
                )
            return Path(path)
        except requests.RequestException as exc:
            if exc.response is not None:  # pooch leaves an HTTP error's response (and socket) open
                exc.response.close()
            if attempt > n_retries:
                reason = f"download failed after {attempt} attempt(s): {_download_error(exc)}"
                msg = _unavailable_message([(remote, "download failed")], folder, base_url, reason)
                raise DataNotAvailableError(msg) from None
            time.sleep(delay)
        except ValueError as exc:  # pooch's hash check; it has already deleted the download
            msg = (
                f"Checksum mismatch for {remote.filename} downloaded from {url}: {exc} "
                f"Clear the cache (nnfw.data.clear_data_home() or delete {folder}) and retry."
            )
            raise ChecksumError(msg) from None
