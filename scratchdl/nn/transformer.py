"""Transformer encoder and decoder layers (Vaswani et al., 2017), PyTorch's names and maths.

A layer is attention and a position-wise feed-forward network, each wrapped in a residual
connection and a layer normalization. ``norm_first=False`` (post-norm, the 2017 paper and
PyTorch's default) normalizes after adding the residual; ``norm_first=True`` (pre-norm,
GPT-2 and most models since) normalizes the input of each sub-layer, leaving the residual
stream itself untouched.
"""

from __future__ import annotations

import numpy as np

from scratchdl._validation import check_number, check_rng
from scratchdl.nn._checks import check_dtype
from scratchdl.nn.activation import GELU, ReLU
from scratchdl.nn.attention import MultiheadAttention
from scratchdl.nn.dropout import Dropout
from scratchdl.nn.layer_norm import LayerNorm
from scratchdl.nn.linear import Linear
from scratchdl.nn.module import Module

__all__ = ["TransformerEncoderLayer", "TransformerDecoderLayer"]

_ACTIVATIONS = {"relu": ReLU, "gelu": GELU}


class _FeedForward:
    """The position-wise network ``linear2(dropout(activation(linear1(x))))``.

    Not a Module of its own: its layers are children of the Transformer layer under
    PyTorch's names (``linear1``, ``dropout``, ``linear2``), so ``state_dict`` keys match.
    """

    @staticmethod
    def forward(layer, x):
        return layer.linear2(layer.dropout(layer.activation(layer.linear1(x))))

    @staticmethod
    def backward(layer, dy):
        return layer.linear1.backward(layer.activation.backward(
            layer.dropout.backward(layer.linear2.backward(dy))))


class _TransformerLayer(Module):
    """What the encoder and decoder layers share: arguments, feed-forward, norms, dropouts."""

    n_norms = 2

    def __init__(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                 batch_first, norm_first, bias, rng, dtype):
        super().__init__()
        owner = type(self).__name__
        self.d_model = check_number(d_model, "d_model", low=1, integer=True, owner=owner)
        self.nhead = check_number(nhead, "nhead", low=1, integer=True, owner=owner)
        if self.d_model % self.nhead:
            raise ValueError(f"{owner}: d_model ({self.d_model}) must be divisible by nhead "
                             f"({self.nhead})")
        dim_feedforward = check_number(dim_feedforward, "dim_feedforward", low=1,
                                       integer=True, owner=owner)
        self.dim_feedforward = dim_feedforward
        p = check_number(dropout, "dropout", low=0, high=1, high_inclusive=False, owner=owner)
        if not (isinstance(activation, Module) or activation in _ACTIVATIONS):
            raise ValueError(f"{owner}: activation must be 'relu', 'gelu' or an activation "
                             f"Module such as GELU(approximate='tanh'), got {activation!r}")
        self.activation_name = activation if isinstance(activation, str) else repr(activation)
        eps = check_number(layer_norm_eps, "layer_norm_eps", low=0, low_inclusive=False,
                           owner=owner)
        self.batch_first = bool(batch_first)
        self.norm_first = bool(norm_first)
        dtype = check_dtype(dtype, owner)
        rng = check_rng(rng)
        self.p = p
        self._make_attention(d_model, nhead, p, bias, rng, dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, rng=rng, dtype=dtype)
        self.dropout = Dropout(p, rng=rng)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, rng=rng, dtype=dtype)
        for i in range(1, self.n_norms + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=eps, bias=bias, dtype=dtype))
        for i in range(1, self.n_norms + 1):
            setattr(self, f"dropout{i}", Dropout(p, rng=rng))
        self.activation = (activation if isinstance(activation, Module)
                           else _ACTIVATIONS[activation]())

    def extra_repr(self):
        text = f"d_model={self.d_model}, nhead={self.nhead}, dim_feedforward=" \
               f"{self.dim_feedforward}, dropout={self.p}"
        if self.activation_name != "relu":
            text += f", activation={self.activation_name!r}"
        if self.batch_first:
            text += ", batch_first=True"
        return text + (", norm_first=True" if self.norm_first else "")

    def _to_batch_first(self, x):
        return x if self.batch_first else x.transpose(1, 0, 2)

    # A residual sub-layer in either arrangement:
    #   post-norm  y = norm(x + f(x))      pre-norm  y = x + f(norm(x))
    def _residual_forward(self, norm, f, x):
        return x + f(norm(x)) if self.norm_first else norm(x + f(x))

    def _residual_backward(self, norm, f_backward, dy):
        if self.norm_first:
            return dy + norm.backward(f_backward(dy))
        dz = norm.backward(dy)
        return dz + f_backward(dz)


