"""LabelPropagation and LabelSpreading give scikit-learn's numbers (test-only oracle).

Same data, same hyperparameters: ``label_distributions_``, ``transduction_``, ``n_iter_``
and ``predict_proba`` agree to 1e-8 (they differ only by rounding, about 1e-15), for the
RBF and the kNN graph; the closed form agrees with scikit-learn iterated to convergence.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from scratchdl.models import LabelPropagation, LabelSpreading
from tests.oracles import require

semi = require("sklearn.semi_supervised")

ATOL = 1e-8
PAIRS = [(LabelPropagation, semi.LabelPropagation), (LabelSpreading, semi.LabelSpreading)]
KERNELS = [("rbf", {"gamma": 2.0}), ("rbf", {}), ("knn", {"n_neighbors": 5}), ("knn", {})]


def data(seed, n=90, n_classes=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)) * 0.5
    y = rng.integers(0, n_classes, n)
    y[rng.random(n) < 0.8] = -1
    y[:n_classes] = np.arange(n_classes)
    return X, y


def sklearn_fit(cls, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # ConvergenceWarning on purpose with small max_iter
        return cls(**kwargs).fit(X, y)


@pytest.mark.parametrize("ours,theirs", PAIRS, ids=["propagation", "spreading"])
@pytest.mark.parametrize("kernel,kwargs", KERNELS, ids=["rbf2", "rbf20", "knn5", "knn7"])
@pytest.mark.parametrize("seed", [0, 1])
def test_iterative_matches_scikit_learn(ours, theirs, kernel, kwargs, seed):
    X, y = data(seed)
    mine = ours(kernel, **kwargs).fit(X, y)
    ref = sklearn_fit(theirs, X, y, kernel=kernel, **kwargs)
    np.testing.assert_allclose(mine.label_distributions_, ref.label_distributions_,
                               rtol=0, atol=ATOL)
    np.testing.assert_array_equal(mine.transduction_, ref.transduction_)
    np.testing.assert_array_equal(mine.classes_, ref.classes_)
    assert mine.n_iter_ == ref.n_iter_
    X_new = X[:15] + 0.05
    np.testing.assert_allclose(mine.predict_proba(X_new), ref.predict_proba(X_new),
                               rtol=0, atol=ATOL)
    np.testing.assert_array_equal(mine.predict(X_new), ref.predict(X_new))


@pytest.mark.parametrize("ours,theirs", PAIRS, ids=["propagation", "spreading"])
@pytest.mark.parametrize("kernel", ["rbf", "knn"])
def test_max_iter_reached_matches_scikit_learn(ours, theirs, kernel):
    X, y = data(2)
    mine = ours(kernel, gamma=1.0, max_iter=3).fit(X, y)
    ref = sklearn_fit(theirs, X, y, kernel=kernel, gamma=1.0, max_iter=3)
    np.testing.assert_allclose(mine.label_distributions_, ref.label_distributions_,
                               rtol=0, atol=ATOL)
    assert mine.n_iter_ == ref.n_iter_ == 3


@pytest.mark.parametrize("ours,theirs", PAIRS, ids=["propagation", "spreading"])
@pytest.mark.parametrize("kernel,kwargs", [("rbf", {"gamma": 2.0}), ("knn", {"n_neighbors": 5})])
def test_closed_form_matches_scikit_learn_at_convergence(ours, theirs, kernel, kwargs):
    X, y = data(3)
    mine = ours(kernel, method="closed_form", **kwargs).fit(X, y)
    ref = sklearn_fit(theirs, X, y, kernel=kernel, max_iter=200_000, tol=1e-13, **kwargs)
    np.testing.assert_allclose(mine.label_distributions_, ref.label_distributions_,
                               rtol=0, atol=ATOL)
    np.testing.assert_array_equal(mine.transduction_, ref.transduction_)


def test_string_free_labels_keep_their_values():
    X, y = data(4)
    y = np.where(y >= 0, 10 * y + 5, -1)
    mine = LabelSpreading("knn").fit(X, y)
    ref = sklearn_fit(semi.LabelSpreading, X, y, kernel="knn")
    np.testing.assert_array_equal(mine.classes_, [5, 15, 25])
    np.testing.assert_array_equal(mine.transduction_, ref.transduction_)
