import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nnfw import torch as nnfw_torch


def test_loader_dtypes_and_batches():
    X = np.arange(20, dtype=np.float64).reshape(10, 2)
    y = np.arange(10, dtype=np.int32)
    batches = list(nnfw_torch.loader(X, y, batch_size=4))
    assert [len(xb) for xb, _ in batches] == [4, 4, 2]
    xb, yb = batches[0]
    assert xb.dtype == torch.float32
    assert yb.dtype == torch.int64
    np.testing.assert_array_equal(torch.cat([b[0] for b in batches]).numpy(), X)


def test_loader_without_labels_and_drop_last():
    batches = list(nnfw_torch.loader(np.zeros((5, 3)), batch_size=2, drop_last=True))
    assert len(batches) == 2
    assert len(batches[0]) == 1


def test_loader_shuffle_is_seeded():
    X = np.arange(50, dtype=np.float32)[:, None]

    def order(seed):
        return torch.cat(
            [xb for (xb,) in nnfw_torch.loader(X, shuffle=True, seed=seed, batch_size=8)]
        )

    assert torch.equal(order(3), order(3))
    assert not torch.equal(order(3), order(4))
    assert not torch.equal(order(3), torch.as_tensor(X))


def test_loader_device():
    xb, yb = next(iter(nnfw_torch.loader(np.ones((3, 2)), [0, 1, 0], device="cpu")))
    assert xb.device.type == "cpu"
    assert yb.tolist() == [0, 1, 0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"X": np.zeros((3, 2)), "y": [0, 1]}, "X has 3 samples but y has shape \\(2,\\)"),
        ({"X": np.zeros((0, 2))}, "at least one sample"),
        ({"X": np.zeros((3, 2)), "batch_size": 0}, "batch_size must be a positive int"),
        ({"X": np.zeros((3, 2)), "shuffle": True}, "needs a seed"),
    ],
)
def test_loader_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nnfw_torch.loader(**kwargs)


def test_to_tensor_keeps_bool_and_honours_dtype():
    assert nnfw_torch.to_tensor(np.array([True, False])).dtype == torch.bool
    assert nnfw_torch.to_tensor([1, 2], dtype=torch.float64).dtype == torch.float64
    with pytest.raises(TypeError, match="must be numeric"):
        nnfw_torch.to_tensor(["a", "b"])


@pytest.fixture(scope="module")
def nnfw_tf():
    pytest.importorskip("tensorflow")
    from nnfw import tf as nnfw_tf

    return nnfw_tf


@pytest.mark.tensorflow
class TestTensorFlow:
    def test_dataset_batches_and_dtypes(self, nnfw_tf):
        X = np.arange(20, dtype=np.float64).reshape(10, 2)
        batches = list(nnfw_tf.dataset(X, np.arange(10), batch_size=4))
        assert [int(xb.shape[0]) for xb, _ in batches] == [4, 4, 2]
        assert batches[0][0].dtype.name == "float32"
        assert batches[0][1].dtype.name == "int64"
        assert [int(v) for v in batches[1][1]] == [4, 5, 6, 7]

    def test_dataset_float_targets_and_no_labels(self, nnfw_tf):
        _xb, yb = next(iter(nnfw_tf.dataset(np.ones((3, 1)), np.ones(3), batch_size=3)))
        assert yb.dtype.name == "float32"
        (only,) = [b for b in nnfw_tf.dataset(np.ones((3, 1)), batch_size=5)]
        assert tuple(only.shape) == (3, 1)

    def test_dataset_shuffle_is_seeded(self, nnfw_tf):
        X = np.arange(40, dtype=np.float32)

        def order(seed):
            return np.concatenate([b.numpy() for b in nnfw_tf.dataset(X, shuffle=True, seed=seed)])

        np.testing.assert_array_equal(order(1), order(1))
        assert not np.array_equal(order(1), X)

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"X": np.zeros((3, 2)), "y": [0, 1]}, "X has 3 samples"),
            ({"X": np.zeros((0, 2))}, "at least one sample"),
            ({"X": np.zeros((3, 2)), "batch_size": 1.5}, "batch_size"),
            ({"X": np.zeros((3, 2)), "shuffle": True}, "needs a seed"),
        ],
    )
    def test_dataset_bad_input(self, nnfw_tf, kwargs, match):
        with pytest.raises(ValueError, match=match):
            nnfw_tf.dataset(**kwargs)

    def test_to_tensor(self, nnfw_tf):
        assert nnfw_tf.to_tensor(np.ones(2)).dtype.name == "float32"
        assert nnfw_tf.to_tensor([1, 2]).dtype.name == "int64"
        assert nnfw_tf.to_tensor([True]).dtype.name == "bool"
