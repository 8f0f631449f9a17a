"""Positional encodings: tell a permutation-equivariant attention layer where each token is.

Attention treats its input as a set: permuting the tokens permutes the output the same
way. Adding a vector that depends on the position breaks that symmetry. Two kinds:
the fixed sinusoids of Vaswani et al. (2017) and a learned table (GPT).
"""

from __future__ import annotations

import numpy as np

from scratchdl import init
from scratchdl._validation import check_number, check_rng
from scratchdl.nn._checks import check_dout, check_dtype, check_input, describe
from scratchdl.nn.module import Module

__all__ = ["sinusoidal_encoding", "SinusoidalPositionalEncoding", "LearnedPositionalEmbedding"]


def sinusoidal_encoding(max_len, d_model, dtype=np.float64):
    r"""The (max_len, d_model) table :math:`\mathbf P` of Vaswani et al. (2017).

    .. math::
        P_{t, 2i} = \sin\bigl(t / 10000^{2i/D}\bigr), \qquad
        P_{t, 2i+1} = \cos\bigl(t / 10000^{2i/D}\bigr).

    Each pair of columns is a clock at its own frequency, from one turn every
    :math:`2\pi` positions down to one every :math:`2\pi \cdot 10000`; the encoding of
    position :math:`t + k` is a fixed rotation of that of :math:`t` in every pair.
    """
    t = np.arange(max_len)[:, None]
    frequency = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)
    P = np.zeros((max_len, d_model))
    P[:, 0::2] = np.sin(t * frequency)
    P[:, 1::2] = np.cos(t * frequency[: d_model // 2])
    return P.astype(dtype)


class _AddPositions(Module):
    """Add row ``start + t`` of a (max_len, D) table to position ``t`` of ``x`` (N, T, D)."""

    def __init__(self, max_len, d_model, dtype):
        super().__init__()
        owner = type(self).__name__
        self.max_len = check_number(max_len, "max_len", low=1, integer=True, owner=owner)
        self.d_model = check_number(d_model, "d_model", low=1, integer=True, owner=owner)
        self._dtype = check_dtype(dtype, owner)
        self._out = None

    def extra_repr(self):
        return f"{self.max_len}, {self.d_model}"

    def _positions(self, x, start):
        check_input(self, x, features=self.d_model, dtype=self._dtype)
        start = check_number(start, "start", low=0, integer=True, owner=describe(self))
        if x.ndim != 3 or start + x.shape[1] > self.max_len:
            raise ValueError(f"{describe(self)}: x must have shape (N, T, {self.d_model}) "
                             f"with start + T <= max_len = {self.max_len}, got {x.shape} "
                             f"and start = {start}")
        self._out = (x.shape, x.dtype, start)
        return slice(start, start + x.shape[1])

    def backward(self, dout):
        shape, dtype, _ = self._out if self._out is not None else (None, None, None)
        return check_dout(self, dout, shape, dtype)


class SinusoidalPositionalEncoding(_AddPositions):
    """``forward(x, start=0)`` returns ``x + P[start:start + T]``; no parameters.

    ``x`` is (N, T, d_model); backward is the identity.
    """

    def __init__(self, d_model, max_len=5000, *, dtype=np.float64):
        super().__init__(max_len, d_model, dtype)
        self.register_buffer("pe", sinusoidal_encoding(self.max_len, self.d_model, self._dtype))

    def forward(self, x, start=0):
        return x + self.pe[self._positions(x, start)]


class LearnedPositionalEmbedding(_AddPositions):
    r"""``forward(x, start=0)`` returns ``x + W[start:start + T]`` with a learned ``weight``.

    GPT's position embedding. ``weight`` (max_len, d_model) starts from :math:`N(0, 1)` as
    a PyTorch ``nn.Embedding`` does; its gradient is ``dout`` summed over the batch.
    """

    def __init__(self, max_len, d_model, *, rng=None, dtype=np.float64):
        super().__init__(max_len, d_model, dtype)
        weight = np.empty((self.max_len, self.d_model), dtype=self._dtype)
        self.register_parameter("weight", init.normal_(weight, rng=check_rng(rng)))

    def forward(self, x, start=0):
        return x + self.weight[self._positions(x, start)]

    def backward(self, dout):
        dout = super().backward(dout)
        _, _, start = self._out
        self.grads["weight"][start:start + dout.shape[1]] += dout.sum(axis=0)
        return dout
