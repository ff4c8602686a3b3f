"""The course's standard pictures, the same for PyTorch and TensorFlow.

Four functions, each returning the matplotlib :class:`~matplotlib.figure.Figure`
it drew on; none of them calls ``plt.show()``:

- :func:`decision_boundary`: what a 2-D classifier predicts, everywhere;
- :func:`history`: training and validation curves, best epoch marked;
- :func:`digits`: a grid of 28x28 images with their (predicted) labels;
- :func:`fit_1d`: the overfitting picture, several fitted curves over 1-D data.

Models and outputs from either framework are accepted as they are: a tensor
is turned into a NumPy array through its own methods (``.detach().cpu().numpy()``
for PyTorch, ``.numpy()`` for TensorFlow), so this module imports neither
framework. Colours come from the Okabe-Ito palette, which stays readable for
the common kinds of colour blindness; lines also differ in style, not only in
colour.

In a notebook, assign the result (``fig = nnfw.plot.history(h)``) or end the
line with ``;``. Otherwise Jupyter draws the figure twice: once as the value of
the cell and once because pyplot shows every new figure when the cell ends.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from nnfw.history import History, UnknownMetricError

__all__ = [
    "MISTAKE_COLOR",
    "PALETTE",
    "decision_boundary",
    "digits",
    "fit_1d",
    "history",
]

#: Okabe-Ito colours: blue, orange, bluish green, vermillion, reddish purple,
#: sky blue, yellow, black. Class ``i`` of a classifier is drawn in ``PALETTE[i]``.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
#: Colour of the titles of misclassified images in :func:`digits` (vermillion).
MISTAKE_COLOR = "#D55E00"
TRAIN_COLOR = PALETTE[0]
VAL_COLOR = PALETTE[1]
BEST_COLOR = "#000000"

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_LINESTYLES = ("-", "--", "-.", ":")
#: Curve colours of :func:`fit_1d` (orange is kept for the validation points).
_CURVE_COLORS = (PALETTE[0], PALETTE[3], PALETTE[2], PALETTE[4], PALETTE[5], PALETTE[7])
_IMAGE_SIDE = 28


# ---------------------------------------------------------------------- helpers
def _to_numpy(value: Any) -> np.ndarray:
    """Turn a NumPy array, list, PyTorch or TensorFlow tensor into a NumPy array."""
    if callable(getattr(value, "detach", None)):  # PyTorch: leave the autograd graph
        value = value.detach()
    if callable(getattr(value, "cpu", None)):  # PyTorch: copy from the GPU
        value = value.cpu()
    if callable(getattr(value, "numpy", None)):  # PyTorch and TensorFlow
        value = value.numpy()
    return np.asarray(value)


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return _figure_of(ax), ax


def _figure_of(ax: Axes) -> Figure:
    fig = ax.get_figure(root=True)
    if not isinstance(fig, Figure):  # an Axes taken out of its figure
        msg = "the Axes passed as ax= belongs to no figure"
        raise TypeError(msg)
    return fig


def _numeric(value: Any, name: str) -> np.ndarray:
    array = _to_numpy(value)
    try:
        return array.astype(float)
    except (TypeError, ValueError):
        msg = f"{name} must hold numbers, got an array of {array.dtype}"
        raise TypeError(msg) from None


def _vector(value: Any, name: str) -> np.ndarray:
    """A 1-D array; an (n, 1) column is flattened."""
    array = _to_numpy(value)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        msg = f"{name} must be one-dimensional (n,), got shape {array.shape}"
        raise ValueError(msg)
    return array


def _class_labels(value: Any, n: int, name: str) -> np.ndarray:
    """Class labels of length n; rows of scores or one-hot vectors become their argmax."""
    array = _to_numpy(value)
    if array.ndim == 2 and array.shape[1] > 1:
        array = array.argmax(axis=1)
    array = _vector(array, name)
    if len(array) != n:
        msg = f"{name} has {len(array)} entries, expected {n} (one per sample)"
        raise ValueError(msg)
    return array


def _label_text(value: Any) -> str:
    """'7' for 7, 7.0 or np.int64(7); str(value) otherwise."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _class_colors(k: int) -> list[Any]:
    if k <= len(PALETTE):
        return list(PALETTE[:k])
    return [plt.get_cmap("viridis")(i / (k - 1)) for i in range(k)]


