"""Helpers for graded tests, with messages a learner can act on.

The hidden and visible tests of every notebook use these instead of bare
``assert`` so that a failing test says what was expected, what it got and
where they differ. They accept NumPy arrays, Python numbers and lists,
PyTorch tensors and TensorFlow tensors, recognised by their real type
(``type(x)``, which learner code cannot fake), so an object whose ``__eq__``
always returns True, or that claims to be a float, fails; importing this module
imports no framework.

Models of either framework are recognised by their classes: anything whose
class comes from ``keras`` is treated as a Keras model (this comes first, since
a Keras 3 model on the torch backend is also a ``torch.nn.Module``), anything
with ``parameters()`` and ``state_dict()`` as a PyTorch module (Lightning
modules included).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "RECORD_MIME",
    "accuracy",
    "as_numpy",
    "assert_close",
    "count_params",
    "predict",
    "record",
    "recorded",
    "source_findings",
]


_PLAIN = (bool, int, float, complex)


def _framework_tensor(value: Any) -> str:
    """``"torch"``, ``"tf"`` or ``""``, judged by the object's real type (not ``__class__``)."""
    import sys

    cls = type(value)
    torch = sys.modules.get("torch")
    if torch is not None and issubclass(cls, torch.Tensor):
        return "torch"
    root = cls.__module__.split(".")[0]
    if root in {"tensorflow", "keras", "tf_keras"} and callable(getattr(value, "numpy", None)):
        return "tf"
    return ""


def _check_plain(value: Any, name: str, depth: int = 0) -> None:
    """Reject anything but genuine numbers, arrays, tensors and (nested) lists/tuples of them."""
    cls = type(value)
    if cls in _PLAIN or cls is np.ndarray or isinstance(value, np.generic):
        return
    if issubclass(cls, np.ndarray) or _framework_tensor(value):
        return
    if cls in (list, tuple) and depth < 64:
        for item in value:
            _check_plain(item, name, depth + 1)
        return
    what = cls.__name__
    for base in _PLAIN:
        if issubclass(cls, base):
            what += f" (a subclass of {base.__name__})"
    msg = f"{name} must be numeric (numbers, an array or a tensor), got {what}"
    raise TypeError(msg)


def as_numpy(value: Any, name: str = "value") -> NDArray[Any]:
    """Convert a number, list, NumPy array or framework tensor to a NumPy array.

    Only genuine values are accepted, judged by their real type (``type(value)``, which an
    object cannot fake, unlike ``__class__``): Python ``bool``/``int``/``float``/``complex``
    (not subclasses), NumPy arrays and scalars, PyTorch tensors (converted with
    ``torch.Tensor``'s own methods, so a subclass cannot override them), TensorFlow/Keras
    tensors and variables, and lists or tuples of these. Anything else, such as an object
    whose ``__eq__`` always returns True, a string or ``None``, raises ``TypeError`` naming
    ``name``. The result is a copy, so later changes to ``value`` do not affect it.
    """
    _check_plain(value, name)
    kind = _framework_tensor(value)
    if kind == "torch":
        import torch

        tensor = torch.Tensor.cpu(torch.Tensor.detach(value))
        if tensor.dtype == torch.bfloat16:
            tensor = torch.Tensor.float(tensor)
        array = np.array(torch.Tensor.numpy(tensor.as_subclass(torch.Tensor)))
    elif kind == "tf":
        array = np.array(value.numpy())  # tf.Tensor, tf.Variable, Keras variable
    else:
        try:
            array = np.array(value)
        except (TypeError, ValueError) as exc:
            msg = f"{name} could not be read as an array ({exc}); got {type(value).__name__}"
            raise TypeError(msg) from None
    if type(array) is not np.ndarray:
        array = np.asarray(array).view(np.ndarray)
    if array.dtype.kind not in "biufc":
        msg = f"{name} must be numeric (numbers, an array or a tensor), got {type(value).__name__}"
        if array.dtype.kind == "O":
            msg += " holding Python objects"
        raise TypeError(msg)
    return array


def _fmt_index(index: tuple[int, ...]) -> str:
    return "()" if not index else "[" + ", ".join(str(int(i)) for i in index) + "]"


