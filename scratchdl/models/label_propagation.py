"""Graph-based semi-supervised learning: label propagation and label spreading.

Both build a graph over all points, labeled and unlabeled, and let the labels flow
along its edges until they settle (chapter 03):

* :class:`LabelPropagation` (Zhu and Ghahramani, 2002) walks with the row-normalized
  transition matrix :math:`T = \\operatorname{diag}(d)^{-1} A` (``A`` the affinity
  matrix of edge weights, ``W`` in the code; ``d`` the degrees) and puts the given
  labels back after every step (hard clamping). Its fixed point is the harmonic solution
  :math:`F_U = (I - T_{UU})^{-1} T_{UL} Y_L`.
* :class:`LabelSpreading` (Zhou et al., 2004) uses the symmetrically normalized
  :math:`S = \\operatorname{diag}(d)^{-1/2} A \\operatorname{diag}(d)^{-1/2}` and only
  pulls each point back towards its initial label with weight :math:`1 - \\alpha`:
  :math:`F \\leftarrow \\alpha S F + (1-\\alpha) Y`, whose fixed point is
  :math:`F^* = (1 - \\alpha)(I - \\alpha S)^{-1} Y`.

Names, defaults and numerics follow scikit-learn's classes of the same names, so the two
give the same ``label_distributions_`` (the tests check it): labels ``-1`` mark
unlabeled points, the RBF graph keeps its self-loops for propagation, the kNN graph
counts each point as one of its own ``n_neighbors`` neighbours and is not symmetrized,
and spreading's degrees are column sums without the diagonal. ``method="closed_form"``
solves the linear system of the fixed point instead of iterating.
"""

from __future__ import annotations

import numbers

import numpy as np

from scratchdl._validation import check_allocation
from scratchdl.models.base import (
    BaseEstimator,
    ClassifierMixin,
    Interval,
    Options,
    check_distance_range,
    check_is_fitted,
    check_n_rows,
    check_X,
    squared_distances,
)

KERNELS = ("rbf", "knn")
METHODS = ("iterative", "closed_form")


def check_partial_labels(y, n_samples: int, owner: str) -> np.ndarray:
    """Semi-supervised targets: an (N,) integer array, labels >= 0 and -1 for unlabeled.

    The one check of "-1 means unlabeled" shared by the estimators of chapter 03; at
    least one point must be labeled.
    """
    if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{owner}: y must be an integer numpy array with -1 for unlabeled "
                        f"points, got {getattr(y, 'dtype', type(y).__name__)}")
    if y.ndim != 1:
        raise ValueError(f"{owner}: y must have shape (N,), got {y.shape}")
    check_n_rows(y, n_samples, "y", owner)
    if y.min() < -1:
        raise ValueError(f"{owner}: y must hold class labels >= 0, or -1 for unlabeled "
                         f"points; got {y.min()}")
    if not np.any(y >= 0):
        raise ValueError(f"{owner}: y has no labeled point (every label is -1); give at "
                         f"least one label")
    return y


