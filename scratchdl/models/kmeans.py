"""k-means by Lloyd's algorithm: the baseline a SOM with a vanishing radius turns into."""

from __future__ import annotations

import numpy as np

from scratchdl._validation import check_float_array, check_number, check_rng
from scratchdl.models._estimator import check_is_fitted


class KMeans:
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

    def __init__(self, n_clusters=8, *, init="random", max_iter=300, random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y=None):
        """Cluster ``X`` (N, n_features); ``y`` is ignored. Returns ``self``."""
        owner = "KMeans"
        k = check_number(self.n_clusters, "n_clusters", low=1, integer=True, owner=owner)
        check_number(self.max_iter, "max_iter", low=1, integer=True, owner=owner)
        X = check_float_array(X, "X", ndim=2, owner=owner)
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
            # |x - c|^2 expanded: no (N, k, D) array, the same arithmetic as the SOM's.
            squared = ((X ** 2).sum(axis=1)[:, None] - 2 * X @ centers.T
                       + (centers ** 2).sum(axis=1)[None, :])
            new_labels = squared.argmin(axis=1)                      # assign
            if labels is not None and np.array_equal(new_labels, labels):
                step -= 1  # nothing changed: the previous step was the last one
                break
            labels = new_labels
            for j in range(k):                                       # average
                members = X[labels == j]
                if len(members):
                    centers[j] = members.mean(axis=0)
        self.cluster_centers_ = centers
        self.labels_ = labels
        self.inertia_ = float(((X - centers[labels]) ** 2).sum())
        self.n_iter_ = step
        return self

    def predict(self, X) -> np.ndarray:
        """Index of the nearest centre for each row of ``X``, shape (N,)."""
        check_is_fitted(self, "cluster_centers_")
        X = check_float_array(X, "X", ndim=2, owner="KMeans")
        if X.shape[1] != self.cluster_centers_.shape[1]:
            raise ValueError(f"KMeans: X has {X.shape[1]} features, but the model was fitted "
                             f"with {self.cluster_centers_.shape[1]}")
        return ((X[:, None, :] - self.cluster_centers_[None]) ** 2).sum(axis=2).argmin(axis=1)