def assert_close(
    actual: Any,
    expected: Any,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    name: str = "your result",
    check_dtype: bool = False,
) -> None:
    """Assert that ``actual`` matches ``expected`` in shape and value.

    Unlike ``numpy.testing.assert_allclose`` shapes must match exactly (no
    broadcasting), and the message names the first position that is off.

    Parameters
    ----------
    actual, expected : array-like or tensor
        What the learner's code produced, and the reference value.
    rtol, atol : float
        Relative and absolute tolerance: ``|a - e| <= atol + rtol * |e|``.
    name : str, default="your result"
        How to call ``actual`` in the message.
    check_dtype : bool, default=False
        Also require the same dtype (e.g. ``float32`` stays ``float32``).

    Raises
    ------
    AssertionError
        With a message such as ``your result differs from the expected value
        at 1 of 4 positions; first at [1]: got 2.5, expected 2.0``.

    Examples
    --------
    >>> assert_close([1.0, 2.0], np.array([1.0, 2.0]))
    >>> assert_close([1.0, 2.5], [1.0, 2.0])
    Traceback (most recent call last):
    ...
    AssertionError: your result differs from the expected value at 1 of 2 positions (rtol=1e-05, atol=1e-08); first at [1]: got 2.5, expected 2.0; largest difference 0.5
    """
    if rtol < 0 or atol < 0:
        msg = f"tolerances must be non-negative, got rtol={rtol}, atol={atol}"
        raise ValueError(msg)
    try:
        got = as_numpy(actual, name)
    except TypeError as exc:
        raise AssertionError(str(exc)) from None
    want = as_numpy(expected, "the expected value")
    if got.shape != want.shape:
        msg = f"{name} has shape {got.shape}, expected shape {want.shape}"
        raise AssertionError(msg)
    if check_dtype and got.dtype != want.dtype:
        msg = f"{name} has dtype {got.dtype}, expected dtype {want.dtype}"
        raise AssertionError(msg)
    if got.size == 0:
        return
    good = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if bool(np.all(good)):
        return
    bad = np.argwhere(~good)
    first = tuple(bad[0])
    with np.errstate(invalid="ignore"):
        diff = np.abs(got.astype(np.complex128 if got.dtype.kind == "c" else np.float64) - want)
    finite = diff[np.isfinite(diff)]
    largest = f"; largest difference {float(finite.max()):.6g}" if finite.size else ""
    msg = (
        f"{name} differs from the expected value at {len(bad)} of {got.size} positions "
        f"(rtol={rtol:g}, atol={atol:g}); first at {_fmt_index(first)}: "
        f"got {got[first].item()!r}, expected {want[first].item()!r}{largest}"
    )
    raise AssertionError(msg)


def _framework(model: Any) -> str:
    for cls in type(model).__mro__:
        if cls.__module__.split(".")[0] in {"keras", "tf_keras"}:
            return "keras"
    if callable(getattr(model, "parameters", None)) and callable(
        getattr(model, "state_dict", None)
    ):
        return "torch"
    msg = (
        f"expected a PyTorch module (torch.nn.Module, LightningModule) or a Keras model, "
        f"got {type(model).__name__}"
    )
    raise TypeError(msg)


def count_params(model: Any, *, trainable_only: bool = False) -> int:
    """Count the parameters (weights and biases) of a PyTorch or Keras model.

    A Keras model must be built (give it a ``keras.Input`` or call it once);
    the error says so otherwise.

    Examples
    --------
    >>> import torch  # doctest: +SKIP
    >>> count_params(torch.nn.Linear(3, 2))  # doctest: +SKIP
    8
    """
    kind = _framework(model)
    if kind == "torch":
        return int(
            sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
        )
    if not getattr(model, "built", True):
        msg = (
            f"the Keras model {getattr(model, 'name', '')!r} is not built yet, so it has no "
            "weights to count: start it with keras.Input(shape=...) or call it on a batch first"
        )
        raise ValueError(msg)
    weights = model.trainable_weights if trainable_only else model.weights
    return int(sum(int(np.prod(w.shape)) for w in weights))


