"""Tests for nnfw.history: one History from Keras, Lightning and hand-written loops."""

from __future__ import annotations

import csv
import importlib.util
import math
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nnfw  # noqa: F401  (sets TensorFlow's quiet environment before any framework import)
from nnfw.history import LIGHTNING_NAMES, History, UnknownMetricError

# ---------------------------------------------------------------------- helpers and fixtures


class FakeScalar:
    """Stands in for a 0-d PyTorch tensor: only ``.item()``."""

    def __init__(self, value: float) -> None:
        self.value = value

    def item(self) -> float:
        return self.value


class FakeTFScalar:
    """Stands in for a TensorFlow scalar: only ``.numpy()``."""

    def __init__(self, value: float) -> None:
        self.value = value

    def numpy(self) -> np.float32:
        return np.float32(self.value)


class FakeKerasHistory:
    """What ``model.fit`` returns, without Keras."""

    def __init__(self, history: dict[str, list[float]]) -> None:
        self.history = history
        self.epoch = list(range(len(next(iter(history.values())))))


class FakeFrame:
    """A DataFrame-like object: ``columns`` and ``to_dict(orient="records")``."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.columns = sorted({key for row in records for key in row})

    def to_dict(self, orient: str) -> list[dict[str, Any]]:
        assert orient == "records"
        return self.records


def _import_torch_first() -> None:
    """The course imports torch before TensorFlow in one process; so do the tests."""
    if importlib.util.find_spec("torch") is not None:
        importlib.import_module("torch")


@pytest.fixture(scope="module")
def keras_history() -> Any:
    """A real keras.callbacks.History from three epochs on random data."""
    _import_torch_first()
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0)


@pytest.fixture(scope="module")
def lightning_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """Train a tiny LightningModule for 3 epochs with a CSVLogger.

    Returns the logger's folder and the per-epoch copies of
    ``trainer.callback_metrics`` (dicts of 0-d tensors) that a callback kept.
    """
    torch = pytest.importorskip("torch")
    lightning = pytest.importorskip("lightning")
    from lightning.pytorch.loggers import CSVLogger
    from torch.utils.data import DataLoader, TensorDataset

    class TinyClassifier(lightning.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(2, 1)

        def _loss_and_accuracy(self, batch: Any) -> tuple[Any, Any]:
            x, y = batch
            logits = self.layer(x).squeeze(1)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
            accuracy = ((logits > 0).float() == y).float().mean()
            return loss, accuracy

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            loss, _ = self._loss_and_accuracy(batch)
            self.log("train_loss", loss, on_step=False, on_epoch=True)
            return loss

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            loss, accuracy = self._loss_and_accuracy(batch)
            self.log("val_loss", loss, on_epoch=True)
            self.log("val_acc", accuracy, on_epoch=True)

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    class KeepMetrics(lightning.Callback):
        def __init__(self) -> None:
            self.epochs: list[dict[str, Any]] = []

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            self.epochs.append(dict(trainer.callback_metrics))

    lightning.seed_everything(0, verbose=False)
    x = torch.randn(64, 2)
    y = (x[:, 0] > 0).float()
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    keep = KeepMetrics()
    trainer = lightning.Trainer(
        max_epochs=3,
        logger=CSVLogger(tmp_path_factory.mktemp("lightning")),
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        accelerator="cpu",
        log_every_n_steps=1,
        callbacks=[keep],
    )
    with warnings.catch_warnings():
        # Lightning's advice about DataLoader workers, and a torch pytree deprecation
        # that Lightning triggers; neither concerns the metrics under test.
        warnings.filterwarnings(
            "ignore", message=r".*does not have many workers", category=UserWarning
        )
        warnings.filterwarnings("ignore", message=r".*LeafSpec", category=FutureWarning)
        trainer.fit(TinyClassifier(), loader, loader)
    return Path(trainer.logger.log_dir), keep.epochs


# ---------------------------------------------------------------------- Keras


@pytest.mark.tensorflow
def test_from_keras_keeps_names_and_values(keras_history: Any) -> None:
    h = History.from_keras(keras_history)
    assert set(h.keys()) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(h) == 3 == len(keras_history.epoch)
    for name, values in keras_history.history.items():
        assert h[name] == pytest.approx(values)
    assert 0 <= h.best_epoch() < 3
    assert h.best("val_loss") == min(keras_history.history["val_loss"])


@pytest.mark.tensorflow
def test_from_any_recognises_keras(keras_history: Any) -> None:
    assert History.from_any(keras_history) == History.from_keras(keras_history)


def test_from_keras_duck_typed_and_rejects_other_objects() -> None:
    h = History.from_keras(FakeKerasHistory({"loss": [0.5, 0.4], "val_loss": [0.6, 0.5]}))
    assert h.to_dict() == {"loss": [0.5, 0.4], "val_loss": [0.6, 0.5]}
    with pytest.raises(TypeError, match=r"model\.fit"):
        History.from_keras({"loss": [0.5]})


# ---------------------------------------------------------------------- Lightning


@pytest.mark.torch
def test_from_lightning_csv_file_and_folder(
    lightning_run: tuple[Path, list[dict[str, Any]]],
) -> None:
    log_dir, _ = lightning_run
    from_file = History.from_lightning(log_dir / "metrics.csv")
    from_folder = History.from_lightning(str(log_dir))
    assert from_file == from_folder
    assert set(from_file.keys()) == {"loss", "val_loss", "val_accuracy"}
    assert len(from_file) == 3
    assert not any(math.isnan(v) for _, values in from_file.items() for v in values)


@pytest.mark.torch
def test_from_lightning_csv_matches_callback_metrics(
    lightning_run: tuple[Path, list[dict[str, Any]]],
) -> None:
    log_dir, epochs = lightning_run
    from_csv = History.from_lightning(log_dir / "metrics.csv")
    from_callback = History.from_lightning(epochs)
    assert set(from_callback.keys()) == set(from_csv.keys())
    for name in from_csv:
        np.testing.assert_allclose(from_callback[name], from_csv[name], rtol=1e-6)


@pytest.mark.torch
def test_from_lightning_dataframe(lightning_run: tuple[Path, list[dict[str, Any]]]) -> None:
    pandas = pytest.importorskip("pandas")
    log_dir, _ = lightning_run
    frame = pandas.read_csv(log_dir / "metrics.csv")
    assert History.from_lightning(frame) == History.from_lightning(log_dir)
    assert History.from_any(frame) == History.from_lightning(log_dir)


@pytest.mark.torch
def test_from_lightning_folder_without_metrics_names_candidates(
    lightning_run: tuple[Path, list[dict[str, Any]]],
) -> None:
    log_dir, _ = lightning_run
    with pytest.raises(FileNotFoundError, match=r"found .*metrics\.csv"):
        History.from_lightning(log_dir.parent.parent)


@pytest.mark.torch
def test_from_lightning_torch_tensors_and_name_mapping() -> None:
    torch = pytest.importorskip("torch")
    epochs = [
        {
            "train_loss_step": torch.tensor(9.0),
            "train_loss_epoch": torch.tensor(0.8),
            "train_loss": torch.tensor(0.8),
            "train_acc": torch.tensor(0.5),
            "val_loss": torch.tensor(0.9),
            "val_acc": torch.tensor(0.4),
            "train_mae": torch.tensor(1.5),
        },
        {
            "train_loss_epoch": torch.tensor(0.6),
            "train_acc": torch.tensor(0.75),
            "val_loss": torch.tensor(0.7),
            "val_acc": torch.tensor(0.5),
            "train_mae": torch.tensor(1.25),
        },
    ]
    h = History.from_lightning(epochs)
    assert set(h.keys()) == {"loss", "accuracy", "val_loss", "val_accuracy", "mae"}
    assert h["loss"] == pytest.approx([0.8, 0.6])
    assert h["accuracy"] == [0.5, 0.75]
    assert h["val_accuracy"] == pytest.approx([0.4, 0.5])
    assert h["mae"] == [1.5, 1.25]
    assert h.best_epoch("val_accuracy") == 1


def test_lightning_name_table() -> None:
    assert LIGHTNING_NAMES["train_loss"] == "loss"
    assert LIGHTNING_NAMES["train_acc"] == LIGHTNING_NAMES["train_accuracy"] == "accuracy"
    assert LIGHTNING_NAMES["val_acc"] == "val_accuracy"
    assert LIGHTNING_NAMES["val_loss"] == "val_loss"


def test_from_lightning_merges_rows_by_epoch(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    rows = [
        ["epoch", "step", "train_loss_step", "train_loss_epoch", "val_acc", "val_loss"],
        ["0", "0", "1.5", "", "", ""],
        ["0", "1", "", "", "0.5", "0.9"],  # validation in the middle of the epoch ...
        ["0", "1", "", "", "0.6", "0.8"],  # ... and again at its end: the last one wins
        ["0", "1", "", "1.0", "", ""],
        ["1", "3", "", "", "0.7", "0.6"],
        ["1", "3", "", "0.7", "", ""],
        ["2", "5", "", "0.5", "", ""],  # no validation in the last epoch
    ]
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    h = History.from_lightning(path)
    assert list(h.keys()) == ["val_accuracy", "val_loss", "loss"]
    assert h["loss"] == [1.0, 0.7, 0.5]
    assert h["val_accuracy"][:2] == [0.6, 0.7]
    assert h["val_loss"][:2] == [0.8, 0.6]
    assert math.isnan(h["val_loss"][2])
    assert h.best_epoch() == 1


def test_from_lightning_nan_cells_do_not_hide_values() -> None:
    frame = FakeFrame(
        [
            {"epoch": 0.0, "step": 3.0, "val_loss": 0.5, "train_loss": math.nan},
            {"epoch": 0.0, "step": 3.0, "val_loss": math.nan, "train_loss": 0.4},
        ]
    )
    h = History.from_lightning(frame)
    assert h.to_dict() == {"val_loss": [0.5], "loss": [0.4]}


def test_from_lightning_rows_without_epoch_are_epochs_and_none_is_nan() -> None:
    h = History.from_lightning([{"val_loss": 0.5}, {"val_loss": None, "loss": 0.3}])
    assert h["loss"][1] == 0.3
    assert all(math.isnan(v) for v in (h["loss"][0], h["val_loss"][1]))


def test_from_lightning_empty_list_is_empty_history() -> None:
    h = History.from_lightning([])
    assert len(h) == 0
    assert list(h.keys()) == []


@pytest.mark.parametrize(
    ("rows", "error", "match"),
    [
        ([{"epoch": 0, "loss": 1.0}, {"loss": 0.5}], ValueError, "every row"),
        ([{"epoch": 0.5, "loss": 1.0}], ValueError, "whole number"),
        ([{"epoch": -1, "loss": 1.0}], ValueError, "whole number"),
        ([{"loss": 1.0, "train_loss": 0.9}], ValueError, "both 'loss' and 'train_loss'"),
        ([{"loss": "abc"}], ValueError, "'abc' is not a number"),
        ([{"loss": [1.0, 2.0]}], TypeError, "expected a number"),
        ([{1: 1.0}], TypeError, "must be strings"),
        ([{"loss": 1.0}, 3], TypeError, "row 1: expected a dict"),
    ],
)
def test_from_lightning_bad_rows(rows: list[Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        History.from_lightning(rows)


def test_from_lightning_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        History.from_lightning(tmp_path / "missing.csv")
    with pytest.raises(FileNotFoundError, match=r"no metrics\.csv in .*log_dir"):
        History.from_lightning(tmp_path)
    with pytest.raises(TypeError, match="from_lightning"):
        History.from_lightning(42)


# ---------------------------------------------------------------------- hand-written loops


def test_from_lists_and_append_agree() -> None:
    from_lists = History.from_lists(loss=[0.9, 0.7], val_loss=[1.0, 0.8])
    filled = History()
    filled.append(loss=0.9, val_loss=1.0)
    filled.log_epoch(loss=FakeScalar(0.7), val_loss=np.float32(0.8))
    assert filled["val_loss"] == pytest.approx([1.0, 0.8])
    assert filled.to_dict().keys() == from_lists.to_dict().keys()
    assert filled == History.from_lists(loss=[0.9, 0.7], val_loss=[1.0, np.float32(0.8)])


def test_append_checks_names() -> None:
    h = History.from_lists(loss=[], val_loss=[])
    with pytest.raises(ValueError, match=r"missing \['val_loss'\], unexpected \['val_los'\]"):
        h.append(loss=0.5, val_los=0.6)
    with pytest.raises(ValueError, match="at least one metric"):
        h.append()
    h.append(loss=0.5, val_loss=None)
    assert len(h) == 1
    assert math.isnan(h["val_loss"][0])


def test_values_from_tensors_and_numpy() -> None:
    h = History.from_lists(
        loss=np.array([0.5, 0.25]),
        val_loss=[FakeScalar(1), FakeTFScalar(0.5)],
        accuracy=(np.int64(0), np.array(1)),
    )
    assert h.to_dict() == {"loss": [0.5, 0.25], "val_loss": [1.0, 0.5], "accuracy": [0.0, 1.0]}
    assert all(type(v) is float for _, values in h.items() for v in values)


@pytest.mark.torch
def test_values_from_real_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    h = History.from_lists(loss=torch.tensor([0.5, 0.25]), val_loss=[torch.tensor(1.0)] * 2)
    assert h["loss"] == [0.5, 0.25]
    with pytest.raises(ValueError, match=r"shape \(3,\) \(3 values\)"):
        History.from_lists(loss=[torch.ones(3)])


@pytest.mark.parametrize(
    ("metrics", "error", "match"),
    [
        ({"loss": [1.0, 2.0], "val_loss": [1.0]}, ValueError, r"loss: 2, val_loss: 1"),
        ({"loss": ["0.5"]}, TypeError, r"metric 'loss', epoch 0: expected a number, got '0.5'"),
        ({"loss": [True]}, TypeError, "got True"),
        ({"loss": [object()]}, TypeError, "expected a number"),
        ({"loss": 0.5}, TypeError, "one number per epoch, got float"),
        ({"loss": "0.5"}, TypeError, "one number per epoch, got str"),
        ({"loss": {"a": 1}}, TypeError, "one number per epoch, got dict"),
        ({"loss": [np.ones(2)]}, ValueError, r"shape \(2,\)"),
        ({"": [1.0]}, TypeError, "non-empty strings"),
        ({3: [1.0]}, TypeError, "non-empty strings"),
    ],
)
def test_validation_errors(metrics: dict[Any, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        History(metrics)


def test_constructor_needs_a_mapping() -> None:
    with pytest.raises(TypeError, match="mapping"):
        History([("loss", [1.0])])  # type: ignore[arg-type]


# ---------------------------------------------------------------------- reading


@pytest.fixture
def h() -> History:
    return History.from_lists(
        loss=[1.0, 0.6, 0.4, 0.3],
        val_loss=[1.1, 0.7, 0.7, 0.9],
        accuracy=[0.5, 0.7, 0.8, 0.9],
        val_accuracy=[0.45, 0.65, 0.7, 0.7],
    )


def test_mapping_access(h: History) -> None:
    assert len(h) == h.n_epochs == 4
    assert list(h) == list(h.keys()) == ["loss", "val_loss", "accuracy", "val_accuracy"]
    assert "val_loss" in h
    assert "val_mae" not in h
    assert h["val_loss"] == [1.1, 0.7, 0.7, 0.9]
    assert dict(h.items()) == h.metrics == h.to_dict()
    assert repr(h) == "History(epochs=4, metrics=['loss', 'val_loss', 'accuracy', 'val_accuracy'])"


def test_returned_lists_are_copies(h: History) -> None:
    h["loss"].append(99.0)
    h.metrics["loss"].clear()
    h.to_dict()["loss"][0] = 99.0
    assert h["loss"] == [1.0, 0.6, 0.4, 0.3]


def test_equality() -> None:
    first = History.from_lists(loss=[1.0, math.nan])
    assert first == History.from_lists(loss=[1.0, math.nan])
    assert first != History.from_lists(loss=[1.0, 2.0])
    assert first != History.from_lists(val_loss=[1.0, math.nan])
    assert first != {"loss": [1.0, math.nan]}
    assert History() == History()
    assert len(History()) == 0


def test_unknown_metric_is_key_and_value_error(h: History) -> None:
    with pytest.raises(KeyError, match=r"'val_mae'.*'loss', 'val_loss'") as info:
        h["val_mae"]
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith("unknown metric 'val_mae'")
    with pytest.raises(ValueError, match="unknown metric"):
        h.best_epoch("val_mae")
    with pytest.raises(UnknownMetricError, match="none yet"):
        History().best_epoch()
    assert str(UnknownMetricError()) == ""


# ---------------------------------------------------------------------- best epoch


def test_best_epoch_defaults_to_val_loss_and_prefers_the_earliest_tie(h: History) -> None:
    assert h.best_epoch() == 1
    assert h.best() == 0.7


def test_best_epoch_accuracy_is_maximised(h: History) -> None:
    assert h.best_epoch("val_accuracy") == 2  # 0.7 twice: the earlier
    assert h.best_epoch("accuracy") == 3
    assert h.best("val_accuracy") == 0.7


def test_best_epoch_monotone() -> None:
    h = History.from_lists(val_loss=[0.9, 0.8, 0.7, 0.6], loss=[0.1, 0.2, 0.3, 0.4])
    assert h.best_epoch("val_loss") == 3
    assert h.best_epoch("loss") == 0


def test_best_epoch_explicit_mode(h: History) -> None:
    assert h.best_epoch("val_loss", mode="max") == 0
    assert h.best_epoch("val_accuracy", mode="min") == 0
    with pytest.raises(ValueError, match="mode must be"):
        h.best_epoch("val_loss", mode="smallest")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("val_auc", 2), ("val_recall", 2), ("precision", 2), ("val_f1", 2), ("val_mae", 0), ("lr", 0)],
)
def test_best_epoch_auto_mode_by_name(name: str, expected: int) -> None:
    h = History({name: [0.1, 0.2, 0.3]})
    assert h.best_epoch(name) == expected


def test_best_epoch_skips_nan() -> None:
    h = History.from_lists(val_loss=[math.nan, 0.5, math.nan, 0.7])
    assert h.best_epoch() == 1
    assert h.best() == 0.5


def test_best_epoch_all_nan_or_empty() -> None:
    with pytest.raises(ValueError, match="all 2 values are NaN"):
        History.from_lists(val_loss=[math.nan, None]).best_epoch()
    with pytest.raises(ValueError, match="no epochs yet"):
        History.from_lists(val_loss=[]).best_epoch()


# ---------------------------------------------------------------------- from_any


def test_from_any_dispatch(tmp_path: Path) -> None:
    h = History.from_lists(loss=[0.5])
    assert History.from_any(h) is h
    assert History.from_any(FakeKerasHistory({"loss": [0.5]})) == h
    assert History.from_any({"loss": [0.5]}) == h
    assert History.from_any([{"train_loss": 0.5}]) == h
    assert History.from_any(FakeFrame([{"epoch": 0, "step": 1, "train_loss": 0.5}])) == h
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,step,train_loss\n0,1,0.5\n")
    assert History.from_any(path) == h
    assert History.from_any(str(tmp_path)) == h


@pytest.mark.parametrize("obj", [42, None, [1.0, 2.0], object(), b"bytes"])
def test_from_any_rejects_other_objects(obj: Any) -> None:
    with pytest.raises(TypeError, match="cannot make a History from"):
        History.from_any(obj)


# ---------------------------------------------------------------------- imports


def test_import_leaves_frameworks_out() -> None:
    code = textwrap.dedent(
        """
        import sys
        import nnfw.history, nnfw.plot
        heavy = ("torch", "tensorflow", "keras", "lightning", "pytorch_lightning")
        print(",".join(name for name in heavy if name in sys.modules))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
