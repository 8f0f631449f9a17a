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
