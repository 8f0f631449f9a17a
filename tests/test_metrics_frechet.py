"""frechet_distance against scipy.linalg.sqrtm, closed forms, and bad input."""

import numpy as np
import pytest

from scratchdl.metrics import frechet_distance
from tests.oracles import require


def test_frechet_distance_matches_the_formula_with_scipy_sqrtm():
    linalg = require("scipy.linalg")
    rng = np.random.default_rng(0)
    for d in (1, 3, 12):
        X = rng.standard_normal((200, d)) @ rng.standard_normal((d, d))
        Y = 0.5 + rng.standard_normal((150, d)) @ rng.standard_normal((d, d))
        cov_x = np.atleast_2d(np.cov(X, rowvar=False))
        cov_y = np.atleast_2d(np.cov(Y, rowvar=False))
        root = linalg.sqrtm(cov_x @ cov_y).real
        gap = X.mean(axis=0) - Y.mean(axis=0)
        expected = gap @ gap + np.trace(cov_x + cov_y - 2 * root)
        assert frechet_distance(X, Y) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_frechet_distance_closed_forms():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((500, 4))
    assert frechet_distance(X, X) == pytest.approx(0.0, abs=1e-9)
    # A shift adds its squared length and nothing else.
    assert frechet_distance(X, X + [1.0, 2.0, 0.0, -2.0]) == pytest.approx(9.0, rel=1e-9)
    # One dimension: (m1 - m2)^2 + (s1 - s2)^2 with the sample standard deviations.
    a, b = rng.normal(1.0, 2.0, (300, 1)), rng.normal(-1.0, 0.5, (400, 1))
    expected = (a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-10)
    # Symmetric, and float32 input gives the float64 answer of the same numbers.
    Y = rng.standard_normal((300, 4)) * 2
    assert frechet_distance(X, Y) == pytest.approx(frechet_distance(Y, X), rel=1e-9)
    X32 = X.astype(np.float32)
    assert frechet_distance(X32, Y) == pytest.approx(frechet_distance(X32.astype(float), Y))


def test_frechet_distance_of_a_rank_deficient_covariance_is_finite_and_non_negative():
    rng = np.random.default_rng(2)
    X = np.repeat(rng.standard_normal((100, 1)), 3, axis=1)   # rank-1 covariance
    Y = rng.standard_normal((100, 3))
    value = frechet_distance(X, Y)
    assert np.isfinite(value) and value > 0
    assert frechet_distance(X, X) == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("X, Y, error, words", [
    ([[0.0, 1.0], [1.0, 0.0]], np.zeros((3, 2)), TypeError, "X must be a numpy array"),
    (np.zeros((3, 2), dtype=int), np.zeros((3, 2)), TypeError, "dtype"),
    (np.zeros((1, 2)), np.zeros((3, 2)), ValueError, "N, M >= 2"),
    (np.zeros((3, 2)), np.zeros((3, 3)), ValueError, "same"),
    (np.zeros(3), np.zeros((3, 1)), ValueError, "X"),
    (np.array([[0.0, np.nan], [1.0, 2.0]]), np.zeros((3, 2)), ValueError, "X"),
])
def test_frechet_distance_refuses_bad_input(X, Y, error, words):
    with pytest.raises(error, match=words) as info:
        frechet_distance(X, Y)
    assert str(info.value).startswith("frechet_distance")
