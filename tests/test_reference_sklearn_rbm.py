"""BernoulliRBM against scikit-learn's, given the same weights; and the digits example.

scikit-learn draws its samples from a legacy ``RandomState`` and scratchdl from a
``Generator``, so sampled quantities are compared where the sampling is deterministic
(one feature to flip, saturated probabilities) or by their distribution.
"""

import numpy as np

from scratchdl.models import BernoulliRBM
from tests.oracles import require

sk_rbm = require("sklearn.neural_network")


def twins(n_visible=7, n_hidden=4, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    W = scale * rng.standard_normal((n_hidden, n_visible))
    c = scale * rng.standard_normal(n_hidden)
    b = scale * rng.standard_normal(n_visible)
    ours, theirs = BernoulliRBM(n_hidden, random_state=0), sk_rbm.BernoulliRBM(n_hidden,
                                                                                 random_state=0)
    for model in (ours, theirs):
        model.components_, model.intercept_hidden_, model.intercept_visible_ = (
            W.copy(), c.copy(), b.copy())
    return ours, theirs


def data(n=50, d=7, seed=1):
    return (np.random.default_rng(seed).random((n, d)) < 0.4).astype(float)


def test_transform_and_free_energy_match():
    ours, theirs = twins()
    X = data()
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-12)
    np.testing.assert_allclose(ours.free_energy(X), theirs._free_energy(X), rtol=1e-12)
    X_soft = np.random.default_rng(2).random((20, 7))      # probabilities, not only bits
    np.testing.assert_allclose(ours.transform(X_soft), theirs.transform(X_soft), rtol=1e-12)


def test_pseudo_likelihood_matches():
    # With one feature, both must flip feature 0: the scores are then deterministic.
    ours, theirs = twins(n_visible=1)
    X = data(d=1)
    np.testing.assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=1e-12)
    # With several, flip the features scikit-learn flips and apply our free energy.
    ours, theirs = twins()
    X = data()
    flipped_at = np.random.RandomState(0).randint(0, X.shape[1], X.shape[0])
    X_flip = X.copy()
    X_flip[np.arange(len(X)), flipped_at] = 1 - X_flip[np.arange(len(X)), flipped_at]
    gap = ours.free_energy(X_flip) - ours.free_energy(X)
    np.testing.assert_allclose(X.shape[1] * -np.logaddexp(0, -gap), theirs.score_samples(X),
                               rtol=1e-12)


def test_one_pcd_update_matches():
    # Saturated visible biases make the negative-phase visibles deterministic, so one
    # partial_fit step must move the weights identically.
    ours, theirs = twins(scale=0.3)
    b = np.where(np.arange(7) % 2 == 0, 60.0, -60.0)
    X = data(n=10)
    chains = (np.random.default_rng(3).random((10, 4)) < 0.5).astype(float)
    for model in (ours, theirs):
        model.intercept_visible_ = b.copy()
        model.h_samples_ = chains.copy()
        model.learning_rate = 0.05
    theirs.n_features_in_ = 7
    ours.partial_fit(X)
    theirs.partial_fit(X)
    for name in ("components_", "intercept_hidden_", "intercept_visible_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12,
                                   atol=1e-15)


def test_gibbs_step_has_the_same_distribution():
    ours, theirs = twins()
    V = np.tile(data(n=1), (20_000, 1))
    mean_ours = ours.gibbs(V).mean(axis=0)
    mean_theirs = theirs.gibbs(V).mean(axis=0)
    assert np.abs(mean_ours - mean_theirs).max() < 0.03


def softmax_regression_predict(F_train, y_train, F_test):
    # The chapter's classifier: standardised features, softmax regression, Adam.
    from scratchdl import losses, nn, optim
    from scratchdl.data import StandardScaler
    from scratchdl.train import fit, predict

    scaler = StandardScaler().fit(F_train)
    model = nn.Linear(F_train.shape[1], 10, rng=0)
    optimizer = optim.Adam(model, lr=0.05)
    fit(model, losses.CrossEntropyLoss(), optimizer, scaler.transform(F_train), y_train,
        epochs=300, batch_size=512, rng=0, metrics=(),
        scheduler=optim.CosineAnnealingLR(optimizer, T_max=300))
    return predict(model, scaler.transform(F_test)).argmax(axis=1)


