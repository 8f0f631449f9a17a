"""f1_score against scikit-learn's and by hand."""

import numpy as np
import pytest

from scratchdl.metrics import f1_score
from tests.oracles import require


def test_f1_by_hand():
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0])
    # class 0: TP 1, FP 1, FN 1 -> 2/4; class 1: TP 2, FP 1, FN 0 -> 4/5; class 2: 0.
    np.testing.assert_allclose(f1_score(y_true, y_pred, average=None), [0.5, 0.8, 0.0])
    assert f1_score(y_true, y_pred) == pytest.approx((0.5 + 0.8) / 3)
    assert f1_score(y_true, y_true) == 1.0


def test_f1_matches_scikit_learn():
    metrics = require("sklearn.metrics")
    rng = np.random.default_rng(0)
    for n_classes in (2, 5, 10):
        y_true = rng.integers(0, n_classes, 300)
        y_pred = np.where(rng.random(300) < 0.6, y_true, rng.integers(0, n_classes + 1, 300))
        assert f1_score(y_true, y_pred) == pytest.approx(
            metrics.f1_score(y_true, y_pred, average="macro", zero_division=0), abs=1e-14)
        np.testing.assert_allclose(
            f1_score(y_true, y_pred, average=None),
            metrics.f1_score(y_true, y_pred, average=None, zero_division=0), atol=1e-14)


def test_f1_bad_input():
    with pytest.raises(ValueError, match="average must be"):
        f1_score(np.array([0, 1]), np.array([0, 1]), average="micro")
    with pytest.raises(TypeError, match="f1_score: y_pred must hold integer"):
        f1_score(np.array([0, 1]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="f1_score: y_true has 2 labels but y_pred has 3"):
        f1_score(np.array([0, 1]), np.array([0, 1, 1]))