# ---------------------------------------------------------------------- decision_boundary
def _interpret_prediction(output: Any, m: int) -> tuple[str, np.ndarray]:
    """Return ("labels", labels) or ("probability", p) for the model's grid output."""
    out = _to_numpy(output)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.ndim == 2 and out.shape[1] > 1:
        if out.shape[0] != m:
            msg = f"predict returned {out.shape[0]} rows for {m} points"
            raise ValueError(msg)
        return "labels", out.argmax(axis=1)
    if out.ndim != 1:
        msg = (
            f"predict must return labels (m,), probabilities (m,) or (m, 1), or scores (m, k); "
            f"got shape {out.shape} for m={m} points"
        )
        raise ValueError(msg)
    if len(out) != m:
        msg = f"predict returned {len(out)} values for {m} points"
        raise ValueError(msg)
    values = _numeric(out, "the output of predict")
    if not np.isfinite(values).all():
        msg = "predict returned NaN or infinite values"
        raise ValueError(msg)
    if out.dtype == bool or np.all(values == np.round(values)):
        return "labels", values
    if values.min() >= 0.0 and values.max() <= 1.0:
        return "probability", values
    msg = (
        "predict returned values outside [0, 1] that are not class labels (logits?). "
        "Return probabilities instead, e.g. lambda X: torch.sigmoid(model(torch.from_numpy(X)))"
    )
    raise ValueError(msg)


def decision_boundary(
    predict: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    *,
    ax: Axes | None = None,
    resolution: int = 200,
    padding: float = 0.5,
    title: str | None = None,
) -> Figure:
    """Shade the plane by a classifier's prediction and scatter the data on top.

    ``predict`` is called once, on a ``resolution`` x ``resolution`` grid that
    covers ``X`` plus ``padding`` on every side. What it returns decides the
    picture:

    - class labels (integers), or scores per class ``(m, k)`` (their argmax is
      taken): one colour per class, black lines where the class changes;
    - probabilities of class 1, ``(m,)`` or ``(m, 1)`` in [0, 1]: a colour
      gradient with a colour bar and a black line at 0.5.

    Parameters
    ----------
    predict : callable
        Takes an ``(m, 2)`` float32 NumPy array, returns labels, probabilities
        or scores as a NumPy array, list, PyTorch or TensorFlow tensor.
    X : array-like of shape (n, 2)
        The points to show.
    y : array-like of shape (n,)
        Their classes (numbers).
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.
    resolution : int, default=200
        Grid points along each axis.
    padding : float, default=0.5
        Margin around the data, in data units.
    title : str, optional
        Defaults to "Decision boundary".

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``X`` is not ``(n, 2)``, is empty, or ``y`` has another length; if
        the output of ``predict`` has the wrong size or holds logits.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    >>> y = np.array([0, 1, 1, 0])
    >>> fig = decision_boundary(lambda P: (P[:, 1] > 0.5).astype(int), X, y)
    >>> fig.axes[0].get_title()
    'Decision boundary'
    >>> plt.close(fig)

    For a PyTorch model with a sigmoid output:
    ``decision_boundary(lambda P: model(torch.from_numpy(P)), X, y)``.
    """
    if not callable(predict):
        msg = f"predict must be callable (a function or a model), got {type(predict).__name__}"
        raise TypeError(msg)
    points = _numeric(X, "X")
    if points.ndim != 2 or points.shape[1] != 2:
        msg = f"X must have shape (n, 2): two features per point; got shape {points.shape}"
        raise ValueError(msg)
    if len(points) == 0:
        msg = "X is empty: there is nothing to plot"
        raise ValueError(msg)
    classes_true = _numeric(_class_labels(y, len(points), "y"), "y")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        msg = f"resolution must be an integer >= 2, got {resolution!r}"
        raise ValueError(msg)
    if not padding >= 0:
        msg = f"padding must be >= 0, got {padding!r}"
        raise ValueError(msg)

    lows = points.min(axis=0) - padding
    highs = points.max(axis=0) + padding
    highs = np.where(highs > lows, highs, lows + 1.0)  # one point and no padding
    xs = np.linspace(lows[0], highs[0], resolution)
    ys = np.linspace(lows[1], highs[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()]).astype(np.float32)
    kind, predicted = _interpret_prediction(predict(grid), len(grid))

    fig, ax = _new_axes(ax, (6.0, 5.0))
    if kind == "labels":
        classes = np.unique(np.concatenate([classes_true, predicted.astype(float)]))
        colors = _class_colors(len(classes))
        index = np.searchsorted(classes, predicted.astype(float)).reshape(grid_x.shape)
        levels = np.arange(len(classes) + 1) - 0.5
        ax.contourf(grid_x, grid_y, index, levels=levels, colors=colors, alpha=0.3)
        if len(np.unique(index)) > 1:
            ax.contour(grid_x, grid_y, index, levels=levels[1:-1], colors="black", linewidths=1)
    else:
        classes = np.unique(classes_true)
        colors = _class_colors(max(len(classes), 2))
        cmap = LinearSegmentedColormap.from_list("nnfw_p", [colors[0], "#FFFFFF", colors[1]])
        surface = predicted.reshape(grid_x.shape)
        filled = ax.contourf(
            grid_x, grid_y, surface, levels=np.linspace(0, 1, 11), cmap=cmap, alpha=0.6
        )
        fig.colorbar(filled, ax=ax, label="P(class 1)")
        if surface.min() < 0.5 < surface.max():
            ax.contour(grid_x, grid_y, surface, levels=[0.5], colors="black", linewidths=1)

    for i, cls in enumerate(classes):
        members = classes_true == cls
        if not members.any():
            continue
        ax.scatter(
            points[members, 0],
            points[members, 1],
            color=colors[i],
            marker=_MARKERS[i % len(_MARKERS)],
            edgecolors="black",
            linewidths=0.5,
            s=30,
            label=f"class {_label_text(cls)}",
            zorder=3,
        )
    ax.set(
        xlim=(xs[0], xs[-1]),
        ylim=(ys[0], ys[-1]),
        xlabel="$x_1$",
        ylabel="$x_2$",
        title=title if title is not None else "Decision boundary",
    )
    ax.legend(loc="best", framealpha=0.8)
    return fig


