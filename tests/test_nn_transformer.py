"""Transformer layers and the GPT: gradient checks in float64, KV cache, sampling, errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.data.sorting import IGNORE, make_sorting
from scratchdl.gradcheck import gradcheck
from scratchdl.models.gpt import GPT, sample_next
from scratchdl.nn import GELU, Module, TransformerDecoderLayer, TransformerEncoderLayer
from scratchdl.nn.attention import causal_mask


def data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


class Decode(Module):
    def __init__(self, layer, **masks):
        super().__init__()
        self.layer, self.masks = layer, masks

    def forward(self, tgt, memory):
        return self.layer(tgt, memory, **self.masks)

    def backward(self, dout):
        return self.layer.backward(dout)


class Encode(Module):
    def __init__(self, layer, **masks):
        super().__init__()
        self.layer, self.masks = layer, masks

    def forward(self, x):
        return self.layer(x, **self.masks)

    def backward(self, dout):
        return self.layer.backward(dout)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_gradcheck_with_masks_and_dropout(norm_first, activation):
    layer = TransformerEncoderLayer(6, 2, 10, dropout=0.2, activation=activation,
                                    batch_first=True, norm_first=norm_first, rng=0)
    pad = np.array([[False] * 4, [False, False, False, True]])
    result = gradcheck(Encode(layer, src_key_padding_mask=pad, is_causal=True),
                       data((2, 4, 6), 1))
    assert result.passed(), result


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_gradcheck_target_and_memory(norm_first):
    layer = TransformerDecoderLayer(6, 3, 8, dropout=0.1, activation="gelu",
                                    norm_first=norm_first, rng=1)
    pad = np.array([[False] * 5, [False, False, True, True, True]])
    result = gradcheck(Decode(layer, tgt_mask=causal_mask(3), memory_key_padding_mask=pad),
                       data((3, 2, 6), 2), data((5, 2, 6), 3))
    assert result.passed(), result
    assert {"input0", "input1"} <= set(result.errors)


def test_layer_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer: d_model \(10\) must be "
                                         r"divisible by nhead \(4\)"):
        TransformerEncoderLayer(10, 4)
    with pytest.raises(ValueError, match="activation must be 'relu', 'gelu'"):
        TransformerDecoderLayer(8, 2, activation="tanh")
    layer = TransformerEncoderLayer(8, 2, 16, batch_first=True, rng=0)
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(L, S\) = \(3, 3\)"):
        layer(data((2, 3, 8)), src_mask=np.zeros((4, 4)))


def test_eval_mode_turns_dropout_off():
    layer = TransformerEncoderLayer(8, 2, 16, dropout=0.5, batch_first=True, rng=0)
    x = data((2, 3, 8))
    layer.eval()
    np.testing.assert_array_equal(layer(x), layer(x))
    layer.train()
    assert not np.array_equal(layer(x), layer(x))


# -- the GPT ------------------------------------------------------------------------------------
@pytest.fixture
def gpt():
    model = GPT(7, 8, n_layer=2, n_head=2, n_embd=8, rng=0)
    rng = np.random.default_rng(1)
    for _, p in model.named_parameters():  # larger weights than GPT-2's 0.02, a harder check
        p += 0.3 * rng.standard_normal(p.shape)
    return model


def test_gpt_gradcheck_with_tied_embedding(gpt):
    tokens = np.random.default_rng(2).integers(0, 7, (2, 5))
    result = gradcheck(gpt, tokens)
    assert result.passed(), result
    assert gpt.head.weight is gpt.tok_emb.weight
    names = [name for name, _ in gpt.named_parameters()]
    assert "tok_emb.weight" in names and "head.weight" not in names  # counted once


def test_gpt_is_causal_future_tokens_do_not_change_earlier_logits(gpt):
    tokens = np.random.default_rng(3).integers(0, 7, (1, 6))
    other = tokens.copy()
    other[0, 4:] = (other[0, 4:] + 1) % 7
    np.testing.assert_array_equal(gpt(tokens)[:, :4], gpt(other)[:, :4])


def test_kv_cache_logits_equal_full_recomputation(gpt):
    tokens = np.random.default_rng(4).integers(0, 7, (3, 8))
    gpt.eval()
    full = gpt(tokens)
    logits, past = gpt.forward_cached(tokens[:, :3])
    steps = [logits]
    for t in range(3, 8):
        logits, past = gpt.forward_cached(tokens[:, t:t + 1], past)
        steps.append(logits)
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize(("top_k", "temperature"), [(None, 1.0), (3, 0.7), (1, 1.0)])
def test_generation_with_and_without_cache_is_identical(gpt, top_k, temperature):
    prompt = np.array([1, 2, 3])
    # 12 new tokens: past block_size = 8, so the sliding window is exercised too
    a = gpt.generate(prompt, 12, temperature=temperature, top_k=top_k, rng=5, use_cache=True)
    b = gpt.generate(prompt, 12, temperature=temperature, top_k=top_k, rng=5, use_cache=False)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (15,) and (a[:3] == prompt).all()
    assert gpt.training  # mode restored


def test_sample_next_top_k_and_temperature():
    logits = np.log(np.array([[0.1, 0.2, 0.3, 0.4]]))
    rng = np.random.default_rng(0)
    draws = np.array([sample_next(logits, top_k=2, rng=rng)[0] for _ in range(4000)])
    assert set(draws) == {2, 3}
    np.testing.assert_allclose((draws == 3).mean(), 0.4 / 0.7, atol=0.03)
    greedy = sample_next(np.repeat(logits, 5, axis=0), top_k=1, rng=1)
    assert (greedy == 3).all()
    cold = np.array([sample_next(logits, temperature=0.05, rng=rng)[0] for _ in range(200)])
    assert (cold == 3).mean() > 0.95
    with pytest.raises(ValueError, match="temperature"):
        sample_next(logits, temperature=0)
    with pytest.raises(ValueError, match="top_k"):
        sample_next(logits, top_k=5)


def test_gpt_bad_input(gpt):
    with pytest.raises(ValueError, match=r"T <= block_size = 8, got \(1, 9\)"):
        gpt(np.zeros((1, 9), dtype=np.int64))
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 7\)"):
        gpt(np.full((1, 3), 7))
    with pytest.raises(TypeError, match="integer array"):
        gpt(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"n_embd \(10\) must be divisible by n_head \(4\)"):
        GPT(5, 8, n_head=4, n_embd=10)


def test_sorting_task_split_and_targets():
    (x, y), (xt, yt) = make_sorting(4, 3, test_fraction=0.25, rng=0)
    assert len(x) + len(xt) == 81 and len(xt) == 20
    seen = {tuple(r[:4]) for r in x}
    assert not seen & {tuple(r[:4]) for r in xt}  # held-out sequences never trained on
    assert x.shape[1] == 7 and (y[:, :3] == IGNORE).all()
    np.testing.assert_array_equal(y[:, 3:], np.sort(x[:, :4], axis=1))
    np.testing.assert_array_equal(x[:, 4:], y[:, 3:-1])  # the model reads its own answers


def test_gpt_float32_activation_module():
    model = GPT(5, 4, n_layer=1, n_head=1, n_embd=4, rng=0, dtype=np.float32)
    assert isinstance(model.blocks[0].activation, GELU)
    assert model(np.zeros((1, 4), dtype=np.int64)).dtype == np.float32


def test_attention_maps_are_causal_rows_of_probabilities(gpt):
    tokens = np.random.default_rng(6).integers(0, 7, (2, 5))
    maps = gpt.attention_maps(tokens)
    assert len(maps) == 2 and maps[0].shape == (2, 2, 5, 5)
    for weights in maps:
        np.testing.assert_allclose(weights.sum(axis=-1), 1, rtol=1e-12)
        assert (weights[..., np.triu_indices(5, 1)[0], np.triu_indices(5, 1)[1]] == 0).all()
    assert gpt.training


# -- training on the shared character-model recipe (scratchdl.models.sequence) -------------
def test_gpt_trains_on_the_shared_recipe_and_is_scored_on_every_character():
    from scratchdl.models.sequence import char_lm_loss, train_char_lm

    ids = np.tile(np.array([0, 1, 2, 3, 2, 1]), 50)  # a periodic text a GPT learns quickly
    model = GPT(4, 8, n_layer=1, n_head=2, n_embd=16, rng=0)
    before = char_lm_loss(model, ids, context=8)
    # the batch size only groups the windows: every character is scored once either way
    assert char_lm_loss(model, ids, context=8, batch_size=3) == pytest.approx(before, rel=1e-12)
    history = train_char_lm(model, ids, steps=60, batch_size=8, context=8, lr=1e-2, rng=0)
    after = char_lm_loss(model, ids, context=8)
    assert history.shape == (60,) and after < 0.5 * before
    # A context longer than the GPT's block_size is refused by the model, clearly.
    with pytest.raises(ValueError, match="block_size"):
        char_lm_loss(model, ids, context=9)


@pytest.mark.parametrize("norm_first", [False, True])
def test_a_bad_mask_changes_nothing(norm_first):
    layer = TransformerDecoderLayer(8, 2, 16, batch_first=True, norm_first=norm_first, rng=0)
    tgt, memory = data((2, 3, 8)), data((2, 4, 8), 1)
    layer(tgt, memory)
    caches = [(m.x_hat, m.inv_std) for m in (layer.norm1, layer.norm2, layer.norm3)]
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(N, S\) = \(2, 4\)"):
        layer(tgt, memory, memory_key_padding_mask=np.zeros((2, 3), dtype=bool))
    for m, (x_hat, inv_std) in zip((layer.norm1, layer.norm2, layer.norm3), caches,
                                   strict=True):
        assert m.x_hat is x_hat and m.inv_std is inv_std
    encoder = TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=norm_first, rng=0)
    encoder(tgt)
    before = encoder.norm1.x_hat
    with pytest.raises(ValueError, match="attn_mask"):
        encoder(tgt, src_mask=np.zeros((2, 2)))
    assert encoder.norm1.x_hat is before
