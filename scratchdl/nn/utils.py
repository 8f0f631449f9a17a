"""Helpers for training recurrent networks: gradient clipping and truncated BPTT."""

from __future__ import annotations

import math

import numpy as np

from scratchdl._validation import check_number
from scratchdl.nn.module import Module, unique_parameters

__all__ = ["clip_grad_norm_", "truncated_bptt", "StatefulCheck"]


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
    """
    grads = [grad for _, _, grad in unique_parameters(module, "clip_grad_norm_")]
    max_norm = check_number(max_norm, "max_norm", low=0, low_inclusive=False,
                            owner="clip_grad_norm_")
    if norm_type != math.inf:
        norm_type = check_number(norm_type, "norm_type", low=1, owner="clip_grad_norm_")
    if not grads:
        return 0.0
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


class StatefulCheck(Module):
    """A recurrent layer seen as one array in, one array out, for the gradient check.

    See :func:`~scratchdl.gradcheck.gradcheck`.

    ``forward(x, h0)`` (``forward(x, h0, c0)`` for an LSTM) runs the layer from the given
    initial state and returns its output and final state(s) flattened into one vector, so
    a gradient check covers dL/dx, dL/dh_0 (and dL/dc_0), every parameter, and the
    gradients arriving through ``h_n`` (and ``c_n``) at once.

    Parameters
    ----------
    layer : RNN, LSTM or GRU
    """

    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        self.shapes = None

    def forward(self, x, *states):
        hx = states[0] if len(states) == 1 else tuple(states)
        output, final = self.layer.forward(x, hx)
        finals = final if isinstance(final, tuple) else (final,)
        self.shapes = [output.shape] + [f.shape for f in finals]
        return np.concatenate([output.ravel()] + [f.ravel() for f in finals])

    def backward(self, dout):
        pieces, start = [], 0
        for shape in self.shapes:
            size = int(np.prod(shape))
            pieces.append(dout[start:start + size].reshape(shape))
            start += size
        dx = self.layer.backward(*pieces)
        dstates = (self.layer.dh0,) if len(pieces) == 2 else (self.layer.dh0, self.layer.dc0)
        return (dx, *dstates)
