"""scratchdl.nn activations: values, derivatives, dtypes and input validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchdl import functional as F
from scratchdl.nn import GELU, Identity, LeakyReLU, ReLU, Sigmoid, Tanh

X = np.array([[-3.0, -0.5, 0.0], [0.25, 1.0, 40.0]])

# (layer, f(x), f'(x))
CASES = [
    (ReLU(), lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
    (LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x), lambda x: np.where(x > 0, 1, 0.01)),
    (LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x), lambda x: np.where(x > 0, 1, 0.2)),
    (Sigmoid(), lambda x: 1 / (1 + np.exp(-x)),
     lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    (Tanh(), np.tanh, lambda x: 1 / np.cosh(x) ** 2),
    (GELU(), lambda x: x * 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2))),
     F.gelu_grad),
    (GELU("tanh"), F.gelu_tanh, F.gelu_tanh_grad),
    (Identity(), lambda x: x, np.ones_like),
]
IDS = ["relu", "leaky", "leaky0.2", "sigmoid", "tanh", "gelu", "gelu_tanh", "identity"]


@pytest.mark.parametrize(("layer", "f", "df"), CASES, ids=IDS)
def test_values_and_derivative(layer, f, df):
    np.testing.assert_allclose(layer(X), f(X), rtol=1e-14, atol=1e-300)
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    # atol: sigmoid and tanh compute f' from the output, y(1 - y) and 1 - y^2, as torch does;
    # at x = 40, y rounds to 1 and f' to 0 instead of ~1e-17.
    np.testing.assert_allclose(layer.backward(dout), dout * df(X), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(("layer", "f", "df"), CASES, ids=IDS)
@pytest.mark.parametrize("shape", [(7,), (2, 3, 4)])
def test_any_shape_and_float32(layer, f, df, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y = layer(x)
    assert y.shape == shape and y.dtype == np.float32
    dx = layer.backward(np.ones(shape, dtype=np.float32))
    assert dx.shape == shape and dx.dtype == np.float32


@pytest.mark.parametrize(("layer", "f", "df"), CASES, ids=IDS)
def test_errors(layer, f, df):
    layer = type(layer)()  # a fresh one: nothing cached yet
    name = type(layer).__name__
    with pytest.raises(RuntimeError, match=f"{name}.*backward\\(\\) called before forward"):
        layer.backward(np.ones(3))
    layer(np.zeros(3))
    cached = dict(vars(layer))
    with pytest.raises(ValueError, match=f"{name}.*x contains 1 NaN or infinite"):
        layer(np.array([0.0, np.inf, 1.0]))
    with pytest.raises(TypeError, match="x must have dtype float32 or float64"):
        layer(np.array([1, 2]))
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(3,\), got \(4,\)"):
        layer.backward(np.ones(4))
    assert all(vars(layer)[key] is value for key, value in cached.items())


def test_relu_gradient_at_zero_is_zero_like_torch():
    relu = ReLU()
    relu(np.array([0.0]))
    assert relu.backward(np.array([1.0]))[0] == 0


def test_sigmoid_tanh_saturate_without_warnings():
    x = np.array([-1e4, 1e4])
    np.testing.assert_array_equal(Sigmoid()(x), [0, 1])
    np.testing.assert_array_equal(Tanh()(x), [-1, 1])


def test_hyperparameter_validation():
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh', got 'erf'"):
        GELU("erf")
    with pytest.raises(TypeError, match="LeakyReLU: negative_slope must be a real number"):
        LeakyReLU("0.1")
    with pytest.raises(ValueError, match="negative_slope must be finite"):
        LeakyReLU(float("nan"))


def test_repr():
    assert repr(LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(GELU()) == "GELU()" and repr(GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(ReLU()) == "ReLU()"
