"""Helpers for training recurrent networks: gradient clipping and truncated BPTT."""

from __future__ import annotations

import math

import numpy as np

from scratchdl._validation import NonFiniteError, check_number
from scratchdl.nn.module import unique_parameters

__all__ = ["clip_grad_norm_", "truncated_bptt"]


def __getattr__(name):
    # StatefulCheck moved to scratchdl.gradcheck, beside the check it serves; the old import
    # keeps working for the chapters and tests that still use it.
    if name == "StatefulCheck":
        from scratchdl.gradcheck import StatefulCheck

        return StatefulCheck
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def clip_grad_norm_(module, max_norm, norm_type=2.0) -> float:
    r"""Rescale all gradients together so that their joint norm is at most ``max_norm``.

    With :math:`\nu = \|(g_1, \dots, g_k)\|_p` the norm of all gradients seen as one vector,
    every gradient is multiplied, in place, by :math:`\min(1, \text{max\_norm} / (\nu +
    10^{-6}))`, as ``torch.nn.utils.clip_grad_norm_`` does. The direction of the update is
    kept; only its length is capped, which stops one exploding step from throwing the
    parameters far away.

    Parameters
    ----------
    module : Module or iterable of Modules
    max_norm : float > 0
    norm_type : float >= 1 or math.inf

    Returns
    -------
    float
        The norm :math:`\nu` *before* clipping.

    Raises
    ------
    ValueError
        If a gradient holds NaN or inf (the norm would be NaN and nothing clipped,
        ``error_if_nonfinite=True`` in PyTorch); the gradients are left unchanged.
    """
    parameters = unique_parameters(module, "clip_grad_norm_")
    grads = [grad for _, _, grad in parameters]
    max_norm = check_number(max_norm, "max_norm", low=0, low_inclusive=False,
                            owner="clip_grad_norm_")
    if norm_type != math.inf:
        norm_type = check_number(norm_type, "norm_type", low=1, owner="clip_grad_norm_")
    if not grads:
        return 0.0
    for name, _, grad in parameters:
        if not np.all(np.isfinite(grad)):
            raise NonFiniteError(f"clip_grad_norm_: the gradient of {name!r} contains NaN or "
                                 "inf, so the total norm is not finite; nothing was clipped")
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g))) for g in grads)
    else:
        total = float(sum(np.sum(np.abs(g.astype(np.float64)) ** norm_type) for g in grads)
                      ** (1 / norm_type))
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        for grad in grads:
            grad *= scale
    return total


def truncated_bptt(step, x, y, chunk_length, state=None):
    """Run ``step`` over consecutive time chunks of a long sequence, carrying the state.

    Truncated backpropagation through time: the forward pass of each chunk starts from the
    final state of the previous one (so the model sees the whole past), but ``backward``
    stops at the chunk's start (so memory and time per update do not grow with the
    sequence). Because scratchdl's states are plain arrays, passing the state on already
    "detaches" it.

    Parameters
    ----------
    step : callable ``step(x_chunk, y_chunk, state) -> (loss, state)``
        One update on a chunk: forward from ``state`` (``None`` = zeros), loss, backward,
        optimizer step. It returns the loss (a float) and the chunk's final state.
    x : (N, T, ...) array
    y : (N, T, ...) array or None
        Targets aligned with ``x`` in time, cut the same way.
    chunk_length : int
        Steps per chunk; the last chunk may be shorter.
    state : optional
        Initial state (whatever the model's ``forward`` takes as ``hx``).

    Returns
    -------
    losses : list of float
        One per chunk.
    state
        The final state after the last chunk, to continue from.
    """
    if not callable(step):
        raise TypeError(f"truncated_bptt: step must be a function step(x_chunk, y_chunk, "
                        f"state) -> (loss, state), got {type(step).__name__}")
    chunk_length = check_number(chunk_length, "chunk_length", low=1, integer=True,
                                owner="truncated_bptt")
    if not isinstance(x, np.ndarray) or x.ndim < 2:
        raise ValueError(f"truncated_bptt: x must be an (N, T, ...) array, got "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    if y is not None and (not isinstance(y, np.ndarray) or y.shape[:2] != x.shape[:2]):
        raise ValueError(f"truncated_bptt: y must start with x's (N, T) = {x.shape[:2]}, got "
                         f"{getattr(y, 'shape', type(y).__name__)}")
    losses = []
    for start in range(0, x.shape[1], chunk_length):
        stop = start + chunk_length
        loss, state = step(x[:, start:stop], None if y is None else y[:, start:stop], state)
        losses.append(float(loss))
    return losses, state
