"""Composite recurrent models used by chapters 5 and 6, assembled from :mod:`scratchdl.nn`.

Both follow the Module protocol (forward caches, backward adds gradients); they only wire
package layers together, so their gradients are those of the layers, checked elsewhere.
"""

from __future__ import annotations

import numpy as np

from scratchdl._validation import check_number, check_rng
from scratchdl.functional import softmax
from scratchdl.nn import GRU, LSTM, RNN, Embedding, Linear, Module

__all__ = ["SequenceClassifier", "CharLanguageModel"]

_CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def _make_cell(cell, input_size, hidden_size, rng, dtype):
    if cell not in _CELLS:
        raise ValueError(f"cell must be one of {sorted(_CELLS)}, got {cell!r}")
    return _CELLS[cell](input_size, hidden_size, rng=rng, dtype=dtype)


class SequenceClassifier(Module):
    """Token ids -> Embedding -> RNN / LSTM / GRU -> Linear on the last hidden state.

    Parameters
    ----------
    cell : {'rnn', 'lstm', 'gru'}
    num_embeddings, embedding_dim : int
        Vocabulary size and embedding width.
    hidden_size : int
    num_classes : int
    rng : numpy.random.Generator or int or None
    dtype : float32 or float64

    Notes
    -----
    ``forward(tokens)`` takes (N, T) int ids and returns (N, num_classes) logits: only the
    state after the last token is read, so everything about early tokens must travel
    through the recurrence. ``backward(dlogits)`` returns None.
    """

    def __init__(self, cell, num_embeddings, embedding_dim, hidden_size, num_classes, *,
                 rng=None, dtype=np.float64):
        super().__init__()
        rng = check_rng(rng)
        self.embedding = Embedding(num_embeddings, embedding_dim, rng=rng, dtype=dtype)
        self.rnn = _make_cell(cell, embedding_dim, hidden_size, rng, dtype)
        self.head = Linear(hidden_size, num_classes, rng=rng, dtype=dtype)
        self.output_shape = None

    def forward(self, tokens):
        output, _ = self.rnn(self.embedding(tokens))
        self.output_shape = output.shape
        return self.head(output[:, -1])

    def backward(self, dlogits):
        dlast = self.head.backward(dlogits)
        # Only the last step feeds the loss: dL/d(output) is zero at every other step.
        doutput = np.zeros(self.output_shape, dtype=dlast.dtype)
        doutput[:, -1] = dlast
        self.embedding.backward(self.rnn.backward(doutput))


class CharLanguageModel(Module):
    """Character ids -> Embedding -> RNN / LSTM / GRU -> Linear at every step.

    Parameters
    ----------
    cell : {'rnn', 'lstm', 'gru'}
    vocab_size, embedding_dim, hidden_size : int
    rng, dtype
        As in :class:`SequenceClassifier`.

    Notes
    -----
    ``forward(tokens, hx=None)`` takes (N, T) ids and an initial state and returns
    (N, T, vocab_size) logits for the *next* character at every step; the final state is
    kept in ``state`` so that the next chunk of a long text can start from it (truncated
    BPTT). ``backward(dlogits)`` returns None.
    """

    def __init__(self, cell, vocab_size, embedding_dim, hidden_size, *, rng=None,
                 dtype=np.float64):
        super().__init__()
        rng = check_rng(rng)
        self.embedding = Embedding(vocab_size, embedding_dim, rng=rng, dtype=dtype)
        self.rnn = _make_cell(cell, embedding_dim, hidden_size, rng, dtype)
        self.head = Linear(hidden_size, vocab_size, rng=rng, dtype=dtype)
        self.state = None

    def forward(self, tokens, hx=None):
        output, self.state = self.rnn(self.embedding(tokens), hx)
        return self.head(output)

    def backward(self, dlogits):
        self.embedding.backward(self.rnn.backward(self.head.backward(dlogits)))

    def sample(self, prompt, length, *, temperature=1.0, rng=None):
        """Generate ``length`` ids after the (non-empty) int array ``prompt``.

        Each next id is drawn from :math:`\\operatorname{softmax}(z / \\tau)` of the
        logits :math:`z`, with temperature :math:`\\tau`: small :math:`\\tau` approaches
        always taking the most likely character, large :math:`\\tau` a uniform draw.
        """
        temperature = check_number(temperature, "temperature", low=0, low_inclusive=False,
                                   owner="CharLanguageModel.sample")
        rng = check_rng(rng)
        logits = self.forward(np.asarray(prompt)[None])[:, -1]
        out = []
        for _ in range(length):
            probs = softmax(logits[0].astype(np.float64) / temperature)
            out.append(int(rng.choice(len(probs), p=probs)))
            logits = self.forward(np.array([[out[-1]]]), self.state)[:, -1]
        return np.array(out, dtype=np.int64)
