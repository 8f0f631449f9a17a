"""scratchdl.nn.utils: gradient clipping and truncated backpropagation through time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchdl import nn


def data(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


# -- truncated BPTT ---------------------------------------------------------------------------
def test_truncated_bptt_carries_state_and_cuts_sequence():
    layer = nn.RNN(2, 3, rng=0)
    x, y = data((2, 10, 2), 4), np.zeros((2, 10), dtype=np.int64)
    seen = []

    def step(xc, yc, state):
        seen.append((xc.shape[1], yc.shape[1], state is None))
        out, h_n = layer(xc, state)
        return float(out.sum()), h_n

    losses, state = nn.truncated_bptt(step, x, y, 4)
    assert seen == [(4, 4, True), (4, 4, False), (2, 2, False)] and len(losses) == 3
    np.testing.assert_allclose(state, layer(x)[1], rtol=1e-13)
    with pytest.raises(ValueError, match="chunk_length"):
        nn.truncated_bptt(step, x, y, 0)
    with pytest.raises(ValueError, match="y must start"):
        nn.truncated_bptt(step, x, y[:, :5], 2)


# -- clipping -----------------------------------------------------------------------------------
def test_clip_grad_norm_scales_all_gradients_together():
    layer = nn.RNN(2, 3, rng=0)
    for k, g in enumerate(layer.grads.values()):
        g[...] = k + 1
    total = math.sqrt(sum(float((g**2).sum()) for g in layer.grads.values()))
    assert nn.clip_grad_norm_(layer, 1e9) == pytest.approx(total)
    assert nn.clip_grad_norm_(layer, 1.0) == pytest.approx(total)
    after = math.sqrt(sum(float((g**2).sum()) for g in layer.grads.values()))
    assert after == pytest.approx(1.0, rel=1e-5)
    assert nn.clip_grad_norm_(layer, 1.0, norm_type=math.inf) == pytest.approx(
        max(float(np.abs(g).max()) for g in layer.grads.values()))
    with pytest.raises(ValueError, match="max_norm"):
        nn.clip_grad_norm_(layer, 0)
    with pytest.raises(TypeError, match="Module"):
        nn.clip_grad_norm_([np.ones(3)], 1.0)
