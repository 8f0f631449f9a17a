"""scratchdl.losses: values, gradients, reductions, extreme logits and validation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from scratchdl.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss

rng = np.random.default_rng(0)
PRED = rng.standard_normal((4, 3))
TARGET = rng.standard_normal((4, 3))
LABELS = np.array([0, 2, 1, 2])
PROBS = rng.random((4, 3))


def test_mse_value_and_gradient():
    loss = MSELoss()
    value = loss(PRED, TARGET)
    assert type(value) is float
    assert value == pytest.approx(np.mean((PRED - TARGET) ** 2), rel=1e-15)
    np.testing.assert_allclose(loss.backward(), 2 * (PRED - TARGET) / 12, rtol=1e-15)


def test_sum_reduction_scales_value_and_gradient():
    for cls, target in ((MSELoss, TARGET), (CrossEntropyLoss, LABELS),
                        (BCEWithLogitsLoss, PROBS)):
        mean, total = cls(), cls(reduction="sum")
        count = 4 if cls is CrossEntropyLoss else 12
        assert total(PRED, target) == pytest.approx(count * mean(PRED, target), rel=1e-14)
        np.testing.assert_allclose(total.backward(), count * mean.backward(), rtol=1e-14)


def test_cross_entropy_value_and_gradient():
    loss = CrossEntropyLoss()
    value = loss(PRED, LABELS)
    p = np.exp(PRED) / np.exp(PRED).sum(axis=1, keepdims=True)
    assert value == pytest.approx(-np.mean(np.log(p[np.arange(4), LABELS])), rel=1e-14)
    np.testing.assert_allclose(loss.backward(), (p - np.eye(3)[LABELS]) / 4, rtol=1e-14)


def test_bce_value_and_gradient():
    loss = BCEWithLogitsLoss()
    value = loss(PRED, PROBS)
    s = 1 / (1 + np.exp(-PRED))
    expected = -np.mean(PROBS * np.log(s) + (1 - PROBS) * np.log(1 - s))
    assert value == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(loss.backward(), (s - PROBS) / 12, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_finite_loss_and_gradient(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    labels = np.array([1, 0, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ce = CrossEntropyLoss()
        value = ce(logits, labels)
        grad = ce.backward()
        bce = BCEWithLogitsLoss()
        bce_value = bce(logits, np.array([[1, 0, 1], [1, 0, 0], [0, 0, 1]], dtype=dtype))
        bce_grad = bce.backward()
    # sample 0: -log softmax = 2e4; sample 1: log 2 + 2e4; sample 2: log 3
    assert value == pytest.approx((4e4 + math.log(2) + math.log(3)) / 3, rel=1e-6)
    assert np.all(np.isfinite(grad)) and grad.dtype == dtype
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-6)
    assert np.isfinite(bce_value) and np.all(np.isfinite(bce_grad))
    assert bce_value == pytest.approx((math.log(2) + 4e4) / 9, rel=1e-6)  # 4 wrong by 1e4


def test_confident_correct_prediction_has_tiny_loss():
    ce = CrossEntropyLoss()
    assert ce(np.array([[50.0, 0.0]]), np.array([0])) == pytest.approx(math.exp(-50), rel=1e-10)


@pytest.mark.parametrize("cls", [MSELoss, CrossEntropyLoss, BCEWithLogitsLoss])
def test_float32_gradient(cls):
    target = {MSELoss: TARGET.astype(np.float32), CrossEntropyLoss: LABELS,
              BCEWithLogitsLoss: PROBS.astype(np.float32)}[cls]
    loss = cls()
    assert type(loss(PRED.astype(np.float32), target)) is float
    assert loss.backward().dtype == np.float32


@pytest.mark.parametrize("cls", [MSELoss, CrossEntropyLoss, BCEWithLogitsLoss])
def test_backward_before_forward(cls):
    with pytest.raises(RuntimeError, match=f"{cls.__name__}: backward\\(\\) called before the "
                                           "loss was computed; call loss\\(pred, target\\)"):
        cls().backward()


@pytest.mark.parametrize("cls", [MSELoss, CrossEntropyLoss, BCEWithLogitsLoss])
def test_bad_reduction(cls):
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum', got 'none'"):
        cls(reduction="none")


BAD_CALLS = [
    (MSELoss, PRED, TARGET[:2], ValueError, r"target must have the shape of pred \(4, 3\)"),
    (MSELoss, PRED, TARGET.astype(np.float32), TypeError, "target has dtype float32"),
    (MSELoss, PRED, np.full((4, 3), np.nan), ValueError, "target contains 12 NaN"),
    (MSELoss, np.ones((0, 3)), np.ones((0, 3)), ValueError, "pred is empty"),
    (CrossEntropyLoss, PRED, np.array([0, 1, 3, 0]), ValueError,
     r"target must lie in \[0, 3\), got values from 0 to 3"),
    (CrossEntropyLoss, PRED, np.array([0, -1, 1, 0]), ValueError, r"must lie in \[0, 3\)"),
    (CrossEntropyLoss, PRED, LABELS.astype(float), TypeError, "integer class labels"),
    (CrossEntropyLoss, PRED, LABELS[:3], ValueError, r"target must have shape \(4,\)"),
    (CrossEntropyLoss, PRED[0], LABELS, ValueError, "logits must have 2 dimensions"),
    (CrossEntropyLoss, np.where(PRED > 0, np.inf, PRED), LABELS, ValueError, "NaN or infinite"),
    (BCEWithLogitsLoss, PRED, PROBS + 1, ValueError, r"target must lie in \[0, 1\]"),
    (BCEWithLogitsLoss, PRED, PROBS.T, ValueError, "target must have the shape of logits"),
    (BCEWithLogitsLoss, PRED.tolist(), PROBS, TypeError, "logits must be a numpy array"),
]


@pytest.mark.parametrize(("cls", "pred", "target", "error", "match"), BAD_CALLS)
def test_bad_input_keeps_cache(cls, pred, target, error, match):
    loss = cls()
    good_target = {MSELoss: TARGET, CrossEntropyLoss: LABELS, BCEWithLogitsLoss: PROBS}[cls]
    loss(PRED, good_target)
    grad = loss.backward()
    cached = dict(vars(loss))
    with pytest.raises(error, match=f"{cls.__name__}: .*{match}"):
        loss(pred, target)
    assert all(vars(loss)[key] is value for key, value in cached.items())
    np.testing.assert_array_equal(loss.backward(), grad)


def test_repr():
    assert repr(CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(MSELoss("sum")) == "MSELoss(reduction='sum')"
