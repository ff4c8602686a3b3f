"""Tests for nnfw.plot: they inspect the artists drawn, not pixels."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure

from nnfw import plot
from nnfw.history import History, UnknownMetricError

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


class FakeTorchTensor:
    """Just enough of a PyTorch tensor: detach().cpu().numpy()."""

    def __init__(self, array: Any) -> None:
        self.array = np.asarray(array)
        self.calls: list[str] = []

    def detach(self) -> FakeTorchTensor:
        self.calls.append("detach")
        return self

    def cpu(self) -> FakeTorchTensor:
        self.calls.append("cpu")
        return self

    def numpy(self) -> np.ndarray:
        self.calls.append("numpy")
        return self.array


class FakeTFTensor:
    """Just enough of a TensorFlow tensor: numpy()."""

    def __init__(self, array: Any) -> None:
        self.array = np.asarray(array)

    def numpy(self) -> np.ndarray:
        return self.array


def contour_sets(ax: Any) -> list[ContourSet]:
    return [c for c in ax.collections if isinstance(c, ContourSet)]


def scatters(ax: Any) -> list[PathCollection]:
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def legend_texts(ax: Any) -> list[str]:
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


# ---------------------------------------------------------------------- decision_boundary


@pytest.fixture
def two_classes() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def test_decision_boundary_from_labels(two_classes: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = two_classes
    seen: list[np.ndarray] = []

    def predict(points: np.ndarray) -> np.ndarray:
        seen.append(points)
        return (points.sum(axis=1) > 0).astype(int)

    fig = plot.decision_boundary(predict, X, y, resolution=50)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(seen) == 1
    assert seen[0].shape == (2500, 2)
    assert seen[0].dtype == np.float32
    filled, boundary = contour_sets(ax)
    assert filled.filled
    assert not boundary.filled
    assert [s.get_offsets().shape[0] for s in scatters(ax)] == [(y == 0).sum(), (y == 1).sum()]
    assert legend_texts(ax) == ["class 0", "class 1"]
    colors = [to_hex(s.get_facecolor()[0]) for s in scatters(ax)]
    assert colors == [c.lower() for c in plot.PALETTE[:2]]
    assert ax.get_title() == "Decision boundary"
    assert ax.get_xlabel() == "$x_1$"
    assert ax.get_xlim() == pytest.approx((X[:, 0].min() - 0.5, X[:, 0].max() + 0.5))


def test_decision_boundary_from_probabilities(two_classes: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = two_classes

    def predict(points: np.ndarray) -> FakeTorchTensor:
        return FakeTorchTensor(1 / (1 + np.exp(-points.sum(axis=1, keepdims=True))))

    fig = plot.decision_boundary(predict, X, y, resolution=30, title="Logistic regression")
    ax, colorbar = fig.axes
    assert ax.get_title() == "Logistic regression"
    assert colorbar.get_ylabel() == "P(class 1)"
    filled, boundary = contour_sets(ax)
    assert filled.filled
    assert list(boundary.levels) == [0.5]
    assert len(scatters(ax)) == 2


def test_decision_boundary_from_scores_three_classes() -> None:
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = np.array([0, 1, 2, 2])

    def predict(points: np.ndarray) -> FakeTFTensor:
        scores = np.column_stack([-points.sum(axis=1), points[:, 0], points[:, 1]])
        return FakeTFTensor(scores)

    fig = plot.decision_boundary(predict, X, y, resolution=20, padding=0.0)
    (ax,) = fig.axes
    assert legend_texts(ax) == ["class 0", "class 1", "class 2"]
    assert ax.get_xlim() == (0.0, 1.0)
    assert contour_sets(ax)[0].filled


def test_decision_boundary_constant_prediction_has_no_boundary_line(
    two_classes: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = two_classes
    fig = plot.decision_boundary(lambda P: np.ones(len(P), dtype=bool), X, y, resolution=10)
    (ax,) = fig.axes
    assert len(contour_sets(ax)) == 1


def test_decision_boundary_saturated_probabilities_without_crossing() -> None:
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    fig = plot.decision_boundary(lambda P: np.full(len(P), 0.75), X, [0, 1], resolution=5)
    ax, _colorbar = fig.axes
    assert len(contour_sets(ax)) == 1  # no 0.5 line: the model never crosses it


def test_decision_boundary_many_classes_and_missing_ones() -> None:
    X = np.column_stack([np.arange(10.0), np.zeros(10)])
    y = np.arange(10)

    def predict(points: np.ndarray) -> np.ndarray:
        return np.clip(np.round(points[:, 0]), 0, 10)  # class 10 is predicted, never true

    fig = plot.decision_boundary(predict, X, y, resolution=30)
    assert len(scatters(fig.axes[0])) == 10


def test_decision_boundary_single_point_with_given_axes() -> None:
    fig, ax = plt.subplots()
    returned = plot.decision_boundary(
        lambda P: np.zeros(len(P)), [[1.0, 2.0]], [0], ax=ax, padding=0
    )
    assert returned is fig
    assert ax.get_xlim() == (1.0, 2.0)


@pytest.mark.torch
def test_decision_boundary_real_torch_model(two_classes: tuple[np.ndarray, np.ndarray]) -> None:
    torch = pytest.importorskip("torch")
    X, y = two_classes
    model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    fig = plot.decision_boundary(lambda P: model(torch.from_numpy(P)), X, torch.tensor(y))
    assert contour_sets(fig.axes[0])[0].filled


@pytest.mark.parametrize(
    ("X", "y", "error", "match"),
    [
        (np.zeros((5, 3)), np.zeros(5), ValueError, r"shape \(n, 2\).*\(5, 3\)"),
        (np.zeros(4), np.zeros(4), ValueError, r"shape \(n, 2\)"),
        (np.zeros((0, 2)), np.zeros(0), ValueError, "empty"),
        (np.zeros((5, 2)), np.zeros(4), ValueError, "y has 4 entries, expected 5"),
        (np.zeros((2, 2)), np.zeros((2, 2, 2)), ValueError, "one-dimensional"),
        (np.array([["a", "b"]]), [0], TypeError, "X must hold numbers"),
        (np.zeros((1, 2)), ["cat"], TypeError, "y must hold numbers"),
    ],
)
def test_decision_boundary_bad_data(X: Any, y: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        plot.decision_boundary(lambda P: np.zeros(len(P)), X, y)


@pytest.mark.parametrize(
    ("predict", "match"),
    [
        (lambda P: np.zeros(3), "returned 3 values for 100 points"),
        (lambda P: np.zeros((3, 2)), "returned 3 rows for 100 points"),
        (lambda P: np.zeros((len(P), 2, 2)), r"got shape \(100, 2, 2\)"),
        (lambda P: P[:, 0] * 10 + 0.1, "logits"),
        (lambda P: np.full(len(P), np.nan), "NaN"),
    ],
)
def test_decision_boundary_bad_predictions(predict: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        plot.decision_boundary(predict, [[0.0, 0.0], [1.0, 1.0]], [0, 1], resolution=10)


def test_decision_boundary_bad_arguments() -> None:
    X, y = [[0.0, 0.0], [1.0, 1.0]], [0, 1]
    with pytest.raises(TypeError, match="callable"):
        plot.decision_boundary(np.zeros(2), X, y)
    with pytest.raises(ValueError, match="resolution"):
        plot.decision_boundary(lambda P: np.zeros(len(P)), X, y, resolution=1)
    with pytest.raises(ValueError, match="padding"):
        plot.decision_boundary(lambda P: np.zeros(len(P)), X, y, padding=-1)


# ---------------------------------------------------------------------- history


@pytest.fixture
def full_history() -> History:
    return History.from_lists(
        loss=[1.0, 0.6, 0.4, 0.3, 0.25],
        val_loss=[1.1, 0.7, 0.6, 0.65, 0.8],
        accuracy=[0.5, 0.7, 0.8, 0.9, 0.95],
        val_accuracy=[0.45, 0.65, 0.7, 0.72, 0.7],
    )


def best_lines(ax: Any) -> list[Any]:
    return [line for line in ax.get_lines() if line.get_gid() == "best-epoch"]


def best_markers(ax: Any) -> list[Any]:
    return [line for line in ax.get_lines() if line.get_gid() == "best-epoch-marker"]


def test_history_two_panels_with_best_epoch(full_history: History) -> None:
    fig = plot.history(full_history)
    loss_ax, acc_ax = fig.axes
    assert [loss_ax.get_title(), acc_ax.get_title()] == ["Loss", "Accuracy"]
    assert loss_ax.get_xlabel() == "epoch"
    assert loss_ax.get_ylabel() == "loss"
    train, val = loss_ax.get_lines()[:2]
    assert (train.get_label(), train.get_linestyle()) == ("training", "-")
    assert (val.get_label(), val.get_linestyle()) == ("validation", "--")
    assert list(train.get_xdata()) == [1, 2, 3, 4, 5]
    assert to_hex(train.get_color()) != to_hex(val.get_color())
    # best val_loss is index 2, shown as epoch 3 on both panels
    for ax, value in ((loss_ax, 0.6), (acc_ax, 0.7)):
        (line,) = best_lines(ax)
        assert list(line.get_xdata()) == [3, 3]
        (marker,) = best_markers(ax)
        assert (marker.get_xdata()[0], marker.get_ydata()[0]) == (3, value)
        assert legend_texts(ax) == ["training", "validation", "best epoch 3"]


def test_history_mark_best_by_other_metric_or_not_at_all(full_history: History) -> None:
    fig = plot.history(full_history, mark_best="val_accuracy")
    assert list(best_lines(fig.axes[0])[0].get_xdata()) == [4, 4]
    fig = plot.history(full_history, mark_best=False)
    assert all(not best_lines(ax) for ax in fig.axes)
    assert "best epoch" not in " ".join(legend_texts(fig.axes[0]))
    with pytest.raises(UnknownMetricError):
        plot.history(full_history, mark_best="val_mae")


def test_history_falls_back_to_val_accuracy() -> None:
    h = History.from_lists(accuracy=[0.5, 0.6, 0.7], val_accuracy=[0.5, 0.8, 0.7])
    fig = plot.history(h)
    (ax,) = fig.axes
    assert list(best_lines(ax)[0].get_xdata()) == [2, 2]
    assert legend_texts(ax)[-1] == "best epoch 2"


def test_history_training_only_has_no_best_epoch() -> None:
    fig = plot.history({"loss": [0.5, 0.4]}, title="Hand-written loop")
    (ax,) = fig.axes
    assert ax.get_title() == "Hand-written loop"
    assert len(ax.get_lines()) == 1
    assert not best_lines(ax)


def test_history_marker_on_training_curve_when_panel_has_no_validation() -> None:
    h = History.from_lists(loss=[1.0, 0.5], val_loss=[1.0, 0.9], accuracy=[0.5, 0.6])
    fig = plot.history(h)
    _, acc_ax = fig.axes
    (marker,) = best_markers(acc_ax)
    assert (marker.get_xdata()[0], marker.get_ydata()[0]) == (2, 0.6)


def test_history_skips_nan_and_marks_single_points() -> None:
    h = History.from_lists(loss=[1.0, 0.8, 0.6], val_loss=[math.nan, math.nan, 0.7])
    fig = plot.history(h)
    train, val = fig.axes[0].get_lines()[:2]
    assert list(val.get_xdata()) == [3]
    assert val.get_marker() == "o"
    assert train.get_marker() in ("None", None, "")


def test_history_all_nan_validation_marks_nothing() -> None:
    h = History.from_lists(loss=[1.0, 0.8], val_loss=[math.nan, math.nan])
    assert not best_lines(plot.history(h).axes[0])


def test_history_selected_metrics_and_other_families(full_history: History) -> None:
    fig = plot.history(full_history, metrics="val_accuracy")
    assert [ax.get_ylabel() for ax in fig.axes] == ["accuracy"]
    h = History.from_lists(mae=[3.0, 2.0], val_mae=[3.5, 2.5], lr=[0.1, 0.1])
    fig = plot.history(h, title="Regression")
    assert [ax.get_ylabel() for ax in fig.axes] == ["mae", "lr"]
    assert fig.get_suptitle() == "Regression"
    with pytest.raises(UnknownMetricError, match=r"unknown metric 'accuracy'.*mae, lr"):
        plot.history(h, metrics=["mae", "accuracy"])
    with pytest.raises(ValueError, match="metrics is empty"):
        plot.history(h, metrics=[])


def test_history_on_given_axes(full_history: History) -> None:
    fig, axes = plt.subplots(1, 2)
    assert plot.history(full_history, ax=axes) is fig
    assert [ax.get_ylabel() for ax in axes] == ["loss", "accuracy"]
    fig, ax = plt.subplots()
    assert plot.history(full_history, ax=ax, metrics=["loss"]) is fig
    with pytest.raises(ValueError, match=r"2 panel\(s\) but got 1 axes"):
        plot.history(full_history, ax=ax)


def test_history_accepts_lightning_rows() -> None:
    rows = [{"train_loss": 1.0, "val_loss": 0.9}, {"train_loss": 0.5, "val_loss": 0.95}]
    fig = plot.history(rows)
    assert legend_texts(fig.axes[0])[-1] == "best epoch 1"


def test_history_rejects_empty_and_unknown_input() -> None:
    with pytest.raises(ValueError, match="no epochs"):
        plot.history(History())
    with pytest.raises(TypeError, match="cannot make a History"):
        plot.history(42)


# ---------------------------------------------------------------------- digits


@pytest.fixture
def images() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(12, 784)).astype(np.uint8)


def test_digits_grid_with_labels(images: np.ndarray) -> None:
    fig = plot.digits(images, np.arange(12) % 10, n=10, ncols=4)
    assert len(fig.axes) == 10
    assert [ax.get_title() for ax in fig.axes] == [str(i) for i in range(10)]
    assert all(len(ax.get_images()) == 1 for ax in fig.axes)
    assert fig.axes[0].get_images()[0].get_array().shape == (28, 28)
    assert fig.get_suptitle() == ""


def test_digits_marks_mistakes(images: np.ndarray) -> None:
    labels = np.array([3, 1, 4, 1, 5, 9])
    predicted = np.array([3, 7, 4, 1, 6, 9])
    fig = plot.digits(images[:6], labels, predicted=predicted)
    titles = [ax.title for ax in fig.axes]
    assert [t.get_text() for t in titles] == ["3/3", "1/7", "4/4", "1/1", "5/6", "9/9"]
    wrong = [to_hex(t.get_color()) == plot.MISTAKE_COLOR.lower() for t in titles]
    assert wrong == [False, True, False, False, True, False]
    assert to_hex(titles[0].get_color()) == "#000000"
    assert titles[1].get_fontweight() == "bold"
    assert "red" in fig.get_suptitle()


def test_digits_scores_one_hot_and_tensors(images: np.ndarray) -> None:
    one_hot = np.eye(10)[[2, 5]]
    scores = FakeTorchTensor(np.array([[0.1, 0.0, 0.9], [0.8, 0.1, 0.1]]))
    fig = plot.digits(images[:2], one_hot, predicted=scores, title="Two digits")
    assert [ax.get_title() for ax in fig.axes] == ["2/2", "5/0"]
    assert fig.get_suptitle() == "Two digits"
    assert scores.calls == ["detach", "cpu", "numpy"]


def test_digits_predictions_only_and_float_labels(images: np.ndarray) -> None:
    fig = plot.digits(images[:2], predicted=[7.0, 1.0])
    assert [ax.get_title() for ax in fig.axes] == ["pred 7", "pred 1"]
    fig = plot.digits(images[:2], np.array([0.5, 2.0]))
    assert [ax.get_title() for ax in fig.axes] == ["0.5", "2"]
    fig = plot.digits(images[:2], ["seven", "one"])
    assert [ax.get_title() for ax in fig.axes] == ["seven", "one"]


@pytest.mark.parametrize(
    "shape", [(3, 28, 28), (3, 784), (3, 1, 28, 28), (3, 28, 28, 1), (28, 28), (784,)]
)
def test_digits_accepts_image_layouts(shape: tuple[int, ...]) -> None:
    fig = plot.digits(np.zeros(shape, dtype=np.float32))  # constant images are fine
    assert len(fig.axes) == math.prod(shape) // 784
    assert all(not ax.get_title() for ax in fig.axes)


def test_digits_fewer_images_than_columns() -> None:
    fig = plot.digits(np.zeros((2, 28, 28)), n=25, ncols=5)
    assert len(fig.axes) == 2
    assert fig.axes[1].get_subplotspec().colspan.start == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"images": np.zeros((3, 27, 27))}, r"\(n, 28, 28\) or \(n, 784\).*\(3, 27, 27\)"),
        ({"images": np.zeros((3, 100))}, r"got \(3, 100\)"),
        ({"images": np.zeros((3, 3, 28, 28))}, "channel axis"),
        ({"images": np.zeros((0, 784))}, "empty"),
        ({"images": np.zeros((3, 784)), "labels": [1, 2]}, "labels has 2 entries, expected 3"),
        ({"images": np.zeros((3, 784)), "predicted": [1]}, "predicted has 1 entries"),
        ({"images": np.zeros((3, 784)), "n": 0}, "n must be a positive integer"),
        ({"images": np.zeros((3, 784)), "ncols": 2.5}, "ncols must be a positive integer"),
    ],
)
def test_digits_bad_input(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        plot.digits(**kwargs)


# ---------------------------------------------------------------------- fit_1d


@pytest.fixture
def points() -> dict[str, np.ndarray]:
    x = np.linspace(0.0, 1.0, 5)
    return {
        "x_train": x,
        "y_train": 2 * x + np.array([0.1, -0.1, 0.05, 0.0, -0.05]),
        "x_val": np.array([0.1, 0.6]),
        "y_val": np.array([0.3, 1.1]),
    }


def test_fit_1d_draws_points_and_one_curve_per_model(points: dict[str, np.ndarray]) -> None:
    inputs: list[np.ndarray] = []

    def line(x: np.ndarray) -> np.ndarray:
        inputs.append(x)
        return 2 * x

    models = {
        "degree 1": line,
        "degree 0": lambda x: FakeTorchTensor(np.full((len(x), 1), 1.0)),
        "tf model": lambda x: FakeTFTensor(x**2),
    }
    fig = plot.fit_1d(
        points["x_train"], points["y_train"], models, x_val=points["x_val"], y_val=points["y_val"]
    )
    (ax,) = fig.axes
    assert inputs[0].dtype == np.float32
    assert inputs[0].ndim == 1
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == list(models)
    assert len({line.get_linestyle() for line in lines}) == 3
    assert len({to_hex(line.get_color()) for line in lines}) == 3
    train, val = scatters(ax)
    assert train.get_offsets().shape == (5, 2)
    assert val.get_offsets().shape == (2, 2)
    assert legend_texts(ax) == [*models, "training data", "validation data"]
    assert ax.get_title() == "Training data and fitted models"
    assert ax.get_xlim() == pytest.approx((-0.05, 1.05))


def test_fit_1d_limits_wild_curves(points: dict[str, np.ndarray]) -> None:
    wild = {"degree 9": lambda x: 1e6 * np.sin(40 * x)}
    fig = plot.fit_1d(points["x_train"], points["y_train"], wild, x_range=(-1, 2), title="Wild")
    (ax,) = fig.axes
    low, high = ax.get_ylim()
    y = points["y_train"]
    spread = y.max() - y.min()
    assert y.min() - spread * 1.2 <= low < y.min()
    assert y.max() < high <= y.max() + spread * 1.2
    assert ax.get_xlim() == (-1.0, 2.0)
    assert ax.get_title() == "Wild"


def test_fit_1d_without_models_on_given_axes() -> None:
    fig, ax = plt.subplots()
    assert plot.fit_1d([1.0], [[2.0]], {}, ax=ax) is fig
    assert not ax.get_lines()
    assert ax.get_xlim() == (0.0, 2.0)
    assert len(scatters(ax)) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"x_train": [1.0, 2.0], "y_train": [1.0]}, ValueError, "x_train has 2 values but y_train"),
        ({"x_train": [], "y_train": []}, ValueError, "empty"),
        ({"x_train": np.zeros((2, 2)), "y_train": [1, 2]}, ValueError, "one-dimensional"),
        ({"x_val": [1.0]}, ValueError, "both x_val and y_val"),
        ({"x_val": [1.0], "y_val": [1.0, 2.0]}, ValueError, "x_val has 1 values but y_val has 2"),
        ({"models": [lambda x: x]}, TypeError, "dict of name -> callable"),
        ({"models": {"broken": 3}}, TypeError, r"models\['broken'\] must be callable"),
        ({"models": {"short": lambda x: x[:3]}}, ValueError, r"'short' returned shape \(3,\)"),
        ({"models": {"text": lambda x: np.full(len(x), "a")}}, TypeError, "must hold numbers"),
        ({"x_range": (2.0, 1.0)}, ValueError, "low < high"),
        ({"x_range": (1.0,)}, ValueError, "pair"),
        ({"x_range": ("a", "b")}, ValueError, "pair"),
    ],
)
def test_fit_1d_bad_input(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    arguments: dict[str, Any] = {"x_train": [0.0, 1.0], "y_train": [0.0, 1.0], "models": {}}
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        plot.fit_1d(**arguments)


def test_figures_are_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail() -> None:
        raise AssertionError("plt.show() was called")

    monkeypatch.setattr(plt, "show", fail)
    plot.history({"loss": [1.0]})
    plot.digits(np.zeros((1, 784)))
    plot.fit_1d([0.0], [0.0], {})
    plot.decision_boundary(lambda P: np.zeros(len(P)), [[0.0, 0.0]], [0], resolution=4)
