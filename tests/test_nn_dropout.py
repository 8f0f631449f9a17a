"""scratchdl.nn.Dropout: inverted dropout in training, identity in evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.nn import Dropout


def test_training_mask_statistics():
    layer = Dropout(0.3, rng=0)
    x = np.ones((200, 100))
    y = layer(x)
    kept = y != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.01)
    np.testing.assert_allclose(y[kept], 1 / 0.7)
    assert y.mean() == pytest.approx(1.0, abs=0.02)  # inverted: expectation unchanged


def test_backward_reuses_the_mask():
    layer = Dropout(0.5, rng=1)
    x = np.random.default_rng(0).standard_normal((4, 6))
    y = layer(x)
    dout = np.random.default_rng(1).standard_normal((4, 6))
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dx == 0, y == 0)
    np.testing.assert_allclose(dx, dout * layer.mask)
    np.testing.assert_allclose(y, x * layer.mask)


def test_eval_is_identity():
    layer = Dropout(0.9, rng=0).eval()
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)


def test_extreme_probabilities():
    x = np.ones((3, 4))
    np.testing.assert_array_equal(Dropout(0.0, rng=0)(x), x)
    p1 = Dropout(1.0, rng=0)  # torch allows p = 1: everything dropped
    np.testing.assert_array_equal(p1(x), 0)
    np.testing.assert_array_equal(p1.backward(x), 0)


def test_reproducible_and_new_mask_each_call():
    x = np.ones((10, 10))
    a, b = Dropout(0.5, rng=3), Dropout(0.5, rng=3)
    first = a(x)
    np.testing.assert_array_equal(first, b(x))
    assert not np.array_equal(first, a(x))


def test_same_mask_in_float32_and_float64():
    x = np.ones((5, 5))
    y64 = Dropout(0.4, rng=2)(x)
    y32 = Dropout(0.4, rng=2)(x.astype(np.float32))
    assert y32.dtype == np.float32
    np.testing.assert_array_equal(y64 == 0, y32 == 0)


def test_float32_backward():
    layer = Dropout(0.4, rng=2)
    layer(np.ones(5, dtype=np.float32))
    assert layer.backward(np.ones(5, dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize(
    ("p", "error", "match"),
    [
        (-0.1, ValueError, r"Dropout: p \(dropout probability\) must be in \[0, 1\], got -0.1"),
        (1.5, ValueError, r"must be in \[0, 1\], got 1.5"),
        ("0.5", TypeError, "must be a real number"),
        (float("nan"), ValueError, "must be finite"),
    ],
)
def test_bad_p(p, error, match):
    with pytest.raises(error, match=match):
        Dropout(p)


def test_errors_leave_state_unchanged():
    layer = Dropout(0.5, rng=0)
    with pytest.raises(RuntimeError, match=r"Dropout\(p=0.5\): backward\(\) called before forward"):
        layer.backward(np.ones(3))
    layer(np.ones(3))
    mask, state = layer.mask, layer.rng.bit_generator.state
    with pytest.raises(ValueError, match="x contains 1 NaN"):
        layer(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(3,\)"):
        layer.backward(np.ones(2))
    assert layer.mask is mask and layer.rng.bit_generator.state == state
