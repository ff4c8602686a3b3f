import logging
import os
import subprocess
import sys
import textwrap
import time

import pytest

from nnfw import config

FRAMEWORKS = ("torch", "tensorflow", "keras", "lightning")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),
        ({"NNFW_FAST": "1"}, True),
        ({"NNFW_FAST": "true"}, True),
        ({"NNFW_FAST": "0"}, False),
        ({"NBGRADER_EXECUTION": "autograde"}, True),
        ({"NBGRADER_EXECUTION": "autograde", "NNFW_FAST": "0"}, False),
        ({"NNFW_FAST": " "}, False),
    ],
)
def test_fast_mode(monkeypatch, env, expected):
    monkeypatch.delenv("NNFW_FAST", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert config.fast_mode() is expected


def test_epochs(monkeypatch):
    monkeypatch.setenv("NNFW_FAST", "1")
    assert config.epochs(100, 5) == 5
    monkeypatch.setenv("NNFW_FAST", "0")
    assert config.epochs(100, 5) == 100
    with pytest.raises(ValueError, match="epoch counts must be positive"):
        config.epochs(0, 5)


def test_quiet_frameworks_keeps_user_settings(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH", raising=False)
    applied = config.quiet_frameworks()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"
    assert applied == {"TF_FORCE_GPU_ALLOW_GROWTH": "true"}
    assert os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    assert logging.getLogger("tensorflow").level >= logging.ERROR


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "GRPC_", "GLOG_"))}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_import_nnfw_is_light_and_imports_no_framework():
    result = _run(
        """
        import sys, time
        t = time.perf_counter()
        import nnfw
        import nnfw.config, nnfw.data, nnfw.checks, nnfw.seed, nnfw.device
        elapsed = time.perf_counter() - t
        loaded = [m for m in ("torch", "tensorflow", "keras", "lightning") if m in sys.modules]
        print(repr(loaded), elapsed)
        """
    )
    assert result.returncode == 0, result.stderr
    loaded, elapsed = result.stdout.split()
    assert loaded == "[]", f"import nnfw pulled in {loaded}"
    assert float(elapsed) < 1.0, f"importing nnfw took {elapsed} s"


def test_lazy_submodule_access():
    import nnfw

    assert nnfw.checks.assert_close is not None
    assert "data" in dir(nnfw)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = nnfw.nope


@pytest.mark.tensorflow
def test_tensorflow_is_silent_after_import_nnfw():
    """Importing and using TensorFlow after `import nnfw` writes nothing to stderr."""
    start = time.perf_counter()
    result = _run(
        """
        import nnfw
        import tensorflow as tf
        import keras
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(tf.zeros((4, 2)), tf.zeros((4, 1)), epochs=1, verbose=0)
        print("trained")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "trained"
    assert result.stderr == "", f"TensorFlow wrote to stderr:\n{result.stderr}"
    assert time.perf_counter() - start < 60


@pytest.mark.tensorflow
def test_tensorflow_is_noisy_without_nnfw():
    """The control for the test above: without nnfw, TensorFlow does write to stderr."""
    result = _run("import tensorflow")
    assert result.returncode == 0
    if result.stderr == "":  # pragma: no cover - depends on the CPU's features
        pytest.skip("TensorFlow prints nothing at import on this machine")


def test_temporary_env_sets_and_restores(monkeypatch):
    monkeypatch.setenv("NNFW_T_SET", "old")
    monkeypatch.delenv("NNFW_T_UNSET", raising=False)
    seen = {}

    def run():
        with config.temporary_env({"NNFW_T_SET": "new", "NNFW_T_UNSET": "1"}):
            seen.update(os.environ)
            raise RuntimeError("restored even on errors")

    with pytest.raises(RuntimeError):
        run()
    assert (seen["NNFW_T_SET"], seen["NNFW_T_UNSET"]) == ("new", "1")
    assert os.environ["NNFW_T_SET"] == "old"
    assert "NNFW_T_UNSET" not in os.environ
    with config.temporary_env(None):
        assert os.environ["NNFW_T_SET"] == "old"