def nudge_with_scipy(X):
    """The scikit-learn example's augmentation: each image shifted by one pixel four ways."""
    ndimage = require("scipy.ndimage")
    kernels = [[[0, 1, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [1, 0, 0], [0, 0, 0]],
               [[0, 0, 0], [0, 0, 1], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 1, 0]]]
    images = X.reshape(-1, 8, 8)
    shifted = [np.array([ndimage.convolve(image, np.array(k), mode="constant")
                         for image in images]) for k in kernels]
    return np.concatenate([images, *shifted]).reshape(-1, 64)


def test_digits_features_as_the_scikit_learn_example():
    """scratchdl's RBM + softmax regression against scikit-learn's example pipeline, on
    the example's data, scaling and split (chapter 09's comparison).

    The example ("Restricted Boltzmann Machine features for digit classification") nudges
    the digits, min-max scales each pixel, holds out 20% with random_state=0, and fits
    LogisticRegression(C=6000) on 100 RBM features and C=100 on raw pixels. Its newton-cg
    solver is run to the default tolerance here (the example's tol=1 is looser).
    """
    datasets = require("sklearn.datasets")
    linear_model = require("sklearn.linear_model")
    model_selection = require("sklearn.model_selection")
    preprocessing = require("sklearn.preprocessing")
    sk_metrics = require("sklearn.metrics")
    from scratchdl.data import load_digits
    from scratchdl.metrics import f1_score

    X, y = load_digits()
    X_sk, y_sk = datasets.load_digits(return_X_y=True)
    np.testing.assert_array_equal(X, X_sk)                   # the same digits, same order
    np.testing.assert_array_equal(y, y_sk)

    # scikit-learn's side, exactly as the example (float32 data).
    X_nudged = preprocessing.minmax_scale(nudge_with_scipy(np.asarray(X, "float32")))
    y_nudged = np.tile(y, 5)
    X_train, X_test, y_train, y_test = model_selection.train_test_split(
        X_nudged, y_nudged, test_size=0.2, random_state=0)
    theirs = sk_rbm.BernoulliRBM(100, learning_rate=0.06, n_iter=10, random_state=0)
    logistic = linear_model.LogisticRegression(solver="newton-cg", C=6000)
    logistic.fit(theirs.fit_transform(X_train), y_train)
    sklearn_f1 = sk_metrics.f1_score(y_test, logistic.predict(theirs.transform(X_test)),
                                     average="macro")
    raw = linear_model.LogisticRegression(solver="newton-cg", C=100).fit(X_train, y_train)
    sklearn_raw_f1 = sk_metrics.f1_score(y_test, raw.predict(X_test), average="macro")

    # The chapter's side: NumPy's legacy RandomState(0) gives scikit-learn's split.
    X64 = nudge_with_scipy(X)
    low, high = X64.min(axis=0), X64.max(axis=0)
    X64 = (X64 - low) / np.where(high > low, high - low, 1)
    order = np.random.RandomState(0).permutation(len(X64))
    test_rows, train_rows = np.split(order, [int(np.ceil(0.2 * len(order)))])
    np.testing.assert_allclose(X64[train_rows], X_train, atol=1e-6)
    np.testing.assert_array_equal(y_nudged[test_rows], y_test)
    ours = BernoulliRBM(100, learning_rate=0.06, n_iter=10, random_state=0)
    ours.fit(X64[train_rows])
    predicted = softmax_regression_predict(ours.transform(X64[train_rows]), y_train,
                                           ours.transform(X64[test_rows]))
    ours_f1 = f1_score(y_test, predicted)
    print(f"macro-F1: scikit-learn RBM features {sklearn_f1:.4f}, raw pixels "
          f"{sklearn_raw_f1:.4f}; scratchdl RBM features {ours_f1:.4f}")
    # The figures chapter 09 quotes for scikit-learn, and "scratchdl's features match".
    assert round(sklearn_f1, 3) == 0.943
    assert round(sklearn_raw_f1, 3) == 0.782
    assert ours_f1 >= sklearn_f1 - 0.002
