"""The general regression neural network (GRNN) and its classifier sibling, the PNN.

Specht's GRNN (1991) is a network whose weights are the training set itself. Its four
layers, for a query :math:`x`:

1. input layer: passes :math:`x` on;
2. pattern layer: one unit per training point, :math:`h_i = \\exp(-\\lVert x - x_i
   \\rVert^2 / 2\\sigma^2)`;
3. summation layer: a denominator unit :math:`S_D = \\sum_i h_i` and one numerator unit
   per output, :math:`S_N = \\sum_i y_i h_i`;
4. output layer: :math:`\\hat y(x) = S_N / S_D`.

That is exactly the Nadaraya-Watson kernel regression estimate with a Gaussian kernel of
standard deviation :math:`\\sigma` (statsmodels' ``KernelReg(reg_type="lc")`` with
``bw=sigma``; the tests check it). The only parameter, :math:`\\sigma`, can be chosen by
leave-one-out cross-validation, which costs one pass over the pairwise distances per
candidate: leaving point :math:`i` out only removes its own pattern unit.

Prediction processes the queries in chunks of ``chunk_size`` rows, so memory stays at
``chunk_size * n_train`` numbers however many queries come.

The probabilistic neural network (PNN, Specht 1990) has the same pattern layer and one
summation unit per class: a Parzen estimate of each class density, weighted by the
class prior, whose normalized values are the posterior probabilities.
"""

from __future__ import annotations

import numpy as np

from scratchdl._validation import check_float_array, check_int_labels, check_number
from scratchdl.models._estimator import check_is_fitted, check_n_rows, check_X, squared_distances


def _check_sigma(sigma, owner: str) -> float:
    return check_number(sigma, "sigma", low=0, low_inclusive=False, owner=owner)


def _check_chunk_size(chunk_size, owner: str) -> int:
    return check_number(chunk_size, "chunk_size", low=1, integer=True, owner=owner)


def pattern_layer(X_query, X_train, sigma, exclude_self=False):
    """Pattern-unit activations, each row rescaled so that its largest entry is 1.

    Parameters
    ----------
    X_query : (M, D) array
    X_train : (N, D) array
    sigma : float
    exclude_self : bool
        Switch off unit ``i`` for query ``i`` (leave-one-out; needs M == N and the same
        points in the same order).

    Returns
    -------
    (M, N) array
        :math:`h_{ij} = \\exp(-(d_{ij}^2 - \\min_k d_{ik}^2) / 2\\sigma^2)`. The common
        factor :math:`\\exp(-\\min_k d_{ik}^2 / 2\\sigma^2)` of row :math:`i` cancels in every
        ratio the networks take, and dividing it out keeps a far-away query from
        underflowing to 0/0.
    """
    d2 = squared_distances(X_query, X_train)
    if exclude_self:
        np.fill_diagonal(d2, np.inf)
    d2 -= d2.min(axis=1, keepdims=True)
    return np.exp(-d2 / (2.0 * sigma**2))