class _GraphLabeler(ClassifierMixin, BaseEstimator):
    """Shared parts: hyperparameter constraints, the affinity matrix, prediction."""

    _parameter_constraints = {
        "kernel": [Options(*KERNELS)],
        "gamma": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_neighbors": [Interval(numbers.Integral, 1, None)],
        "max_iter": [Interval(numbers.Integral, 1, None)],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "method": [Options(*METHODS)],
    }

    # -- the graph ------------------------------------------------------------------------
    def _affinity(self, A: np.ndarray, B: np.ndarray, shift=False) -> np.ndarray:
        """Edge weights ``W[i, j]`` between the points ``A[i]`` and ``B[j]``, dense.

        RBF: :math:`\\exp(-\\gamma \\lVert a_i - b_j \\rVert^2)`. kNN: 1 if ``A[i]`` is among
        the ``n_neighbors`` points of ``B`` nearest to it (itself included when A is B).
        ``shift=True`` divides each RBF row by its largest weight, a factor that cancels
        when the row is normalized, so that a far-away query does not underflow to 0.
        """
        d2 = squared_distances(A, B)
        if self.kernel == "rbf":
            if shift:
                d2 = d2 - d2.min(axis=1, keepdims=True)
            return np.exp(-self.gamma * d2)
        # A stable sort breaks ties by index, as a brute-force neighbour search does.
        nearest = np.argsort(d2, axis=1, kind="stable")[:, : self.n_neighbors]
        W = np.zeros_like(d2)
        np.put_along_axis(W, nearest, 1.0, axis=1)
        return W

    # -- fitting --------------------------------------------------------------------------
    def fit(self, X, y):
        """Spread the labels of ``y`` over the graph of ``X``.

        Parameters
        ----------
        X : (N, D) float array
            All points, labeled and unlabeled.
        y : (N,) int array
            Class labels (any non-negative integers), ``-1`` for unlabeled points.

        Returns
        -------
        self
        """
        self._validate_params()
        owner = type(self).__name__
        X = check_distance_range(check_X(X, "X", owner), "X", owner)
        y = check_partial_labels(y, X.shape[0], owner)
        check_allocation((len(X), len(X)), owner=owner, what="the dense graph")
        if self.kernel == "knn" and self.n_neighbors > X.shape[0]:
            raise ValueError(f"{owner}: n_neighbors must be at most the number of points "
                             f"({X.shape[0]}), got {self.n_neighbors}")
        classes = np.unique(y[y >= 0])
        Y0 = (y[:, None] == classes[None, :]).astype(np.float64)  # zero rows if unlabeled
        G = self._graph(X)
        if self.method == "closed_form":
            F, n_iter = self._closed_form(G, Y0, y >= 0), 0
        else:
            F, n_iter = self._iterate(G, Y0, y >= 0)
        self.X_ = X.copy()
        self.classes_ = classes
        self.label_distributions_ = _normalize_rows(F)
        self.transduction_ = _most_probable(classes, self.label_distributions_)
        self.n_iter_ = n_iter
        return self

    def _iterate(self, G, Y0, labeled):
        """Repeat one step until the total change falls below ``tol`` (scikit-learn's test).

        Returns the distributions and the number of steps taken.
        """
        F, previous = Y0, np.zeros_like(Y0)
        for n_iter in range(self.max_iter):
            if np.abs(F - previous).sum() < self.tol:
                return F, n_iter
            previous, F = F, self._step(G, F, Y0, labeled)
        return F, self.max_iter

    # -- prediction -----------------------------------------------------------------------
    def predict_proba(self, X):
        """Class probabilities of new points from the learned distributions of their graph
        neighbours (RBF: weighted by the kernel; kNN: summed over the nearest points).

        Parameters
        ----------
        X : (M, D) float array

        Returns
        -------
        (M, n_classes) float array
            Rows sum to one; columns follow ``classes_``.
        """
        check_is_fitted(self, "label_distributions_")
        X = check_X(X, "X", type(self).__name__, n_features=self.X_.shape[1])
        X = check_distance_range(X, "X", type(self).__name__)
        scores = self._affinity(X, self.X_, shift=True) @ self.label_distributions_
        return _normalize_rows(scores)

    def predict(self, X):
        """The most probable class of each row of ``X``, as an (M,) array of labels.

        -1 where no label reaches the point (its row of :meth:`predict_proba` is zero).
        """
        check_is_fitted(self, "label_distributions_")
        return _most_probable(self.classes_, self.predict_proba(X))


def _most_probable(classes, distributions):
    """The class with the largest share of each row; -1 for an all-zero row."""
    reached = distributions.sum(axis=1) > 0
    return np.where(reached, classes[np.argmax(distributions, axis=1)], -1)


def _normalize_rows(F: np.ndarray) -> np.ndarray:
    """Divide each row by its sum; an all-zero row (no path to any label) stays zero."""
    totals = F.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    return F / totals


