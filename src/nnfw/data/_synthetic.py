"""Small synthetic data sets, generated with NumPy from a seed."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from nnfw.data._base import Bunch, _check_int, _check_real, _check_seed

__all__ = ["make_points", "make_two_class"]

#: The interval from which :func:`make_points` draws its x values.
POINTS_X_RANGE = (-1.0, 1.0)

_KINDS = ("moons", "spirals", "blobs")


def make_points(
    n: int = 5,
    *,
    seed: int = 0,
    noise: float = 0.3,
    slope: float = 2.0,
    intercept: float = 1.0,
    n_val: int = 50,
) -> Bunch:
    """Make a few noisy points on a line, for the overfitting example.

    The points follow ``y = slope * x + intercept + e`` with Gaussian noise
    ``e`` of standard deviation ``noise``, and ``x`` in ``[-1, 1]``. The
    training x values are sorted and well apart (one per equal slice of the
    interval), so a polynomial of degree ``n - 1`` or more can pass exactly
    through every training point, while the validation points, drawn from the
    same line, show that it should not.

    Parameters
    ----------
    n : int, default=5
        Number of training points, at least 2.
    seed : int, default=0
        Seed of the random generator: the same seed gives the same points.
    noise : float, default=0.3
        Standard deviation of the noise on y, at least 0.
    slope, intercept : float, default=2.0, 1.0
        The true line.
    n_val : int, default=50
        Number of validation points, at least 1.

    Returns
    -------
    Bunch
        With these keys:

        x_train, y_train : ndarray of shape (n,), float32
            Sorted by x.
        x_val, y_val : ndarray of shape (n_val,), float32
            Sorted by x.
        slope, intercept, noise : float
            The values used, so a plot can draw the true line.
        x_range : tuple of float
            ``(-1.0, 1.0)``, the interval of x.

    Examples
    --------
    >>> from nnfw.data import make_points
    >>> pts = make_points(seed=0)
    >>> pts.x_train.shape, pts.x_val.shape, pts.x_train.dtype
    ((5,), (50,), dtype('float32'))
    """
    n = _check_int(n, "n", minimum=2)
    n_val = _check_int(n_val, "n_val", minimum=1)
    noise = _check_real(noise, "noise", minimum=0)
    slope = _check_real(slope, "slope")
    intercept = _check_real(intercept, "intercept")
    rng = np.random.default_rng(_check_seed(seed))

    low, high = POINTS_X_RANGE
    width = (high - low) / n
    # One point per slice of the interval, kept away from the slice edges.
    x_train = low + width * (np.arange(n) + rng.uniform(0.1, 0.9, size=n))
    x_val = np.sort(rng.uniform(low, high, size=n_val))
    y_train = slope * x_train + intercept + rng.normal(0.0, noise, size=n)
    y_val = slope * x_val + intercept + rng.normal(0.0, noise, size=n_val)
    return Bunch(
        x_train=x_train.astype(np.float32),
        y_train=y_train.astype(np.float32),
        x_val=x_val.astype(np.float32),
        y_val=y_val.astype(np.float32),
        slope=slope,
        intercept=intercept,
        noise=noise,
        x_range=POINTS_X_RANGE,
    )


def make_two_class(
    n_samples: int = 200,
    *,
    kind: Literal["moons", "spirals", "blobs"] = "moons",
    noise: float = 0.2,
    seed: int = 0,
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Make a noisy two-class problem in two dimensions.

    ============  ===========================================================
    ``"moons"``   two interleaved half circles of radius 1 (class 0 on top)
    ``"spirals"`` two spiral arms of 1.5 turns, out to radius 3, arms 1 apart
    ``"blobs"``   two round Gaussian clouds (std 0.5) at (-1, -1) and (1, 1)
    ============  ===========================================================

    Gaussian noise of standard deviation ``noise`` is then added to both
    coordinates. The classes have ``n_samples // 2`` and
    ``n_samples - n_samples // 2`` samples, and the rows are shuffled.

    Parameters
    ----------
    n_samples : int, default=200
        Total number of points, at least 2.
    kind : {"moons", "spirals", "blobs"}, default="moons"
        The shape of the two classes.
    noise : float, default=0.2
        Standard deviation of the noise added to each coordinate, at least 0.
    seed : int, default=0
        Seed of the random generator: the same seed gives the same points.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float32
    y : ndarray of shape (n_samples,), int64
        The class, 0 or 1.

    Examples
    --------
    >>> from nnfw.data import make_two_class
    >>> X, y = make_two_class(100, kind="spirals", seed=1)
    >>> X.shape, X.dtype, y.dtype, int(y.sum())
    ((100, 2), dtype('float32'), dtype('int64'), 50)
    """
    n_samples = _check_int(n_samples, "n_samples", minimum=2)
    if kind not in _KINDS:
        msg = f"kind must be one of {', '.join(map(repr, _KINDS))}; got {kind!r}"
        raise ValueError(msg)
    noise = _check_real(noise, "noise", minimum=0)
    rng = np.random.default_rng(_check_seed(seed))

    n0 = n_samples // 2
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n_samples - n0])
    if kind == "moons":
        t = rng.uniform(0.0, np.pi, size=n_samples)
        X = np.where(
            (y == 0)[:, None],
            np.column_stack([np.cos(t), np.sin(t)]),
            np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)]),
        )
    elif kind == "spirals":
        # t is the position along the arm; sqrt spreads the points more evenly.
        t = np.sqrt(rng.uniform(0.01, 1.0, size=n_samples))
        angle = 3.0 * np.pi * t + np.pi * y  # the second arm is the first one turned by 180°
        X = 3.0 * t[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    else:
        centres = np.array([[-1.0, -1.0], [1.0, 1.0]])
        X = centres[y] + rng.normal(0.0, 0.5, size=(n_samples, 2))
    X = X + rng.normal(0.0, noise, size=(n_samples, 2))
    order = rng.permutation(n_samples)
    return X[order].astype(np.float32), y[order]
