"""The two limits of chapter 04's exercise 1, at widths whose square under- or overflows.

The chapter's solution says the tests check them: as sigma -> 0 the GRNN is the
1-nearest-neighbour regressor, as sigma -> infinity the mean of the training targets.
"""

import numpy as np
import pytest

from scratchdl.models import GRNN
from scratchdl.models.grnn import loo_mse


def data(seed=0):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((30, 2)), rng.standard_normal(30)
    return X, y, rng.standard_normal((7, 2))


@pytest.mark.parametrize("sigma", [1e-3, 1e-200])  # sigma**2 positive; sigma**2 = 0
def test_tiny_width_is_the_nearest_neighbour(sigma):
    X, y, queries = data()
    nearest = np.argmin(((queries[:, None, :] - X[None, :, :]) ** 2).sum(axis=2), axis=1)
    with np.errstate(divide="raise", invalid="raise"):  # no 0/0 on the way
        predicted = GRNN(sigma=sigma).fit(X, y).predict(queries)
    np.testing.assert_array_equal(predicted, y[nearest])


@pytest.mark.parametrize("sigma", [1e100, 1e200])  # sigma**2 finite; sigma**2 inf
def test_huge_width_is_the_mean_of_the_targets(sigma):
    X, y, queries = data(1)
    with np.errstate(divide="raise", invalid="raise"):
        predicted = GRNN(sigma=sigma).fit(X, y).predict(queries)
    np.testing.assert_allclose(predicted, np.full(len(queries), y.mean()), rtol=1e-12)


def test_leave_one_out_limits():
    X, y, _ = data(2)
    others_mean = (y.sum() - y) / (len(y) - 1)       # each point predicted from the rest
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(d2, np.inf)
    nearest_other = np.argmin(d2, axis=1)
    tiny, huge = loo_mse(X, y, [1e-200, 1e200])
    np.testing.assert_allclose(tiny, np.mean((y - y[nearest_other]) ** 2), rtol=1e-12)
    np.testing.assert_allclose(huge, np.mean((y - others_mean) ** 2), rtol=1e-12)