# ---------------------------------------------------------------------- history
def _family(name: str) -> str:
    return name.removeprefix("val_")


def _families(hist: History, metrics: str | Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(_family(name) for name in hist))
    if metrics is None:
        chosen: list[str] = [f for f in ("loss", "accuracy") if f in present]
        return chosen or present
    wanted = [metrics] if isinstance(metrics, str) else list(metrics)
    if not wanted:
        msg = "metrics is empty: name at least one, e.g. metrics=['loss']"
        raise ValueError(msg)
    families = list(dict.fromkeys(_family(name) for name in wanted))
    unknown = [f for f in families if f not in present]
    if unknown:
        msg = f"unknown metric {unknown[0]!r}; this history has: {', '.join(present) or 'none'}"
        raise UnknownMetricError(msg)
    return families


def _history_axes(ax: Axes | Sequence[Axes] | None, n: int) -> tuple[Figure, list[Axes]]:
    if ax is None:
        fig, grid = plt.subplots(1, n, figsize=(5.0 * n, 3.6), squeeze=False, layout="constrained")
        return fig, list(grid[0])
    axes = [ax] if isinstance(ax, Axes) else list(ax)
    if len(axes) != n:
        msg = (
            f"history() draws {n} panel(s) but got {len(axes)} axes; pass one Axes per panel "
            "or choose the panels with metrics=[...]"
        )
        raise ValueError(msg)
    return _figure_of(axes[0]), axes


def _best_for_plot(hist: History, mark_best: bool | str) -> tuple[str, int] | None:
    if mark_best is False or mark_best is None:
        return None
    if isinstance(mark_best, str):
        return mark_best, hist.best_epoch(mark_best)
    for metric in ("val_loss", "val_accuracy"):
        if metric in hist:
            try:
                return metric, hist.best_epoch(metric)
            except ValueError:  # all NaN: nothing to mark
                return None
    return None


