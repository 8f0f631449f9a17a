"""scratchdl.metrics: accuracy and confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.metrics import accuracy, confusion_matrix


def test_accuracy():
    y_true = np.array([0, 1, 2, 2, 1])
    y_pred = np.array([0, 2, 2, 2, 1])
    assert accuracy(y_true, y_pred) == pytest.approx(0.8)
    assert isinstance(accuracy(y_true, y_pred), float)
    assert accuracy(np.array([True, False]), np.array([1, 0])) == 1.0


def test_confusion_matrix_matches_a_plain_count():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, size=200)
    y_pred = rng.integers(0, 4, size=200)
    expected = np.zeros((4, 4), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        expected[t, p] += 1
    cm = confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(cm, expected)
    assert cm.dtype == np.int64 and cm.sum() == 200
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(y_true, minlength=4))
    assert np.trace(cm) / cm.sum() == pytest.approx(accuracy(y_true, y_pred))


def test_confusion_matrix_layout_and_size():
    cm = confusion_matrix(np.array([0, 0, 1]), np.array([1, 0, 1]), n_classes=3)
    # rows are true classes, columns predictions
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [0, 0, 0]])
    assert confusion_matrix(np.array([2]), np.array([0])).shape == (3, 3)


@pytest.mark.parametrize("metric", [accuracy, confusion_matrix])
@pytest.mark.parametrize(
    "y_true, y_pred, error, message",
    [
        (np.array([0, 1]), np.array([0, 1, 1]), ValueError, "2 labels but y_pred has 3"),
        (np.array([0, 1]), np.zeros((2, 3)), TypeError, "argmax"),
        (np.array([0, 1]), np.zeros((2, 3), dtype=int), ValueError, r"shape \(N,\)"),
        (np.array([0.0, 1.0]), np.array([0, 1]), TypeError, "y_true"),
        ([0, 1], np.array([0, 1]), TypeError, "y_true must be a numpy array"),
        (np.array([], dtype=int), np.array([], dtype=int), ValueError, "empty"),
    ],
)
def test_metrics_reject_bad_labels(metric, y_true, y_pred, error, message):
    with pytest.raises(error, match=message):
        metric(y_true, y_pred)


def test_confusion_matrix_label_range():
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        confusion_matrix(np.array([0, 2]), np.array([0, 1]), n_classes=2)
    with pytest.raises(ValueError, match="non-negative"):
        confusion_matrix(np.array([0, -1]), np.array([0, 1]))
    with pytest.raises(ValueError, match="n_classes"):
        confusion_matrix(np.array([0]), np.array([0]), n_classes=0)
