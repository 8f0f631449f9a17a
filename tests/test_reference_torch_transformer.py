"""Reference tests for chapter 11's layers: scratchdl and PyTorch (CPU, float64) agree.

Weights go from ``torch.nn.LayerNorm`` / ``MultiheadAttention`` / ``TransformerEncoderLayer``
/ ``TransformerDecoderLayer`` to scratchdl through ``load_state_dict`` (torch's
``state_dict`` unchanged); both get the same inputs, masks and upstream gradient; outputs,
attention weights, input gradients and every parameter gradient must agree to the
RTOL/ATOL of ``test_reference_torch.py`` (1e-10 relative).
"""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import nn
from scratchdl.nn.attention import causal_mask
from tests.oracles import require
from tests.test_reference_torch import check_module, close, numpy_state

torch = require("torch")
pytestmark = pytest.mark.reference


def tensor(x):
    return torch.tensor(x, requires_grad=True)


def as_torch_mask(mask):
    return None if mask is None else torch.tensor(mask)


@pytest.mark.parametrize(("shape", "normalized", "affine"), [
    ((4, 6), 6, True), ((2, 3, 5), (5,), True), ((2, 3, 4), (3, 4), True), ((3, 5), 5, False)])
def test_layer_norm(shape, normalized, affine):
    theirs = torch.nn.LayerNorm(normalized, elementwise_affine=affine).double()
    ours = nn.LayerNorm(normalized, elementwise_affine=affine)
    if affine:
        with torch.no_grad():  # away from the 1/0 start, so the gradients are exercised
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-1, 1)
        ours.load_state_dict(numpy_state(theirs))
    x = np.random.default_rng(0).standard_normal(shape) * 3 + 1
    check_module(ours, theirs, x)


def mha_case(seed, *, cross, batch_first, bias=True):
    rng = np.random.default_rng(seed)
    heads = int(rng.integers(1, 4))
    E = heads * int(rng.integers(1, 4))
    N, L = (int(v) for v in rng.integers(1, 5, 2))
    S = int(rng.integers(1, 6)) if cross else L
    torch.manual_seed(seed)
    theirs = torch.nn.MultiheadAttention(E, heads, bias=bias, batch_first=batch_first).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(-0.7, 0.7)  # nonzero biases, so their gradients are tested
    ours = nn.MultiheadAttention(E, heads, bias=bias, batch_first=batch_first, rng=0)
    ours.load_state_dict(numpy_state(theirs))
    return rng, theirs, ours, N, L, S, E, heads


def layout(rng, n, length, e, batch_first):
    x = rng.standard_normal((n, length, e))
    return x if batch_first else x.transpose(1, 0, 2).copy()


def masks(kind, rng, N, L, S, H):
    """(attn_mask, key_padding_mask, is_causal) for a named kind; no row fully masked."""
    if kind == "none":
        return None, None, False
    if kind == "bool_attn":
        m = rng.random((L, S)) < 0.4
        m[:, 0] = False
        return m, None, False
    if kind == "float_attn":
        m = rng.standard_normal((L, S))
        m[rng.random((L, S)) < 0.3] = -np.inf
        m[:, -1] = 0.5
        return m, None, False
    if kind == "per_head_bool":
        m = rng.random((N * H, L, S)) < 0.4
        m[..., 0] = False
        return m, None, False
    if kind == "padding":
        p = rng.random((N, S)) < 0.4
        p[:, 0] = False
        return None, p, False
    if kind == "float_padding":
        p = rng.standard_normal((N, S))
        return None, p, False
    if kind == "causal_and_padding":
        p = np.zeros((N, S), dtype=bool)
        p[:, -1] = S > 1
        return causal_mask(L, S) == -np.inf, p, False
    if kind == "is_causal":
        return causal_mask(L, S) == -np.inf, None, True
    raise AssertionError(kind)


KINDS = ["none", "bool_attn", "float_attn", "per_head_bool", "padding", "float_padding",
         "causal_and_padding", "is_causal"]


