"""Composite recurrent models used by chapters 5 and 6, assembled from :mod:`scratchdl.nn`,
and the character-level language-model recipe that chapters 6 and 11 share.

The models follow the Module protocol (forward caches, backward adds gradients); they
only wire package layers together, so their gradients are those of the layers, checked
elsewhere. They are composite Modules, not estimators: they live in
``scratchdl.models`` beside the other complete models a chapter trains.

The recipe: :data:`SHAKESPEARE_LSTM` holds the sizes and the training budget (steps,
batch, context); :func:`shakespeare_lstm` builds the LSTM, :func:`train_char_lm` trains
any character model on random windows of the text, and :func:`char_lm_loss` measures
nats per character on held-out text, so that two architectures can be compared on the
same budget and the same measure.
"""

from __future__ import annotations

import numpy as np

from scratchdl import optim
from scratchdl._validation import NonFiniteError, check_number, check_rng
from scratchdl.functional import softmax
from scratchdl.losses import SequenceCrossEntropyLoss
from scratchdl.nn import GRU, LSTM, RNN, Embedding, Linear, Module, clip_grad_norm_

__all__ = ["SequenceClassifier", "CharLanguageModel", "SHAKESPEARE_LSTM", "shakespeare_lstm",
           "train_char_lm", "char_lm_loss"]

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


#: Chapter 6's character-level LSTM on Tiny Shakespeare, and its training budget: sizes,
#: steps x batch x context (steps * batch_size * context characters are read, about 0.6 of
#: one pass over the training text), Adam's learning rate, the clipping threshold, and
#: the forget-gate bias the LSTM starts from. Chapter 11 trains its GPT on the same budget.
SHAKESPEARE_LSTM = {
    "embedding_dim": 32,
    "hidden_size": 128,
    "forget_bias": 1.0,
    "steps": 300,
    "batch_size": 32,
    "context": 64,
    "lr": 1e-2,
    "clip": 1.0,
}


def shakespeare_lstm(vocab_size, *, rng=None, dtype=np.float32):
    """The LSTM language model of :data:`SHAKESPEARE_LSTM`, untrained.

    Embedding (``embedding_dim``) -> LSTM (``hidden_size``) -> Linear, with the forget
    gate's input bias set to ``forget_bias`` (PyTorch's gate order i, f, g, o: rows
    H..2H of ``bias_ih_l0``).
    """
    recipe = SHAKESPEARE_LSTM
    model = CharLanguageModel("lstm", vocab_size, recipe["embedding_dim"],
                              recipe["hidden_size"], rng=rng, dtype=dtype)
    hidden = recipe["hidden_size"]
    model.rnn.bias_ih_l0[hidden:2 * hidden] = recipe["forget_bias"]
    return model


def _check_ids(ids, name, min_length, owner):
    if not isinstance(ids, np.ndarray) or ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"{owner}: {name} must be a 1-D integer array of character ids, got "
                         f"{getattr(ids, 'dtype', type(ids).__name__)} "
                         f"{getattr(ids, 'shape', '')}")
    if len(ids) < min_length:
        raise ValueError(f"{owner}: {name} must hold at least {min_length} ids, "
                         f"got {len(ids)}")
    return ids


def train_char_lm(model, ids, *, steps, batch_size, context, lr=1e-2, clip=1.0, rng=None):
    """Train a character model on ``steps`` batches of random windows of ``ids``.

    Each step draws ``batch_size`` windows of ``context + 1`` consecutive ids at random
    offsets, predicts ids 1..context from ids 0..context-1 (every window starts from a
    zero state, as a Transformer's context does), and takes one Adam step after clipping
    the gradient's global norm at ``clip``. The budget is ``steps * batch_size * context``
    predicted characters. The model is switched to training mode (``model.train()``, so
    that a dropout layer drops) and left in it.

    Parameters
    ----------
    model : Module
        ``forward(tokens)`` maps (N, T) ids to (N, T, vocab) logits; ``backward(dlogits)``.
    ids : (n,) int array
        The training text as ids.
    steps, batch_size, context : int
    lr : float
        Adam's learning rate.
    clip : float
        Threshold of :func:`scratchdl.nn.utils.clip_grad_norm_`.
    rng : numpy.random.Generator or int or None
        Draws the windows.

    Returns
    -------
    (steps,) float array
        The training loss of every step, nats per character.

    Raises
    ------
    FloatingPointError
        If a step's loss is NaN or infinite, or the logits it is computed from are (the
        network diverged: a learning rate too large, say); the message names the step
        and the value. That step's update is not applied: the model keeps the
        parameters of the previous step.
    """
    owner = "train_char_lm"
    steps = check_number(steps, "steps", low=1, integer=True, owner=owner)
    batch_size = check_number(batch_size, "batch_size", low=1, integer=True, owner=owner)
    context = check_number(context, "context", low=1, integer=True, owner=owner)
    lr = check_number(lr, "lr", low=0, low_inclusive=False, owner=owner)
    clip = check_number(clip, "clip", low=0, low_inclusive=False, owner=owner)
    ids = _check_ids(ids, "ids", context + 1, owner)
    rng = check_rng(rng)
    model.train()
    optimizer = optim.Adam(model, lr=lr)
    loss = SequenceCrossEntropyLoss()
    offsets = np.arange(context + 1)
    losses = np.empty(steps)
    for step in range(steps):
        starts = rng.integers(0, len(ids) - context, batch_size)
        windows = ids[starts[:, None] + offsets]
        optimizer.zero_grad()
        try:
            losses[step] = loss(model.forward(windows[:, :-1]), windows[:, 1:])
            cause = None
        except NonFiniteError as error:  # the network diverged: NaN or inf activations
            losses[step], cause = np.nan, error
        if not np.isfinite(losses[step]):
            why = f" ({cause})" if cause is not None else ""
            raise FloatingPointError(
                f"{owner}: the training loss became {losses[step]} at step {step + 1} of "
                f"{steps}{why}; the update was not applied. Lower lr (got {lr}) or clip "
                f"(got {clip})") from cause
        model.backward(loss.backward())
        clip_grad_norm_(model, clip)
        optimizer.step()
    return losses


def char_lm_loss(model, ids, *, context, batch_size=256):
    """Mean cross-entropy, nats per character, of predicting ``ids`` in windows of ``context``.

    The text is cut into consecutive, non-overlapping windows; in each the model predicts
    ids 1..context from ids 0..context-1 starting from a zero state (the leftover tail
    shorter than a window is not scored). Every scored character counts once. Divide by
    ln 2 for bits per character. The model is scored in evaluation mode (dropout off)
    and every submodule is returned to the mode it was in.
    """
    owner = "char_lm_loss"
    context = check_number(context, "context", low=1, integer=True, owner=owner)
    batch_size = check_number(batch_size, "batch_size", low=1, integer=True, owner=owner)
    ids = _check_ids(ids, "ids", context + 1, owner)
    n_windows = (len(ids) - 1) // context
    inputs = ids[:n_windows * context].reshape(n_windows, context)
    targets = ids[1:n_windows * context + 1].reshape(n_windows, context)
    loss = SequenceCrossEntropyLoss()
    modes = [(module, module.training) for _, module in model.named_modules()]
    model.eval()
    try:
        total = 0.0
        for start in range(0, n_windows, batch_size):
            rows = slice(start, start + batch_size)
            total += loss(model.forward(inputs[rows]), targets[rows]) * len(inputs[rows])
    finally:
        for module, training in modes:  # parents first, so each child ends as it was
            module.train(training)
    return total / n_windows