class LabelPropagation(_GraphLabeler):
    """Label propagation with hard clamping (Zhu and Ghahramani, 2002).

    Parameters
    ----------
    kernel : {"rbf", "knn"}
        How the graph is built: Gaussian weights on every pair, or 0/1 edges to the
        ``n_neighbors`` nearest points.
    gamma : float
        RBF width: :math:`w_{ij} = \\exp(-\\gamma \\lVert x_i - x_j \\rVert^2)`.
    n_neighbors : int
        Neighbours per point of the kNN graph (the point itself counts as one).
    max_iter : int
        Most propagation steps.
    tol : float
        Stop when the summed absolute change of the label distributions is below it.
    method : {"iterative", "closed_form"}
        Iterate as scikit-learn does, or solve the harmonic equations directly.

    Attributes
    ----------
    X_ : (N, D) array
        The training points (the graph's nodes, needed for prediction).
    classes_ : (C,) int array
    label_distributions_ : (N, C) array
        Each point's distribution over ``classes_`` (rows sum to one; a point with no
        path to a labeled point keeps a zero row).
    transduction_ : (N,) int array
        The label given to every training point; -1 for a point that no label reaches.
    n_iter_ : int
        Propagation steps taken (0 for the closed form).
    """

    def __init__(self, kernel="rbf", *, gamma=20.0, n_neighbors=7, max_iter=1000, tol=1e-3,
                 method="iterative"):
        self.kernel = kernel
        self.gamma = gamma
        self.n_neighbors = n_neighbors
        self.max_iter = max_iter
        self.tol = tol
        self.method = method

    def _graph(self, X):
        """Transition matrix :math:`T = \\operatorname{diag}(d)^{-1} A`; ``W`` is A."""
        W = self._affinity(X, X)
        return W / W.sum(axis=1, keepdims=True)

    def _step(self, T, F, Y0, labeled):
        """One step: average the neighbours' labels, normalize, clamp the given ones."""
        F = _normalize_rows(T @ F)
        return np.where(labeled[:, None], Y0, F)

    def _closed_form(self, T, Y0, labeled):
        """The harmonic solution :math:`F_U = (I - T_{UU})^{-1} T_{UL} Y_L`.

        Solved over the unlabeled points that have a path to a labeled one; the others
        keep a zero row (the system is singular there: no label reaches them).
        """
        U = ~labeled & _reaches_a_label(T, labeled)
        F = Y0.copy()
        if U.any():
            system = np.eye(U.sum()) - T[np.ix_(U, U)]
            F[U] = np.linalg.solve(system, T[np.ix_(U, labeled)] @ Y0[labeled])
        return F


def _reaches_a_label(T, labeled):
    """Which points have a path of edges ``T[i, j] > 0`` to a labeled point, (N,) bool."""
    reached, linked = labeled.copy(), T > 0
    while True:
        grown = reached | linked[:, reached].any(axis=1)
        if np.array_equal(grown, reached):
            return reached
        reached = grown


class LabelSpreading(_GraphLabeler):
    """Label spreading with soft clamping (Zhou et al., 2004).

    Parameters
    ----------
    kernel, gamma, n_neighbors, max_iter, tol, method
        As for :class:`LabelPropagation` (``max_iter`` defaults to 30, as in
        scikit-learn).
    alpha : float in (0, 1)
        How much of each step comes from the neighbours; ``1 - alpha`` pulls every point
        back towards its initial label, so given labels may change when they disagree
        with their neighbourhood.

    Attributes
    ----------
    X_, classes_, label_distributions_, transduction_, n_iter_
        As for :class:`LabelPropagation`.
    """

    _parameter_constraints = {
        **_GraphLabeler._parameter_constraints,
        "alpha": [Interval(numbers.Real, 0, 1, closed="neither")],
    }

    def __init__(self, kernel="rbf", *, gamma=20.0, n_neighbors=7, alpha=0.2, max_iter=30,
                 tol=1e-3, method="iterative"):
        self.kernel = kernel
        self.gamma = gamma
        self.n_neighbors = n_neighbors
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.method = method

    def _graph(self, X):
        """:math:`S = \\operatorname{diag}(d)^{-1/2} A \\operatorname{diag}(d)^{-1/2}`.

        ``W`` is the affinity matrix :math:`A` without self-loops; the degree
        :math:`d_j` sums column j.

        A node with no edge to another keeps degree 1 (scipy's normalized Laplacian).
        """
        W = self._affinity(X, X)
        np.fill_diagonal(W, 0.0)
        degree = W.sum(axis=0)
        root = np.sqrt(np.where(degree == 0, 1.0, degree))
        return W / root[:, None] / root[None, :]

    def _step(self, S, F, Y0, labeled):
        """One step: :math:`F \\leftarrow \\alpha S F + (1 - \\alpha) Y`."""
        return self.alpha * (S @ F) + (1 - self.alpha) * Y0

    def _closed_form(self, S, Y0, labeled):
        """The fixed point :math:`(1 - \\alpha)(I - \\alpha S)^{-1} Y`."""
        system = np.eye(len(S)) - self.alpha * S
        return (1 - self.alpha) * np.linalg.solve(system, Y0)
