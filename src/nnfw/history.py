"""One training history for every framework.

Keras hands back a ``keras.callbacks.History``, Lightning writes a
``metrics.csv`` (or leaves metrics in ``trainer.callback_metrics``), and a
hand-written PyTorch loop keeps plain lists. :class:`History` turns each of
these into the same small object, so that :func:`nnfw.plot.history` and the
graded checks work the same way in both notebooks of a pair.

Metric names follow Keras: ``loss``, ``val_loss``, ``accuracy``,
``val_accuracy``; any other name is kept as it is. Epochs are counted from 0
in this module (``best_epoch`` returns a list index); plots count from 1.

Importing this module imports neither PyTorch nor TensorFlow: framework
objects are recognised by their attributes (``.history``, ``.item()``), never
by their type.

Collecting per-epoch metrics in a Lightning notebook
----------------------------------------------------
``trainer.callback_metrics`` holds the latest value of everything the module
logged. Copy it at the end of every training epoch (by then the validation of
that epoch has run too) and hand the list to :meth:`History.from_lightning`::

    class KeepMetrics(lightning.Callback):
        def __init__(self):
            self.epochs = []

        def on_train_epoch_end(self, trainer, pl_module):
            self.epochs.append(dict(trainer.callback_metrics))

    keep = KeepMetrics()
    trainer = lightning.Trainer(max_epochs=10, callbacks=[keep])
    trainer.fit(model, train_loader, val_loader)
    history = History.from_lightning(keep.epochs)

With a ``CSVLogger`` there is nothing to collect:
``History.from_lightning(trainer.logger.log_dir)`` reads its ``metrics.csv``.
"""

from __future__ import annotations

import csv
import math
import numbers
import os
from collections.abc import Iterable, Iterator, KeysView, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = ["LIGHTNING_NAMES", "History", "UnknownMetricError"]

#: Lightning metric names and the Keras names they become. Besides this table,
#: a ``_epoch`` suffix is dropped, ``_step`` columns are skipped and any other
#: ``train_`` prefix is removed (``train_mae`` becomes ``mae``).
LIGHTNING_NAMES: dict[str, str] = {
    "train_loss": "loss",
    "train_acc": "accuracy",
    "train_accuracy": "accuracy",
    "val_acc": "val_accuracy",
    "val_loss": "val_loss",
}

#: Parts of a metric name that make ``mode="auto"`` pick the largest value.
_HIGHER_IS_BETTER: tuple[str, ...] = ("acc", "auc", "precision", "recall", "f1")

#: Columns of Lightning's ``metrics.csv`` that are counters, not metrics.
_COUNTERS = frozenset({"epoch", "step"})

Mode = Literal["min", "max", "auto"]


class UnknownMetricError(KeyError, ValueError):
    """A metric name that the :class:`History` does not hold.

    It is both a ``KeyError`` (as for a dict) and a ``ValueError`` (as for a
    bad argument), so either ``except`` clause catches it.
    """

    def __str__(self) -> str:
        # KeyError would show the repr of the message, quotes and all.
        return str(self.args[0]) if self.args else ""


def _to_float(value: Any, where: str) -> float:
    """Convert one metric value (number, NumPy scalar, 0-d tensor, None) to float."""
    if value is None:
        return math.nan
    if not isinstance(value, (str, bytes)):
        item = getattr(value, "item", None)
        if not callable(item) and callable(getattr(value, "numpy", None)):
            # A TensorFlow tensor: .numpy() gives a NumPy scalar or array.
            value = value.numpy()
            item = getattr(value, "item", None)
        if callable(item):
            try:
                value = item()
            except (ValueError, RuntimeError) as exc:
                shape = tuple(int(n) for n in getattr(value, "shape", ()))
                msg = (
                    f"{where}: expected one number, got an array or tensor of shape "
                    f"{shape} ({math.prod(shape)} values)"
                )
                raise ValueError(msg) from exc
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{where}: expected a number, got {value!r} ({type(value).__name__})"
        raise TypeError(msg)
    return float(value)


def _float_list(name: str, values: Any) -> list[float]:
    """Convert the per-epoch values of one metric to a list of floats."""
    if isinstance(values, (str, bytes, Mapping)):
        msg = (
            f"metric {name!r} must be a sequence with one number per epoch, "
            f"got {type(values).__name__}"
        )
        raise TypeError(msg)
    try:
        items = list(values)
    except TypeError:
        msg = (
            f"metric {name!r} must be a sequence with one number per epoch, "
            f"got {type(values).__name__} {values!r}"
        )
        raise TypeError(msg) from None
    return [_to_float(v, f"metric {name!r}, epoch {i}") for i, v in enumerate(items)]