def run_both(theirs, ours, q, k, v, attn_mask, kpm, is_causal, need_weights, average,
             self_attention):
    qt = tensor(q)
    kt, vt = (qt, qt) if self_attention else (tensor(k), tensor(v))
    out_t, w_t = theirs(qt, kt, vt, key_padding_mask=as_torch_mask(kpm),
                        need_weights=need_weights, attn_mask=as_torch_mask(attn_mask),
                        average_attn_weights=average, is_causal=is_causal)
    if self_attention:
        k = v = q
    # is_causal alone builds the mask here (torch needs it as well, as a hint)
    ours_mask = None if is_causal else attn_mask
    out, w = ours(q, k, v, key_padding_mask=kpm, need_weights=need_weights,
                  attn_mask=ours_mask, average_attn_weights=average, is_causal=is_causal)
    return (qt, kt, vt), out_t, w_t, out, w


# a square causal mask needs L == S: those kinds are tested in self-attention only
CASES = [(kind, cross) for kind in KINDS for cross in (False, True)
         if not (cross and kind in ("causal_and_padding", "is_causal"))]


@pytest.mark.parametrize(("kind", "cross"), CASES)
@pytest.mark.parametrize("seed", range(3))
def test_multihead_attention(kind, cross, seed):
    batch_first = seed != 1
    rng, theirs, ours, N, L, S, E, H = mha_case(seed, cross=cross, batch_first=batch_first,
                                                bias=seed != 2)
    q = layout(rng, N, L, E, batch_first)
    k, v = layout(rng, N, S, E, batch_first), layout(rng, N, S, E, batch_first)
    attn_mask, kpm, is_causal = masks(kind, rng, N, L, S, H)
    average = seed % 2 == 0
    inputs_t, out_t, w_t, out, w = run_both(theirs, ours, q, k, v, attn_mask, kpm, is_causal,
                                            True, average, not cross)
    close(out, out_t, "output")
    close(w, w_t, "attention weights")
    assert w.shape == tuple(w_t.shape)
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    ours.zero_grad()
    dq, dk, dv = ours.backward(dout)
    if cross:
        for d, t, name in zip((dq, dk, dv), inputs_t, ("query", "key", "value"), strict=True):
            close(d, t.grad, f"gradient of {name}")
    else:
        close(dq + dk + dv, inputs_t[0].grad, "gradient of the shared input")
    for name, param in theirs.named_parameters():
        close(ours.grads[name], param.grad, f"gradient of {name}")


def test_need_weights_false_gives_the_same_output():
    rng, theirs, ours, N, L, S, E, H = mha_case(5, cross=False, batch_first=True)
    x = rng.standard_normal((N, L, E))
    out_t, w_t = theirs(tensor(x), tensor(x), tensor(x), need_weights=False)
    out, w = ours(x, x, x, need_weights=False)
    assert w is None and w_t is None
    close(out, out_t, "output")


def test_fully_masked_row_matches_torch_both_ways():
    """A query that may see no key: NaN with need_weights=True, zero without, as torch."""
    rng, theirs, ours, N, L, S, E, H = mha_case(7, cross=False, batch_first=True)
    L = S = 3
    x = rng.standard_normal((2, L, E))
    mask = np.zeros((L, S), dtype=bool)
    mask[0] = True  # query 0 may look nowhere
    xt = tensor(x)
    for need_weights in (True, False):
        out_t, w_t = theirs(xt, xt, xt, attn_mask=torch.tensor(mask), need_weights=need_weights)
        out, w = ours(x, x, x, attn_mask=mask, need_weights=need_weights)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(out_t.detach().numpy()))
        assert np.isnan(out[:, 0]).all() == need_weights
        close(np.nan_to_num(out, nan=7.0), np.nan_to_num(out_t.detach().numpy(), nan=7.0))
        if need_weights:
            close(np.nan_to_num(w, nan=7.0), np.nan_to_num(w_t.detach().numpy(), nan=7.0))
    # without weights the masked row carries no gradient, in torch and here
    theirs.zero_grad()
    out_t, _ = theirs(xt, xt, xt, attn_mask=torch.tensor(mask), need_weights=False)
    dout = rng.standard_normal(out_t.shape)
    out_t.backward(torch.tensor(dout))
    ours.zero_grad()
    ours(x, x, x, attn_mask=mask, need_weights=False)
    close(sum(ours.backward(dout)), xt.grad, "input gradient")
    for name, param in theirs.named_parameters():
        close(ours.grads[name], param.grad, f"gradient of {name}")