def predict(model: Any, X: ArrayLike, *, batch_size: int = 1024) -> NDArray[Any]:
    """Run a PyTorch or Keras model on ``X`` and return its outputs as NumPy.

    PyTorch models are put in ``eval()`` mode for the call (and restored
    afterwards), run under ``torch.no_grad()`` on the device of their first
    parameter, in batches of ``batch_size``.
    """
    X_np = as_numpy(X, "X")
    if X_np.ndim == 0 or len(X_np) == 0:
        msg = f"X must hold at least one sample, got shape {X_np.shape}"
        raise ValueError(msg)
    if batch_size < 1:
        msg = f"batch_size must be positive, got {batch_size}"
        raise ValueError(msg)
    kind = _framework(model)
    if X_np.dtype.kind == "f" and X_np.dtype != np.float32:
        X_np = X_np.astype(np.float32)
    if kind == "keras":
        return as_numpy(model.predict(X_np, batch_size=batch_size, verbose=0), "model output")
    import torch

    first = next(iter(model.parameters()), None)
    device = first.device if first is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        outputs = []
        with torch.no_grad():
            for start in range(0, len(X_np), batch_size):
                batch = torch.as_tensor(X_np[start : start + batch_size], device=device)
                outputs.append(as_numpy(model(batch), "model output"))
    finally:
        model.train(was_training)
    return np.concatenate(outputs)


def accuracy(
    model: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    batch_size: int = 1024,
    output: str = "auto",
) -> float:
    """Fraction of samples in ``X`` that ``model`` classifies as ``y``.

    The model's output decides how a class is read: several columns are
    scores (logits or probabilities, the largest wins); one column is a binary
    output, a logit (class 1 when above 0) with ``output="logits"``, a
    probability (class 1 when above 0.5) with ``output="probabilities"``. The
    default ``"auto"`` guesses: probabilities when every value lies in
    ``[0, 1]``, logits otherwise. Logits that all happen to lie in ``[0, 1]``
    are then misread, so say which one a binary model gives. ``y`` holds
    integer labels, or one-hot rows.

    Examples
    --------
    >>> import torch  # doctest: +SKIP
    >>> accuracy(torch.nn.Linear(2, 3), np.zeros((4, 2)), [0, 1, 2, 0])  # doctest: +SKIP
    0.5
    """
    thresholds = {"auto": None, "logits": 0.0, "probabilities": 0.5}
    if output not in thresholds:
        msg = f"output must be 'auto', 'logits' or 'probabilities', got {output!r}"
        raise ValueError(msg)
    labels = as_numpy(y, "y")
    if labels.ndim == 2 and labels.shape[1] > 1:
        labels = labels.argmax(axis=1)
    labels = labels.reshape(-1)
    X_np = as_numpy(X, "X")
    if len(X_np) != len(labels):
        msg = f"X has {len(X_np)} samples but y has {len(labels)} labels"
        raise ValueError(msg)
    scores = predict(model, X_np, batch_size=batch_size)
    if scores.ndim == 1 or (scores.ndim == 2 and scores.shape[1] == 1):
        scores = scores.reshape(-1)
        threshold = thresholds[output]
        if threshold is None:
            threshold = 0.5 if np.all((scores >= 0) & (scores <= 1)) else 0.0
        predicted = (scores > threshold).astype(np.int64)
    elif scores.ndim == 2:
        predicted = scores.argmax(axis=1)
    else:
        msg = f"the model's output has shape {scores.shape}; expected (n,) or (n, classes)"
        raise ValueError(msg)
    return float(np.mean(predicted == labels))


_LOOP_WORDS = {
    "For": "a for loop",
    "AsyncFor": "a for loop",
    "While": "a while loop",
    "ListComp": "a list comprehension",
    "SetComp": "a set comprehension",
    "DictComp": "a dict comprehension",
    "GeneratorExp": "a generator expression",
}


def source_findings(
    func: Any, banned: Sequence[tuple[Any, str]] = (), seen: tuple[Any, ...] = ()
) -> list[str]:
    """What ``func``, and the notebook's own functions it calls, must not use, in words.

    Reads the source of ``func`` (and, recursively, of the functions of its own module that
    it names) and reports Python loops (``for``, ``while``, comprehensions, ``map``,
    ``filter``) and any library function of ``banned`` (``(function, name)`` pairs) under
    whatever name it was bound (``from ... import ... as``, ``alias = ...``). For tests of
    tasks whose text says "no Python loops" or "do not use X". Empty: nothing found (also
    when the source cannot be read).
    """
    import ast
    import inspect
    import textwrap
    import types

    func = inspect.unwrap(getattr(func, "python_function", func))
    if not isinstance(func, types.FunctionType) or func in seen:
        return []
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        kind = type(node).__name__
        if kind in _LOOP_WORDS:
            found.append(f"{_LOOP_WORDS[kind]} in {func.__name__} (no Python loops)")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("map", "filter"):
            found.append(f"{node.func.id}() in {func.__name__} (no Python loops)")  # type: ignore[attr-defined]
        elif isinstance(node, ast.Name) and node.id in func.__globals__:
            value = func.__globals__[node.id]
            found += [f"{name} in {func.__name__}" for f, name in banned if value is f][:1]
            if getattr(value, "__module__", None) == func.__module__:
                found += source_findings(value, banned, (*seen, func))
    return list(dict.fromkeys(found))


