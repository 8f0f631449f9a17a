"""What every estimator of chapters 02-04 promises, tested across them, grouped by kind.

* conventions: parameters from the constructor (``get_params``, ``set_params``, ``repr``),
  ``score`` through :mod:`scratchdl.metrics`;
* a call that raises changes nothing: refitting with a bad parameter or bad data leaves
  the fitted attributes as they were;
* extreme hyperparameters never give NaN or an all-zero distribution that then
  predicts class 0: they are handled (the mathematical limit) or refused clearly.
"""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import metrics, nn
from scratchdl.data import make_moons
from scratchdl.models import (
    GRNN,
    PNN,
    SOM,
    KMeans,
    LabelPropagation,
    LabelSpreading,
    SelfTrainingClassifier,
    loo_mse,
)
from scratchdl.models.base import BaseEstimator
from scratchdl.models.kmeans import lloyd_step
from scratchdl.models.som import HEX_COLUMN_SPACING, grid_positions, neighborhood


def moons(n=60, seed=0):
    return make_moons(n, noise=0.1, rng=seed)


def partial(y, per_class=2):
    given = np.full(len(y), -1)
    for c in np.unique(y):
        given[np.flatnonzero(y == c)[:per_class]] = c
    return given


def tiny_mlp(rng):
    return nn.Sequential(nn.Linear(2, 8, rng=rng), nn.ReLU(), nn.Linear(8, 2, rng=rng))


def fitted(name):
    """A fitted estimator of each kind, with the data to refit it."""
    X, y = moons()
    if name == "SOM":
        return SOM(3, 3, n_iterations=50, random_state=0), X, None
    if name == "KMeans":
        return KMeans(3, random_state=0), X, None
    if name == "GRNN":
        return GRNN(sigma=0.3), X, y.astype(float)
    if name == "PNN":
        return PNN(sigma=0.3), X, y
    if name == "LabelPropagation":
        return LabelPropagation(), X, partial(y)
    if name == "LabelSpreading":
        return LabelSpreading(), X, partial(y)
    return (SelfTrainingClassifier(tiny_mlp, max_iter=1, epochs=2, random_state=0), X,
            partial(y))


NAMES = ["SOM", "KMeans", "GRNN", "PNN", "LabelPropagation", "LabelSpreading",
         "SelfTrainingClassifier"]
# One bad value per estimator, of a parameter its constraints refuse.
BAD = {"SOM": ("sigma", -1.0), "KMeans": ("n_clusters", 0), "GRNN": ("sigma", "auto"),
       "PNN": ("chunk_size", 0), "LabelPropagation": ("gamma", 0.0),
       "LabelSpreading": ("alpha", 1.0), "SelfTrainingClassifier": ("threshold", 1.5)}


def learned(estimator):
    return {k: v.copy() if isinstance(v, np.ndarray) else v
            for k, v in vars(estimator).items() if k.endswith("_")}


def same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray):
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        elif not isinstance(a[key], nn.Module):
            assert a[key] == b[key], key


# ------------------------------------------------------------------------ conventions
@pytest.mark.parametrize("name", NAMES)
def test_parameters_come_from_the_constructor(name):
    estimator, _, _ = fitted(name)
    assert isinstance(estimator, BaseEstimator)
    params = estimator.get_params()
    assert set(params) >= {BAD[name][0]}
    assert estimator.set_params(**{BAD[name][0]: params[BAD[name][0]]}) is estimator
    assert repr(estimator).startswith(f"{name}(")
    with pytest.raises(ValueError, match=f"{name}.set_params: unknown parameter 'nonsense'"):
        estimator.set_params(nonsense=1)


@pytest.mark.parametrize("name", ["PNN", "LabelPropagation", "LabelSpreading",
                                  "SelfTrainingClassifier"])
def test_classifier_score_is_metrics_accuracy(name):
    estimator, X, y = fitted(name)
    estimator.fit(X, y)
    _, y_true = moons()
    assert estimator.score(X, y_true) == metrics.accuracy(y_true, estimator.predict(X))


def test_regressor_score_is_metrics_r2():
    estimator, X, y = fitted("GRNN")
    estimator.fit(X, y)
    assert estimator.score(X, y) == metrics.r2_score(y, estimator.predict(X))