def _lightning_key(name: str) -> str | None:
    """Map a Lightning metric name to the Keras name; None for columns to skip."""
    if name in _COUNTERS or name.endswith("_step"):
        return None
    name = name.removesuffix("_epoch")
    if name in LIGHTNING_NAMES:
        return LIGHTNING_NAMES[name]
    return name.removeprefix("train_")


def _is_missing(value: Any) -> bool:
    """True for an empty CSV cell, None or a float NaN (pandas' empty cell)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def _cell_to_float(value: Any, where: str) -> float:
    """Like :func:`_to_float`, but also reads the text cells of a CSV file."""
    if isinstance(value, str):
        if not value.strip():
            return math.nan
        try:
            return float(value)
        except ValueError:
            msg = f"{where}: {value!r} is not a number"
            raise ValueError(msg) from None
    return _to_float(value, where)


def _merge_rows(rows: Sequence[Any], source: str) -> dict[str, list[float]]:
    """Merge Lightning rows (one dict per logging call) into per-epoch lists.

    Rows with an ``epoch`` entry are grouped by it; without one, each row is
    one epoch. Within an epoch a later value of a metric replaces an earlier
    one, a value logged under ``<name>_epoch`` wins over ``<name>``, and a
    missing (empty or NaN) cell never hides a real value.
    """
    epochs: dict[int, dict[str, float]] = {}
    names: dict[str, None] = {}  # ordered set of metric names
    with_epoch = [not _is_missing(row.get("epoch")) for row in rows if isinstance(row, Mapping)]
    if any(with_epoch) and not all(with_epoch):
        msg = f"{source}: some rows have an 'epoch' entry and some do not; give it in every row"
        raise ValueError(msg)
    for position, row in enumerate(rows):
        where = f"{source}, row {position}"
        if not isinstance(row, Mapping):
            msg = f"{where}: expected a dict of metric values, got {type(row).__name__}"
            raise TypeError(msg)
        if any(with_epoch):
            epoch_value = _cell_to_float(row["epoch"], f"{where}, 'epoch'")
            if not epoch_value.is_integer() or epoch_value < 0:
                msg = f"{where}: 'epoch' must be a whole number >= 0, got {epoch_value}"
                raise ValueError(msg)
            epoch = int(epoch_value)
        else:
            epoch = position
        merged = epochs.setdefault(epoch, {})
        set_by: dict[str, str] = {}
        # Plain names first, so that '<name>_epoch' overrides '<name>'.
        for key in sorted(row, key=lambda k: str(k).endswith("_epoch")):
            if not isinstance(key, str):
                msg = f"{where}: metric names must be strings, got {key!r}"
                raise TypeError(msg)
            name = _lightning_key(key)
            if name is None:
                continue
            earlier = set_by.get(name)
            if earlier is not None and not key.endswith("_epoch"):
                msg = f"{where}: both {earlier!r} and {key!r} would become {name!r}; log only one"
                raise ValueError(msg)
            set_by[name] = key
            names.setdefault(name, None)
            value = _cell_to_float(row[key], f"{where}, metric {key!r}")
            if not math.isnan(value) or name not in merged:
                merged[name] = value
    ordered = [epochs[e] for e in sorted(epochs) if epochs[e]]
    return {name: [epoch.get(name, math.nan) for epoch in ordered] for name in names}


def _read_metrics_csv(path: Path) -> list[dict[str, str]]:
    if path.is_dir():
        candidate = path / "metrics.csv"
        if not candidate.is_file():
            found = sorted(str(p) for p in path.rglob("metrics.csv"))
            hint = f"; found {', '.join(found)}" if found else ""
            msg = (
                f"no metrics.csv in {path}{hint}. Pass the logger's folder "
                "(trainer.logger.log_dir) or the file itself"
            )
            raise FileNotFoundError(msg)
        path = candidate
    if not path.is_file():
        msg = f"Lightning metrics file not found: {path}"
        raise FileNotFoundError(msg)
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class History:
    """Per-epoch metrics of one training run, keyed by Keras-style names.

    A ``History`` maps a metric name (``"loss"``, ``"val_loss"``,
    ``"accuracy"``, ``"val_accuracy"``, or any other) to a list with one
    float per epoch; every list has the same length. Values that were not
    measured in an epoch are NaN. Build one with the ``from_*`` constructors,
    or start empty and call :meth:`append` once per epoch.

    It reads like a dict of lists: ``h["val_loss"]``, ``"val_loss" in h``,
    ``h.keys()``, iteration over the names. Unlike a dict, ``len(h)`` is the
    number of epochs, not the number of metrics.

    Parameters
    ----------
    metrics : mapping of str to sequence of float, optional
        One sequence of per-epoch values per metric. Values may be Python or
        NumPy numbers, 0-d tensors (anything with ``.item()``) or None
        (stored as NaN).

    Raises
    ------
    ValueError
        If the sequences differ in length.
    TypeError
        If a value is not a number.

    Examples
    --------
    >>> h = History({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.8]})
    >>> h
    History(epochs=3, metrics=['loss', 'val_loss'])
    >>> len(h), h["val_loss"]
    (3, [1.0, 0.7, 0.8])
    >>> h.best_epoch()
    1
    """

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __init__(self, metrics: Mapping[str, Iterable[Any]] | None = None) -> None:
        self._metrics: dict[str, list[float]] = {}
        if metrics is None:
            return
        if not isinstance(metrics, Mapping):
            msg = f"metrics must be a mapping of name -> per-epoch values, got {type(metrics).__name__}"
            raise TypeError(msg)
        for name, values in metrics.items():
            if not isinstance(name, str) or not name:
                msg = f"metric names must be non-empty strings, got {name!r}"
                raise TypeError(msg)
            self._metrics[name] = _float_list(name, values)
        lengths = {name: len(values) for name, values in self._metrics.items()}
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{name}: {n}" for name, n in lengths.items())
            msg = f"every metric needs one value per epoch, but the lengths differ ({listed})"
            raise ValueError(msg)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_lists(cls, **metrics: Iterable[Any]) -> History:
        """Build a history from per-epoch lists, e.g. those of a hand-written loop.

        Parameters
        ----------
        **metrics : sequence of float
            One keyword per metric, e.g. ``loss=[...]``, ``val_loss=[...]``.

        Returns
        -------
        History

        Examples
        --------
        >>> History.from_lists(loss=[0.8, 0.6], val_loss=[0.9, 0.7]).best("val_loss")
        0.7
        """
        return cls(metrics)

    @classmethod
    def from_keras(cls, keras_history: Any) -> History:
        """Build a history from the object returned by Keras's ``model.fit``.

        Parameters
        ----------
        keras_history : keras.callbacks.History
            Anything with a ``.history`` dict of per-epoch lists.

        Returns
        -------
        History

        Examples
        --------
        >>> class FakeKerasHistory:  # what model.fit(...) returns, in miniature
        ...     history = {"loss": [0.7, 0.5], "val_loss": [0.8, 0.6]}
        ...     epoch = [0, 1]
        >>> History.from_keras(FakeKerasHistory())
        History(epochs=2, metrics=['loss', 'val_loss'])
        """
        records = getattr(keras_history, "history", None)
        if not isinstance(records, Mapping):
            msg = (
                "from_keras() expects the object returned by model.fit(...) "
                f"(a keras.callbacks.History with a .history dict), got {type(keras_history).__name__}"
            )
            raise TypeError(msg)
        return cls(records)

    @classmethod
    def from_lightning(cls, source: Any) -> History:
        """Build a history from Lightning's logs.

        Lightning names are translated to Keras names: ``train_loss`` becomes
        ``loss``, ``train_acc`` and ``train_accuracy`` become ``accuracy``,
        ``val_acc`` becomes ``val_accuracy`` (see :data:`LIGHTNING_NAMES`).
        A ``_epoch`` suffix is dropped, per-step columns (``*_step``) and the
        ``step`` counter are skipped.

        Parameters
        ----------
        source : list of dict, path or DataFrame
            Either a list with one dict per epoch, such as copies of
            ``trainer.callback_metrics`` (values may be 0-d tensors), or the
            ``metrics.csv`` of a ``CSVLogger``: its path, the folder holding
            it (``trainer.logger.log_dir``), or the file read into a
            DataFrame (anything with ``.to_dict(orient="records")``). Rows
            that carry an ``epoch`` are merged by epoch, so the separate
            training and validation rows of ``metrics.csv`` become one epoch.

        Returns
        -------
        History

        Raises
        ------
        FileNotFoundError
            If a path is given and no ``metrics.csv`` is there.
        TypeError
            If ``source`` is none of the above.

        Examples
        --------
        >>> rows = [
        ...     {"epoch": 0, "step": 3, "val_loss": 0.6, "val_acc": 0.7},
        ...     {"epoch": 0, "step": 3, "train_loss": 0.65},
        ...     {"epoch": 1, "step": 7, "val_loss": 0.5, "val_acc": 0.8},
        ...     {"epoch": 1, "step": 7, "train_loss": 0.55},
        ... ]
        >>> h = History.from_lightning(rows)
        >>> sorted(h.keys()), h["loss"]
        (['loss', 'val_accuracy', 'val_loss'], [0.65, 0.55])
        """
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            return cls(_merge_rows(_read_metrics_csv(path), str(path)))
        to_dict = getattr(source, "to_dict", None)
        if callable(to_dict) and hasattr(source, "columns"):
            return cls(_merge_rows(to_dict(orient="records"), "DataFrame"))
        if isinstance(source, Sequence) and not isinstance(source, (str, bytes)):
            return cls(_merge_rows(source, "Lightning metrics"))
        msg = (
            "from_lightning() expects a list of per-epoch metric dicts, the path of a "
            f"CSVLogger metrics.csv (or its folder) or a DataFrame, got {type(source).__name__}"
        )
        raise TypeError(msg)

    @classmethod
    def from_any(cls, obj: Any) -> History:
        """Build a history from whatever a notebook has at hand.

        Dispatch, in order: a :class:`History` is returned as it is; an
        object with a ``.history`` dict goes to :meth:`from_keras`; a dict of
        per-epoch lists to the constructor; a path, a DataFrame or a list of
        dicts to :meth:`from_lightning`.

        Parameters
        ----------
        obj : History, keras History, dict, path, DataFrame or list of dict

        Returns
        -------
        History

        Raises
        ------
        TypeError
            For anything else.

        Examples
        --------
        >>> History.from_any({"loss": [0.5, 0.4]})
        History(epochs=2, metrics=['loss'])
        """
        if isinstance(obj, History):
            return obj
        if isinstance(getattr(obj, "history", None), Mapping):
            return cls.from_keras(obj)
        if isinstance(obj, Mapping):
            return cls(obj)
        is_dataframe = callable(getattr(obj, "to_dict", None)) and hasattr(obj, "columns")
        is_rows = (
            isinstance(obj, Sequence)
            and not isinstance(obj, (str, bytes))
            and all(isinstance(row, Mapping) for row in obj)
        )
        if isinstance(obj, (str, os.PathLike)) or is_dataframe or is_rows:
            return cls.from_lightning(obj)
        msg = (
            f"cannot make a History from {type(obj).__name__}. Pass a nnfw History, the result "
            "of Keras's model.fit(...), a dict of per-epoch lists, a list of per-epoch dicts, "
            "or the path of a Lightning CSVLogger metrics.csv"
        )
        raise TypeError(msg)

    # ------------------------------------------------------------------ filling
    def append(self, **metrics: Any) -> None:
        """Add one epoch, e.g. at the end of each epoch of a hand-written loop.

        The first call of an empty history decides the metric names; every
        later call must give exactly those names. Pass ``float("nan")`` (or
        None) for a value that was not measured in this epoch.

        Parameters
        ----------
        **metrics : float
            One value per metric: numbers or 0-d tensors.

        Raises
        ------
        ValueError
            If no metric is given, or the names differ from the existing ones.

        Examples
        --------
        >>> h = History()
        >>> for loss, val_loss in [(0.9, 1.0), (0.6, 0.8)]:
        ...     h.append(loss=loss, val_loss=val_loss)
        >>> h
        History(epochs=2, metrics=['loss', 'val_loss'])
        """
        if not metrics:
            msg = "append() needs at least one metric, e.g. append(loss=0.5, val_loss=0.6)"
            raise ValueError(msg)
        epoch = len(self)
        values = {
            name: _to_float(v, f"metric {name!r}, epoch {epoch}") for name, v in metrics.items()
        }
        if self._metrics:
            missing = [name for name in self._metrics if name not in values]
            extra = [name for name in values if name not in self._metrics]
            if missing or extra:
                msg = (
                    f"append() needs exactly the metrics {list(self._metrics)}; "
                    f"missing {missing}, unexpected {extra}. "
                    "Pass float('nan') for a value not measured in this epoch"
                )
                raise ValueError(msg)
        for name, value in values.items():
            self._metrics.setdefault(name, []).append(value)

    #: Another name for :meth:`append`, reading well inside a training loop.
    log_epoch = append

    # ------------------------------------------------------------------ reading
    @property
    def metrics(self) -> dict[str, list[float]]:
        """A copy of all metrics: a dict of per-epoch lists."""
        return self.to_dict()

    @property
    def n_epochs(self) -> int:
        """Number of epochs recorded (same as ``len(h)``)."""
        return len(self)

    def to_dict(self) -> dict[str, list[float]]:
        """Return the metrics as a new dict of new lists (safe to modify).

        Examples
        --------
        >>> History.from_lists(loss=[0.5]).to_dict()
        {'loss': [0.5]}
        """
        return {name: list(values) for name, values in self._metrics.items()}

    def keys(self) -> KeysView[str]:
        """Metric names, in the order they were first recorded."""
        return self._metrics.keys()

    def items(self) -> Iterator[tuple[str, list[float]]]:
        """Pairs of metric name and a copy of its per-epoch values."""
        for name, values in self._metrics.items():
            yield name, list(values)

    def _values(self, metric: str) -> list[float]:
        if not isinstance(metric, str) or metric not in self._metrics:
            available = ", ".join(repr(k) for k in self._metrics) or "none yet"
            msg = f"unknown metric {metric!r}; this history has: {available}"
            raise UnknownMetricError(msg)
        return self._metrics[metric]

    def __getitem__(self, metric: str) -> list[float]:
        return list(self._values(metric))

    def __contains__(self, metric: object) -> bool:
        return metric in self._metrics

    def __iter__(self) -> Iterator[str]:
        return iter(self._metrics)

    def __len__(self) -> int:
        return len(next(iter(self._metrics.values()), []))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, History):
            return NotImplemented
        if list(self._metrics) != list(other._metrics):
            return False
        return all(
            np.array_equal(values, other._metrics[name], equal_nan=True)
            for name, values in self._metrics.items()
        )

    def __repr__(self) -> str:
        return f"History(epochs={len(self)}, metrics={list(self._metrics)})"

    # ------------------------------------------------------------------ best epoch
    @staticmethod
    def _resolve_mode(metric: str, mode: str) -> str:
        if mode not in ("min", "max", "auto"):
            msg = f"mode must be 'min', 'max' or 'auto', got {mode!r}"
            raise ValueError(msg)
        if mode == "auto":
            lowered = metric.lower()
            return "max" if any(part in lowered for part in _HIGHER_IS_BETTER) else "min"
        return mode

    def best_epoch(self, metric: str = "val_loss", mode: Mode = "auto") -> int:
        """Return the 0-based index of the best epoch for ``metric``.

        NaN values are skipped. When several epochs share the best value,
        the earliest of them wins: training longer did not help.

        Parameters
        ----------
        metric : str, default="val_loss"
            Name of the metric to judge by.
        mode : {"auto", "min", "max"}, default="auto"
            Whether smaller or larger is better. ``"auto"`` picks ``"max"``
            for names containing "acc" (also "auc", "precision", "recall",
            "f1") and ``"min"`` for everything else, losses included.

        Returns
        -------
        int
            Index into the per-epoch lists (add 1 for the epoch number a
            human counts, as :func:`nnfw.plot.history` shows it).

        Raises
        ------
        UnknownMetricError
            If the history has no such metric (a ``KeyError`` and a ``ValueError``).
        ValueError
            If the metric has no epochs, or only NaN values; or for a bad ``mode``.

        Examples
        --------
        >>> h = History.from_lists(val_loss=[0.9, 0.5, 0.5, 0.7], val_accuracy=[0.6, 0.8, 0.9, 0.9])
        >>> h.best_epoch()  # two epochs reach 0.5: the earlier one
        1
        >>> h.best_epoch("val_accuracy")
        2
        """
        values = np.asarray(self._values(metric), dtype=float)
        direction = self._resolve_mode(metric, mode)
        if values.size == 0:
            msg = f"cannot pick a best epoch for {metric!r}: the history has no epochs yet"
            raise ValueError(msg)
        if np.isnan(values).all():
            msg = f"cannot pick a best epoch for {metric!r}: all {values.size} values are NaN"
            raise ValueError(msg)
        index = np.nanargmin(values) if direction == "min" else np.nanargmax(values)
        return int(index)

    def best(self, metric: str = "val_loss", mode: Mode = "auto") -> float:
        """Return the best value of ``metric`` (the value at :meth:`best_epoch`).

        Examples
        --------
        >>> History.from_lists(val_accuracy=[0.7, 0.9, 0.8]).best("val_accuracy")
        0.9
        """
        return self._metrics[metric][self.best_epoch(metric, mode)]
