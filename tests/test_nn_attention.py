"""Attention, LayerNorm and positional encodings: gradient checks in float64, masks, errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.gradcheck import gradcheck
from scratchdl.nn import (
    LayerNorm,
    LearnedPositionalEmbedding,
    Module,
    MultiheadAttention,
    SinusoidalPositionalEncoding,
)
from scratchdl.nn.attention import (
    causal_mask,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from scratchdl.nn.positional import sinusoidal_encoding


def data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


class Attend(Module):
    """MHA's output as the one array gradcheck differentiates; masks fixed."""

    def __init__(self, mha, **masks):
        super().__init__()
        self.mha, self.masks = mha, masks

    def forward(self, q, k, v):
        return self.mha(q, k, v, **self.masks)[0]

    def backward(self, dout):
        return self.mha.backward(dout)


class SelfAttend(Attend):
    def forward(self, x):
        return self.mha(x, x, x, **self.masks)[0]

    def backward(self, dout):
        return sum(self.mha.backward(dout))


class Function(Module):
    """The free functions as a Module with three inputs."""

    def __init__(self, mask=None):
        super().__init__()
        self.mask = mask

    def forward(self, Q, K, V):
        self.saved = (Q, K, V)
        O, self.A = scaled_dot_product_attention(Q, K, V, self.mask)
        return O

    def backward(self, dO):
        return scaled_dot_product_attention_backward(dO, *self.saved, self.A)


def test_function_backward_passes_gradcheck_with_a_causal_mask():
    Q, K, V = data((2, 3, 4, 5), 0), data((2, 3, 4, 5), 1), data((2, 3, 4, 6), 2)
    result = gradcheck(Function(causal_mask(4)), Q, K, V)
    assert result.passed(), result


def test_weights_rows_sum_to_one_and_respect_the_mask():
    _, A = scaled_dot_product_attention(data((4, 3)), data((5, 3), 1), data((5, 2), 2),
                                        causal_mask(4, 5))
    np.testing.assert_allclose(A.sum(axis=-1), 1, rtol=1e-14)
    assert (A[causal_mask(4, 5) == -np.inf] == 0).all()
    assert (A[causal_mask(4, 5) == 0] > 0).all()


def test_causal_mask_blocks_exactly_the_future():
    m = causal_mask(3)
    assert (np.isneginf(m) == np.triu(np.ones((3, 3), dtype=bool), 1)).all()
    # the last 2 queries of 4 positions see 3 and 4 keys
    assert (causal_mask(2, 4) == 0).sum(axis=1).tolist() == [3, 4]


MASKS = {
    "none": {},
    "bool_attn": {"attn_mask": np.array([[False, True, False, True, False]] * 3)},
    "float_attn": {"attn_mask": data((3, 5), 9)},
    "padding": {"key_padding_mask": np.array([[False] * 5, [False, False, True, True, True]])},
}


@pytest.mark.parametrize("kind", sorted(MASKS))
@pytest.mark.parametrize("batch_first", [True, False])
def test_cross_attention_gradcheck(kind, batch_first):
    mha = MultiheadAttention(6, 3, batch_first=batch_first, rng=0)
    mha.in_proj_bias[...] = data(18, 5) * 0.3
    mha.out_proj.bias[...] = data(6, 6) * 0.3
    shape_q, shape_kv = ((2, 3, 6), (2, 5, 6)) if batch_first else ((3, 2, 6), (5, 2, 6))
    result = gradcheck(Attend(mha, **MASKS[kind]), data(shape_q, 1), data(shape_kv, 2),
                       data(shape_kv, 3))
    assert result.passed(), result


def test_self_attention_gradcheck_causal_with_dropout_in_training():
    mha = MultiheadAttention(8, 2, dropout=0.3, batch_first=True, rng=1)
    result = gradcheck(SelfAttend(mha, is_causal=True), data((2, 4, 8), 1))
    assert result.passed(), result


def test_self_attention_without_bias_gradcheck():
    mha = MultiheadAttention(4, 1, bias=False, batch_first=True, rng=2)
    assert mha.in_proj_bias is None and mha.out_proj.bias is None
    result = gradcheck(SelfAttend(mha), data((3, 2, 4), 4))
    assert result.passed(), result


