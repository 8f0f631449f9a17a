"""scratchdl.losses.SequenceCrossEntropyLoss: gradient check, mask and ignore_index, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.gradcheck import loss_gradcheck, numerical_gradient
from scratchdl.losses import SequenceCrossEntropyLoss


def data(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


# -- the masked loss ---------------------------------------------------------------------------
def test_sequence_loss_gradcheck_and_mask():
    logits = data((3, 4, 5), 1) * 3
    target = np.random.default_rng(2).integers(0, 5, (3, 4))
    target[0, 3] = target[2, 2] = -100
    loss = SequenceCrossEntropyLoss(ignore_index=-100)
    assert loss_gradcheck(loss, logits, target).passed()
    loss(logits, target)
    grad = loss.backward()
    assert not grad[0, 3].any() and not grad[2, 2].any()
    # A boolean mask does the same as ignore_index, and the loss is the mean over real tokens.
    mask = target != -100
    plain = SequenceCrossEntropyLoss()
    value = plain(logits, np.where(mask, target, 0), mask)
    assert value == pytest.approx(loss(logits, target), rel=1e-14)
    np.testing.assert_allclose(plain.backward(), grad, rtol=1e-14)
    fixed_target = np.where(mask, target, 0)
    probe = logits.copy()
    numeric = numerical_gradient(lambda: plain(probe, fixed_target, mask), probe)
    plain(logits, fixed_target, mask)
    np.testing.assert_allclose(plain.backward(), numeric, atol=1e-8)
    assert loss_gradcheck(SequenceCrossEntropyLoss("sum"), logits, fixed_target).passed()


def test_sequence_loss_bad_input():
    loss = SequenceCrossEntropyLoss()
    logits = data((2, 3, 4), 1)
    with pytest.raises(ValueError, match=r"target must have shape \(N, T\)"):
        loss(logits, np.zeros((2, 4), dtype=np.int64))
    with pytest.raises(ValueError, match=r"target must lie in \[0, 4\)"):
        loss(logits, np.full((2, 3), 4))
    with pytest.raises(ValueError, match="mask must be a bool array"):
        loss(logits, np.zeros((2, 3), dtype=np.int64), np.ones((2, 3)))
    with pytest.raises(ValueError, match="every position is masked"):
        loss(logits, np.zeros((2, 3), dtype=np.int64), np.zeros((2, 3), dtype=bool))
    with pytest.raises(RuntimeError, match="before"):
        SequenceCrossEntropyLoss().backward()
