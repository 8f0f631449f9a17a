"""scratchdl.data.sequences: the sequence tasks, and CharVocabulary."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.data import (
    CharVocabulary,
    make_adding_problem,
    make_delayed_recall,
    make_noisy_sine,
)


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


def test_vocabulary_round_trip_and_bad_ids():
    text = "Shall I compare thee to a summer's day?\n"
    vocab = CharVocabulary(text)
    assert len(vocab) == len(set(text)) and vocab.chars == sorted(set(text))
    ids = vocab.encode("Shall I compare thee")
    assert ids.dtype == np.int64 and vocab.decode(ids) == "Shall I compare thee"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("Z@")
    for bad in ([-1], [1.7], [len(vocab)], [True]):
        with pytest.raises(ValueError, match=r"CharVocabulary\.decode"):
            vocab.decode(bad)
    with pytest.raises(TypeError, match="CharVocabulary"):
        CharVocabulary(["a", "b"])