def test_is_causal_alone_equals_the_explicit_causal_mask():
    mha = MultiheadAttention(4, 2, batch_first=True, rng=0)
    x = data((2, 5, 4))
    a, wa = mha(x, x, x, is_causal=True)
    b, wb = mha(x, x, x, attn_mask=causal_mask(5))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(wa, wb)


def test_self_attention_without_positions_is_permutation_equivariant():
    mha = MultiheadAttention(8, 2, batch_first=True, rng=0)
    x = data((1, 6, 8))
    perm = np.random.default_rng(1).permutation(6)
    y, _ = mha(x, x, x)
    xp = x[:, perm]
    yp, _ = mha(xp, xp, xp)
    np.testing.assert_allclose(yp, y[:, perm], rtol=1e-12, atol=1e-14)


def test_per_head_weights_average_to_the_averaged_weights():
    mha = MultiheadAttention(6, 3, batch_first=True, rng=0)
    x = data((2, 4, 6))
    _, per_head = mha(x, x, x, average_attn_weights=False)
    _, averaged = mha(x, x, x)
    assert per_head.shape == (2, 3, 4, 4) and averaged.shape == (2, 4, 4)
    np.testing.assert_allclose(per_head.mean(axis=1), averaged, rtol=1e-14)


def test_forward_cached_in_pieces_equals_one_causal_pass():
    mha = MultiheadAttention(8, 2, batch_first=True, rng=3)
    x = data((2, 7, 8))
    full, _ = mha(x, x, x, is_causal=True)
    out1, past = mha.forward_cached(x[:, :4])
    out2, past = mha.forward_cached(x[:, 4:5], past)
    out3, past = mha.forward_cached(x[:, 5:], past)
    np.testing.assert_allclose(np.concatenate([out1, out2, out3], axis=1), full,
                               rtol=1e-12, atol=1e-14)
    assert past[0].shape == (2, 2, 7, 4)


def test_float32_stays_float32():
    mha = MultiheadAttention(8, 2, batch_first=True, rng=0, dtype=np.float32)
    x = data((2, 3, 8)).astype(np.float32)
    y, w = mha(x, x, x)
    assert y.dtype == w.dtype == np.float32
    assert all(d.dtype == np.float32 for d in mha.backward(np.ones_like(y)))


# -- bad input ----------------------------------------------------------------------------------
def test_embed_dim_must_be_divisible_by_num_heads():
    with pytest.raises(ValueError, match=r"MultiheadAttention: embed_dim \(10\) must be "
                                         r"divisible by num_heads \(3\)"):
        MultiheadAttention(10, 3)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"dropout": 1.0}, ValueError, "dropout"),
    ({"num_heads": 0}, ValueError, "num_heads"),
    ({"dtype": np.int32}, TypeError, "dtype"),
])
def test_bad_hyperparameters(kwargs, error, match):
    args = {"embed_dim": 4, "num_heads": 2, **kwargs}
    with pytest.raises(error, match=match):
        MultiheadAttention(**args)


@pytest.fixture
def layer():
    return MultiheadAttention(4, 2, batch_first=True, rng=0)


@pytest.mark.parametrize(("q", "k", "v", "masks", "match"), [
    ((2, 3, 4), (2, 5, 4), (2, 6, 4), {}, "key and value must have the same shape"),
    ((2, 3, 4), (3, 5, 4), (3, 5, 4), {}, "same batch size"),
    ((2, 3, 5), (2, 3, 5), (2, 3, 5), {}, r"query must have shape \(N, L, E\) with E = 4"),
    ((3, 4), (3, 4), (3, 4), {}, "query must have shape"),
    ((2, 3, 4), (2, 5, 4), (2, 5, 4), {"attn_mask": np.zeros((3, 4), dtype=bool)},
     r"attn_mask must have shape \(L, S\) = \(3, 5\)"),
    ((2, 3, 4), (2, 5, 4), (2, 5, 4), {"key_padding_mask": np.zeros((2, 3), dtype=bool)},
     r"key_padding_mask must have shape \(N, S\) = \(2, 5\)"),
    ((2, 3, 4), (2, 5, 4), (2, 5, 4), {"attn_mask": np.full((3, 5), np.nan)},
     "not NaN or \\+inf"),
])
def test_bad_inputs_raise_and_change_nothing(layer, q, k, v, masks, match):
    x = data((1, 2, 4))
    layer(x, x, x)
    before = (layer._cache, {n: p.copy() for n, p in layer.params.items()})
    with pytest.raises(ValueError, match=match):
        layer(data(q), data(k, 1), data(v, 2), **masks)
    assert layer._cache is before[0]
    for name, value in layer.params.items():
        np.testing.assert_array_equal(value, before[1][name])


