"""Attention: scaled dot-product attention and PyTorch's ``nn.MultiheadAttention``.

:func:`scaled_dot_product_attention` is the readable heart of a Transformer, one line per
equation; :func:`scaled_dot_product_attention_backward` is its backward pass, derived in
chapter 11. :class:`MultiheadAttention` projects queries, keys and values, splits them
into heads, calls the function above on every head at once, and projects back.
"""

from __future__ import annotations

import math

import numpy as np

from scratchdl import init
from scratchdl._validation import check_float_array, check_number, check_rng
from scratchdl.functional import softmax
from scratchdl.nn._checks import check_dout, check_dtype, describe
from scratchdl.nn.linear import Linear
from scratchdl.nn.module import Module

__all__ = [
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_backward",
    "causal_mask",
    "MultiheadAttention",
]


def scaled_dot_product_attention(Q, K, V, mask=None):
    r"""Attention of queries ``Q`` over keys ``K`` and values ``V``.

    .. math::
        \mathbf S = \frac{\mathbf Q \mathbf K^\top}{\sqrt{d_k}} + \mathbf M, \qquad
        \mathbf A = \operatorname{softmax}_{\text{row}}(\mathbf S), \qquad
        \mathbf O = \mathbf A \mathbf V .

    Parameters
    ----------
    Q : (..., T_q, d_k) array
        One query per row.
    K : (..., T_k, d_k) array
    V : (..., T_k, d_v) array
    mask : (..., T_q, T_k) float array or None
        :math:`\mathbf M`, added to the scores: 0 where query :math:`i` may look at key
        :math:`j`, :math:`-\infty` where it may not.

    Returns
    -------
    O : (..., T_q, d_v) array
        Each row a weighted average of the rows of ``V``.
    A : (..., T_q, T_k) array
        The attention weights :math:`\boldsymbol\alpha`; every row sums to one (NaN if
        the mask blocks a whole row, as in PyTorch).
    """
    d_k = Q.shape[-1]
    S = Q @ K.swapaxes(-1, -2) / math.sqrt(d_k)  # scores  S = Q K^T / sqrt(d_k)
    if mask is not None:
        S = S + mask  # -inf where a query may not look
    A = softmax(S, axis=-1)  # A = softmax(S), row by row
    return A @ V, A  # O = A V


def scaled_dot_product_attention_backward(dO, Q, K, V, A, keep=None):
    r"""Backward pass of :func:`scaled_dot_product_attention`.

    With :math:`\boldsymbol\Delta = d\mathcal L/d\mathbf O` and
    :math:`\mathbf G = d\mathcal L/d\mathbf A`,

    .. math::
        \frac{d\mathcal L}{d\mathbf V} = \mathbf A^\top \boldsymbol\Delta, \quad
        \mathbf G = \boldsymbol\Delta \mathbf V^\top, \quad
        \frac{d\mathcal L}{d\mathbf S} = \mathbf A \odot
            \bigl(\mathbf G - \operatorname{rowsum}(\mathbf G \odot \mathbf A)\bigr),

        \frac{d\mathcal L}{d\mathbf Q} = \frac{1}{\sqrt{d_k}}
            \frac{d\mathcal L}{d\mathbf S} \mathbf K, \quad
        \frac{d\mathcal L}{d\mathbf K} = \frac{1}{\sqrt{d_k}}
            \Bigl(\frac{d\mathcal L}{d\mathbf S}\Bigr)^{\!\top} \mathbf Q .

    The third equation is the softmax Jacobian
    :math:`\operatorname{diag}(\mathbf a) - \mathbf a \mathbf a^\top` of each row
    :math:`\mathbf a` applied to that row's gradient. ``keep`` is the (scaled) dropout
    mask that multiplied ``A`` before ``V`` in training, or None.

    Returns
    -------
    dQ, dK, dV : arrays shaped like ``Q``, ``K``, ``V``
    """
    d_k = Q.shape[-1]
    P = A if keep is None else A * keep  # the weights that actually multiplied V
    dV = P.swapaxes(-1, -2) @ dO
    dA = dO @ V.swapaxes(-1, -2)
    if keep is not None:
        dA = dA * keep
    dS = A * (dA - np.sum(dA * A, axis=-1, keepdims=True))
    dQ = dS @ K / math.sqrt(d_k)
    dK = dS.swapaxes(-1, -2) @ Q / math.sqrt(d_k)
    return dQ, dK, dV


def causal_mask(L, S=None, dtype=np.float64):
    r"""The additive causal mask: 0 on and below the diagonal, :math:`-\infty` above.

    Query :math:`i` may attend to keys :math:`0..i`, never to later positions (what
    ``torch.nn.Transformer.generate_square_subsequent_mask`` returns). With ``S > L`` the
    queries are the *last* ``L`` of ``S`` positions (generation with a key-value cache).
    """
    S = L if S is None else S
    i = np.arange(L)[:, None] + (S - L)
    j = np.arange(S)[None, :]
    return np.where(j > i, -np.inf, 0.0).astype(dtype)


