"""scratchdl.nn.embedding: lookup, gradient (checked in float64), padding row, bad ids."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import nn
from scratchdl.gradcheck import gradcheck


def data(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


# -- Embedding -------------------------------------------------------------------------------
def test_embedding_lookup_gradient_and_padding():
    emb = nn.Embedding(6, 3, padding_idx=-1, rng=0)
    assert emb.padding_idx == 5 and not emb.weight[5].any()
    ids = np.array([[0, 2, 2, 5], [5, 1, 0, 2]])
    out = emb(ids)
    np.testing.assert_array_equal(out, emb.weight[ids])
    dout = data(out.shape, 1)
    assert emb.backward(dout) is None
    expected = np.zeros((6, 3))
    for (i, j), k in np.ndenumerate(ids):
        if k != 5:
            expected[k] += dout[i, j]
    np.testing.assert_allclose(emb.grads["weight"], expected, rtol=1e-15)
    emb.zero_grad()
    # The padding row is frozen by design (as in PyTorch), so finite differences through it
    # would disagree; check the lookup on ids without it, and without padding_idx.
    result = gradcheck(emb, np.array([[0, 2, 2, 4], [3, 1, 0, 2]]))
    assert result.passed(), result
    assert gradcheck(nn.Embedding(6, 3, rng=0), ids).passed()
    assert repr(emb) == "Embedding(6, 3, padding_idx=5)"


def test_embedding_rejects_bad_ids():
    emb = nn.Embedding(4, 2, rng=0)
    with pytest.raises(ValueError, match=r"Embedding\(4, 2\): token ids must lie in \[0, 4\), "
                                         r"got values from 0 to 4"):
        emb(np.array([0, 4]))
    with pytest.raises(ValueError, match="from -1"):
        emb(np.array([-1, 2]))
    with pytest.raises(TypeError, match="integer array"):
        emb(np.array([0.0, 1.0]))
    assert emb.x is None
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(4, 2, padding_idx=4)
