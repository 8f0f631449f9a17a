"""scratchdl.models.LabelPropagation / LabelSpreading: conventions, math, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.models import LabelPropagation, LabelSpreading
from scratchdl.models.base import NotFittedError

ESTIMATORS = [LabelPropagation, LabelSpreading]


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(-2, 0.4, (n // 2, 2)), rng.normal(2, 0.4, (n // 2, 2))])
    y_true = np.repeat([3, 7], n // 2)
    y = np.full(n, -1)
    y[[0, n // 2]] = y_true[[0, n // 2]]
    return X, y, y_true


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_constructor_only_stores(cls):
    model = cls("knn", gamma=-5, n_neighbors=0, max_iter=0)   # checked in fit, not here
    assert model.kernel == "knn" and model.gamma == -5 and model.n_neighbors == 0
    assert not [name for name in vars(model) if name.endswith("_")]


def test_defaults_follow_scikit_learn():
    prop, spread = LabelPropagation(), LabelSpreading()
    assert (prop.kernel, prop.gamma, prop.n_neighbors, prop.max_iter, prop.tol) == \
        ("rbf", 20, 7, 1000, 1e-3)
    assert (spread.alpha, spread.max_iter, spread.tol) == (0.2, 30, 1e-3)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("kernel", ["rbf", "knn"])
@pytest.mark.parametrize("method", ["iterative", "closed_form"])
def test_fit_returns_self_and_labels_two_clusters(cls, kernel, method):
    X, y, y_true = data()
    # A tight tol: spreading on the kNN graph would otherwise stop before reaching all.
    model = cls(kernel, gamma=1.0, n_neighbors=5, method=method, tol=1e-10, max_iter=1000)
    assert model.fit(X, y) is model
    np.testing.assert_array_equal(model.classes_, [3, 7])
    np.testing.assert_array_equal(model.transduction_, y_true)
    np.testing.assert_allclose(model.label_distributions_.sum(axis=1), 1.0)
    assert model.score(X, y_true) == 1.0
    np.testing.assert_array_equal(model.predict(X + 0.05), y_true)
    assert model.predict_proba(X[:3]).shape == (3, 2)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("kernel", ["rbf", "knn"])
def test_iterations_converge_to_the_closed_form(cls, kernel):
    X, y, _ = data(seed=1)
    X = X * 0.3
    iterative = cls(kernel, gamma=1.0, n_neighbors=6, max_iter=100_000, tol=1e-15).fit(X, y)
    closed = cls(kernel, gamma=1.0, n_neighbors=6, method="closed_form").fit(X, y)
    np.testing.assert_allclose(iterative.label_distributions_, closed.label_distributions_,
                               atol=1e-9)
    assert closed.n_iter_ == 0 and iterative.n_iter_ > 1


def test_propagation_clamps_given_labels_and_spreading_may_change_them():
    X, y, _ = data()
    y_wrong = y.copy()
    y_wrong[:5] = 3
    y_wrong[5] = 7            # a label that contradicts the five others in its cluster
    prop = LabelPropagation("knn", n_neighbors=5, method="closed_form").fit(X, y_wrong)
    spread = LabelSpreading(gamma=0.5, alpha=0.99, method="closed_form").fit(X, y_wrong)
    assert prop.transduction_[5] == 7
    assert spread.transduction_[5] == 3


def test_harmonic_solution_is_the_average_of_its_neighbours():
    X, y, _ = data(seed=2)
    model = LabelPropagation(gamma=0.5, method="closed_form").fit(X, y)
    W = np.exp(-0.5 * ((X[:, None] - X[None]) ** 2).sum(-1))
    T = W / W.sum(1, keepdims=True)
    F = model.label_distributions_
    unlabeled = y < 0
    np.testing.assert_allclose((T @ F)[unlabeled], F[unlabeled], atol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_unfitted_use_raises(cls):
    with pytest.raises(NotFittedError, match=f"{cls.__name__} is not fitted"):
        cls().predict(np.zeros((2, 2)))
    with pytest.raises(NotFittedError):
        cls().predict_proba(np.zeros((2, 2)))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_bad_input(cls):
    X, y, _ = data()
    name = cls.__name__
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match=f"{name}: X contains 1 NaN"):
        cls().fit(X_nan, y)
    with pytest.raises(ValueError, match="X must have 2 dimensions"):
        cls().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="y has 39 rows but X has 40"):
        cls().fit(X, y[:-1])
    with pytest.raises(ValueError, match="no labeled point"):
        cls().fit(X, np.full(40, -1))
    with pytest.raises(ValueError, match="labels >= 0, or -1"):
        cls().fit(X, np.where(y < 0, -2, y))
    with pytest.raises(TypeError, match="y must be an integer"):
        cls().fit(X, y.astype(float))
    with pytest.raises(ValueError, match="kernel must be one of"):
        cls("poly").fit(X, y)
    with pytest.raises(ValueError, match="method must be one of"):
        cls(method="exact").fit(X, y)
    with pytest.raises(ValueError, match="gamma must be a real number in"):
        cls(gamma=0).fit(X, y)
    with pytest.raises(ValueError, match="n_neighbors must be at most the number of points"):
        cls("knn", n_neighbors=41).fit(X, y)
    with pytest.raises(ValueError, match="max_iter must be an integer in"):
        cls(max_iter=0).fit(X, y)
    model = cls().fit(X, y)
    before = model.label_distributions_.copy()
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        model.predict(np.zeros((3, 5)))
    np.testing.assert_array_equal(model.label_distributions_, before)


@pytest.mark.parametrize("alpha", [0, 1, 1.5])
def test_spreading_alpha_must_be_in_open_unit_interval(alpha):
    X, y, _ = data()
    with pytest.raises(ValueError, match=r"alpha must be a real number in \(0, 1\)"):
        LabelSpreading(alpha=alpha).fit(X, y)


def test_fit_does_not_modify_inputs():
    X, y, _ = data()
    X0, y0 = X.copy(), y.copy()
    LabelPropagation().fit(X, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
