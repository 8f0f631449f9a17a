"""scratchdl.data.batching: iterate_minibatches."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.data import (
    iterate_minibatches,
)


# -- iterate_minibatches ---------------------------------------------------------------------
def test_minibatches_cover_every_row_once():
    X = np.arange(23.0)[:, None]
    y = np.arange(23)
    batches = list(iterate_minibatches(X, y, 5, rng=0))
    assert [len(b) for b, _ in batches] == [5, 5, 5, 5, 3]
    for X_batch, y_batch in batches:
        np.testing.assert_array_equal(X_batch[:, 0], y_batch)
    seen = np.concatenate([y_batch for _, y_batch in batches])
    assert sorted(seen.tolist()) == list(range(23)) and not np.all(np.diff(seen) > 0)


def test_minibatches_order_options():
    X, y = np.arange(10.0), np.arange(10)
    ordered = np.concatenate([b for _, b in iterate_minibatches(X, y, 4, shuffle=False)])
    np.testing.assert_array_equal(ordered, y)
    assert [len(b) for b, _ in iterate_minibatches(X, y, 4, shuffle=False, drop_last=True)] == [
        4, 4]
    assert all(b is None for _, b in iterate_minibatches(X, None, 3, rng=0))
    rng = np.random.default_rng(0)
    first = np.concatenate([b for _, b in iterate_minibatches(X, y, 4, rng=rng)])
    second = np.concatenate([b for _, b in iterate_minibatches(X, y, 4, rng=rng)])
    assert not np.array_equal(first, second), "a shared Generator reshuffles every epoch"
    replay = np.concatenate([b for _, b in iterate_minibatches(X, y, 4, rng=0)])
    np.testing.assert_array_equal(first, replay)


def test_minibatches_validate_when_called_not_when_iterated():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="X has 4 rows but y has 3"):
        iterate_minibatches(X, np.zeros(3), 2)
    with pytest.raises(ValueError, match="batch_size"):
        iterate_minibatches(X, None, 0)
    with pytest.raises(TypeError, match="batch_size"):
        iterate_minibatches(X, None, 2.0)
    with pytest.raises(TypeError, match="X must be a numpy array"):
        iterate_minibatches([1, 2], None, 1)
    with pytest.raises(TypeError, match="rng"):
        iterate_minibatches(X, None, 2, rng="0")