class TransformerEncoderLayer(_TransformerLayer):
    r"""Self-attention then feed-forward, each with a residual and a LayerNorm.

    Post-norm (``norm_first=False``):

    .. math::
        \mathbf H = \operatorname{LN}_1(\mathbf X + \operatorname{MHA}(\mathbf X)), \quad
        \mathbf Y = \operatorname{LN}_2(\mathbf H + \operatorname{FF}(\mathbf H));

    pre-norm (``norm_first=True``):

    .. math::
        \mathbf H = \mathbf X + \operatorname{MHA}(\operatorname{LN}_1(\mathbf X)), \quad
        \mathbf Y = \mathbf H + \operatorname{FF}(\operatorname{LN}_2(\mathbf H)),

    with :math:`\operatorname{FF}(\mathbf x) = \mathbf W_2\,\phi(\mathbf W_1 \mathbf x +
    \mathbf b_1) + \mathbf b_2` applied at every position and dropout after the attention,
    inside and after the feed-forward network, as in PyTorch.

    Parameters
    ----------
    d_model, nhead, dim_feedforward=2048, dropout=0.1, activation='relu',
    layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True
        As in ``torch.nn.TransformerEncoderLayer`` (``activation`` may also be an
        activation Module, as torch accepts a callable); children ``self_attn``, ``linear1``,
        ``linear2``, ``norm1``, ``norm2`` carry PyTorch's parameter names, so a PyTorch
        ``state_dict`` loads unchanged.
    rng, dtype
        Initial weights and dropout masks; float32 or float64.

    Notes
    -----
    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``: ``src``
    (N, L, E) if ``batch_first`` else (L, N, E); the masks as in
    :class:`~scratchdl.nn.attention.MultiheadAttention`. ``backward(dout)`` returns dL/d(src).
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, *,
                 rng=None, dtype=np.float64):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                         batch_first, norm_first, bias, rng, dtype)

    def _make_attention(self, d_model, nhead, p, bias, rng, dtype):
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=p, bias=bias,
                                            batch_first=True, rng=rng, dtype=dtype)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """Return the layer's output, shaped like ``src``."""
        x = self._to_batch_first(src)
        # Check input and masks before any sub-layer caches anything: a call that raises
        # changes nothing.
        self.self_attn._check_inputs(x, x, x)
        N, L, _ = x.shape
        self.self_attn._additive_mask(src_mask, src_key_padding_mask, is_causal, N, L, L,
                                      x.dtype)

        def attend(h):
            out, _ = self.self_attn(h, h, h, key_padding_mask=src_key_padding_mask,
                                    need_weights=False, attn_mask=src_mask,
                                    is_causal=is_causal)
            return self.dropout1(out)

        x = self._residual_forward(self.norm1, attend, x)
        x = self._residual_forward(self.norm2, self._feed_forward, x)
        return self._to_batch_first(x)

    def _feed_forward(self, h):
        return self.dropout2(_FeedForward.forward(self, h))

    def _feed_forward_backward(self, dy):
        return _FeedForward.backward(self, self.dropout2.backward(dy))

    def _attend_backward(self, dy):
        return sum(self.self_attn.backward(self.dropout1.backward(dy)))

    def backward(self, dout):
        """Return dL/d(src) and add every parameter's gradient."""
        dy = self._to_batch_first(dout)
        dh = self._residual_backward(self.norm2, self._feed_forward_backward, dy)
        dx = self._residual_backward(self.norm1, self._attend_backward, dh)
        return self._to_batch_first(dx)


