"""Mini-batches: the loop every gradient-trained model runs over its data."""

from __future__ import annotations

import numpy as np

from scratchdl._validation import check_number, check_rng


def iterate_minibatches(X, y=None, batch_size=32, *, shuffle=True, rng=None, drop_last=False):
    """Yield ``(X_batch, y_batch)`` pairs covering the data once (one epoch).

    Parameters
    ----------
    X : (N, ...) array
        Inputs; batches are taken along the first axis.
    y : (N, ...) array or None
        Targets, batched with the same rows as ``X``; ``None`` (for unsupervised models)
        yields ``(X_batch, None)``.
    batch_size : int
        Rows per batch; the last batch is smaller when ``batch_size`` does not divide N.
    shuffle : bool
        Visit the rows in a fresh random order (drawn from ``rng``) on every call.
    rng : np.random.Generator, int or None
        Pass the same Generator on every epoch to get a new order each epoch that is
        still reproducible.
    drop_last : bool
        Skip the last batch when it is smaller than ``batch_size``.

    Yields
    ------
    X_batch : (B, ...) array
    y_batch : (B, ...) array or None
    """
    if not isinstance(X, np.ndarray) or X.ndim == 0:
        raise TypeError(f"iterate_minibatches: X must be a numpy array with at least one "
                        f"dimension, got {type(X).__name__}")
    if y is not None:
        if not isinstance(y, np.ndarray) or y.ndim == 0:
            raise TypeError(f"iterate_minibatches: y must be a numpy array or None, "
                            f"got {type(y).__name__}")
        if len(y) != len(X):
            raise ValueError(f"iterate_minibatches: X has {len(X)} rows but y has {len(y)}")
    batch_size = check_number(batch_size, "batch_size", low=1, integer=True,
                              owner="iterate_minibatches")
    rng = check_rng(rng) if shuffle else None
    # Validation above runs at call time; the generator below only runs when iterated.
    return _batches(X, y, batch_size, rng, drop_last)


def _batches(X, y, batch_size, rng, drop_last):
    n = len(X)
    order = rng.permutation(n) if rng is not None else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        rows = order[start:start + batch_size]
        yield X[rows], (None if y is None else y[rows])
