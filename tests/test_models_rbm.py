"""BernoulliRBM against brute force: energies, conditionals, log Z, gradients, AIS, CD."""

import numpy as np
import pytest

from scratchdl.models import BernoulliRBM
from scratchdl.models.base import NotFittedError
from scratchdl.models.rbm import MAX_EXACT_UNITS, ais_betas


def random_rbm(n_visible, n_hidden, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    rbm = BernoulliRBM(n_hidden, random_state=seed)
    rbm.components_ = scale * rng.standard_normal((n_hidden, n_visible))
    rbm.intercept_hidden_ = scale * rng.standard_normal(n_hidden)
    rbm.intercept_visible_ = scale * rng.standard_normal(n_visible)
    return rbm


def states(n):
    return np.array([[(code >> (n - 1 - i)) & 1 for i in range(n)] for code in range(2**n)],
                    dtype=float)


def joint_log_weights(rbm):
    """-E(v, h) for every (v, h) pair: rows v, columns h."""
    W, c, b = rbm.components_, rbm.intercept_hidden_, rbm.intercept_visible_
    V, Hs = states(W.shape[1]), states(W.shape[0])
    return (V @ b)[:, None] + (Hs @ c)[None, :] + V @ W.T @ Hs.T, V, Hs


def log_sum_exp(a, axis=None):
    m = np.max(a)
    return m + np.log(np.exp(a - m).sum(axis=axis))


@pytest.fixture
def tiny():
    return random_rbm(5, 3, scale=1.0, seed=1)


def test_free_energy_and_log_partition_by_brute_force(tiny):
    neg_e, V, _ = joint_log_weights(tiny)
    brute_free = -log_sum_exp(neg_e, axis=1)
    np.testing.assert_allclose(tiny.free_energy(V), brute_free, rtol=0, atol=1e-12)
    log_z = log_sum_exp(neg_e)
    assert abs(tiny.log_partition("exact") - log_z) < 1e-12
    np.testing.assert_allclose(tiny.log_likelihood(V), -brute_free - log_z, atol=1e-12)
    # The probabilities of all visible states sum to one.
    assert abs(np.exp(tiny.log_likelihood(V)).sum() - 1) < 1e-12


def test_exact_log_partition_sums_over_either_layer():
    wide = random_rbm(3, 6, seed=2)      # sums over the visible layer
    tall = random_rbm(6, 3, seed=3)      # sums over the hidden layer
    for rbm in (wide, tall):
        neg_e, _, _ = joint_log_weights(rbm)
        assert abs(rbm.log_partition("exact") - log_sum_exp(neg_e)) < 1e-12


def test_conditionals_by_brute_force(tiny):
    neg_e, V, Hs = joint_log_weights(tiny)
    p_h_given_v = np.exp(neg_e - log_sum_exp(neg_e, axis=1)[:, None])
    np.testing.assert_allclose(tiny.transform(V), p_h_given_v @ Hs, atol=1e-12)
    # p(v_i = 1 | h) from the joint, against the Gibbs sampler's empirical frequencies.
    p_v_given_h = np.exp(neg_e - log_sum_exp(neg_e, axis=0)[None, :])
    mean_v = (p_v_given_h.T @ V)           # (2^H, D): E[v | h]
    sig = 1 / (1 + np.exp(-(Hs @ tiny.components_ + tiny.intercept_visible_)))
    np.testing.assert_allclose(mean_v, sig, atol=1e-12)


def test_gibbs_samples_follow_the_conditionals(tiny):
    v0 = np.tile(np.array([[1.0, 0, 1, 1, 0]]), (40_000, 1))
    samples = tiny.gibbs(v0)
    assert set(np.unique(samples)) <= {0.0, 1.0}
    neg_e, V, Hs = joint_log_weights(tiny)
    p_h = tiny.transform(v0[:1])[0]
    p_hs = np.prod(np.where(Hs == 1, p_h, 1 - p_h), axis=1)   # p(h | v0) for each h
    sig = 1 / (1 + np.exp(-(Hs @ tiny.components_ + tiny.intercept_visible_)))
    expected = p_hs @ sig
    assert np.abs(samples.mean(axis=0) - expected).max() < 0.015


@pytest.mark.parametrize("n_visible, n_hidden", [(5, 3), (3, 5)])
def test_exact_gradient_matches_finite_differences(n_visible, n_hidden):
    # (5, 3) sums over the hidden states, (3, 5) over the visible states.
    tiny = random_rbm(n_visible, n_hidden, seed=1)
    X = (np.random.default_rng(4).random((30, n_visible)) < 0.4).astype(float)
    gradient = tiny.exact_gradient(X)
    eps = 1e-6
    for name in ("components_", "intercept_hidden_", "intercept_visible_"):
        param = getattr(tiny, name)
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            old = param[index]
            param[index] = old + eps
            up = tiny.log_likelihood(X).mean()
            param[index] = old - eps
            down = tiny.log_likelihood(X).mean()
            param[index] = old
            numeric[index] = (up - down) / (2 * eps)
        error = np.abs(gradient[name] - numeric).max() / np.abs(numeric).max()
        assert error < 1e-7, (name, error)


@pytest.mark.parametrize("n_visible, n_hidden, scale", [(20, 2, 1.0), (30, 10, 0.5),
                                                        (40, 20, 0.3), (16, 20, 0.5)])
def test_ais_default_within_0_2_nats_of_exact(n_visible, n_hidden, scale):
    rbm = random_rbm(n_visible, n_hidden, scale=scale, seed=n_hidden)
    exact = rbm.log_partition("exact")
    ais = rbm.log_partition("ais", random_state=0)
    assert abs(ais - exact) < 0.2, (ais, exact)


def test_ais_error_shrinks_with_more_temperatures():
    rbm = random_rbm(24, 12, scale=0.8, seed=5)
    exact = rbm.log_partition("exact")
    errors = [np.mean([abs(rbm.log_partition("ais", n_betas=n, n_chains=50, random_state=s)
                           - exact) for s in range(4)]) for n in (10, 3000)]
    assert errors[1] < errors[0] / 3, errors


def test_auto_uses_exact_when_small_and_ais_when_large():
    small = random_rbm(30, MAX_EXACT_UNITS, scale=0.2)
    assert small.log_partition() == small.log_partition("exact")
    big = random_rbm(MAX_EXACT_UNITS + 1, MAX_EXACT_UNITS + 2, scale=0.1)
    with pytest.raises(ValueError, match="method='ais'"):
        big.log_partition("exact")
    auto = big.log_partition(n_betas=200, random_state=0)
    assert auto == big.log_partition("ais", n_betas=200, random_state=0)


def test_ais_betas_increase_from_0_to_1():
    for n in (2, 5, 29, 1000, 10_000):
        betas = ais_betas(n)
        assert len(betas) == n and betas[0] == 0 and betas[-1] == 1
        assert np.all(np.diff(betas) > 0)


def relative_error(estimate, exact):
    flat_e = np.concatenate([estimate[k].ravel() for k in sorted(exact)])
    flat_x = np.concatenate([exact[k].ravel() for k in sorted(exact)])
    return np.linalg.norm(flat_e - flat_x) / np.linalg.norm(flat_x)


def test_cd_k_approaches_the_exact_gradient_as_k_grows():
    rbm = random_rbm(8, 4, scale=1.5, seed=6)
    X = (np.random.default_rng(7).random((20, 8)) < 0.3).astype(float)
    exact = rbm.exact_gradient(X)
    X_many = np.tile(X, (1000, 1))            # many chains, so the sampling noise is small
    errors = {}
    for k in (1, 100):
        rbm.set_params(k=k, persistent=False)
        errors[k] = relative_error(rbm.estimate_gradient(X_many), exact)
    assert errors[100] < 0.05, errors
    assert errors[100] < errors[1] / 2, errors


def test_fit_is_reproducible_and_learns():
    X = (np.random.default_rng(0).random((200, 10)) < np.linspace(0.1, 0.9, 10)).astype(float)
    rbm = BernoulliRBM(4, learning_rate=0.1, n_iter=20, random_state=0).fit(X)
    again = BernoulliRBM(4, learning_rate=0.1, n_iter=20, random_state=0).fit(X)
    np.testing.assert_array_equal(rbm.components_, again.components_)
    assert rbm.components_.shape == (4, 10) and rbm.h_samples_.shape == (10, 4)
    # The visible biases learn the pixel marginals: log-likelihood beats the uniform model.
    assert rbm.log_likelihood(X).mean() > 10 * np.log(0.5) + 1.0


@pytest.mark.parametrize("persistent", [True, False])
def test_partial_fit_initialises_then_steps(persistent):
    X = (np.random.default_rng(1).random((10, 6)) < 0.5).astype(float)
    rbm = BernoulliRBM(3, random_state=0, persistent=persistent).partial_fit(X)
    before = rbm.components_.copy()
    rbm.partial_fit(X)
    assert rbm.components_.shape == (3, 6)
    assert not np.array_equal(before, rbm.components_)


def test_float32_is_kept():
    X = (np.random.default_rng(2).random((30, 6)) < 0.5).astype(np.float32)
    rbm = BernoulliRBM(3, n_iter=2, random_state=0).fit(X)
    assert rbm.components_.dtype == np.float32
    assert rbm.transform(X).dtype == np.float32


# ------------------------------------------------------------------ bad input
def fitted():
    X = (np.random.default_rng(3).random((20, 6)) < 0.5).astype(float)
    return BernoulliRBM(3, n_iter=2, random_state=0).fit(X), X


def snapshot(rbm):
    return {k: v.copy() for k, v in vars(rbm).items() if isinstance(v, np.ndarray)}


def assert_unchanged(rbm, before):
    after = snapshot(rbm)
    assert after.keys() == before.keys()
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])


