"""Unit tests of the self-organizing map and its k-means limit."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl._validation import NonFiniteError
from scratchdl.models import SOM, KMeans
from scratchdl.models.base import NotFittedError
from scratchdl.models.som import decay, grid_positions


def blobs(n=90, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 1.0], [0.0, 4.0, -1.0]])
    return centres[np.arange(n) % 3] + 0.3 * rng.standard_normal((n, 3))


# ---------------------------------------------------------------- estimator conventions
def test_constructor_only_stores():
    som = SOM(3, 4, sigma=-5, topology="nonsense", initialization="whatever")
    assert som.sigma == -5 and som.topology == "nonsense"
    assert not [name for name in vars(som) if name.endswith("_")]
    assert som.get_params()["grid_cols"] == 4


def test_fit_returns_self_and_sets_learned_attributes():
    X = blobs()
    som = SOM(4, 5, sigma=1.5, n_iterations=200, random_state=0)
    assert som.fit(X) is som
    assert som.weights_.shape == (4, 5, 3) and som.initial_weights_.shape == (4, 5, 3)
    assert som.positions_.shape == (20, 2) and som.n_features_in_ == 3
    assert som.sigma_history_.shape == som.learning_rate_history_.shape == (200,)
    assert som.sigma_history_[0] == 1.5 and som.learning_rate_history_[0] == 0.5


@pytest.mark.parametrize("method", ["predict", "transform", "quantization_error",
                                    "topographic_error", "hit_map"])
def test_unfitted_use_raises(method):
    with pytest.raises(NotFittedError, match="not fitted"):
        getattr(SOM(2, 2), method)(blobs())
    with pytest.raises(NotFittedError):
        SOM(2, 2).u_matrix()


def test_same_random_state_same_map_and_different_seed_different_map():
    X = blobs()
    a = SOM(4, 4, n_iterations=100, random_state=3).fit(X).weights_
    b = SOM(4, 4, n_iterations=100, random_state=3).fit(X).weights_
    c = SOM(4, 4, n_iterations=100, random_state=4).fit(X).weights_
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-3


def test_transform_predict_and_hit_map_agree():
    X = blobs()
    som = SOM(3, 5, sigma=1.0, n_iterations=300, random_state=0).fit(X)
    coords, flat = som.transform(X), som.predict(X)
    assert coords.shape == (90, 2) and np.issubdtype(coords.dtype, np.integer)
    np.testing.assert_array_equal(coords[:, 0] * 5 + coords[:, 1], flat)
    assert som.hit_map(X).sum() == 90
    np.testing.assert_array_equal(som.fit_transform(X), som.transform(X))


def test_errors_are_small_on_clusters_and_in_range():
    X = blobs()
    som = SOM(6, 6, sigma=2.0, n_iterations=2000, random_state=0).fit(X)
    assert som.quantization_error(X) < 0.6
    assert 0.0 <= som.topographic_error(X) <= 0.2
    u = som.u_matrix()
    assert u.shape == (6, 6) and u.max() == 1.0 and u.min() >= 0


def test_quantization_error_by_hand():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 0.0]])
    som = SOM(1, 2, initialization=np.array([[[0.0, 0.0], [3.0, 0.0]]]),
              learning_rate=1e-300, n_iterations=1, random_order=False).fit(X)
    # Distances to the nearest unit: 0, sqrt(2), 0.
    assert som.quantization_error(X) == pytest.approx(np.sqrt(2) / 3, rel=1e-12)
    assert som.topographic_error(X) == 0.0  # the two units are neighbours
    assert np.isnan(SOM(1, 1, n_iterations=1).fit(X).topographic_error(X))


def test_hexagonal_neighbours_are_at_distance_one():
    positions = grid_positions(5, 6, "hexagonal")
    distances = np.sqrt(((positions[:, None] - positions[None]) ** 2).sum(axis=2))
    neighbours = np.isclose(distances, 1.0).sum(axis=1)
    assert neighbours.max() == 6 and neighbours.min() >= 2
    assert distances[~np.eye(30, dtype=bool)].min() == pytest.approx(1.0)


def test_schedules():
    t = np.arange(101)
    assert decay("asymptotic_decay", 3.0, 100, 100) == pytest.approx(1.0)
    assert decay("linear_decay_to_zero", 0.5, 100, 100) == 0
    assert decay("linear_decay_to_one", 4.0, 100, 100) == pytest.approx(1.0)
    assert decay("inverse_decay_to_one", 4.0, 100, 100) == pytest.approx(1.0)
    assert decay("exponential_decay", 2.0, 100, 100) == pytest.approx(0.02)
    assert decay("constant", 2.0, t, 100).tolist() == [2.0] * 101
    for name in ("asymptotic_decay", "inverse_decay_to_zero", "exponential_decay"):
        assert np.all(np.diff(decay(name, 1.0, t, 100)) < 0)
    with pytest.raises(ValueError, match="unknown schedule"):
        decay("cosine", 1.0, 0, 10)


@pytest.mark.parametrize("neighborhood", ["gaussian", "bubble", "mexican_hat"])
@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
@pytest.mark.parametrize("training", ["online", "batch"])
def test_every_combination_trains(neighborhood, topology, training):
    X = blobs()
    som = SOM(4, 4, sigma=2.0, neighborhood_function=neighborhood, topology=topology,
              training=training, n_iterations=300 if training == "online" else 10,
              learning_rate=0.5, initialization="pca", random_state=0).fit(X)
    assert np.all(np.isfinite(som.weights_))
    assert som.quantization_error(X) < som.fit(X).quantization_error(X) + 1e-12  # determinism


def test_pca_initialization_spans_the_principal_plane():
    X = blobs()
    som = SOM(3, 4, initialization="pca", n_iterations=1, learning_rate=1e-300).fit(X)
    corners = som.initial_weights_
    np.testing.assert_allclose(corners.mean(axis=(0, 1)), X.mean(axis=0), atol=1e-12)
    # Along the rows the weights move by the unit first principal axis, 2 in total.
    assert np.linalg.norm(corners[-1, 0] - corners[0, 0]) == pytest.approx(2.0)


# ---------------------------------------------------------------- the k-means limit
def test_batch_som_with_vanishing_radius_is_kmeans():
    """With sigma -> 0 each unit only averages the samples it wins: Lloyd's step."""
    X = blobs(120, seed=1)
    init = X[[0, 1, 2, 3, 4, 5]].reshape(2, 3, 3)
    som = SOM(2, 3, sigma=1e-3, learning_rate=1.0, training="batch",
              decay_function="constant", sigma_decay_function="constant", n_iterations=30,
              initialization=init).fit(X)
    km = KMeans(6, init=init.reshape(6, 3).copy(), max_iter=30).fit(X)
    np.testing.assert_allclose(som.weights_.reshape(6, 3), km.cluster_centers_,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(som.predict(X), km.labels_)


def test_kmeans_basics():
    X = blobs()
    km = KMeans(3, init=X[:3].copy()).fit(X)  # one start in each blob
    assert km.cluster_centers_.shape == (3, 3) and km.n_iter_ >= 1
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    assert km.inertia_ < 0.3 ** 2 * 3 * 90 * 1.5  # about the noise variance per point
    with pytest.raises(NotFittedError):
        KMeans(2).predict(X)
    with pytest.raises(ValueError, match="fewer than n_clusters"):
        KMeans(5).fit(X[:3])
    with pytest.raises(ValueError, match="init must have shape"):
        KMeans(2, init=np.zeros((3, 3))).fit(X)
    with pytest.raises(ValueError, match="n_clusters"):
        KMeans(0).fit(X)
    with pytest.raises(ValueError, match=r"KMeans: X must have shape \(N, 3\) like the"):
        km.predict(X[:, :2])


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("params,error,match", [
    (dict(grid_rows=0), ValueError, "grid_rows"),
    (dict(grid_cols=0), ValueError, "grid_cols"),
    (dict(grid_rows=2.5), ValueError, "grid_rows"),
    (dict(sigma=0.0), ValueError, "sigma"),
    (dict(sigma=-1.0), ValueError, "sigma"),
    (dict(sigma=float("nan")), ValueError, "sigma"),
    (dict(learning_rate=0.0), ValueError, "learning_rate"),
    (dict(n_iterations=0), ValueError, "n_iterations"),
    (dict(neighborhood_function="triangle"), ValueError, "neighborhood_function"),
    (dict(topology="toroidal"), ValueError, "topology"),
    (dict(activation_distance="cosine"), ValueError, "activation_distance"),
    (dict(decay_function="inverse_decay_to_one"), ValueError, "decay_function"),
    (dict(sigma_decay_function="linear_decay_to_zero"), ValueError, "sigma_decay_function"),
    (dict(training="minibatch"), ValueError, "training"),
    (dict(random_order=1), ValueError, "random_order"),
    (dict(random_state="seed"), ValueError, "random_state"),
    (dict(initialization="kmeans++"), ValueError, "initialization"),
    (dict(initialization=np.zeros((2, 2, 2))), ValueError, "initialization"),
    (dict(initialization=np.full((2, 2, 3), np.nan)), NonFiniteError, "initialization"),
])
def test_bad_hyperparameters(params, error, match):
    settings = dict(grid_rows=2, grid_cols=2) | params
    with pytest.raises(error, match=match):
        SOM(**settings).fit(blobs())


@pytest.mark.parametrize("X,error,match", [
    (np.full((4, 3), np.nan), NonFiniteError, "NaN"),
    (np.array([[1.0, np.inf]]), NonFiniteError, "NaN or infinite"),
    (np.zeros(5), ValueError, "2 dimensions"),
    (np.zeros((0, 3)), ValueError, "at least one sample"),
    (np.zeros((3, 0)), ValueError, "at least one"),
    (np.zeros((3, 2), dtype=np.int64), TypeError, "float"),
    ([[0.0, 1.0]], TypeError, "numpy array"),
])
def test_bad_data(X, error, match):
    with pytest.raises(error, match=match):
        SOM(2, 2).fit(X)


def test_pca_needs_two_features():
    with pytest.raises(ValueError, match="pca"):
        SOM(2, 2, initialization="pca").fit(np.zeros((5, 1)))


def test_wrong_feature_count_after_fit_and_nothing_mutated():
    X = blobs()
    som = SOM(3, 3, n_iterations=50, random_state=0).fit(X)
    before = som.weights_.copy()
    with pytest.raises(ValueError, match="2 features, but the map was fitted with 3"):
        som.transform(X[:, :2])
    with pytest.raises(NonFiniteError):
        som.quantization_error(np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="scaling"):
        som.u_matrix("max")
    np.testing.assert_array_equal(som.weights_, before)
    # A failed refit leaves the fitted map as it was.
    with pytest.raises(ValueError):
        SOM.fit(som, np.zeros((0, 3)))
    np.testing.assert_array_equal(som.weights_, before)


def test_input_and_initialization_are_not_modified():
    X = blobs()
    X_copy = X.copy()
    init = X[:4].reshape(2, 2, 3).copy()
    init_copy = init.copy()
    SOM(2, 2, initialization=init, n_iterations=100).fit(X)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(init, init_copy)


def test_refit_with_other_feature_count():
    som = SOM(2, 2, n_iterations=10, random_state=0).fit(blobs())
    som.fit(blobs()[:, :2])
    assert som.n_features_in_ == 2 and som.weights_.shape == (2, 2, 2)


def test_random_initialization_and_random_order_are_seeded():
    X = blobs()
    som = SOM(3, 3, n_iterations=5, learning_rate=1e-300, random_state=0).fit(X)
    # Every initial weight vector is one of the samples.
    flat = som.initial_weights_.reshape(9, 3)
    assert all(np.any(np.all(X == w, axis=1)) for w in flat)
    ordered = SOM(3, 3, n_iterations=90, random_order=False, initialization=som.initial_weights_)
    shuffled = SOM(3, 3, n_iterations=90, random_order=True, initialization=som.initial_weights_,
                   random_state=1)
    assert np.abs(ordered.fit(X).weights_ - shuffled.fit(X).weights_).max() > 1e-6
