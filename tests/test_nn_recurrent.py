"""scratchdl's recurrent layers, Embedding, the masked sequence loss, clipping and truncated
BPTT: gradient checks in float64, state handling, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchdl import nn
from scratchdl.data import (
    CharVocabulary,
    load_sonnets,
    make_adding_problem,
    make_delayed_recall,
    make_noisy_sine,
)
from scratchdl.gradcheck import gradcheck, loss_gradcheck, numerical_gradient
from scratchdl.losses import SequenceCrossEntropyLoss
from scratchdl.nn.utils import StatefulCheck

LAYERS = {
    "rnn_tanh": lambda d, h, layers: nn.RNN(d, h, layers, rng=0),
    "rnn_relu": lambda d, h, layers: nn.RNN(d, h, layers, nonlinearity="relu", rng=0),
    "lstm": lambda d, h, layers: nn.LSTM(d, h, layers, rng=0),
    "gru": lambda d, h, layers: nn.GRU(d, h, layers, rng=0),
    "rnn_nobias": lambda d, h, layers: nn.RNN(d, h, layers, bias=False, rng=0),
}


def data(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def states_for(layer, n, seed=5):
    shape = (layer.num_layers, n, layer.hidden_size)
    count = 2 if isinstance(layer, nn.LSTM) else 1
    return [data(shape, seed + k) * 0.5 for k in range(count)]


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize(("n", "steps", "d", "h", "layers"), [(2, 4, 3, 5, 1), (3, 3, 2, 4, 2)])
def test_gradcheck_with_initial_state(kind, n, steps, d, h, layers):
    layer = LAYERS[kind](d, h, layers)
    result = gradcheck(StatefulCheck(layer), data((n, steps, d), 1), *states_for(layer, n))
    assert result.passed(), result
    assert {"input0", "input1"} <= set(result.errors)
    assert len(result.errors) == len(layer.params) + 1 + len(states_for(layer, n))


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_gradcheck_without_initial_state(kind):
    layer = LAYERS[kind](3, 4, 1)

    class OutputOnly(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = layer

        def forward(self, x):
            return self.layer(x)[0]

        def backward(self, dout):
            return self.layer.backward(dout)

    assert gradcheck(OutputOnly(), data((2, 5, 3), 2)).passed()


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_chunks_with_carried_state_equal_the_full_sequence(kind):
    """Forward in two chunks = forward once; backward chained through dh0 = full BPTT."""
    layer = LAYERS[kind](3, 4, 2)
    x, dout = data((2, 7, 3), 1), data((2, 7, 4), 2)
    full, _ = layer(x)
    layer.zero_grad()
    dx_full = layer.backward(dout)
    grads_full = {k: g.copy() for k, g in layer.grads.items()}

    first, state = layer(x[:, :3])
    second, _ = layer(x[:, 3:], state)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), full, rtol=1e-13)
    # Backward of the second chunk, then the first with the second's dL/dh0 (and dL/dc0).
    layer.zero_grad()
    dx2 = layer.backward(dout[:, 3:])
    carried = (layer.dh0,) if not isinstance(layer, nn.LSTM) else (layer.dh0, layer.dc0)
    layer(x[:, :3])
    dx1 = layer.backward(dout[:, :3], *carried)
    np.testing.assert_allclose(np.concatenate([dx1, dx2], axis=1), dx_full, rtol=1e-12)
    for name, grad in layer.grads.items():
        np.testing.assert_allclose(grad, grads_full[name], rtol=1e-12, atol=1e-14)


def test_gradcheck_of_a_truncated_chunk_from_a_carried_state():
    layer = nn.LSTM(2, 3, rng=0)
    x = data((2, 8, 2), 3)
    _, (h, c) = layer(x[:, :4])
    result = gradcheck(StatefulCheck(layer), x[:, 4:].copy(), h, c)
    assert result.passed(), result


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


def test_parameters_names_shapes_and_init():
    lstm = nn.LSTM(3, 5, num_layers=2, rng=0)
    assert sorted(lstm.params) == sorted(
        f"{w}_l{k}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") for k in (0, 1))
    assert lstm.params["weight_ih_l0"].shape == (20, 3)
    assert lstm.params["weight_ih_l1"].shape == (20, 5)
    assert lstm.params["weight_hh_l1"].shape == (20, 5)
    assert nn.GRU(3, 5, rng=0).params["bias_hh_l0"].shape == (15,)
    bound = 1 / math.sqrt(5)
    assert all(np.abs(p).max() <= bound for p in lstm.params.values())
    assert repr(lstm) == "LSTM(3, 5, num_layers=2)"
    assert repr(nn.RNN(2, 3, nonlinearity="relu", bias=False)) == \
        "RNN(2, 3, nonlinearity='relu', bias=False)"
    out, h_n = nn.RNN(2, 3, rng=0)(np.zeros((4, 6, 2)))
    assert out.shape == (4, 6, 3) and h_n.shape == (1, 4, 3)
    np.testing.assert_array_equal(out[:, -1], h_n[0])


def test_float32_keeps_dtype():
    layer = nn.LSTM(2, 3, rng=0, dtype=np.float32)
    out, (h, c) = layer(np.ones((2, 4, 2), dtype=np.float32))
    assert out.dtype == h.dtype == c.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32
    with pytest.raises(TypeError, match="float64"):
        layer(np.ones((2, 4, 2)))


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_bad_input_is_rejected_and_nothing_changes(kind):
    layer = LAYERS[kind](3, 4, 2)
    x = data((2, 5, 3), 1)
    out, _ = layer(x)
    before = {k: v.copy() for k, v in layer.params.items()}
    cache = layer.cache
    name = type(layer).__name__
    with pytest.raises(ValueError, match=rf"{name}\(3, 4, num_layers=2\): x must have shape "
                                         r"\(N, T, 3\)"):
        layer(data((2, 5, 4), 1))
    with pytest.raises(ValueError, match="x must have shape"):
        layer(data((5, 3), 1))
    with pytest.raises(TypeError, match="numpy array"):
        layer(x.tolist())
    with pytest.raises(ValueError, match="NaN"):
        layer(np.full((2, 5, 3), np.nan))
    bad_state = data((2, 2, 4), 3)  # (num_layers, N, H) would be (2, 2, 4); give wrong N
    wrong = data((2, 3, 4), 3)
    hx = (wrong, bad_state) if kind == "lstm" else wrong
    with pytest.raises(ValueError, match=r"must have shape \(num_layers, N, hidden_size\) = "
                                         r"\(2, 2, 4\), got \(2, 3, 4\)"):
        layer(x, hx)
    if kind == "lstm":
        with pytest.raises(TypeError, match="pair"):
            layer(x, bad_state)
    with pytest.raises(ValueError, match=r"dout must have the output's shape"):
        layer.backward(data((2, 5, 3), 1))
    with pytest.raises(ValueError, match="dh_n must have shape"):
        layer.backward(data(out.shape, 1), data((1, 2, 4), 1))
    assert layer.cache is cache
    for key, value in layer.params.items():
        np.testing.assert_array_equal(value, before[key])
    assert not any(g.any() for g in layer.grads.values())
    with pytest.raises(RuntimeError, match="before forward"):
        LAYERS[kind](3, 4, 1).backward(data((2, 5, 4), 1))


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size"):
        nn.LSTM(2, 0)
    with pytest.raises(ValueError, match="num_layers"):
        nn.GRU(2, 3, num_layers=0)
    with pytest.raises(TypeError, match="dtype"):
        nn.RNN(2, 3, dtype=np.int64)


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


# -- data -----------------------------------------------------------------------------------------
def test_sequence_generators():
    tokens, y = make_delayed_recall(50, lag=7, n_symbols=3, n_distractors=2, rng=0)
    assert tokens.shape == (50, 8) and np.array_equal(tokens[:, 0], y)
    assert tokens[:, 1:].min() >= 3 and tokens[:, 1:].max() <= 4 and y.max() <= 2
    np.testing.assert_array_equal(make_delayed_recall(5, 3, rng=1)[0],
                                  make_delayed_recall(5, 3, rng=1)[0])
    X, y = make_adding_problem(40, 10, rng=0)
    assert X.shape == (40, 10, 2) and y.shape == (40, 1)
    assert np.all(X[:, :, 1].sum(axis=1) == 2)
    assert np.all(X[:, :5, 1].sum(axis=1) == 1)
    np.testing.assert_allclose((X[:, :, 0] * X[:, :, 1]).sum(axis=1), y[:, 0])
    X, y = make_noisy_sine(4, 20, noise=0.0, rng=0)
    np.testing.assert_array_equal(X[:, 1:], y[:, :-1])
    with pytest.raises(ValueError, match="lag"):
        make_delayed_recall(5, lag=0)


def test_sonnets_and_vocabulary():
    text = load_sonnets()
    assert len(text) == 12529 and text.startswith("SHAKESPEARE'S SONNETS")
    vocab = CharVocabulary(text)
    ids = vocab.encode("Shall I compare thee")
    assert vocab.decode(ids) == "Shall I compare thee"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("Z@")
    with pytest.raises(ValueError, match="corrupt"):
        load_sonnets(sha256="0" * 64)


# -- composite models -------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_sequence_models_gradcheck_and_sampling(cell):
    from scratchdl.models import CharLanguageModel, SequenceClassifier

    tokens = np.random.default_rng(0).integers(0, 5, (3, 4))
    classifier = SequenceClassifier(cell, 5, 3, 4, 2, rng=0)
    assert classifier(tokens).shape == (3, 2)
    assert gradcheck(classifier, tokens).passed()
    lm = CharLanguageModel(cell, 5, 3, 4, rng=0)
    assert lm(tokens).shape == (3, 4, 5)
    assert gradcheck(lm, tokens).passed()
    first = lm.sample(np.array([1, 2]), 8, temperature=0.7, rng=3)
    assert first.shape == (8,) and first.max() < 5
    np.testing.assert_array_equal(first, lm.sample(np.array([1, 2]), 8, temperature=0.7, rng=3))
    with pytest.raises(ValueError, match="temperature"):
        lm.sample(np.array([1]), 3, temperature=0)
    with pytest.raises(ValueError, match="cell must be one of"):
        SequenceClassifier("transformer", 5, 3, 4, 2)