class TransformerDecoderLayer(_TransformerLayer):
    r"""Masked self-attention, attention over the encoder's memory, feed-forward.

    Post-norm (``norm_first=False``), with memory :math:`\mathbf M`:

    .. math::
        \mathbf H_1 = \operatorname{LN}_1(\mathbf X + \operatorname{MHA}(\mathbf X,
        \mathbf X, \mathbf X)), \
        \mathbf H_2 = \operatorname{LN}_2(\mathbf H_1 + \operatorname{MHA}(\mathbf H_1,
        \mathbf M, \mathbf M)), \
        \mathbf Y = \operatorname{LN}_3(\mathbf H_2 + \operatorname{FF}(\mathbf H_2));

    pre-norm moves each LN onto its sub-layer's input, as in
    :class:`TransformerEncoderLayer`.

    Parameters
    ----------
    As :class:`TransformerEncoderLayer`; children ``self_attn``, ``multihead_attn``,
    ``linear1``, ``linear2``, ``norm1``, ``norm2``, ``norm3`` as in PyTorch.

    Notes
    -----
    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``;
    ``backward(dout)`` returns ``(dtgt, dmemory)``.
    """

    n_norms = 3

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, *,
                 rng=None, dtype=np.float64):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                         batch_first, norm_first, bias, rng, dtype)
        self._memory_shape = None

    def _make_attention(self, d_model, nhead, p, bias, rng, dtype):
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=p, bias=bias,
                                            batch_first=True, rng=rng, dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=p, bias=bias,
                                                 batch_first=True, rng=rng, dtype=dtype)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        """Return the layer's output, shaped like ``tgt``."""
        x, m = self._to_batch_first(tgt), self._to_batch_first(memory)
        self.multihead_attn._check_inputs(x, m, m)  # all checks before any caching
        (N, L, _), S = x.shape, m.shape[1]
        self.self_attn._additive_mask(tgt_mask, tgt_key_padding_mask, tgt_is_causal, N, L, L,
                                      x.dtype)
        self.multihead_attn._additive_mask(memory_mask, memory_key_padding_mask,
                                           memory_is_causal, N, L, S, x.dtype)

        def self_attend(h):
            out, _ = self.self_attn(h, h, h, key_padding_mask=tgt_key_padding_mask,
                                    need_weights=False, attn_mask=tgt_mask,
                                    is_causal=tgt_is_causal)
            return self.dropout1(out)

        def cross_attend(h):
            out, _ = self.multihead_attn(h, m, m, key_padding_mask=memory_key_padding_mask,
                                         need_weights=False, attn_mask=memory_mask,
                                         is_causal=memory_is_causal)
            return self.dropout2(out)

        x = self._residual_forward(self.norm1, self_attend, x)
        x = self._residual_forward(self.norm2, cross_attend, x)
        x = self._residual_forward(self.norm3, self._feed_forward, x)
        self._memory_shape = m.shape
        return self._to_batch_first(x)

    def _feed_forward(self, h):
        return self.dropout3(_FeedForward.forward(self, h))

    def backward(self, dout):
        """Return ``(dL/d(tgt), dL/d(memory))`` and add every parameter's gradient."""
        dy = self._to_batch_first(dout)
        dmemory = []

        def ff_backward(d):
            return _FeedForward.backward(self, self.dropout3.backward(d))

        def cross_backward(d):
            dq, dk, dv = self.multihead_attn.backward(self.dropout2.backward(d))
            dmemory.append(dk + dv)  # memory is both the keys and the values
            return dq

        def self_backward(d):
            return sum(self.self_attn.backward(self.dropout1.backward(d)))

        dh2 = self._residual_backward(self.norm3, ff_backward, dy)
        dh1 = self._residual_backward(self.norm2, cross_backward, dh2)
        dx = self._residual_backward(self.norm1, self_backward, dh1)
        return self._to_batch_first(dx), self._to_batch_first(dmemory[0])
