"""scratchdl.models.sequence: SequenceClassifier and CharLanguageModel (gradient checks,
sampling, bad arguments)."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.gradcheck import gradcheck


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


# -- the character-model recipe shared by chapters 06 and 11 ------------------------------------
def test_char_lm_loss_is_the_mean_over_every_scored_character():
    from scratchdl.functional import log_softmax
    from scratchdl.models.sequence import CharLanguageModel, char_lm_loss

    rng = np.random.default_rng(0)
    ids = rng.integers(0, 5, 23)
    lm = CharLanguageModel("lstm", 5, 3, 4, rng=0)
    context = 4  # 5 windows of 4 predictions; the last two ids are not scored
    expected = []
    for start in range(0, 20, context):
        logp = log_softmax(lm.forward(ids[None, start:start + context]), axis=-1)[0]
        expected += [-logp[t, ids[start + t + 1]] for t in range(context)]
    got = char_lm_loss(lm, ids, context=context, batch_size=2)  # batches of 2, 2 and 1
    np.testing.assert_allclose(got, np.mean(expected), rtol=1e-12)


def test_train_char_lm_learns_a_repeating_text_and_checks_its_arguments():
    from scratchdl.models.sequence import CharLanguageModel, char_lm_loss, train_char_lm

    ids = np.tile(np.arange(4), 50)  # 0 1 2 3 0 1 2 3 ...: each next id is determined
    lm = CharLanguageModel("gru", 4, 4, 8, rng=0)
    before = char_lm_loss(lm, ids, context=8)
    losses = train_char_lm(lm, ids, steps=60, batch_size=8, context=8, lr=3e-2, rng=1)
    assert losses.shape == (60,) and np.isclose(before, np.log(4), atol=0.2)
    assert char_lm_loss(lm, ids, context=8) < 0.1 * before
    with pytest.raises(ValueError, match="train_char_lm: ids"):
        train_char_lm(lm, ids.astype(float), steps=1, batch_size=1, context=4)
    with pytest.raises(ValueError, match="at least 9"):
        train_char_lm(lm, ids[:8], steps=1, batch_size=1, context=8)
    with pytest.raises(ValueError, match="steps"):
        train_char_lm(lm, ids, steps=0, batch_size=1, context=4)


def test_shakespeare_lstm_follows_the_recipe():
    from scratchdl.models.sequence import SHAKESPEARE_LSTM, shakespeare_lstm

    lm = shakespeare_lstm(65, rng=0)
    hidden, emb = SHAKESPEARE_LSTM["hidden_size"], SHAKESPEARE_LSTM["embedding_dim"]
    assert lm.rnn.hidden_size == hidden and lm.embedding.embedding_dim == emb
    assert np.all(lm.rnn.bias_ih_l0[hidden:2 * hidden] == SHAKESPEARE_LSTM["forget_bias"])
    assert lm.rnn.bias_ih_l0.dtype == np.float32
    assert lm.num_parameters() == 4 * hidden * (emb + hidden + 2) + 65 * emb + hidden * 65 + 65



def _lm_whose_forward_breaks(cell, *, dropout=0.0, break_at=None):
    """A character model with dropout on its embeddings; forward call ``break_at``
    returns an infinite logit (what an overflow gives) and records the modes it saw."""
    from scratchdl.models.sequence import CharLanguageModel
    from scratchdl.nn import Dropout

    class Probe(CharLanguageModel):
        def __init__(self):
            super().__init__(cell, 4, 3, 5, rng=0)
            self.drop = Dropout(dropout, rng=0)
            self.calls = 0
            self.modes = []

        def forward(self, tokens, hx=None):
            self.calls += 1
            self.modes.append((self.training, self.rnn.training, self.drop.training))
            output, self.state = self.rnn(self.drop(self.embedding(tokens)), hx)
            logits = self.head(output)
            if self.calls == break_at:
                logits[0, 0, 0] = np.inf
            return logits

        def backward(self, dlogits):
            dx = self.drop.backward(self.rnn.backward(self.head.backward(dlogits)))
            self.embedding.backward(dx)

    return Probe()


def test_train_char_lm_stops_with_the_step_and_value_when_the_loss_is_not_finite():
    from scratchdl.models.sequence import train_char_lm

    ids = np.tile(np.arange(4), 50)
    lm = _lm_whose_forward_breaks("rnn", break_at=3)
    before = {name: p.copy() for name, p in lm.named_parameters()}
    with pytest.raises(FloatingPointError, match=r"train_char_lm: .* (nan|inf) at step 3 of 10"):
        train_char_lm(lm, ids, steps=10, batch_size=2, context=4, rng=0)
    # Two steps were taken; the third, non-finite one was not applied.
    assert lm.calls == 3
    assert all(np.all(np.isfinite(p)) for _, p in lm.named_parameters())
    assert any(not np.array_equal(before[name], p) for name, p in lm.named_parameters())
    with pytest.raises(ValueError, match="train_char_lm: lr"):
        train_char_lm(lm, ids, steps=1, batch_size=1, context=4, lr=0.0)
    with pytest.raises(ValueError, match="train_char_lm: clip"):
        train_char_lm(lm, ids, steps=1, batch_size=1, context=4, clip=-1.0)


def test_train_char_lm_trains_in_training_mode_and_char_lm_loss_scores_in_eval_mode():
    from scratchdl.models.sequence import char_lm_loss, train_char_lm

    ids = np.tile(np.arange(4), 20)
    lm = _lm_whose_forward_breaks("lstm", dropout=0.5)
    lm.eval()
    train_char_lm(lm, ids, steps=2, batch_size=2, context=4, rng=0)
    assert lm.modes == [(True, True, True)] * 2 and lm.training and lm.drop.training

    # Scoring: dropout off, so two scorings agree although the model is in training mode
    # (a training-mode forward of the same windows differs); modes are given back.
    lm.modes.clear()
    lm.rnn.eval()  # a mixed state: the container training, one child not
    first, second = char_lm_loss(lm, ids, context=4), char_lm_loss(lm, ids, context=4)
    assert first == second
    assert lm.modes and all(mode == (False, False, False) for mode in lm.modes)
    assert lm.training and not lm.rnn.training and lm.drop.training
    windows = ids[:16].reshape(4, 4)
    assert not np.array_equal(lm.forward(windows), lm.forward(windows))

    # A failure while scoring still gives the modes back.
    lm.calls, lm.modes = 0, []
    object.__setattr__(lm, "forward", lambda tokens, hx=None: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        char_lm_loss(lm, ids, context=4)
    assert lm.training and not lm.rnn.training and lm.drop.training