class MultiheadAttention(Module):
    r"""Multi-head attention with PyTorch's parameters, arguments and results.

    .. math::
        \mathbf Q_h = \mathbf X_q \mathbf W_{q,h}^\top + \mathbf b_{q,h}, \ \dots, \quad
        \mathbf O_h = \operatorname{attention}(\mathbf Q_h, \mathbf K_h, \mathbf V_h), \quad
        \mathbf Y = [\mathbf O_1, \dots, \mathbf O_H] \mathbf W_o^\top + \mathbf b_o .

    Parameters
    ----------
    embed_dim : int
        :math:`E`, the width of queries, keys, values and output.
    num_heads : int
        :math:`H`; must divide ``embed_dim``. Each head works in :math:`d = E / H`
        dimensions.
    dropout : float in [0, 1)
        Dropout on the attention weights in training.
    bias : bool
        Learn the input and output projection biases.
    batch_first : bool
        Inputs (N, L, E) if True, (L, N, E) if False (PyTorch's default).
    rng : numpy.random.Generator or int or None
        Initial weights and dropout masks.
    dtype : float32 or float64

    Attributes
    ----------
    in_proj_weight : (3E, E) array
        :math:`[\mathbf W_q; \mathbf W_k; \mathbf W_v]` stacked, Xavier-uniform as in PyTorch.
    in_proj_bias : (3E,) array or None
        Starts at zero.
    out_proj : Linear(E, E)
        Its bias starts at zero, as in PyTorch.

    Notes
    -----
    ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)`` returns ``(output,
    weights)`` as PyTorch does; ``backward(dout)`` returns ``(dquery, dkey, dvalue)``,
    the gradient through each role (for self-attention, where one array plays all three,
    its gradient is their sum). Masks:

    * ``attn_mask`` (L, S) or (N·H, L, S): boolean (True = may *not* attend) or float
      (added to the scores);
    * ``key_padding_mask`` (N, S): boolean (True = padding, ignored) or float (added);
    * ``is_causal=True`` without ``attn_mask`` builds the causal mask (PyTorch requires
      the mask and treats the flag as a hint; given a mask, so does this layer).

    A query whose keys are all masked gets NaN weights and output, as in PyTorch with
    ``need_weights=True``; with ``need_weights=False`` its weights are zero and its
    output is zero, as in PyTorch's ``scaled_dot_product_attention`` path.
    Inputs must be batched (3-D); separate key/value widths (``kdim``/``vdim``) and
    ``add_bias_kv`` are not supported.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False, *,
                 rng=None, dtype=np.float64):
        super().__init__()
        owner = type(self).__name__
        self.embed_dim = check_number(embed_dim, "embed_dim", low=1, integer=True, owner=owner)
        self.num_heads = check_number(num_heads, "num_heads", low=1, integer=True, owner=owner)
        if self.embed_dim % self.num_heads:
            raise ValueError(f"{owner}: embed_dim ({self.embed_dim}) must be divisible by "
                             f"num_heads ({self.num_heads})")
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = check_number(dropout, "dropout", low=0, high=1, high_inclusive=False,
                                    owner=owner)
        self.batch_first = bool(batch_first)
        dtype = check_dtype(dtype, owner)
        rng = check_rng(rng)
        E = self.embed_dim
        # xavier_uniform_ on the stacked (3E, E) matrix, as torch does.
        bound = math.sqrt(6 / (E + 3 * E))
        self.register_parameter(
            "in_proj_weight", init.uniform_(np.empty((3 * E, E), dtype=dtype), -bound, bound,
                                            rng=rng))
        self.register_parameter("in_proj_bias", np.zeros(3 * E, dtype=dtype) if bias else None)
        self.out_proj = Linear(E, E, bias=bias, rng=rng, dtype=dtype)
        if bias:
            self.out_proj.bias[...] = 0
        self.rng = rng
        self._cache = None

    def extra_repr(self):
        text = f"{self.embed_dim}, {self.num_heads}"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.in_proj_bias is None:
            text += ", bias=False"
        return text + (", batch_first=True" if self.batch_first else "")

    # -- checks -----------------------------------------------------------------------------
    def _check_inputs(self, query, key, value):
        owner = describe(self)
        dtype = self.in_proj_weight.dtype
        for name, x in (("query", query), ("key", key), ("value", value)):
            check_float_array(x, name, dtype=dtype, allow_nonfinite=True, owner=owner)
            if x.ndim != 3 or x.shape[-1] != self.embed_dim:
                layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
                raise ValueError(f"{owner}: {name} must have shape {layout} with "
                                 f"E = {self.embed_dim}, got {x.shape}")
        batch_axis = 0 if self.batch_first else 1
        if not (query.shape[batch_axis] == key.shape[batch_axis] == value.shape[batch_axis]):
            raise ValueError(f"{owner}: query, key and value must have the same batch size, "
                             f"got shapes {query.shape}, {key.shape}, {value.shape}")
        if key.shape != value.shape:
            raise ValueError(f"{owner}: key and value must have the same shape (one value per "
                             f"key), got {key.shape} and {value.shape}")
        for name, x in (("query", query), ("key", key), ("value", value)):
            check_float_array(x, name, owner=owner)  # finiteness last: the costliest scan

    def _additive_mask(self, attn_mask, key_padding_mask, is_causal, N, L, S, dtype):
        """One float mask (N, H or 1, L, S) to add to the scores, or None; checks shapes."""
        owner = describe(self)
        H = self.num_heads
        if is_causal and attn_mask is None:
            attn_mask = causal_mask(L, S, dtype)
        masks = []
        if attn_mask is not None:
            mask = self._as_float(attn_mask, "attn_mask", dtype)
            if mask.shape == (L, S):
                masks.append(mask[None, None])
            elif mask.shape == (N * H, L, S):
                masks.append(mask.reshape(N, H, L, S))
            else:
                raise ValueError(f"{owner}: attn_mask must have shape (L, S) = {(L, S)} or "
                                 f"(N*num_heads, L, S) = {(N * H, L, S)}, got {mask.shape}")
        if key_padding_mask is not None:
            mask = self._as_float(key_padding_mask, "key_padding_mask", dtype)
            if mask.shape != (N, S):
                raise ValueError(f"{owner}: key_padding_mask must have shape (N, S) = "
                                 f"{(N, S)}, got {mask.shape}")
            masks.append(mask[:, None, None, :])
        if not masks:
            return None
        return masks[0] if len(masks) == 1 else masks[0] + masks[1]

    def _as_float(self, mask, name, dtype):
        owner = describe(self)
        if not isinstance(mask, np.ndarray):
            raise TypeError(f"{owner}: {name} must be a numpy array, got "
                            f"{type(mask).__name__}")
        if mask.dtype == bool:
            return np.where(mask, -np.inf, 0.0).astype(dtype)
        if mask.dtype.kind != "f":
            raise TypeError(f"{owner}: {name} must be bool (True = masked) or float (added "
                            f"to the scores), got dtype {mask.dtype}")
        if np.isnan(mask).any() or (mask == np.inf).any():
            raise ValueError(f"{owner}: a float {name} may hold finite values and -inf, "
                             "not NaN or +inf")
        return mask.astype(dtype, copy=False)

    # -- forward and backward -----------------------------------------------------------------
    def _split(self, x):
        """(N, L, E) -> (N, H, L, d): one slice per head."""
        N, L, _ = x.shape
        return x.reshape(N, L, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    def _merge(self, x):
        """(N, H, L, d) -> (N, L, E): heads side by side."""
        N, _, L, _ = x.shape
        return x.transpose(0, 2, 1, 3).reshape(N, L, self.embed_dim)

    def _project(self, query, key, value):
        """Queries, keys and values of every head, (N, H, L or S, d)."""
        W, b, E = self.in_proj_weight, self.in_proj_bias, self.embed_dim
        if query is key and key is value:  # self-attention: one product for all three
            qkv = query @ W.T
            if b is not None:
                qkv += b
            q, k, v = qkv[..., :E], qkv[..., E:2 * E], qkv[..., 2 * E:]
        else:
            q, k, v = query @ W[:E].T, key @ W[E:2 * E].T, value @ W[2 * E:].T
            if b is not None:
                q, k, v = q + b[:E], k + b[E:2 * E], v + b[2 * E:]
        return self._split(q), self._split(k), self._split(v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        """Attend from ``query`` to ``key``/``value``; return ``(output, weights)``.

        Returns
        -------
        output : (N, L, E) or (L, N, E) array, the layout of ``query``
        weights : (N, L, S) (averaged over heads), (N, H, L, S) (per head) or None
            None if ``need_weights`` is False.
        """
        self._check_inputs(query, key, value)
        self_attention = query is key and key is value
        if not self.batch_first:
            query, key, value = (x.transpose(1, 0, 2) for x in (query, key, value))
            if self_attention:
                key = value = query
        N, L, _ = query.shape
        S = key.shape[1]
        mask = self._additive_mask(attn_mask, key_padding_mask, is_causal, N, L, S,
                                   query.dtype)
        q, k, v = self._project(query, key, value)
        O, A = scaled_dot_product_attention(q, k, v, mask)
        if not need_weights:
            # PyTorch's fused path gives a fully masked query zero weights, not NaN.
            A = np.nan_to_num(A, nan=0.0)
            O = np.nan_to_num(O, nan=0.0) if mask is not None else O
        keep = None
        if self.training and self.dropout > 0:
            keep = (self.rng.random(A.shape) >= self.dropout).astype(A.dtype)
            keep /= 1 - self.dropout
            O = (A * keep) @ v
        merged = self._merge(O)
        out = self._out_projection(merged)
        self._cache = (query, key, value, self_attention, q, k, v, A, keep, merged)
        if not self.batch_first:
            out = out.transpose(1, 0, 2)
        if not need_weights:
            return out, None
        weights = A if keep is None else A * keep
        return out, (weights.mean(axis=1) if average_attn_weights else weights)

    def backward(self, dout):
        r"""Return ``(dquery, dkey, dvalue)`` and add the parameter gradients.

        Through the output projection (a :class:`~scratchdl.nn.linear.Linear`), then
        :func:`scaled_dot_product_attention_backward` on every head at once, then the input
        projections: :math:`dL/d\mathbf X_q = (dL/d\mathbf Q) \mathbf W_q` and
        :math:`dL/d\mathbf W_q = (dL/d\mathbf Q)^\top \mathbf X_q`, likewise for keys and
        values.
        """
        cache = self._cache
        shape = None if cache is None else cache[-1].shape
        if shape is not None and not self.batch_first:
            shape = (shape[1], shape[0], shape[2])
        check_dout(self, dout, shape, None if cache is None else self.in_proj_weight.dtype)
        query, key, value, self_attention, q, k, v, A, keep, merged = cache
        if not self.batch_first:
            dout = dout.transpose(1, 0, 2)
        # the output projection Y = O W_o^T + b_o, as in Linear.backward
        E = self.embed_dim
        self.out_proj.grads["weight"] += dout.reshape(-1, E).T @ merged.reshape(-1, E)
        if self.out_proj.bias is not None:
            self.out_proj.grads["bias"] += dout.sum(axis=(0, 1))
        dO = self._split(dout @ self.out_proj.weight)
        dq, dk, dv = scaled_dot_product_attention_backward(dO, q, k, v, A, keep)
        dq, dk, dv = self._merge(dq), self._merge(dk), self._merge(dv)
        W = self.in_proj_weight
        gW = self.grads["in_proj_weight"]
        if self_attention:  # one (N*L, 3E) x (N*L, E) product for the stacked weight
            dqkv = np.concatenate([dq, dk, dv], axis=-1)
            gW += dqkv.reshape(-1, 3 * E).T @ query.reshape(-1, E)
        else:
            for i, (d, x) in enumerate(((dq, query), (dk, key), (dv, value))):
                gW[i * E:(i + 1) * E] += d.reshape(-1, E).T @ x.reshape(-1, E)
        # Each role's own gradient; for self-attention the input's gradient is their sum.
        dquery, dkey, dvalue = dq @ W[:E], dk @ W[E:2 * E], dv @ W[2 * E:]
        if self.in_proj_bias is not None:
            gb = self.grads["in_proj_bias"]
            gb[:E] += dq.sum(axis=(0, 1))
            gb[E:2 * E] += dk.sum(axis=(0, 1))
            gb[2 * E:] += dv.sum(axis=(0, 1))
        if not self.batch_first:
            dquery, dkey, dvalue = (d.transpose(1, 0, 2) for d in (dquery, dkey, dvalue))
        return dquery, dkey, dvalue

    # -- generation with a key-value cache -------------------------------------------------------
    def forward_cached(self, x, past=None):
        """Self-attention of new positions ``x`` over the cached past and themselves.

        For generation (no backward): ``x`` (N, T_new, E) batch-first, ``past`` the
        ``(K, V)`` of earlier positions, each (N, H, T_past, d), or None. Returns the output
        (N, T_new, E) and the extended ``(K, V)``. Queries see every cached key and the new
        keys up to their own position (causal), so feeding a sequence in pieces gives what
        one causal forward pass over the whole of it gives.
        """
        q, k, v = self._project(x, x, x)
        if past is not None:
            k = np.concatenate([past[0], k], axis=2)
            v = np.concatenate([past[1], v], axis=2)
        L, S = q.shape[2], k.shape[2]
        O, _ = scaled_dot_product_attention(q, k, v, causal_mask(L, S, x.dtype))
        return self._out_projection(self._merge(O)), (k, v)

    def _out_projection(self, merged):
        # out_proj holds W_o and b_o; it is applied here rather than called as a layer
        # (as torch does too), so that a fully masked query's NaN can pass through it.
        out = merged @ self.out_proj.weight.T
        return out + self.out_proj.bias if self.out_proj.bias is not None else out
