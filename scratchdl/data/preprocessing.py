"""Preparing data for training: splitting, standardizing, one-hot encoding.

Names and conventions follow scikit-learn (``train_test_split``, ``StandardScaler`` with
``fit`` / ``transform`` and learned attributes ending in ``_``), except that randomness
comes from ``rng`` as everywhere in scratchdl.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from scratchdl._validation import (
    check_allocation,
    check_float_array,
    check_int_labels,
    check_rng,
)


def train_test_split(*arrays, test_size=0.25, rng=None, stratify=None):
    """Split arrays into random train and test parts, the same rows for every array.

    Parameters
    ----------
    *arrays : arrays with the same first dimension N
        For example ``X`` of shape (N, D) and ``y`` of shape (N,).
    test_size : float or int
        A fraction in (0, 1) of the rows (rounded up, as scikit-learn does), or a
        number of rows in ``[1, N - 1]``.
    rng : np.random.Generator, int or None
    stratify : (N,) array, optional
        Class labels: each class then keeps (up to rounding) the same proportion in both
        parts. Every class needs at least two rows.

    Returns
    -------
    list of arrays
        ``[a_train, a_test, b_train, b_test, ...]``: new arrays, the inputs are untouched.

    Examples
    --------
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, rng=0, stratify=y)
    """
    if not arrays:
        raise TypeError("train_test_split: pass at least one array to split")
    for i, array in enumerate(arrays):
        if not isinstance(array, np.ndarray) or array.ndim == 0:
            raise TypeError(f"train_test_split: arrays[{i}] must be a numpy array with at "
                            f"least one dimension, got {type(array).__name__}")
    n = len(arrays[0])
    lengths = [len(array) for array in arrays]
    if any(length != n for length in lengths):
        raise ValueError(f"train_test_split: arrays must have the same length, got {lengths}")
    if n < 2:
        raise ValueError(f"train_test_split needs at least 2 rows to split, got {n}")
    n_test = _n_test(test_size, n)
    if stratify is not None:
        if not isinstance(stratify, np.ndarray) or stratify.shape != (n,):
            raise ValueError(f"train_test_split: stratify must be an array of shape ({n},), "
                             f"got {getattr(stratify, 'shape', type(stratify).__name__)}")
    rng = check_rng(rng)

    if stratify is None:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        test, train = _stratified_indices(stratify, n_test, rng)
    return [part for array in arrays for part in (array[train], array[test])]


def _n_test(test_size, n: int) -> int:
    """Number of test rows for a fraction or a count, with both parts non-empty."""
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        n_test = int(test_size)
    elif isinstance(test_size, numbers.Real) and 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
    else:
        raise ValueError(f"train_test_split: test_size must be a fraction in (0, 1) or a "
                         f"number of rows, got {test_size!r}")
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"train_test_split: test_size={test_size!r} gives {n_test} test rows "
                         f"out of {n}; both parts need at least one row")
    return n_test


def _stratified_indices(labels: np.ndarray, n_test: int, rng: np.random.Generator):
    """Test and train indices holding each class in (nearly) its overall proportion.

    Each class gets the floor of its exact share of the ``n_test`` test rows; the rows
    still missing go to the classes with the largest remainders (largest remainder
    method), so the total is exactly ``n_test``.
    """
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if counts.min() < 2:
        rare = classes[np.argmin(counts)]
        raise ValueError(f"train_test_split: stratify class {rare!r} has only one row; every "
                         f"class needs at least 2 to appear in both parts")
    share = counts * n_test / len(labels)
    per_class = np.floor(share).astype(np.int64)
    missing = n_test - per_class.sum()
    # A stable sort keeps ties in class order, so the result depends only on rng.
    per_class[np.argsort(-(share - per_class), kind="stable")[:missing]] += 1
    test, train = [], []
    for k, n_k in enumerate(per_class):
        members = rng.permutation(np.flatnonzero(inverse == k))
        test.append(members[:n_k])
        train.append(members[n_k:])
    # Shuffle within each part so the classes are interleaved, not sorted.
    return rng.permutation(np.concatenate(test)), rng.permutation(np.concatenate(train))


class StandardScaler:
    """Standardize features: subtract the mean and divide by the standard deviation.

    ``fit`` learns ``mean_`` and ``scale_`` (the population standard deviation) on the
    training data only; ``transform`` then applies the same shift and scale to any data,
    so no information from the test set leaks into training. A constant feature gets
    ``scale_ = 1`` (it is centred, not divided by zero).

    Attributes
    ----------
    mean_ : (D,) float64 array
    scale_ : (D,) float64 array
    n_features_in_ : int
    """

    def fit(self, X):
        """Learn the mean and standard deviation of every column of ``X`` (N, D)."""
        X = check_float_array(X, "X", ndim=2, owner="StandardScaler.fit")
        if len(X) == 0:
            raise ValueError("StandardScaler.fit: X has no rows")
        std = X.std(axis=0, dtype=np.float64)
        self.mean_ = X.mean(axis=0, dtype=np.float64)
        self.scale_ = np.where(std > 0, std, 1.0)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Return ``(X - mean_) / scale_``, a new array with ``X``'s dtype."""
        X = self._check(X, "transform")
        return ((X - self.mean_) / self.scale_).astype(X.dtype, copy=False)

    def fit_transform(self, X):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X):
        """Undo ``transform``: return ``X * scale_ + mean_``."""
        X = self._check(X, "inverse_transform")
        return (X * self.scale_ + self.mean_).astype(X.dtype, copy=False)

    def _check(self, X, method: str):
        owner = f"StandardScaler.{method}"
        if not hasattr(self, "mean_"):
            raise RuntimeError(f"{owner}: this StandardScaler is not fitted yet; call fit(X) "
                               f"on the training data first")
        X = check_float_array(X, "X", ndim=2, owner=owner)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"{owner}: X has {X.shape[1]} features, but the scaler was "
                             f"fitted on {self.n_features_in_}")
        return X

    def __repr__(self) -> str:
        return "StandardScaler()"


def one_hot(y, n_classes=None, *, dtype=np.float64):
    """One-hot encode integer labels: row ``i`` is all zeros except a 1 at ``y[i]``.

    Parameters
    ----------
    y : (N,) integer array
        Class labels in ``[0, n_classes)``.
    n_classes : int, optional
        Number of columns; by default ``y.max() + 1``.
    dtype : numpy dtype
        dtype of the result (float64 by default, float32 for float32 models).

    Returns
    -------
    (N, n_classes) array
    """
    if not isinstance(y, np.ndarray) or y.ndim != 1:
        raise ValueError(f"one_hot: y must be a 1-D numpy array of labels, got "
                         f"{getattr(y, 'shape', type(y).__name__)}")
    check_int_labels(y, "y", owner="one_hot")
    if n_classes is None:
        if y.size == 0:
            raise ValueError("one_hot: y is empty; pass n_classes")
        n_classes = int(y.max()) + 1
    elif isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral) or (
            n_classes < 1):
        raise ValueError(f"one_hot: n_classes must be a positive integer, got {n_classes!r}")
    check_int_labels(y, "y", n_classes=n_classes, owner="one_hot")
    check_allocation((len(y), n_classes), dtype, owner="one_hot", what="the encoding")
    encoded = np.zeros((len(y), n_classes), dtype=dtype)
    encoded[np.arange(len(y)), y] = 1
    return encoded