@pytest.mark.parametrize("bad, match", [
    (lambda X: X * 2, r"values in \[0, 1\]"),
    (lambda X: X - 0.5, r"values in \[0, 1\]"),
    (lambda X: np.where(X == 1, np.nan, X), "NaN"),
    (lambda X: X[:, :5], r"shape \(N, 6\)"),
    (lambda X: X[0], "2 dimensions"),
    (lambda X: X[:0], "at least one row"),
])
def test_bad_data_raises_and_changes_nothing(bad, match):
    rbm, X = fitted()
    before = snapshot(rbm)
    for method in (rbm.transform, rbm.gibbs, rbm.free_energy, rbm.score_samples,
                   rbm.partial_fit, rbm.log_likelihood):
        with pytest.raises(ValueError, match=match):
            method(bad(X))
    if match.startswith("shape"):
        rbm.fit(bad(X))    # fit starts afresh: another number of features is fine
    else:
        with pytest.raises(ValueError, match=match):
            rbm.fit(bad(X))
        assert_unchanged(rbm, before)


def test_lists_and_integer_arrays_are_refused_with_a_clear_error():
    rbm, X = fitted()
    with pytest.raises(TypeError, match="BernoulliRBM: X must be a numpy array"):
        rbm.transform(X.tolist())
    with pytest.raises(TypeError, match="dtype float32 or float64"):
        rbm.transform(X.astype(int))


