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

import numbers

import numpy as np

from scratchdl._validation import check_float_array, check_int_labels, check_number
from scratchdl.functional import logsumexp, softmax
from scratchdl.models.base import (
    BaseEstimator,
    ClassifierMixin,
    Interval,
    Options,
    RegressorMixin,
    check_distance_range,
    check_is_fitted,
    check_n_rows,
    check_X,
    squared_distances,
)


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
        :math:`h_{ij} = \\exp(-(r_{ij}^2 - \\min_k r_{ik}^2) / 2\\sigma^2)`, with
        :math:`r_{ij}` the distance from query :math:`i` to training point :math:`j`.
        The common factor :math:`\\exp(-\\min_k r_{ik}^2 / 2\\sigma^2)` of row
        :math:`i` cancels in every ratio the networks take, and dividing it out keeps a
        far-away query from underflowing to 0/0.
    """
    d2 = squared_distances(X_query, X_train)
    if exclude_self:
        np.fill_diagonal(d2, np.inf)
    d2 -= d2.min(axis=1, keepdims=True)
    return np.exp(-_scaled(d2, sigma))


def _scaled(d2, sigma):
    """``d2 / (2 sigma^2)``, also when ``sigma^2`` under- or overflows.

    A width of 1e-200 then gives 0 and inf (the nearest unit alone), not 0/0, and one
    of 1e200 gives 0 (every unit equally), the two limits of exercise 1.
    """
    with np.errstate(over="ignore"):
        if np.isfinite(sigma * sigma) and sigma * sigma > 0:
            return d2 / (2.0 * sigma**2)
        return d2 / (2.0 * sigma) / sigma


class GRNN(RegressorMixin, BaseEstimator):
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

    _parameter_constraints = {
        "sigma": [Interval(numbers.Real, 0, None, closed="neither"), Options("loo")],
        "sigma_grid": [None, np.ndarray, list, tuple],
        "chunk_size": [Interval(numbers.Integral, 1, None)],
    }

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
        self._validate_params()
        owner, chunk_size = "GRNN", self.chunk_size
        X = check_distance_range(check_X(X, "X", owner), "X", owner)
        y = check_float_array(y, "y", ndim=(1, 2), owner=owner)
        check_n_rows(y, X.shape[0], "y", owner)
        Y = y.reshape(len(y), -1).astype(np.float64)
        if isinstance(self.sigma, str) and self.sigma == "loo":
            if X.shape[0] < 2:
                raise ValueError(f"{owner}: leave-one-out needs at least 2 points, got 1")
            grid = self._sigma_grid(X)
            mse = loo_mse(X, Y, grid, chunk_size=chunk_size)
            sigma = float(grid[np.argmin(mse)])
        else:
            grid = mse = None
            sigma = float(self.sigma)
        if grid is None:  # a fixed width: no leave-one-out results from an earlier fit
            self.__dict__.pop("loo_sigmas_", None)
            self.__dict__.pop("loo_mse_", None)
        else:
            self.loo_sigmas_, self.loo_mse_ = grid, mse
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
        X = check_distance_range(X, "X", "GRNN")
        out = np.empty((X.shape[0], self.y_.shape[1]))
        for start in range(0, X.shape[0], self.chunk_size):
            rows = slice(start, start + self.chunk_size)
            h = pattern_layer(X[rows], self.X_, self.sigma_)   # pattern layer
            numerator, denominator = h @ self.y_, h.sum(axis=1, keepdims=True)  # summation
            out[rows] = numerator / denominator                 # output layer
        return out[:, 0] if self._y_is_1d else out


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
    X = check_distance_range(check_X(X, "X", owner), "X", owner)
    y = check_float_array(y, "y", ndim=(1, 2), owner=owner)
    check_n_rows(y, X.shape[0], "y", owner)
    if X.shape[0] < 2:
        raise ValueError(f"{owner}: leave-one-out needs at least 2 points, got 1")
    if isinstance(sigmas, numbers.Real):
        sigmas = [sigmas]
    sigmas = check_float_array(np.asarray(sigmas) if isinstance(sigmas, (list, tuple))
                               else sigmas, "sigmas", ndim=1, owner=owner)
    if sigmas.size == 0:
        raise ValueError(f"{owner}: sigmas must hold at least one width, got none")
    for sigma in sigmas:
        _check_sigma(float(sigma), owner)
    chunk_size = _check_chunk_size(chunk_size, owner)
    Y = y.reshape(len(y), -1)
    n = X.shape[0]
    errors = np.zeros(len(sigmas))
    for start in range(0, n, chunk_size):
        errors += loo_squared_errors(X, Y, np.arange(start, min(start + chunk_size, n)),
                                     sigmas)
    return errors / n


def loo_squared_errors(X, Y, held_out, sigmas):
    """Summed squared leave-one-out errors of the points ``held_out``, one per width.

    Equation (grnn-loo) of chapter 04: the prediction at :math:`x_i` from every pattern
    unit but its own.

    Parameters
    ----------
    X : (N, D) array
    Y : (N, K) array
    held_out : (M,) int array
        Indices of the points to predict, each from the other N - 1.
    sigmas : (S,) array

    Returns
    -------
    (S,) array
        :math:`\\sum_{i \\in \\text{held\\_out}}
        \\lVert y_i - \\hat y_{-i}(x_i) \\rVert^2`.
    """
    d2 = squared_distances(X[held_out], X)
    d2[np.arange(len(held_out)), held_out] = np.inf  # point i loses its own unit i
    d2 -= d2.min(axis=1, keepdims=True)  # a common factor per row, see above
    errors = np.empty(len(sigmas))
    for k, sigma in enumerate(sigmas):
        h = np.exp(-_scaled(d2, sigma))
        prediction = (h @ Y) / h.sum(axis=1, keepdims=True)
        errors[k] = ((Y[held_out] - prediction) ** 2).sum()
    return errors


class PNN(ClassifierMixin, BaseEstimator):
    """Probabilistic neural network: a Parzen-window Bayes classifier (Specht, 1990).

    Parameters
    ----------
    sigma : float
        Width of the Gaussian pattern units.
    priors : (C,) array, optional
        Positive class prior probabilities, one per class in ``y`` (normalized to sum to
        one); by default the class frequencies in the training set, which makes the PNN
        the GRNN of the one-hot labels.
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

    _parameter_constraints = {
        "sigma": [Interval(numbers.Real, 0, None, closed="neither")],
        "priors": [None, np.ndarray, list, tuple],
        "chunk_size": [Interval(numbers.Integral, 1, None)],
    }

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
        self._validate_params()
        owner = "PNN"
        X = check_distance_range(check_X(X, "X", owner), "X", owner)
        y = check_int_labels(y, "y", length=X.shape[0], owner=owner)
        classes, index, counts = np.unique(y, return_inverse=True, return_counts=True)
        if self.priors is None:
            priors = counts / counts.sum()
        else:
            priors = check_float_array(np.asarray(self.priors, dtype=np.float64), "priors",
                                       ndim=1, owner=owner)
            if priors.shape != classes.shape or np.any(priors <= 0):
                raise ValueError(f"{owner}: priors must be {len(classes)} positive numbers "
                                 f"(one per class in y), got {priors}")
            priors = priors / priors.sum()
        self.X_, self.y_ = X.copy(), y.copy()
        self.classes_, self.class_count_, self.priors_ = classes, counts.astype(float), priors
        self._class_index = index
        return self

    def predict_proba(self, X):
        """Posterior class probabilities, (M, C), columns following ``classes_``.

        Summation unit c adds the pattern units of class c and scales by
        ``prior_c / n_c``: a Parzen estimate of :math:`p(x \\mid c) P(c)` up to a
        factor common to all classes.
        """
        check_is_fitted(self, "X_")
        X = check_X(X, "X", "PNN", n_features=self.X_.shape[1])
        X = check_distance_range(X, "X", "PNN")
        log_weight = np.log(self.priors_ / self.class_count_)
        out = np.empty((X.shape[0], len(self.classes_)))
        for start in range(0, X.shape[0], self.chunk_size):
            rows = slice(start, start + self.chunk_size)
            # log h_i = -d_i^2 / 2 sigma^2 (less a common term per query), summed per
            # class in log space: a query far from every unit still gets its posterior.
            d2 = squared_distances(X[rows], self.X_)
            log_h = -_scaled(d2 - d2.min(axis=1, keepdims=True), self.sigma)
            scores = np.stack([logsumexp(log_h[:, self._class_index == c], axis=1)
                               for c in range(len(self.classes_))], axis=1) + log_weight
            out[rows] = softmax(scores, axis=1)
        return out

    def predict(self, X):
        """The class with the largest posterior, (M,)."""
        check_is_fitted(self, "X_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
