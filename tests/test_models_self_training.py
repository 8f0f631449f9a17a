"""scratchdl.models.SelfTrainingClassifier: pseudo-labeling of a small MLP."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import nn
from scratchdl.models import SelfTrainingClassifier
from scratchdl.models.base import NotFittedError


def build(rng):
    return nn.Sequential(nn.Linear(2, 16, rng=rng), nn.ReLU(), nn.Linear(16, 3, rng=rng))


def data():
    rng = np.random.default_rng(0)
    centers = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    y_true = np.repeat(np.arange(3), 50)
    X = centers[y_true] + 0.6 * rng.standard_normal((150, 2))
    y = np.full(len(y_true), -1)
    for k in range(3):
        y[np.flatnonzero(y_true == k)[:2]] = k
    return X, 2 * y_true + 1, np.where(y >= 0, 2 * y + 1, -1)   # labels 1, 3, 5


def make(**kwargs):
    settings = dict(threshold=0.9, max_iter=3, epochs=30, batch_size=16, lr=0.02,
                    random_state=0) | kwargs
    return SelfTrainingClassifier(build, **settings)


def test_constructor_only_stores():
    model = SelfTrainingClassifier(build, threshold=5)
    assert model.threshold == 5 and model.build_model is build
    assert not [name for name in vars(model) if name.endswith("_")]


def test_pseudo_labels_spread_and_are_correct():
    X, y_true, y = data()
    model = make()
    assert model.fit(X, y) is model
    np.testing.assert_array_equal(model.classes_, [1, 3, 5])
    given = y >= 0
    np.testing.assert_array_equal(model.transduction_[given], y[given])
    assert np.all(model.labeled_iter_[given] == 0)
    pseudo = model.labeled_iter_ > 0
    assert pseudo.sum() > 100
    assert np.mean(model.transduction_[pseudo] == y_true[pseudo]) > 0.95
    assert model.score(X, y_true) > 0.95
    assert model.predict_proba(X[:4]).shape == (4, 3)
    assert 1 <= model.n_iter_ <= 3


def test_deterministic_given_a_seed():
    X, _, y = data()
    a, b = make().fit(X, y), make().fit(X, y)
    np.testing.assert_array_equal(a.transduction_, b.transduction_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_threshold_one_adds_nothing_and_max_iter_zero_is_supervised():
    X, _, y = data()
    strict = make(threshold=1.0).fit(X, y)
    supervised = make(max_iter=0).fit(X, y)
    assert supervised.n_iter_ == 0 and supervised.termination_condition_ == "max_iter"
    np.testing.assert_array_equal(supervised.transduction_, y)
    assert strict.termination_condition_ in ("no_change", "all_labeled", "max_iter")


def test_unfitted_and_bad_input():
    X, _, y = data()
    with pytest.raises(NotFittedError, match="SelfTrainingClassifier is not fitted"):
        make().predict(X)
    with pytest.raises(ValueError, match=r"threshold must be a real number in \(0"):
        make(threshold=0).fit(X, y)
    with pytest.raises(ValueError, match="no|labels >= 0"):
        make().fit(X, np.full(len(y), -1))
    with pytest.raises(TypeError, match="y must be an"):
        make().fit(X, y.astype(float))
    with pytest.raises(ValueError, match="rows but X has"):
        make().fit(X, y[:-1])
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        make().fit(X_nan, y)
    with pytest.raises(TypeError, match="build_model must be a callable"):
        SelfTrainingClassifier(None).fit(X, y)