def history(
    h: Any,
    *,
    metrics: str | Sequence[str] | None = None,
    ax: Axes | Sequence[Axes] | None = None,
    title: str | None = None,
    mark_best: bool | str = True,
) -> Figure:
    """Plot training (solid) and validation (dashed) curves, one panel per metric.

    The x axis counts epochs from 1, as people do, so the best epoch that
    :meth:`History.best_epoch` reports as index ``i`` is drawn at ``i + 1``
    and labelled "best epoch ``i + 1``". It is marked on every panel by a
    dotted vertical line and a circle on the validation curve.

    Parameters
    ----------
    h : History or anything History.from_any accepts
        E.g. the result of Keras's ``model.fit``, or a list of Lightning
        per-epoch metric dicts.
    metrics : str or list of str, optional
        Panels to draw, by metric name without ``val_`` (``["loss", "mae"]``).
        Default: ``loss`` and ``accuracy``, those present (every metric if
        neither is).
    ax : Axes or sequence of Axes, optional
        Where to draw: one Axes per panel.
    title : str, optional
        Title of the single panel, or of the whole figure when there are several.
    mark_best : bool or str, default=True
        True marks the best epoch by ``val_loss`` (by ``val_accuracy`` when
        there is no ``val_loss``; nothing when there is neither). A metric
        name marks the best epoch by that metric; False marks nothing.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the history has no epochs, or the number of axes is wrong.
    UnknownMetricError
        If ``metrics`` or ``mark_best`` names a metric the history lacks.

    Examples
    --------
    >>> h = History.from_lists(loss=[0.9, 0.6, 0.5], val_loss=[1.0, 0.8, 0.9])
    >>> fig = history(h)
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:3]
    ['training', 'validation', 'best epoch 2']
    >>> plt.close(fig)
    """
    hist = History.from_any(h)
    if len(hist) == 0:
        msg = "the history has no epochs to plot yet"
        raise ValueError(msg)
    families = _families(hist, metrics)
    best = _best_for_plot(hist, mark_best)
    fig, axes = _history_axes(ax, len(families))
    epochs = np.arange(1, len(hist) + 1)

    for axis, family in zip(axes, families, strict=True):
        curves = {}
        for name, label, color, style in (
            (family, "training", TRAIN_COLOR, "-"),
            (f"val_{family}", "validation", VAL_COLOR, "--"),
        ):
            if name not in hist:
                continue
            values = np.asarray(hist[name], dtype=float)
            curves[name] = values
            keep = np.isfinite(values)
            axis.plot(
                epochs[keep],
                values[keep],
                color=color,
                linestyle=style,
                linewidth=2,
                marker="o" if keep.sum() == 1 else None,
                label=label,
            )
        if best is not None:
            index = best[1]
            axis.axvline(
                index + 1,
                color=BEST_COLOR,
                linestyle=":",
                linewidth=1.2,
                label=f"best epoch {index + 1}",
                gid="best-epoch",
            )
            for name in (f"val_{family}", family):
                if name in curves and np.isfinite(curves[name][index]):
                    axis.plot(
                        [index + 1],
                        [curves[name][index]],
                        linestyle="none",
                        marker="o",
                        markersize=9,
                        markerfacecolor="none",
                        markeredgecolor=BEST_COLOR,
                        markeredgewidth=1.5,
                        gid="best-epoch-marker",
                    )
                    break
        axis.set(xlabel="epoch", ylabel=family, title=family.replace("_", " ").capitalize())
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.grid(alpha=0.3)
        axis.legend(loc="best")
    if title is not None:
        if len(axes) == 1:
            axes[0].set_title(title)
        else:
            fig.suptitle(title)
    return fig


# ---------------------------------------------------------------------- digits
def _as_images(images: Any) -> np.ndarray:
    array = _numeric(images, "images")
    shape = array.shape
    side = _IMAGE_SIDE
    if array.ndim == 1 and array.size == side * side:
        return array.reshape(1, side, side)
    if array.ndim == 2 and shape == (side, side):
        return array[None]
    if array.ndim == 2 and shape[1] == side * side:
        return array.reshape(-1, side, side)
    if array.ndim == 3 and shape[1:] == (side, side):
        return array
    if array.ndim == 4 and shape[1:] in ((1, side, side), (side, side, 1)):
        return array.reshape(-1, side, side)
    msg = (
        f"images must have shape (n, {side}, {side}) or (n, {side * side}) "
        f"(a channel axis of size 1 is fine), got {shape}"
    )
    raise ValueError(msg)