# ------------------------------------------------------- a call that raises changes nothing
@pytest.mark.parametrize("name", NAMES)
def test_refit_with_a_bad_parameter_changes_nothing(name):
    estimator, X, y = fitted(name)
    estimator.fit(X) if y is None else estimator.fit(X, y)
    before = learned(estimator)
    parameter, value = BAD[name]
    estimator.set_params(**{parameter: value})
    with pytest.raises(ValueError, match=f"{name}: {parameter} must be"):
        estimator.fit(X) if y is None else estimator.fit(X, y)
    same(before, learned(estimator))


# A value past the distance range is refused by every estimator that computes distances
# (SelfTrainingClassifier computes none: its network's training reports the divergence).
BAD_VALUES = [(name, value, match) for name in NAMES
              for value, match in [(np.nan, "NaN"), (np.inf, "infinite"),
                                   (1e200, "squared distances between its rows would "
                                           "overflow")]
              if not (name == "SelfTrainingClassifier" and value == 1e200)]


@pytest.mark.parametrize("name,value,match", BAD_VALUES)
def test_refit_with_bad_data_changes_nothing(name, value, match):
    estimator, X, y = fitted(name)
    estimator.fit(X) if y is None else estimator.fit(X, y)
    before = learned(estimator)
    bad = X.copy()
    bad[3, 1] = value
    with pytest.raises(ValueError, match=f"{name}: X .*{match}"):
        estimator.fit(bad) if y is None else estimator.fit(bad, y)
    same(before, learned(estimator))


@pytest.mark.parametrize("name", [n for n in NAMES if n != "SelfTrainingClassifier"])
def test_predict_refuses_what_fit_refuses(name):
    estimator, X, y = fitted(name)
    estimator.fit(X) if y is None else estimator.fit(X, y)
    for bad, match in [(X[:0], "at least one"), (X[:, :1], "features|shape"),
                       (X * 1e200, "would overflow"), (np.full_like(X, np.nan), "NaN")]:
        with pytest.raises(ValueError, match=f"{name}: X .*({match})"):
            estimator.predict(bad)


@pytest.mark.parametrize("sigmas,error,match", [
    ([], ValueError, "sigmas must hold at least one width"),
    ([0.1, np.nan], ValueError, "sigmas contains 1 NaN"),
    ("wide", TypeError, "sigmas must be a numpy array"),
    ([[0.1]], ValueError, "sigmas must have 1 dimensions"),
    ([0.1, 0.0], ValueError, r"sigma must be in \(0"),
])
def test_loo_mse_refuses_bad_widths(sigmas, error, match):
    X, y = moons()
    with pytest.raises(error, match=f"loo_mse: {match}"):
        loo_mse(X, y.astype(float), sigmas)


# ------------------------------------------------------------- extreme hyperparameters
@pytest.mark.parametrize("function", ["gaussian", "mexican_hat", "bubble"])
def test_som_radius_whose_square_underflows_moves_only_the_winner(function):
    h = neighborhood(np.array([0.0, 1.0, 2.0]), 1e-200, function)
    np.testing.assert_array_equal(h, [1.0, 0.0, 0.0])
    X, _ = moons()
    som = SOM(3, 3, sigma=1e-200, neighborhood_function=function, n_iterations=100,
              random_state=0).fit(X)
    assert np.all(np.isfinite(som.weights_))


def test_som_learning_rate_that_overflows_raises_and_changes_nothing():
    X, _ = moons()
    som = SOM(3, 3, n_iterations=50, random_state=0).fit(X)
    before = learned(som)
    som.set_params(learning_rate=1e300, n_iterations=20)
    with pytest.raises(FloatingPointError, match=r"SOM\(.*\): training made the weights "
                                                 r"non-finite .*lower learning_rate"):
        som.fit(X)
    same(before, learned(som))


