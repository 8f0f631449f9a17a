"""What the scikit-learn-style estimators of chapters 03 and 04 share: input checks.

The estimators follow scikit-learn's conventions: the constructor only stores its
arguments, ``fit`` checks them and the data, learned attributes end in ``_``, and using
an estimator before ``fit`` raises :class:`NotFittedError` naming the estimator.
"""

from __future__ import annotations

import numpy as np

from scratchdl._validation import check_float_array


class NotFittedError(ValueError):
    """An estimator was used before ``fit`` (a ``ValueError``, as in scikit-learn)."""


def check_is_fitted(estimator, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has ``attribute`` (set by fit)."""
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise NotFittedError(f"{name} is not fitted yet: call {name}.fit(X, y) before "
                             f"using it")


def check_X(X, name: str, owner: str, n_features=None) -> np.ndarray:
    """A finite float array of shape (N, D), N >= 1, with D == n_features if given."""
    X = check_float_array(X, name, ndim=2, allow_nonfinite=True, owner=owner)
    if X.shape[0] == 0:
        raise ValueError(f"{owner}: {name} must have at least one row, got shape {X.shape}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{owner}: {name} must have shape (N, {n_features}) like the "
                         f"training data, got {X.shape}")
    return check_float_array(X, name, owner=owner)


def check_n_rows(y, n: int, name: str, owner: str) -> None:
    """``y`` must have as many rows as ``X``."""
    if y.shape[0] != n:
        raise ValueError(f"{owner}: {name} has {y.shape[0]} rows but X has {n}")


def squared_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances ``||a_i - b_j||^2`` as an (len(A), len(B)) array.

    Expanded as ``|a|^2 - 2 a.b + |b|^2`` (one matrix product); rounding can make that
    slightly negative for coincident points, so it is clipped at zero.
    """
    d2 = (A * A).sum(axis=1)[:, None] - 2.0 * (A @ B.T) + (B * B).sum(axis=1)[None, :]
    return np.maximum(d2, 0.0)