@pytest.mark.parametrize("params, match", [
    ({"n_components": 0}, "n_components"), ({"learning_rate": 0.0}, "learning_rate"),
    ({"learning_rate": np.inf}, "learning_rate"), ({"batch_size": 0}, "batch_size"),
    ({"n_iter": -1}, "n_iter"), ({"k": 0}, "k must"), ({"persistent": "yes"}, "persistent"),
    ({"random_state": "seed"}, "random_state"), ({"n_components": 2.5}, "n_components"),
])
def test_bad_hyperparameters_raise_and_change_nothing(params, match):
    rbm, X = fitted()
    before = snapshot(rbm)
    rbm.set_params(**params)
    with pytest.raises((ValueError, TypeError), match=f"BernoulliRBM: {match}"):
        rbm.fit(X)
    with pytest.raises((ValueError, TypeError), match=f"BernoulliRBM: {match}"):
        rbm.partial_fit(X)
    assert_unchanged(rbm, before)


def test_use_before_fit_raises_not_fitted():
    rbm = BernoulliRBM(3)
    X = np.zeros((2, 4))
    for call in (lambda: rbm.transform(X), lambda: rbm.gibbs(X), lambda: rbm.free_energy(X),
                 lambda: rbm.score_samples(X), lambda: rbm.log_partition(),
                 lambda: rbm.exact_gradient(X)):
        with pytest.raises(NotFittedError, match="BernoulliRBM is not fitted"):
            call()


def test_inconsistent_hand_set_weights_are_reported():
    rbm = random_rbm(4, 3)
    rbm.intercept_hidden_ = np.zeros(2)
    with pytest.raises(ValueError, match=r"intercept_hidden_ must have shape \(3,\)"):
        rbm.transform(np.zeros((1, 4)))
    partial = BernoulliRBM(3)
    partial.components_ = np.zeros((3, 4))
    with pytest.raises(ValueError, match="intercept_hidden_ is not"):
        partial.free_energy(np.zeros((1, 4)))


def test_bad_log_partition_arguments():
    rbm = random_rbm(4, 3)
    with pytest.raises(ValueError, match="method must be"):
        rbm.log_partition("sum")
    with pytest.raises(ValueError, match="n_betas"):
        rbm.log_partition("ais", n_betas=1)
    with pytest.raises(ValueError, match="n_chains"):
        rbm.log_partition("ais", n_chains=0)
    with pytest.raises(ValueError, match="base_rate"):
        rbm.log_partition("ais", base_rate=np.array([0.0, 0.5, 0.5, 0.5]))
    with pytest.raises(ValueError, match="exact_gradient"):
        big = MAX_EXACT_UNITS + 1
        random_rbm(big, big).exact_gradient(np.zeros((1, big)))


def test_a_non_finite_update_raises_and_changes_nothing(monkeypatch):
    # The CD update corrects itself (|gradient| <= 1), so overflow needs an absurd step;
    # the guard is tested by making the estimate itself overflow.
    rbm, X = fitted()
    before = snapshot(rbm)
    real = rbm._gradient_estimate

    def overflowing(v_pos, rng):
        gradient = real(v_pos, rng)
        gradient["intercept_visible_"] = np.full_like(gradient["intercept_visible_"], np.inf)
        return gradient

    monkeypatch.setattr(rbm, "_gradient_estimate", overflowing)
    with pytest.raises(FloatingPointError, match="intercept_visible_ non-finite"):
        rbm.partial_fit(X)
    assert_unchanged(rbm, before)