class GRNN:
    """General regression neural network (Nadaraya-Watson kernel regression).

    Parameters
    ----------
    sigma : float or "loo"
        Width of the Gaussian pattern units (the kernel's standard deviation), or
        ``"loo"`` to pick it from ``sigma_grid`` by leave-one-out cross-validation.
    sigma_grid : (K,) array, optional
        Candidates for ``sigma="loo"``; by default 40 values spaced geometrically from
        0.01 to 3 times the mean standard deviation of the features.
    chunk_size : int
        Queries (or held-out points) processed at once; memory is ``chunk_size * N``.

    Attributes
    ----------
    X_ : (N, D) array
        The training inputs: the pattern layer's centres.
    y_ : (N, K) array
        The training targets: the numerator units' weights (``y`` of shape (N,) is
        stored as (N, 1) and predictions come back as (M,)).
    sigma_ : float
        The width in use.
    loo_sigmas_, loo_mse_ : (K,) arrays
        With ``sigma="loo"``: the candidates and their leave-one-out mean squared errors.
    """

    def __init__(self, sigma=1.0, *, sigma_grid=None, chunk_size=1024):
        self.sigma = sigma
        self.sigma_grid = sigma_grid
        self.chunk_size = chunk_size

    def __repr__(self) -> str:
        return f"GRNN(sigma={self.sigma!r}, chunk_size={self.chunk_size})"

    def fit(self, X, y):
        """Store the training set (that is all the training there is) and choose sigma.

        Parameters
        ----------
        X : (N, D) float array
        y : (N,) or (N, K) float array

        Returns
        -------
        self
        """
        owner = "GRNN"
        X = check_X(X, "X", owner)
        y = check_float_array(y, "y", ndim=(1, 2), owner=owner)
        check_n_rows(y, X.shape[0], "y", owner)
        chunk_size = _check_chunk_size(self.chunk_size, owner)
        Y = y.reshape(len(y), -1).astype(np.float64)
        if isinstance(self.sigma, str) and self.sigma == "loo":
            if X.shape[0] < 2:
                raise ValueError(f"{owner}: leave-one-out needs at least 2 points, got 1")
            grid = self._sigma_grid(X)
            mse = loo_mse(X, Y, grid, chunk_size=chunk_size)
            self.loo_sigmas_, self.loo_mse_ = grid, mse
            sigma = float(grid[np.argmin(mse)])
        else:
            sigma = _check_sigma(self.sigma, owner)
        self.X_, self.y_ = X.copy(), Y
        self._y_is_1d = y.ndim == 1
        self.sigma_ = sigma
        return self

    def _sigma_grid(self, X):
        if self.sigma_grid is None:
            scale = float(X.std(axis=0).mean()) or 1.0
            return scale * np.geomspace(0.01, 3.0, 40)
        grid = check_float_array(np.asarray(self.sigma_grid, dtype=np.float64), "sigma_grid",
                                 ndim=1, owner="GRNN")
        if grid.size == 0 or np.any(grid <= 0):
            raise ValueError(f"GRNN: sigma_grid must hold positive values, got {grid}")
        return grid

    def predict(self, X):
        """The output layer :math:`S_N / S_D` for each query.

        Parameters
        ----------
        X : (M, D) float array

        Returns
        -------
        (M,) or (M, K) array
            Shaped like the training targets.
        """
        check_is_fitted(self, "X_")
        X = check_X(X, "X", "GRNN", n_features=self.X_.shape[1])
        out = np.empty((X.shape[0], self.y_.shape[1]))
        for start in range(0, X.shape[0], self.chunk_size):
            rows = slice(start, start + self.chunk_size)
            h = pattern_layer(X[rows], self.X_, self.sigma_)   # pattern layer
            numerator, denominator = h @ self.y_, h.sum(axis=1, keepdims=True)  # summation
            out[rows] = numerator / denominator                 # output layer
        return out[:, 0] if self._y_is_1d else out

    def score(self, X, y):
        """Coefficient of determination :math:`R^2` of the predictions (scikit-learn's)."""
        prediction = self.predict(X)
        y = check_float_array(y, "y", ndim=prediction.ndim, owner="GRNN.score")
        if y.shape != prediction.shape:
            raise ValueError(f"GRNN.score: y must have shape {prediction.shape}, got {y.shape}")
        residual = ((y - prediction) ** 2).sum()
        total = ((y - y.mean(axis=0)) ** 2).sum()
        return float(1.0 - residual / total)


def loo_mse(X, y, sigmas, *, chunk_size=1024):
    """Leave-one-out mean squared error of the GRNN for each candidate width.

    Leaving point :math:`i` out of the training set only removes pattern unit :math:`i`
    from the prediction at :math:`x_i`, so all N held-out predictions come from the full
    distance matrix with its diagonal switched off: no loop over held-out points, one
    matrix product per width and chunk of ``chunk_size`` rows.

    Parameters
    ----------
    X : (N, D) float array
    y : (N,) or (N, K) float array
    sigmas : (S,) array of positive floats
    chunk_size : int

    Returns
    -------
    (S,) array
        :math:`\\frac{1}{N}\\sum_i \\lVert y_i - \\hat y_{-i}(x_i) \\rVert^2` per width.
    """
    owner = "loo_mse"
    X = check_X(X, "X", owner)
    y = check_float_array(y, "y", ndim=(1, 2), owner=owner)
    check_n_rows(y, X.shape[0], "y", owner)
    if X.shape[0] < 2:
        raise ValueError(f"{owner}: leave-one-out needs at least 2 points, got 1")
    sigmas = np.atleast_1d(np.asarray(sigmas, dtype=np.float64))
    for sigma in sigmas:
        _check_sigma(float(sigma), owner)
    chunk_size = _check_chunk_size(chunk_size, owner)
    Y = y.reshape(len(y), -1)
    n = X.shape[0]
    errors = np.zeros(len(sigmas))
    for start in range(0, n, chunk_size):
        rows = np.arange(start, min(start + chunk_size, n))
        d2 = squared_distances(X[rows], X)
        d2[np.arange(len(rows)), rows] = np.inf        # held-out point i loses unit i
        d2 -= d2.min(axis=1, keepdims=True)
        for k, sigma in enumerate(sigmas):
            h = np.exp(-d2 / (2.0 * sigma**2))
            prediction = (h @ Y) / h.sum(axis=1, keepdims=True)
            errors[k] += ((Y[rows] - prediction) ** 2).sum()
    return errors / n