def test_grnn_limits_of_the_width_instead_of_nan():
    X, y = moons()
    y = y.astype(float) + X[:, 0]
    queries = X[:5] + 0.01
    nearest = GRNN(sigma=1e-200).fit(X, y).predict(queries)       # 1-nearest neighbour
    d2 = ((queries[:, None] - X[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(nearest, y[d2.argmin(axis=1)])
    flat = GRNN(sigma=1e200).fit(X, y).predict(queries)           # the mean of the targets
    np.testing.assert_allclose(flat, y.mean(), rtol=1e-12)
    far = GRNN(sigma=0.01).fit(X, y).predict(np.array([[1e3, 1e3]]))
    assert np.all(np.isfinite(far))


def test_pnn_far_query_and_tiny_width_give_a_posterior_not_class_zero():
    X, y = moons()
    pnn = PNN(sigma=1e-3).fit(X, y)
    # Far from everything: a real posterior (the nearest training point's class wins).
    far = np.array([[50.0, 50.0]])
    proba = pnn.predict_proba(far)
    assert np.all(np.isfinite(proba)) and proba.sum() == pytest.approx(1.0)
    nearest_class = y[((X - far) ** 2).sum(1).argmin()]
    assert pnn.predict(far)[0] == nearest_class
    tiny = PNN(sigma=1e-200).fit(X, y)
    assert np.all(np.isfinite(tiny.predict_proba(X[:10] + 0.01)))


def test_pnn_refuses_a_zero_prior():
    X, y = moons()
    with pytest.raises(ValueError, match="PNN: priors must be 2 positive numbers"):
        PNN(priors=[0.0, 1.0]).fit(X, y)


@pytest.mark.parametrize("cls", [LabelPropagation, LabelSpreading])
def test_points_no_label_reaches_are_minus_one_not_class_zero(cls):
    X, y = moons()
    given = partial(y, per_class=1)
    # gamma so large that every edge between distinct points underflows to 0.
    model = cls(gamma=1e12, method="closed_form").fit(X, given)
    labeled = given >= 0
    np.testing.assert_array_equal(model.transduction_[labeled], given[labeled])
    assert np.all(model.transduction_[~labeled] == -1)
    assert np.all(model.label_distributions_[~labeled] == 0)


def test_label_propagation_far_query_uses_its_nearest_points():
    X, y = moons()
    model = LabelPropagation(gamma=20, method="closed_form").fit(X, partial(y))
    far = np.array([[30.0, 0.0]])  # exp(-20 * 900) underflows for every training point
    proba = model.predict_proba(far)
    assert np.all(np.isfinite(proba)) and proba.sum() == pytest.approx(1.0)
    nearest = ((X - far) ** 2).sum(1).argmin()
    assert model.predict(far)[0] == model.transduction_[nearest]


# ------------------------------------------------------------- displayed helpers
def test_lloyd_step_is_one_kmeans_iteration():
    X, _ = moons()
    start = X[:4].copy()
    labels, centers = lloyd_step(X, start)
    one = KMeans(4, init=start.copy(), max_iter=1).fit(X)
    np.testing.assert_array_equal(one.labels_, labels)
    np.testing.assert_array_equal(one.cluster_centers_, centers)
    np.testing.assert_array_equal(start, X[:4])  # the input is not modified


def test_hexagonal_columns_are_sqrt3_over_2_apart():
    positions = grid_positions(3, 4, "hexagonal")
    columns = np.unique(positions[:, 1])
    np.testing.assert_allclose(np.diff(columns), HEX_COLUMN_SPACING, rtol=1e-15)
    assert HEX_COLUMN_SPACING == pytest.approx(np.sqrt(3) / 2)
    rows_of_column_0 = positions[positions[:, 1] == 0, 0]
    np.testing.assert_allclose(np.diff(rows_of_column_0), 1.0)  # rows stay 1 apart


# ------------------------------------------------------------- sizes refused up front
def test_sizes_past_the_allocation_cap_are_refused_before_allocating():
    X, y = moons()
    with pytest.raises(ValueError, match=r"SOM\(.*\): the weights of shape .* more than"):
        SOM(100_000, 100_000).fit(X)
    huge = np.broadcast_to(np.zeros((1, 2)), (50_000, 2))  # a view: no memory used yet
    with pytest.raises(ValueError, match="LabelSpreading: the dense graph of shape"):
        LabelSpreading().fit(huge, np.r_[0, np.full(49_999, -1)])
