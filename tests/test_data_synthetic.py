"""scratchdl.data.synthetic: the 2-D generators (shapes, balance, geometry, bad arguments)."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.data import (
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
)

GENERATORS = [make_moons, make_circles, make_spirals, make_blobs, make_xor]


# -- generators ------------------------------------------------------------------------------
@pytest.mark.parametrize("make", GENERATORS)
def test_generator_shapes_dtypes_and_determinism(make):
    X, y = make(90, noise=0.1, rng=3) if make is not make_blobs else make(90, rng=3)
    assert X.shape == (90, 2) and X.dtype == np.float64
    assert y.shape == (90,) and y.dtype == np.int64
    assert np.all(np.isfinite(X))
    X2, y2 = make(90, noise=0.1, rng=3) if make is not make_blobs else make(90, rng=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(90, noise=0.1, rng=4) if make is not make_blobs else make(90, rng=4)
    assert not np.array_equal(X, X3)


@pytest.mark.parametrize("make", [make_moons, make_circles])
def test_two_class_generators_are_balanced_and_shuffled(make):
    _, y = make(101, rng=0)
    assert np.bincount(y).tolist() == [50, 51]
    assert not np.all(np.diff(y) >= 0), "samples should be shuffled, not sorted by class"
    _, y_sorted = make(101, rng=0, shuffle=False)
    assert np.all(np.diff(y_sorted) >= 0)


def test_moons_geometry_without_noise():
    X, y = make_moons(200, rng=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert upper[:, 1].min() >= 0 and lower[:, 1].max() <= 0.5


def test_circles_geometry_without_noise():
    X, y = make_circles(200, factor=0.3, rng=0)
    radius = np.hypot(*X.T)
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)
    assert len(np.unique(np.round(X, 12), axis=0)) == 200, "no point may appear twice"


def test_spirals_arms_are_rotated_copies():
    X, y = make_spirals(300, n_classes=3, rng=0, shuffle=False)
    assert np.bincount(y).tolist() == [100, 100, 100]
    assert np.hypot(*X.T).max() <= 1 + 1e-12
    rotation = 2 * np.pi / 3
    c, s = np.cos(rotation), np.sin(rotation)
    np.testing.assert_allclose(X[y == 0] @ np.array([[c, s], [-s, c]]), X[y == 1], atol=1e-12)
    _, y = make_spirals(10, n_classes=4, rng=0)
    assert np.bincount(y).tolist() == [3, 3, 2, 2]


def test_blobs_with_given_centres():
    centres = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]])
    X, y = make_blobs(400, centers=centres, cluster_std=[0.1, 0.5], rng=0)
    assert X.shape == (400, 3)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), centres[0], atol=0.05)
    np.testing.assert_allclose(X[y == 1].std(axis=0), 0.5, rtol=0.2)
    X, y = make_blobs(30, centers=4, n_features=5, rng=1)
    assert X.shape == (30, 5) and np.bincount(y).tolist() == [8, 8, 7, 7]


def test_xor_labels_follow_the_quadrants():
    X, y = make_xor(500, rng=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    assert np.abs(X).max() <= 1


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: make_moons(1), "n_samples"),
        (lambda: make_moons(10.5), "n_samples"),
        (lambda: make_moons(True), "n_samples"),
        (lambda: make_moons(10, noise=-0.1), "noise"),
        (lambda: make_moons(10, noise=float("nan")), "noise"),
        (lambda: make_circles(10, factor=1.0), "factor"),
        (lambda: make_spirals(10, n_classes=1), "n_classes"),
        (lambda: make_spirals(2, n_classes=3), "n_samples"),
        (lambda: make_spirals(10, turns=0), "turns"),
        (lambda: make_blobs(10, centers=0), "centers"),
        (lambda: make_blobs(10, centers=np.zeros(3)), "centers"),
        (lambda: make_blobs(10, centers=2, cluster_std=[1.0, 2.0, 3.0]), "cluster_std"),
        (lambda: make_blobs(10, cluster_std=-1.0), "cluster_std"),
        (lambda: make_blobs(10, center_box=(1, 0)), "center_box"),
        (lambda: make_xor(0), "n_samples"),
        (lambda: make_moons(10, rng="seed"), "rng"),
    ],
)
def test_generators_reject_bad_arguments(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


def test_failed_validation_draws_nothing_from_the_generator():
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    with pytest.raises(ValueError, match="cluster_std"):
        make_blobs(10, centers=2, cluster_std=[1.0, -1.0], rng=rng)
    assert rng.bit_generator.state == before