class PNN:
    """Probabilistic neural network: a Parzen-window Bayes classifier (Specht, 1990).

    Parameters
    ----------
    sigma : float
        Width of the Gaussian pattern units.
    priors : (C,) array, optional
        Class prior probabilities; by default the class frequencies in the training set,
        which makes the PNN the GRNN of the one-hot labels.
    chunk_size : int
        Queries processed at once.

    Attributes
    ----------
    X_ : (N, D) array
    y_ : (N,) int array
    classes_ : (C,) int array
    class_count_ : (C,) array
    priors_ : (C,) array
    """

    def __init__(self, sigma=1.0, *, priors=None, chunk_size=1024):
        self.sigma = sigma
        self.priors = priors
        self.chunk_size = chunk_size

    def __repr__(self) -> str:
        return f"PNN(sigma={self.sigma!r}, chunk_size={self.chunk_size})"

    def fit(self, X, y):
        """Store the training set.

        Parameters
        ----------
        X : (N, D) float array
        y : (N,) int array of class labels

        Returns
        -------
        self
        """
        owner = "PNN"
        X = check_X(X, "X", owner)
        y = check_int_labels(y, "y", length=X.shape[0], owner=owner)
        _check_sigma(self.sigma, owner)
        _check_chunk_size(self.chunk_size, owner)
        classes, index, counts = np.unique(y, return_inverse=True, return_counts=True)
        if self.priors is None:
            priors = counts / counts.sum()
        else:
            priors = check_float_array(np.asarray(self.priors, dtype=np.float64), "priors",
                                       ndim=1, owner=owner)
            if priors.shape != classes.shape or np.any(priors < 0) or priors.sum() <= 0:
                raise ValueError(f"{owner}: priors must be {len(classes)} non-negative "
                                 f"numbers (one per class), got {priors}")
            priors = priors / priors.sum()
        self.X_, self.y_ = X.copy(), y.copy()
        self.classes_, self.class_count_, self.priors_ = classes, counts.astype(float), priors
        self._onehot = (index[:, None] == np.arange(len(classes))[None, :]).astype(float)
        return self

    def predict_proba(self, X):
        """Posterior class probabilities, (M, C), columns following ``classes_``.

        Summation unit c adds the pattern units of class c and scales by
        ``prior_c / n_c``: a Parzen estimate of :math:`p(x \\mid c) P(c)` up to a
        factor common to all classes.
        """
        check_is_fitted(self, "X_")
        X = check_X(X, "X", "PNN", n_features=self.X_.shape[1])
        weight = self.priors_ / self.class_count_
        out = np.empty((X.shape[0], len(self.classes_)))
        for start in range(0, X.shape[0], self.chunk_size):
            rows = slice(start, start + self.chunk_size)
            scores = (pattern_layer(X[rows], self.X_, self.sigma) @ self._onehot) * weight
            out[rows] = scores / scores.sum(axis=1, keepdims=True)
        return out

    def predict(self, X):
        """The class with the largest posterior, (M,)."""
        check_is_fitted(self, "X_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def score(self, X, y):
        """Accuracy of :meth:`predict` on ``(X, y)``."""
        predictions = self.predict(X)
        y = check_int_labels(y, "y", length=len(predictions), owner="PNN.score")
        return float(np.mean(predictions == y))
