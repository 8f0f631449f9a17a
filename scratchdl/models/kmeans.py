"""k-means by Lloyd's algorithm: the baseline a SOM with a vanishing radius turns into."""

from __future__ import annotations

import numbers

import numpy as np

from scratchdl._validation import check_float_array, check_rng
from scratchdl.models.base import (
    BaseEstimator,
    Interval,
    Options,
    check_distance_range,
    check_is_fitted,
    check_X,
    squared_distances,
)


def lloyd_step(X, centers):
    """One step of Lloyd's algorithm: assign each sample, then average each cluster.

    Parameters
    ----------
    X : (N, D) array
    centers : (K, D) array

    Returns
    -------
    labels : (N,) int array
        The nearest centre of each sample (before the move).
    new_centers : (K, D) array
        Each centre moved to the mean of its samples; one that wins none stays put.
    """
    labels = squared_distances(X, centers).argmin(axis=1)              # assign
    new_centers = centers.copy()
    for k in range(len(centers)):                                      # average
        members = X[labels == k]
        if len(members):
            new_centers[k] = members.mean(axis=0)
    return labels, new_centers


class KMeans(BaseEstimator):
    """k-means clustering (Lloyd 1982) with scikit-learn's parameter names.

    Each step assigns every sample to its nearest centre, then moves each centre to
    the mean of its samples (a centre that wins no sample stays where it is).

    Parameters
    ----------
    n_clusters : int
    init : "random" or (n_clusters, n_features) array
        ``"random"``: distinct samples drawn from ``random_state``. An array is copied.
    max_iter : int
        Maximum number of assign-and-average steps.
    random_state : None, int or numpy.random.Generator

    Attributes
    ----------
    cluster_centers_ : (n_clusters, n_features) array
    labels_ : (N,) int array
        The cluster of each training sample.
    inertia_ : float
        Sum of squared distances from the samples to their centres.
    n_iter_ : int
        Steps run; fewer than ``max_iter`` when the assignment stopped changing.
    """

    _parameter_constraints = {
        "n_clusters": [Interval(numbers.Integral, 1, None)],
        "init": [np.ndarray, Options("random")],
        "max_iter": [Interval(numbers.Integral, 1, None)],
        "random_state": ["random_state"],
    }

    def __init__(self, n_clusters=8, *, init="random", max_iter=300, random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y=None):
        """Cluster ``X`` (N, n_features); ``y`` is ignored. Returns ``self``."""
        self._validate_params()
        owner, k = "KMeans", self.n_clusters
        X = check_distance_range(check_X(X, "X", owner), "X", owner)
        if len(X) < k:
            raise ValueError(f"{owner}: X has {len(X)} samples, fewer than n_clusters={k}")
        if isinstance(self.init, np.ndarray):
            if self.init.shape != (k, X.shape[1]):
                raise ValueError(f"{owner}: init must have shape {(k, X.shape[1])}, "
                                 f"got {self.init.shape}")
            centers = check_float_array(self.init, "init", owner=owner).astype(np.float64)
        elif isinstance(self.init, str) and self.init == "random":
            rng = check_rng(self.random_state, "random_state")
            centers = X[rng.choice(len(X), size=k, replace=False)].astype(np.float64)
        else:
            raise ValueError(f"{owner}: init must be 'random' or an array, got {self.init!r}")
        labels = None
        for step in range(1, self.max_iter + 1):
            new_labels, centers = lloyd_step(X, centers)
            if labels is not None and np.array_equal(new_labels, labels):
                step -= 1  # nothing changed: the previous step was the last one
                break
            labels = new_labels
        self.cluster_centers_ = centers
        self.labels_ = labels
        self.inertia_ = float(((X - centers[labels]) ** 2).sum())
        self.n_iter_ = step
        return self

    def predict(self, X) -> np.ndarray:
        """Index of the nearest centre for each row of ``X``, shape (N,)."""
        check_is_fitted(self, "cluster_centers_")
        X = check_X(X, "X", "KMeans", n_features=self.cluster_centers_.shape[1])
        X = check_distance_range(X, "X", "KMeans")
        return squared_distances(X, self.cluster_centers_).argmin(axis=1)
