"""scratchdl.models.GRNN / PNN / loo_mse: conventions, the math, chunking, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.models import GRNN, PNN, loo_mse
from scratchdl.models.base import NotFittedError


def data(n=60, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, d))
    y = np.sin(X).sum(axis=1) + 0.1 * rng.standard_normal(n)
    return X, y


def nadaraya_watson(X_train, y_train, X, sigma):
    """The textbook formula, one query at a time."""
    out = []
    for x in X:
        k = np.exp(-((X_train - x) ** 2).sum(axis=1) / (2 * sigma**2))
        out.append(k @ y_train / k.sum())
    return np.array(out)


def test_constructor_only_stores():
    model = GRNN(sigma=-1, chunk_size=0)
    assert model.sigma == -1 and model.chunk_size == 0
    assert not [name for name in vars(model) if name.endswith("_")]
    assert not [name for name in vars(PNN(sigma=0)) if name.endswith("_")]


def test_grnn_is_nadaraya_watson():
    X, y = data()
    X_new = data(25, seed=1)[0]
    model = GRNN(sigma=0.4)
    assert model.fit(X, y) is model
    np.testing.assert_allclose(model.predict(X_new), nadaraya_watson(X, y, X_new, 0.4),
                               rtol=1e-12)
    assert model.sigma_ == 0.4
    assert model.score(X, y) > 0.9


def test_chunked_prediction_equals_one_chunk_and_handles_far_queries():
    X, y = data()
    X_new = data(100, seed=2)[0]
    whole = GRNN(sigma=0.3, chunk_size=1000).fit(X, y).predict(X_new)
    chunked = GRNN(sigma=0.3, chunk_size=7).fit(X, y).predict(X_new)
    np.testing.assert_allclose(chunked, whole, rtol=1e-14)
    # Far from every training point, naive kernels underflow to 0/0; the GRNN returns
    # the target of the nearest point.
    far = GRNN(sigma=0.01).fit(X, y).predict(np.array([[50.0, 50.0]]))
    nearest = np.argmin(((X - 50) ** 2).sum(axis=1))
    np.testing.assert_allclose(far, y[nearest])


def test_multi_output_targets():
    X, y = data()
    Y = np.stack([y, -2 * y], axis=1)
    pred = GRNN(sigma=0.5).fit(X, Y).predict(X[:5])
    assert pred.shape == (5, 2)
    np.testing.assert_allclose(pred[:, 1], -2 * pred[:, 0], rtol=1e-12)


def test_loo_mse_equals_the_explicit_loop():
    X, y = data(40)
    sigmas = np.array([0.1, 0.3, 1.0])
    explicit = []
    for sigma in sigmas:
        errors = []
        for i in range(len(X)):
            keep = np.arange(len(X)) != i
            errors.append(nadaraya_watson(X[keep], y[keep], X[i:i + 1], sigma)[0] - y[i])
        explicit.append(np.mean(np.square(errors)))
    np.testing.assert_allclose(loo_mse(X, y, sigmas), explicit, rtol=1e-12)
    np.testing.assert_allclose(loo_mse(X, y, sigmas, chunk_size=3), explicit, rtol=1e-12)


def test_sigma_loo_picks_the_grid_minimum():
    X, y = data(80)
    grid = np.geomspace(0.05, 2, 15)
    model = GRNN(sigma="loo", sigma_grid=grid).fit(X, y)
    np.testing.assert_allclose(model.loo_mse_, loo_mse(X, y, grid))
    assert model.sigma_ == grid[np.argmin(model.loo_mse_)]
    assert 0.05 < model.sigma_ < 2
    default = GRNN(sigma="loo").fit(X, y)
    assert default.loo_sigmas_.shape == (40,)


def test_pnn_is_the_grnn_of_one_hot_labels():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) * 2 + 1          # labels 1 and 3
    X_new = rng.standard_normal((20, 2))
    pnn = PNN(sigma=0.5).fit(X, y)
    onehot = np.stack([y == 1, y == 3], axis=1).astype(float)
    np.testing.assert_allclose(pnn.predict_proba(X_new),
                               GRNN(sigma=0.5).fit(X, onehot).predict(X_new), rtol=1e-12)
    np.testing.assert_array_equal(pnn.classes_, [1, 3])
    assert pnn.score(X, y) > 0.9
    # Priors shift the decision: an overwhelming prior on class 3 predicts 3 everywhere.
    biased = PNN(sigma=0.5, priors=[1e-9, 1.0]).fit(X, y)
    assert np.all(biased.predict(X_new) == 3)


@pytest.mark.parametrize("cls", [GRNN, PNN])
def test_unfitted_use_raises(cls):
    with pytest.raises(NotFittedError, match=f"{cls.__name__} is not fitted"):
        cls().predict(np.zeros((2, 2)))


def test_bad_input():
    X, y = data()
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="GRNN: X contains 1 NaN"):
        GRNN().fit(X_nan, y)
    y_nan = y.copy()
    y_nan[2] = np.inf
    with pytest.raises(ValueError, match="GRNN: y contains 1 NaN or infinite"):
        GRNN().fit(X, y_nan)
    with pytest.raises(ValueError, match="y has 59 rows but X has 60"):
        GRNN().fit(X, y[:-1])
    with pytest.raises(ValueError, match="X must have 2 dimensions"):
        GRNN().fit(X[:, 0], y)
    for sigma in (0, -0.5):
        with pytest.raises(ValueError, match=r"GRNN: sigma must be a real number in \(0"):
            GRNN(sigma=sigma).fit(X, y)
        with pytest.raises(ValueError, match=r"PNN: sigma must be a real number in \(0"):
            PNN(sigma=sigma).fit(X, (y > 0).astype(int))
    with pytest.raises(ValueError, match="sigma must be a real number .* or one of .loo."):
        GRNN(sigma="auto").fit(X, y)
    with pytest.raises(ValueError, match="sigma_grid must hold positive"):
        GRNN(sigma="loo", sigma_grid=[0.1, -1.0]).fit(X, y)
    with pytest.raises(ValueError, match="chunk_size must be an integer in"):
        GRNN(chunk_size=0).fit(X, y)
    with pytest.raises(ValueError, match=r"loo_mse: sigma must be in \(0"):
        loo_mse(X, y, [0.1, 0.0])
    with pytest.raises(TypeError, match="PNN: y must hold integer class labels"):
        PNN().fit(X, y)
    with pytest.raises(ValueError, match="priors must be 2 positive"):
        PNN(priors=[1.0]).fit(X, (y > 0).astype(int))
    model = GRNN().fit(X, y)
    stored = model.X_.copy()
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        model.predict(np.zeros((3, 3)))
    np.testing.assert_array_equal(model.X_, stored)


def test_fit_copies_training_data():
    X, y = data()
    model = GRNN().fit(X, y)
    X[:] = 0
    assert np.any(model.X_ != 0)
