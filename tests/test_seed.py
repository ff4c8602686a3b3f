import random
import sys

import numpy as np
import pytest

from nnfw.seed import seed_everything


@pytest.mark.parametrize("seed", [0, 1, 42, 2**32 - 1])
def test_python_and_numpy_repeat(seed):
    seed_everything(seed, frameworks=[])
    first = (random.random(), np.random.rand(3))
    seed_everything(seed, frameworks=[])
    second = (random.random(), np.random.rand(3))
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])


def test_different_seeds_differ():
    seed_everything(1, frameworks=[])
    a = np.random.rand(4)
    seed_everything(2, frameworks=[])
    assert not np.array_equal(a, np.random.rand(4))


@pytest.mark.parametrize(
    ("seed", "error", "match"),
    [
        (-1, ValueError, "between 0 and 2\\*\\*32 - 1"),
        (2**32, ValueError, "between 0"),
        (1.5, TypeError, "seed must be an int, got float"),
        ("0", TypeError, "got str"),
        (True, TypeError, "got bool"),
    ],
)
def test_bad_seeds(seed, error, match):
    with pytest.raises(error, match=match):
        seed_everything(seed)


def test_unknown_framework():
    with pytest.raises(ValueError, match=r"unknown framework\(s\) \['jax'\]"):
        seed_everything(0, frameworks=["jax"])


def test_numpy_integer_seed_is_accepted():
    assert seed_everything(np.int64(3), frameworks=[]) == ["python", "numpy"]


def test_auto_seeds_only_imported_frameworks(monkeypatch):
    for name in ("tensorflow", "keras"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    pytest.importorskip("torch")
    seeded = seed_everything(0)
    assert "torch" in seeded
    assert "tensorflow" not in seeded
    assert "tensorflow" not in sys.modules


def _train_torch(seed: int) -> np.ndarray:
    import torch

    seed_everything(seed, frameworks=["torch"])
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    X, y = torch.randn(64, 2), torch.randn(64, 1)
    for _ in range(20):
        idx = torch.randperm(64)[:16]
        loss = torch.nn.functional.mse_loss(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return torch.cat([p.detach().flatten() for p in model.parameters()]).numpy()


@pytest.mark.torch
def test_torch_training_repeats_exactly():
    pytest.importorskip("torch")
    np.testing.assert_array_equal(_train_torch(7), _train_torch(7))
    assert not np.array_equal(_train_torch(7), _train_torch(8))


def _train_keras(seed: int, deterministic: bool = False) -> np.ndarray:
    import keras

    seed_everything(seed, frameworks=["tensorflow", "keras"], deterministic=deterministic)
    model = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    X = np.random.randn(64, 2).astype("float32")
    y = np.random.randn(64, 1).astype("float32")
    model.fit(X, y, batch_size=16, epochs=3, shuffle=True, verbose=0)
    return np.concatenate([w.flatten() for w in model.get_weights()])


@pytest.mark.tensorflow
def test_keras_training_repeats_exactly():
    pytest.importorskip("keras")
    first = _train_keras(7)
    np.testing.assert_array_equal(first, _train_keras(7))
    assert not np.array_equal(first, _train_keras(8))
    assert set(seed_everything(7, frameworks=["keras"])) == {"python", "numpy", "keras"}


@pytest.mark.tensorflow
def test_deterministic_flag_in_a_subprocess():
    """Op determinism is process-wide, so check it where it cannot leak into other tests."""
    import subprocess

    code = (
        "import nnfw, torch\n"
        "from nnfw.seed import seed_everything\n"
        "print(seed_everything(0, frameworks=['torch', 'tensorflow'], deterministic=True))\n"
        "print(torch.are_deterministic_algorithms_enabled())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["['python', 'numpy', 'torch', 'tensorflow']", "True"]
