import builtins

import pytest

from nnfw import device

torch = pytest.importorskip("torch")


def test_describe_torch_only():
    report = device.describe(["torch"])
    entry = report["torch"]
    assert entry.installed
    assert entry.version == torch.__version__
    assert entry.devices[0] == "cpu"
    text = str(report)
    assert text.splitlines()[0].startswith("python")
    assert "torch" in text
    assert report.has_gpu == torch.cuda.is_available()
    with pytest.raises(KeyError, match="no framework named 'tensorflow'"):
        report["tensorflow"]


@pytest.mark.tensorflow
def test_describe_all_frameworks():
    report = device.describe()
    assert [f.name for f in report.frameworks] == ["torch", "tensorflow"]
    assert any(d.startswith("CPU") for d in report["tensorflow"].devices)


def test_describe_rejects_unknown_framework():
    with pytest.raises(ValueError, match=r"unknown framework\(s\) \['jax'\]"):
        device.describe(["jax"])


def test_describe_reports_missing_framework(monkeypatch):
    real = device._installed
    monkeypatch.setattr(device, "_installed", lambda name: name != "tensorflow" and real(name))
    report = device.describe()
    assert not report["tensorflow"].installed
    assert "not installed" in str(report)


def test_describe_survives_a_broken_framework(monkeypatch):
    real_import = builtins.__import__

    def broken(name, *args, **kwargs):
        if name == "torch":
            raise ImportError("libtorch.so: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", broken)
    report = device.describe(["torch"])
    assert "failed to load" in report["torch"].note
    assert "libtorch.so" in str(report)


def test_torch_device_auto_and_override(monkeypatch):
    monkeypatch.delenv("NNFW_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if expected == "cpu" and torch.backends.mps.is_available():  # pragma: no cover
        expected = "mps"
    assert device.torch_device().type == expected
    monkeypatch.setenv("NNFW_DEVICE", "cpu")
    assert device.torch_device() == torch.device("cpu")
    assert device.torch_device("cpu") == torch.device("cpu")


def test_torch_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.delenv("NNFW_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert device.torch_device().type == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.torch_device().type == "cuda"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_torch_device_unavailable_cuda_is_an_error():
    with pytest.raises(RuntimeError, match="sees 0 CUDA device"):
        device.torch_device("cuda")


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="checks the error without MPS")
def test_torch_device_unavailable_mps_is_an_error():
    with pytest.raises(RuntimeError, match="no MPS support"):
        device.torch_device("mps")


@pytest.mark.parametrize(
    ("name", "match"), [("gpu", "not a PyTorch device name"), ("meta", "not supported")]
)
def test_torch_device_bad_names(name, match):
    with pytest.raises(ValueError, match=match):
        device.torch_device(name)


@pytest.mark.tensorflow
def test_configure_tensorflow_is_idempotent():
    assert device.configure_tensorflow() == device.configure_tensorflow()


def test_versions_lists_required_packages():
    versions = device._versions()
    for name in ("python", "torch", "numpy", "nbgrader"):
        assert versions[name], name


@pytest.mark.gpu
def test_gpu_matmul_runs_on_cuda():
    dev = device.torch_device()
    assert dev.type == "cuda", f"expected a CUDA device, got {dev}"
    a = torch.randn(256, 256, device=dev)
    assert (a @ a).device.type == "cuda"
