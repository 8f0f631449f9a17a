"""scratchdl.data.preprocessing: train_test_split, StandardScaler and one_hot."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.data import (
    StandardScaler,
    load_digits,
    one_hot,
    train_test_split,
)


@pytest.fixture(scope="module")
def digits():
    return load_digits()


# -- train_test_split ------------------------------------------------------------------------
def test_split_sizes_alignment_and_determinism():
    X = np.arange(50.0).reshape(25, 2)
    y = np.arange(25)
    X_copy, y_copy = X.copy(), y.copy()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, rng=0)
    assert len(X_test) == 5 and len(X_train) == 20
    np.testing.assert_array_equal(X_train[:, 0] // 2, y_train)  # rows stay aligned
    np.testing.assert_array_equal(X_test[:, 0] // 2, y_test)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(25))
    again = train_test_split(X, y, test_size=0.2, rng=0)
    np.testing.assert_array_equal(again[3], y_test)
    other = train_test_split(X, y, test_size=0.2, rng=1)
    assert not np.array_equal(other[3], y_test)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    # A fraction rounds the test part up, as in scikit-learn; an int is a count.
    assert len(train_test_split(y, test_size=0.25, rng=0)[1]) == 7
    assert len(train_test_split(y, test_size=3, rng=0)[1]) == 3


def test_stratified_split_keeps_class_proportions(digits):
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, rng=0, stratify=y)
    assert len(y_test) == int(np.ceil(0.3 * len(y)))
    expected = np.bincount(y) * len(y_test) / len(y)
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - expected) < 1)
    np.testing.assert_array_equal(np.bincount(y_train) + np.bincount(y_test), np.bincount(y))
    assert not np.all(np.diff(y_test) >= 0), "the test part should be shuffled"


def test_stratified_split_on_imbalanced_labels():
    y = np.array([0] * 90 + [1] * 10)
    _, y_test = train_test_split(y, test_size=0.2, rng=0, stratify=y)
    assert np.bincount(y_test).tolist() == [18, 2]
    labels = np.array(["a", "b"] * 10)  # any labels np.unique can sort
    _, test = train_test_split(labels, test_size=0.5, rng=0, stratify=labels)
    assert sorted(test.tolist()) == ["a"] * 5 + ["b"] * 5


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda X, y: train_test_split(), TypeError, "at least one array"),
        (lambda X, y: train_test_split(X, y[:-1]), ValueError, "same length"),
        (lambda X, y: train_test_split([1, 2, 3]), TypeError, r"arrays\[0\]"),
        (lambda X, y: train_test_split(X, test_size=0.0), ValueError, "test_size"),
        (lambda X, y: train_test_split(X, test_size=1.0), ValueError, "test_size"),
        (lambda X, y: train_test_split(X, test_size=10), ValueError, "test_size"),
        (lambda X, y: train_test_split(X, test_size=0.95), ValueError, "test_size"),
        (lambda X, y: train_test_split(X, stratify=y[:-1]), ValueError, "stratify"),
        (lambda X, y: train_test_split(X, stratify=np.array([0] * 9 + [1])), ValueError,
         "only one row"),
        (lambda X, y: train_test_split(X, rng=1.5), TypeError, "rng"),
    ],
)
def test_split_rejects_bad_arguments(call, error, message):
    X, y = np.zeros((10, 2)), np.arange(10) % 2
    with pytest.raises(error, match=message):
        call(X, y)


# -- StandardScaler and one_hot ----------------------------------------------------------------
def test_standard_scaler_standardizes_and_inverts():
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 3.0, size=(200, 3))
    X[:, 2] = 7.0  # a constant feature
    original = X.copy()
    scaler = StandardScaler()
    Z = scaler.fit_transform(X)
    np.testing.assert_allclose(Z[:, :2].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z[:, :2].std(axis=0), 1, atol=1e-12)
    np.testing.assert_array_equal(Z[:, 2], 0)
    assert scaler.scale_[2] == 1 and scaler.n_features_in_ == 3
    np.testing.assert_allclose(scaler.inverse_transform(Z), X)
    np.testing.assert_array_equal(X, original)
    Z32 = scaler.transform(X.astype(np.float32))
    assert Z32.dtype == np.float32


def test_standard_scaler_errors():
    scaler = StandardScaler()
    with pytest.raises(RuntimeError, match="not fitted"):
        scaler.transform(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="X"):
        scaler.fit(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="X"):
        scaler.fit(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="dimensions"):
        scaler.fit(np.zeros(3))
    scaler.fit(np.ones((3, 2)))
    mean = scaler.mean_.copy()
    with pytest.raises(ValueError, match="fitted on 2"):
        scaler.transform(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="NaN"):
        scaler.fit(np.array([[np.inf, 1.0]]))
    np.testing.assert_array_equal(scaler.mean_, mean)  # a failed fit changes nothing


def test_one_hot():
    y = np.array([2, 0, 1, 2])
    expected = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    np.testing.assert_array_equal(one_hot(y), expected)
    assert one_hot(y, 5).shape == (4, 5)
    assert one_hot(y, dtype=np.float32).dtype == np.float32
    assert one_hot(np.zeros(0, dtype=int), 3).shape == (0, 3)
    with pytest.raises(ValueError, match=r"y must lie in \[0, 2\)"):
        one_hot(y, 2)
    with pytest.raises(ValueError, match="y must lie"):
        one_hot(np.array([-1, 0]))
    with pytest.raises(TypeError, match="integer class labels"):
        one_hot(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="1-D"):
        one_hot(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="n_classes"):
        one_hot(y, 0)
