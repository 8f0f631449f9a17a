"""scratchdl.functional: stable softmax, log-sum-exp, sigmoid, softplus, GELU."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from scratchdl import functional as F
from tests.oracles import require

EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4 - 1, -3.0]])


@pytest.fixture(autouse=True)
def no_warnings():
    """Any overflow, underflow-to-NaN or division warning fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def naive_softmax(x):
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def test_softmax_matches_naive_formula_and_sums_to_one():
    x = np.random.default_rng(0).standard_normal((4, 5))
    p = F.softmax(x)
    np.testing.assert_allclose(p, naive_softmax(x), rtol=1e-14)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-15)


def test_softmax_axis():
    x = np.random.default_rng(1).standard_normal((3, 4))
    np.testing.assert_allclose(F.softmax(x, axis=0), naive_softmax(x.T).T, rtol=1e-14)


def test_softmax_extreme_logits_finite():
    p = F.softmax(EXTREME)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p[0], [1, 0, 0])
    np.testing.assert_allclose(p[1], [1 / 3] * 3)
    np.testing.assert_allclose(p[2], [1 / (1 + math.exp(-1)), 1 / (1 + math.e), 0], rtol=1e-14)


def test_log_softmax_extreme_logits_finite_and_exact():
    out = F.log_softmax(EXTREME)
    assert np.all(np.isfinite(out))
    assert out[0, 0] == 0.0 and out[0, 1] == -2e4
    np.testing.assert_allclose(out[1], [-math.log(3)] * 3, rtol=1e-15)
    x = np.random.default_rng(2).standard_normal((3, 4))
    np.testing.assert_allclose(F.log_softmax(x), np.log(naive_softmax(x)), rtol=1e-13)


def test_logsumexp_shapes_and_values():
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    np.testing.assert_allclose(F.logsumexp(x, axis=1), np.log(np.exp(x).sum(axis=1)),
                               rtol=1e-14)
    assert F.logsumexp(x).shape == (2, 3)
    assert F.logsumexp(x, axis=0, keepdims=True).shape == (1, 3, 4)
    assert F.logsumexp(np.array([1e4, 1e4])) == pytest.approx(1e4 + math.log(2), rel=1e-15)


def test_masked_entries():
    """-inf logits (an attention mask) get probability 0; a fully masked row gives NaN."""
    x = np.array([[0.0, -np.inf, 0.0], [-np.inf, -np.inf, -np.inf]])
    np.testing.assert_array_equal(F.softmax(x)[0], [0.5, 0, 0.5])
    assert np.all(np.isnan(F.softmax(x)[1]))
    assert F.logsumexp(x)[1] == -np.inf
    assert F.logsumexp(x)[0] == pytest.approx(math.log(2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved(dtype):
    x = np.linspace(-50, 50, 11).astype(dtype)
    for fn in (F.softmax, F.log_softmax, F.sigmoid, F.softplus, F.gelu, F.gelu_grad,
               F.gelu_tanh, F.gelu_tanh_grad, F.erf, F.normal_cdf, F.normal_pdf):
        assert fn(x).dtype == dtype, fn.__name__
    assert F.logsumexp(x.reshape(1, -1)).dtype == dtype


@pytest.mark.parametrize("bad", [[1.0, 2.0], np.array([1, 2]), "x"])
def test_non_float_arrays_rejected(bad):
    with pytest.raises(TypeError, match="x must (be a numpy array|have dtype float)"):
        F.softmax(bad)
    with pytest.raises(TypeError, match="x must (be a numpy array|have dtype float)"):
        F.sigmoid(bad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_extreme_inputs_no_overflow(dtype):
    x = np.array([-1e4, -800, -100, -1, 0, 1, 100, 800, 1e4], dtype=dtype)
    s = F.sigmoid(x)
    assert np.all((s >= 0) & (s <= 1))
    assert s[0] == 0 and s[-1] == 1 and s[4] == 0.5
    np.testing.assert_allclose(F.sigmoid(-x), 1 - s, atol=np.finfo(dtype).eps)


def test_sigmoid_accurate_in_both_tails():
    """Each branch is accurate to a few units in the last place (checked with mpmath)."""
    mpmath = require("mpmath")
    x = np.array([-700, -40, -5, -0.5, -1e-8, 0, 1e-8, 0.5, 5, 40])
    exact = np.array([float(1 / (1 + mpmath.exp(-mpmath.mpf(v)))) for v in x])
    np.testing.assert_allclose(F.sigmoid(x), exact, rtol=4e-16, atol=0)


def test_softplus_stable():
    x = np.array([-1e4, -30, -1, 0, 1, 30, 1e4])
    out = F.softplus(x)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[1:-1], np.log1p(np.exp(x[1:-1])), rtol=1e-15)
    assert out[-1] == 1e4 and out[0] == 0.0


def test_gelu_matches_high_precision():
    """Exact to rounding, including the far left tail where 1 + erf(x/sqrt 2) cancels."""
    mpmath = require("mpmath")
    x = np.array([-12, -8, -3, -1, -1e-3, 0, 1e-3, 0.7, 2, 6, 30])

    def cdf(v):
        return mpmath.erfc(-v / mpmath.sqrt(2)) / 2

    with mpmath.workdps(40):
        exact = [float(mpmath.mpf(v) * cdf(mpmath.mpf(v))) for v in x]
        exact_grad = [float(cdf(mpmath.mpf(v)) + mpmath.mpf(v) * mpmath.npdf(v)) for v in x]
    # erfc's argument -x/sqrt(2) is rounded once; in the deep tail (x = -12) that rounding
    # alone moves erfc by ~1e-14 relative (its log-derivative is about 2|x|/sqrt(2)).
    np.testing.assert_allclose(F.gelu(x), exact, rtol=5e-14)
    np.testing.assert_allclose(F.gelu_grad(x), exact_grad, rtol=5e-14)


def test_gelu_grad_is_derivative():
    x = np.linspace(-4, 4, 17)
    h = 1e-6
    numeric = (F.gelu(x + h) - F.gelu(x - h)) / (2 * h)
    np.testing.assert_allclose(F.gelu_grad(x), numeric, atol=1e-9)
    numeric = (F.gelu_tanh(x + h) - F.gelu_tanh(x - h)) / (2 * h)
    np.testing.assert_allclose(F.gelu_tanh_grad(x), numeric, atol=1e-9)


def test_gelu_tanh_close_to_exact():
    x = np.linspace(-5, 5, 101)
    np.testing.assert_allclose(F.gelu_tanh(x), F.gelu(x), atol=1e-3)
    big = np.array([-1e4, 1e4])
    np.testing.assert_array_equal(F.gelu_tanh(big), [0, 1e4])


def test_erf_values():
    x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(F.erf(x), [math.erf(v) for v in x], rtol=0)
    assert F.erf(np.array(0.25)).shape == ()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_equals_the_two_branch_formula_bitwise(dtype):
    # The one-expression form used for speed must be exactly sigma = 1/(1+z) for x >= 0
    # and z/(1+z) for x < 0, with z = exp(-|x|), including the infinities and NaN.
    x = np.concatenate([np.linspace(-800, 800, 40001), [np.inf, -np.inf, np.nan, -0.0]])
    x = x.astype(dtype)
    z = np.exp(-np.abs(x))
    two_branch = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    np.testing.assert_array_equal(F.sigmoid(x), two_branch)