def test_integer_mask_is_refused(layer):
    x = data((1, 2, 4))
    with pytest.raises(TypeError, match="attn_mask must be bool .* or float .* got dtype int64"):
        layer(x, x, x, attn_mask=np.zeros((2, 2), dtype=np.int64))


def test_dtype_mismatch_and_nan_input(layer):
    x = data((1, 2, 4))
    with pytest.raises(TypeError, match="float32 but the parameters are float64"):
        layer(x.astype(np.float32), x, x)
    bad = x.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="value contains 1 NaN"):
        layer(x, x, bad)


def test_backward_before_forward_and_wrong_dout(layer):
    with pytest.raises(RuntimeError, match=r"MultiheadAttention\(4, 2, batch_first=True\): "
                                           "backward\\(\\) called before forward"):
        layer.backward(data((1, 2, 4)))
    x = data((1, 2, 4))
    layer(x, x, x)
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(1, 2, 4\)"):
        layer.backward(data((1, 3, 4)))


# -- LayerNorm --------------------------------------------------------------------------------
@pytest.mark.parametrize(("shape", "normalized"), [((4, 6), 6), ((2, 3, 4), (3, 4))])
def test_layer_norm_gradcheck(shape, normalized):
    ln = LayerNorm(normalized)
    ln.weight[...] = 1 + 0.5 * data(ln.weight.shape, 1)
    ln.bias[...] = data(ln.bias.shape, 2)
    result = gradcheck(ln, data(shape, 3) * 2 + 1)
    assert result.passed(), result


def test_layer_norm_without_affine_gradcheck_and_statistics():
    ln = LayerNorm(5, elementwise_affine=False)
    assert ln.weight is None and ln.bias is None and not ln.params
    x = data((3, 5)) * 4 + 2
    y = ln(x)
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-14)
    np.testing.assert_allclose(y.var(axis=-1), 1, rtol=1e-4)  # eps = 1e-5 in the variance
    assert gradcheck(ln, x).passed()


def test_layer_norm_bad_input():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\), eps=1e-05\): x must have shape "
                                         r"\(\.\.\., 4\), got \(2, 5\)"):
        LayerNorm(4)(data((2, 5)))
    with pytest.raises(ValueError, match="eps"):
        LayerNorm(4, eps=0)
    with pytest.raises(ValueError, match="normalized_shape"):
        LayerNorm(0)


# -- positional encodings --------------------------------------------------------------------
def test_sinusoidal_table_values():
    P = sinusoidal_encoding(50, 6)
    t = np.arange(50)
    np.testing.assert_allclose(P[:, 0], np.sin(t), rtol=1e-15)
    np.testing.assert_allclose(P[:, 1], np.cos(t), rtol=1e-15)
    np.testing.assert_allclose(P[:, 4], np.sin(t / 10000 ** (4 / 6)), rtol=1e-14)
    # odd width: the last sine column has no cosine partner
    assert sinusoidal_encoding(4, 5).shape == (4, 5)


def test_positional_layers_gradcheck_with_an_offset():
    pe = SinusoidalPositionalEncoding(4, max_len=10)
    np.testing.assert_allclose(pe(np.zeros((1, 3, 4)), start=2)[0], pe.pe[2:5])
    assert gradcheck(pe, data((2, 3, 4))).passed()
    learned = LearnedPositionalEmbedding(10, 4, rng=0)
    assert gradcheck(learned, data((2, 3, 4))).passed()
    learned.zero_grad()
    learned(data((2, 3, 4)), start=5)
    learned.backward(np.ones((2, 3, 4)))
    assert (learned.grads["weight"][5:8] == 2).all() and not learned.grads["weight"][:5].any()


def test_positions_beyond_max_len_are_refused():
    with pytest.raises(ValueError, match="start \\+ T <= max_len = 4"):
        LearnedPositionalEmbedding(4, 2, rng=0)(data((1, 3, 2)), start=2)
