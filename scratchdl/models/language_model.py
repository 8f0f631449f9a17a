"""Training and evaluating character-level language models on one fixed budget.

Any Module whose ``forward`` maps (N, T) token ids to (N, T, V) next-token logits and whose
``backward`` takes dL/d(logits) fits: chapter 11's :class:`~scratchdl.models.gpt.GPT` and
chapter 06's :class:`~scratchdl.models.sequence.CharLanguageModel` with an LSTM. Both are trained
on the same random windows (nanoGPT's ``get_batch``), so a comparison spends the same
budget: steps × batch size × context length characters.
"""

from __future__ import annotations

import numpy as np

from scratchdl._validation import check_number, check_rng
from scratchdl.losses import SequenceCrossEntropyLoss
from scratchdl.nn.utils import clip_grad_norm_

__all__ = ["random_windows", "train_language_model", "evaluate_language_model"]


def random_windows(ids, batch_size, block_size, rng):
    """``batch_size`` random windows of a 1-D id array: inputs and next-character targets.

    Returns
    -------
    x, y : (batch_size, block_size) int64 arrays, ``y[:, t] = ids[start + t + 1]``.
    """
    starts = rng.integers(0, len(ids) - block_size, batch_size)
    offsets = np.arange(block_size)
    x = ids[starts[:, None] + offsets]
    y = ids[starts[:, None] + offsets + 1]
    return x, y


def _check(ids, batch_size, block_size, owner):
    if not isinstance(ids, np.ndarray) or ids.ndim != 1 or not np.issubdtype(ids.dtype,
                                                                             np.integer):
        raise TypeError(f"{owner}: ids must be a 1-D integer array of token ids")
    batch_size = check_number(batch_size, "batch_size", low=1, integer=True, owner=owner)
    block_size = check_number(block_size, "block_size", low=1, integer=True, owner=owner)
    if len(ids) <= block_size:
        raise ValueError(f"{owner}: ids must be longer than block_size = {block_size}, got "
                         f"{len(ids)} ids")
    return batch_size, block_size


def train_language_model(model, optimizer, ids, *, steps, batch_size, block_size, rng=None,
                         max_grad_norm=1.0):
    """Train ``model`` for ``steps`` updates on random windows of ``ids``.

    Each step draws ``batch_size`` windows of ``block_size`` characters, computes the mean
    cross-entropy of every next-character prediction, back-propagates, clips the gradient
    norm to ``max_grad_norm`` (None: no clipping) and takes one optimizer step.

    Returns
    -------
    (steps,) float array
        The training loss of every step, in nats per character.
    """
    owner = "train_language_model"
    batch_size, block_size = _check(ids, batch_size, block_size, owner)
    steps = check_number(steps, "steps", low=1, integer=True, owner=owner)
    rng = check_rng(rng)
    loss = SequenceCrossEntropyLoss()
    history = np.empty(steps)
    model.train()
    for step in range(steps):
        x, y = random_windows(ids, batch_size, block_size, rng)
        optimizer.zero_grad()
        history[step] = loss(model(x), y)
        if not np.isfinite(history[step]):
            raise FloatingPointError(f"{owner}: the loss became {history[step]} at step {step}")
        model.backward(loss.backward())
        if max_grad_norm is not None:
            clip_grad_norm_(model, max_grad_norm)
        optimizer.step()
    return history


def evaluate_language_model(model, ids, *, batch_size, block_size, n_batches, rng=0):
    """Mean next-character cross-entropy (nats) over ``n_batches`` random windows, eval mode.

    The windows are drawn from ``rng`` (a seed gives every model the very same windows).
    """
    owner = "evaluate_language_model"
    batch_size, block_size = _check(ids, batch_size, block_size, owner)
    n_batches = check_number(n_batches, "n_batches", low=1, integer=True, owner=owner)
    rng = check_rng(rng)
    loss = SequenceCrossEntropyLoss()
    was_training = model.training
    model.eval()
    try:
        total = 0.0
        for _ in range(n_batches):
            x, y = random_windows(ids, batch_size, block_size, rng)
            total += loss(model(x), y)
    finally:
        model.train(was_training)
    return total / n_batches
