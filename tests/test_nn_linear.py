"""scratchdl.nn.Linear: values, gradients, accumulation, dtypes and input validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchdl.nn import Linear


def make(n_in=4, n_out=3, **kwargs):
    return Linear(n_in, n_out, rng=0, **kwargs)


def test_parameters_follow_torch_layout_and_init():
    layer = Linear(64, 32, rng=0)
    assert sorted(layer.params) == ["bias", "weight"]
    assert layer.weight.shape == (32, 64) and layer.bias.shape == (32,)
    bound = 1 / math.sqrt(64)
    assert np.abs(layer.weight).max() <= bound and np.abs(layer.bias).max() <= bound
    assert layer.weight.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    assert layer.weight is layer.params["weight"]
    assert repr(layer) == "Linear(64, 32)"
    assert repr(Linear(2, 3, bias=False)) == "Linear(2, 3, bias=False)"


def test_same_seed_same_weights():
    np.testing.assert_array_equal(Linear(5, 4, rng=3).weight, Linear(5, 4, rng=3).weight)
    assert not np.array_equal(Linear(5, 4, rng=3).weight, Linear(5, 4, rng=4).weight)


def test_forward_backward_values():
    layer = make()
    x = np.random.default_rng(1).standard_normal((5, 4))
    dout = np.random.default_rng(2).standard_normal((5, 3))
    np.testing.assert_allclose(layer(x), x @ layer.weight.T + layer.bias, rtol=1e-15)
    dx = layer.backward(dout)
    np.testing.assert_allclose(dx, dout @ layer.weight, rtol=1e-15)
    np.testing.assert_allclose(layer.grads["weight"], dout.T @ x, rtol=1e-15)
    np.testing.assert_allclose(layer.grads["bias"], dout.sum(axis=0), rtol=1e-15)


def test_backward_accumulates_and_zero_grad_clears():
    layer = make()
    x = np.ones((2, 4))
    layer(x)
    layer.backward(np.ones((2, 3)))
    once = layer.grads["weight"].copy()
    layer.backward(np.ones((2, 3)))
    np.testing.assert_allclose(layer.grads["weight"], 2 * once)
    layer.zero_grad()
    assert not layer.grads["weight"].any() and not layer.grads["bias"].any()


def test_no_bias():
    layer = make(bias=False)
    assert layer.bias is None and list(layer.params) == ["weight"]
    x = np.ones((2, 4))
    np.testing.assert_allclose(layer(x), x @ layer.weight.T)
    layer.backward(np.ones((2, 3)))


def test_leading_axes_are_samples():
    """(N, T, D) input behaves like (N*T, D), as in torch (needed by sequence models)."""
    layer = make()
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 3))
    y = layer(x)
    dx = layer.backward(dout)
    flat = make()
    np.testing.assert_allclose(y.reshape(10, 3), flat(x.reshape(10, 4)), rtol=1e-15)
    np.testing.assert_allclose(dx.reshape(10, 4), flat.backward(dout.reshape(10, 3)))
    np.testing.assert_allclose(layer.grads["weight"], flat.grads["weight"], rtol=1e-14)


def test_float32_kept():
    layer = make(dtype=np.float32)
    assert layer.weight.dtype == np.float32
    y = layer(np.ones((2, 4), dtype=np.float32))
    assert y.dtype == np.float32
    assert layer.backward(np.ones((2, 3), dtype=np.float32)).dtype == np.float32
    assert layer.grads["weight"].dtype == np.float32


def test_to_dtype_is_seen_by_the_properties():
    layer = make().to(np.float32)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert layer(np.ones((1, 4), dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (np.ones((5, 3)), ValueError,
         r"Linear\(64, 32\): x must have shape \(N, 64\) or \(N, \.\.\., 64\), got \(5, 3\)"),
        (np.ones(64), ValueError, r"x must have shape \(N, 64\).*got \(64,\)"),
        (np.ones((5, 64), dtype=np.float32), TypeError,
         r"Linear\(64, 32\): x has dtype float32 but the parameters are float64"),
        (np.ones((5, 64), dtype=int), TypeError, "x must have dtype float32 or float64"),
        (np.full((5, 64), np.nan), ValueError, r"Linear\(64, 32\): x contains 320 NaN"),
        ([[1.0] * 64], TypeError, "x must be a numpy array, got list"),
    ],
)
def test_bad_input_clear_error_nothing_changed(x, error, match):
    layer = Linear(64, 32, rng=0)
    good = np.ones((2, 64))
    layer(good)
    weight = layer.weight.copy()
    with pytest.raises(error, match=match):
        layer(x)
    assert layer.x is good
    np.testing.assert_array_equal(layer.weight, weight)


def test_backward_errors():
    layer = make()
    with pytest.raises(RuntimeError, match=r"Linear\(4, 3\): backward\(\) called before forward"):
        layer.backward(np.ones((2, 3)))
    layer(np.ones((2, 4)))
    with pytest.raises(ValueError,
                       match=r"dout must have the output's shape \(2, 3\), got \(2, 4\)"):
        layer.backward(np.ones((2, 4)))
    with pytest.raises(TypeError,
                       match="dout has dtype float32 but the forward pass ran in float64"):
        layer.backward(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="dout contains 1 NaN"):
        layer.backward(np.array([[np.nan, 0, 0], [0, 0, 0]]))
    assert not layer.grads["weight"].any()


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((0, 3), {}, ValueError, r"Linear: in_features must be in \[1, inf\], got 0"),
        ((3, -1), {}, ValueError, "out_features must be in"),
        ((2.5, 3), {}, TypeError, "in_features must be an integer"),
        ((2, 3), {"dtype": np.int64}, TypeError, "dtype must be float32 or float64"),
        ((2, 3), {"rng": 1.5}, TypeError, "rng must be"),
    ],
)
def test_bad_constructor_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        Linear(*args, **kwargs)