def digits(
    images: Any,
    labels: Any = None,
    *,
    predicted: Any = None,
    n: int = 25,
    ncols: int = 5,
    title: str | None = None,
) -> Figure:
    """Show the first ``n`` images in a grid, with their labels as titles.

    With ``predicted``, each title reads "true/predicted" (``"7/1"``); the
    titles of misclassified images are bold and vermillion
    (:data:`MISTAKE_COLOR`), so mistakes stand out.

    Parameters
    ----------
    images : array-like of shape (n, 28, 28) or (n, 784)
        Grey-scale images, any value range; ``(n, 1, 28, 28)`` and
        ``(n, 28, 28, 1)`` work too.
    labels : array-like of shape (n,), optional
        True classes. Rows of scores or one-hot vectors ``(n, k)`` are
        reduced to their argmax.
    predicted : array-like of shape (n,) or (n, k), optional
        Predicted classes, or the model's scores per class.
    n : int, default=25
        How many images to show, at most.
    ncols : int, default=5
        Images per row.
    title : str, optional
        Figure title. With ``predicted`` and ``labels`` it defaults to a
        short key to the titles.

    Returns
    -------
    matplotlib.figure.Figure
        One Axes per image shown.

    Raises
    ------
    ValueError
        If the images are not 28x28, there are none, or ``labels`` or
        ``predicted`` do not have one entry per image.

    Examples
    --------
    >>> images = np.zeros((6, 784))
    >>> fig = digits(images, [1, 2, 3, 4, 5, 6], predicted=[1, 2, 3, 4, 5, 0], ncols=3)
    >>> len(fig.axes), fig.axes[5].get_title()
    (6, '6/0')
    >>> plt.close(fig)
    """
    pictures = _as_images(images)
    if len(pictures) == 0:
        msg = "images is empty: there is nothing to show"
        raise ValueError(msg)
    for name, value in (("n", n), ("ncols", ncols)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            msg = f"{name} must be a positive integer, got {value!r}"
            raise ValueError(msg)
    true = None if labels is None else _class_labels(labels, len(pictures), "labels")
    guess = None if predicted is None else _class_labels(predicted, len(pictures), "predicted")

    count = min(n, len(pictures))
    columns = min(ncols, count)
    rows = math.ceil(count / columns)
    fig, grid = plt.subplots(
        rows,
        columns,
        figsize=(1.5 * columns, 1.6 * rows + 0.4),
        squeeze=False,
        layout="constrained",
    )
    cells = list(grid.ravel())
    for unused in cells[count:]:
        unused.remove()
    shown = pictures[:count]
    low, high = float(shown.min()), float(shown.max())
    if high <= low:
        high = low + 1.0
    for i, axis in enumerate(cells[:count]):
        axis.imshow(shown[i], cmap="gray_r", vmin=low, vmax=high, interpolation="nearest")
        axis.set_xticks([])
        axis.set_yticks([])
        if true is not None and guess is not None:
            wrong = bool(true[i] != guess[i])
            axis.set_title(
                f"{_label_text(true[i])}/{_label_text(guess[i])}",
                color=MISTAKE_COLOR if wrong else "black",
                fontweight="bold" if wrong else "normal",
                fontsize=10,
            )
        elif true is not None:
            axis.set_title(_label_text(true[i]), fontsize=10)
        elif guess is not None:
            axis.set_title(f"pred {_label_text(guess[i])}", fontsize=10)
    if title is None and true is not None and guess is not None:
        title = "true/predicted (mistakes in red)"
    if title is not None:
        fig.suptitle(title)
    return fig


# ---------------------------------------------------------------------- fit_1d
def _points_1d(x: Any, y: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    xs = _numeric(_vector(x, f"x_{what}"), f"x_{what}")
    ys = _numeric(_vector(y, f"y_{what}"), f"y_{what}")
    if len(xs) != len(ys):
        msg = f"x_{what} has {len(xs)} values but y_{what} has {len(ys)}"
        raise ValueError(msg)
    if len(xs) == 0:
        msg = f"x_{what} is empty: there is nothing to plot"
        raise ValueError(msg)
    return xs, ys


def fit_1d(
    x_train: Any,
    y_train: Any,
    models: Mapping[str, Callable[[np.ndarray], Any]],
    *,
    x_val: Any = None,
    y_val: Any = None,
    ax: Axes | None = None,
    title: str | None = None,
    x_range: tuple[float, float] | None = None,
) -> Figure:
    """Draw 1-D data and the curves of several fitted models: the overfitting picture.

    Each model is evaluated on 400 evenly spaced points. The y axis is kept
    within the data's range widened by that range on each side, so a wildly
    oscillating fit does not squash the data into a flat line.

    Parameters
    ----------
    x_train, y_train : array-like of shape (n,)
        Training points, drawn as black circles.
    models : dict of str to callable
        Legend label -> function taking a 1-D float32 NumPy array of x values
        and returning the predicted y values (array, list or tensor, ``(m,)``
        or ``(m, 1)``).
    x_val, y_val : array-like of shape (k,), optional
        Validation points, drawn as orange squares. Give both or neither.
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.
    title : str, optional
        Defaults to "Training data and fitted models".
    x_range : (float, float), optional
        Interval for the curves; default: the data's x range plus 5% per side.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For empty data, x and y of different lengths, only one of
        ``x_val``/``y_val``, a bad ``x_range``, or a model returning the
        wrong number of values.
    TypeError
        If ``models`` is not a dict of callables.

    Examples
    --------
    >>> x = np.array([0.0, 1.0, 2.0, 3.0])
    >>> y = np.array([0.1, 0.9, 2.1, 2.9])
    >>> fig = fit_1d(x, y, {"line": lambda t: t, "constant": lambda t: 0 * t + 1.5})
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['line', 'constant']
    >>> plt.close(fig)
    """
    xt, yt = _points_1d(x_train, y_train, "train")
    if (x_val is None) != (y_val is None):
        msg = "give both x_val and y_val, or neither"
        raise ValueError(msg)
    validation = None if x_val is None else _points_1d(x_val, y_val, "val")
    if not isinstance(models, Mapping):
        msg = (
            "models must be a dict of name -> callable, e.g. {'degree 3': f}; "
            f"got {type(models).__name__}"
        )
        raise TypeError(msg)
    for name, model in models.items():
        if not callable(model):
            msg = f"models[{name!r}] must be callable, got {type(model).__name__}"
            raise TypeError(msg)

    all_x = xt if validation is None else np.concatenate([xt, validation[0]])
    all_y = yt if validation is None else np.concatenate([yt, validation[1]])
    if x_range is None:
        low, high = float(all_x.min()), float(all_x.max())
        margin = 0.05 * (high - low) if high > low else 1.0
        low, high = low - margin, high + margin
    else:
        try:
            low, high = (float(v) for v in x_range)
        except (TypeError, ValueError):
            msg = f"x_range must be a pair (low, high) of numbers, got {x_range!r}"
            raise ValueError(msg) from None
        if not low < high:
            msg = f"x_range must have low < high, got {x_range!r}"
            raise ValueError(msg)
    grid = np.linspace(low, high, 400, dtype=np.float32)

    fig, ax = _new_axes(ax, (6.5, 4.5))
    curve_values = [all_y]
    for i, (name, model) in enumerate(models.items()):
        predicted = _to_numpy(model(grid.copy()))
        if predicted.ndim == 2 and predicted.shape[1] == 1:
            predicted = predicted[:, 0]
        if predicted.shape != grid.shape:
            msg = (
                f"model {name!r} returned shape {predicted.shape} for {len(grid)} x values; "
                f"expected ({len(grid)},)"
            )
            raise ValueError(msg)
        predicted = _numeric(predicted, f"the output of model {name!r}")
        curve_values.append(predicted[np.isfinite(predicted)])
        ax.plot(
            grid,
            predicted,
            color=_CURVE_COLORS[i % len(_CURVE_COLORS)],
            linestyle=_LINESTYLES[i % len(_LINESTYLES)],
            linewidth=2,
            label=str(name),
        )
    ax.scatter(xt, yt, color="black", marker="o", s=40, zorder=3, label="training data")
    if validation is not None:
        ax.scatter(
            *validation,
            color=VAL_COLOR,
            edgecolors="black",
            marker="s",
            s=40,
            zorder=3,
            label="validation data",
        )

    data_low, data_high = float(all_y.min()), float(all_y.max())
    spread = data_high - data_low if data_high > data_low else 1.0
    values = np.concatenate(curve_values)
    y_low = max(float(values.min()), data_low - spread)
    y_high = min(float(values.max()), data_high + spread)
    pad = 0.05 * (y_high - y_low) if y_high > y_low else 0.5
    ax.set(
        xlim=(low, high),
        ylim=(y_low - pad, y_high + pad),
        xlabel="x",
        ylabel="y",
        title=title if title is not None else "Training data and fitted models",
    )
    ax.legend(loc="best")
    return fig
