"""The estimator base: parameters from the signature, declared constraints, repr, score."""

from __future__ import annotations

import numbers

import numpy as np
import pytest

from scratchdl.models.base import (
    BaseEstimator,
    ClassifierMixin,
    Interval,
    NotFittedError,
    Options,
    RegressorMixin,
    check_is_fitted,
    squared_distances,
)


class Toy(ClassifierMixin, BaseEstimator):
    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "alpha": [Interval(numbers.Real, 0, 1, closed="right")],
        "kernel": [Options("rbf", "knn")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "callback": [None, "callable"],
    }

    def __init__(self, n_components=2, alpha=0.5, kernel="rbf", shuffle=True,
                 random_state=None, callback=None):
        self.n_components = n_components
        self.alpha = alpha
        self.kernel = kernel
        self.shuffle = shuffle
        self.random_state = random_state
        self.callback = callback

    def fit(self, X, y):
        self._validate_params()
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        check_is_fitted(self, "classes_")
        return np.zeros(len(X), dtype=np.int64)


class Reg(RegressorMixin, BaseEstimator):
    def __init__(self, offset=0.0):
        self.offset = offset

    def predict(self, X):
        return X[:, 0] + self.offset


def test_get_set_params_and_repr_come_from_the_signature():
    toy = Toy(alpha=0.25)
    assert toy.get_params() == {"n_components": 2, "alpha": 0.25, "kernel": "rbf",
                                "shuffle": True, "random_state": None, "callback": None}
    assert repr(toy) == "Toy(alpha=0.25)"
    assert toy.set_params(kernel="knn", n_components=3) is toy
    assert repr(toy) == "Toy(n_components=3, alpha=0.25, kernel='knn')"
    with pytest.raises(ValueError, match="Toy.set_params: unknown parameter 'gamma'"):
        toy.set_params(gamma=1.0)


@pytest.mark.parametrize("name,value,error,message", [
    ("n_components", 0, ValueError, r"n_components must be an integer in \[1, inf\), got 0"),
    ("n_components", 2.0, ValueError, "n_components must be an integer"),
    ("alpha", 0.0, ValueError, r"alpha must be a real number in \(0, 1\], got 0.0"),
    ("alpha", float("nan"), ValueError, "alpha must be a real number"),
    ("kernel", "poly", ValueError, "kernel must be one of 'rbf', 'knn', got 'poly'"),
    ("shuffle", "no", ValueError, "shuffle must be a bool, got 'no'"),
    ("random_state", -1, ValueError, "random_state must be None, a non-negative int seed"),
    ("callback", 3, ValueError, "callback must be None or a callable, got 3"),
    ("kernel", ["rbf"], TypeError, "kernel must be one of"),
])
def test_bad_parameters_raise_at_fit_and_change_no_fitted_attribute(name, value, error,
                                                                     message):
    toy = Toy().fit(np.zeros((3, 1)), np.array([0, 1, 1]))
    classes = toy.classes_
    toy.set_params(**{name: value})
    with pytest.raises(error, match=f"^Toy: {message}"):
        toy.fit(np.zeros((2, 1)), np.array([5, 6]))
    assert toy.classes_ is classes


def test_scores_through_metrics_and_not_fitted_error():
    toy = Toy()
    with pytest.raises(NotFittedError, match="Toy is not fitted yet"):
        toy.predict(np.zeros((2, 1)))
    toy.fit(np.zeros((4, 1)), np.array([0, 1, 0, 0]))
    assert toy.score(np.zeros((4, 1)), np.array([0, 1, 0, 0])) == 0.75
    X = np.array([[1.0], [2.0], [3.0], [4.0]])
    assert Reg().score(X, X[:, 0]) == 1.0
    assert Reg(offset=1.0).score(X, X[:, 0]) == pytest.approx(1 - 4 / 5)


def test_squared_distances_against_brute_force_and_never_negative():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    brute = ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_allclose(squared_distances(A, B), brute, rtol=1e-12, atol=1e-12)
    same = squared_distances(A * 1e8, A * 1e8)
    assert same.min() >= 0.0