def layer_pair(kind, seed, norm_first, activation, batch_first):
    torch.manual_seed(seed)
    d_model, nhead, ff = 8, 2, 12
    cls_t = getattr(torch.nn, kind)
    theirs = cls_t(d_model, nhead, ff, dropout=0.0, activation=activation,
                   batch_first=batch_first, norm_first=norm_first).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.3 * torch.randn_like(p))  # LayerNorm away from 1/0, biases nonzero
    ours = getattr(nn, kind)(d_model, nhead, ff, dropout=0.0, activation=activation,
                             batch_first=batch_first, norm_first=norm_first, rng=0)
    ours.load_state_dict(numpy_state(theirs))
    return theirs, ours


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [True, False])
def test_encoder_layer(norm_first, activation, batch_first):
    theirs, ours = layer_pair("TransformerEncoderLayer", 1, norm_first, activation,
                              batch_first)
    rng = np.random.default_rng(3)
    N, L = 3, 5
    x = layout(rng, N, L, 8, batch_first)
    mask = causal_mask(L) == -np.inf  # bool masks both: torch deprecates mixing kinds
    pad = np.zeros((N, L), dtype=bool)
    pad[0, -2:] = True
    xt = tensor(x)
    out_t = theirs(xt, src_mask=torch.tensor(mask), src_key_padding_mask=torch.tensor(pad))
    out = ours(x, src_mask=mask, src_key_padding_mask=pad)
    close(out, out_t, "output")
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    ours.zero_grad()
    close(ours.backward(dout), xt.grad, "input gradient")
    for name, param in theirs.named_parameters():
        close(ours.grads[name], param.grad, f"gradient of {name}")


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [True, False])
def test_decoder_layer(norm_first, activation, batch_first):
    theirs, ours = layer_pair("TransformerDecoderLayer", 2, norm_first, activation,
                              batch_first)
    rng = np.random.default_rng(4)
    N, L, S = 2, 4, 6
    tgt, memory = layout(rng, N, L, 8, batch_first), layout(rng, N, S, 8, batch_first)
    tgt_mask = causal_mask(L) == -np.inf
    memory_pad = np.zeros((N, S))  # float masks for the memory (added to the scores)
    memory_pad[1, -3:] = -np.inf
    tgt_pad = np.zeros((N, L), dtype=bool)
    tgt_pad[0, -1] = True
    memory_mask = rng.standard_normal((L, S))
    tt, mt = tensor(tgt), tensor(memory)
    out_t = theirs(tt, mt, tgt_mask=torch.tensor(tgt_mask), memory_mask=torch.tensor(memory_mask),
                   tgt_key_padding_mask=torch.tensor(tgt_pad),
                   memory_key_padding_mask=torch.tensor(memory_pad))
    out = ours(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
               tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=memory_pad)
    close(out, out_t, "output")
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    ours.zero_grad()
    dtgt, dmemory = ours.backward(dout)
    close(dtgt, tt.grad, "target gradient")
    close(dmemory, mt.grad, "memory gradient")
    for name, param in theirs.named_parameters():
        close(ours.grads[name], param.grad, f"gradient of {name}")


def test_state_dict_keys_are_torchs():
    for kind in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        theirs, ours = layer_pair(kind, 0, False, "relu", True)
        assert set(ours.state_dict()) == set(theirs.state_dict())
    assert set(nn.MultiheadAttention(4, 2).state_dict()) == set(
        torch.nn.MultiheadAttention(4, 2).state_dict())
    assert set(nn.LayerNorm(4).state_dict()) == set(torch.nn.LayerNorm(4).state_dict())


def test_default_initialization_matches_torchs_distributions():
    ours = nn.MultiheadAttention(64, 4, rng=0)
    bound = np.sqrt(6 / (64 + 192))  # xavier_uniform_ on (192, 64)
    assert np.abs(ours.in_proj_weight).max() <= bound
    assert np.abs(ours.in_proj_weight).max() > 0.95 * bound
    assert not ours.in_proj_bias.any() and not ours.out_proj.bias.any()