# --- values handed from a hidden test to the grader's judge (nnfw.grading.run.judge) ---------

#: The MIME type of the display output that carries one recorded value out of the kernel.
RECORD_MIME = "application/vnd.nnfw.record+json"
_JSON_SCALARS = (type(None), bool, int, float, str)
_KERNEL_RECORDS: dict[str, Any] = {}
_RECORDS: ContextVar[dict[str, Any]] = ContextVar("nnfw_records", default=_KERNEL_RECORDS)


def _plain_json(value: Any, name: str, depth: int = 0) -> Any:
    cls = type(value)
    if cls in _JSON_SCALARS:
        if cls is float and not math.isfinite(value):
            return {"__float__": repr(value)}
        return value
    if cls in (list, tuple) and depth < 16:
        return [_plain_json(v, name, depth + 1) for v in value]
    if cls is dict and depth < 16:
        return {str(k): _plain_json(v, name, depth + 1) for k, v in value.items()}
    msg = f"{name}: only numbers, strings, arrays, tensors and lists/dicts of them can be recorded"
    raise TypeError(msg)


def _plain_record(value: Any, name: str) -> Any:
    """An array (numbers or booleans, dtype kept) or a JSON value: what a judge receives."""
    if type(value) in _JSON_SCALARS or type(value) is dict:
        return _plain_json(value, name)
    if type(value) in (list, tuple):
        try:
            return as_numpy(value, name)
        except (TypeError, ValueError):
            return _plain_json(value, name)
    return as_numpy(value, name)


def _wire(name: str, value: Any) -> dict[str, Any]:
    import base64

    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value).reshape(value.shape)  # 0-d stays 0-d
        return {
            "name": name,
            "array": {
                "dtype": array.dtype.str,
                "shape": list(array.shape),
                "b64": base64.b64encode(array.tobytes()).decode("ascii"),
            },
        }
    return {"name": name, "json": value}


def record(name: str, value: Any) -> None:
    """Hand ``value``, computed by a hidden test from the learner's code, to the judge.

    The value verdicts of a hidden test do not run in the learner's kernel: a ``### BEGIN
    JUDGE`` block of the test cell runs in the grader's own process, on the values the test
    recorded here (see :mod:`nnfw.grading.run.judge`). ``value`` becomes plain data: a NumPy
    array (from a tensor, array, number or list of numbers; dtype kept, bfloat16 as float32)
    or a JSON value (``None``, a bool, int, float or str, lists and dicts of them). Returns
    nothing (a value would become the test cell's output, which nbgrader reads as a partial
    score). Under the grader it also leaves the kernel as a display output
    (:data:`RECORD_MIME`); elsewhere (nbval, a plain kernel) the judge block runs in the
    kernel and reads it with :func:`recorded`.
    """
    import os

    if type(name) is not str or not name:
        msg = "record(name, value): name must be a non-empty string"
        raise TypeError(msg)
    plain = _plain_record(value, f"record({name!r})")
    _RECORDS.get()[name] = plain
    if os.environ.get("NNFW_RECORD") == "1":
        from IPython.display import display

        display({RECORD_MIME: _wire(name, plain)}, raw=True)


def recorded(name: str) -> Any:
    """The value a hidden test recorded under ``name`` (in a judge block).

    Raises ``AssertionError`` (the test fails) when nothing was recorded under that name:
    the test stopped before recording it, or something stopped it from leaving the kernel.
    """
    store = _RECORDS.get()
    if name not in store:
        msg = (
            f"the hidden test did not hand over {name!r} (it stopped before recording it, "
            "or something in the notebook kept it from reaching the grader)"
        )
        raise AssertionError(msg)
    return store[name]
