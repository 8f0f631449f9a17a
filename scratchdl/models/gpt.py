"""A small decoder-only Transformer language model (GPT), with sampling and a key-value cache.

Token and position embeddings, a stack of pre-norm causal self-attention blocks (each a
:class:`~scratchdl.nn.transformer.TransformerEncoderLayer` with ``norm_first=True`` under a causal
mask: a "decoder-only" block has no cross-attention, so it is an encoder block that cannot
look ahead), a final LayerNorm, and an output layer whose weight *is* the token embedding
(weight tying, Press and Wolf 2017). The layout follows GPT-2 and nanoGPT.
"""

from __future__ import annotations

import math

import numpy as np

from scratchdl._validation import check_number, check_rng
from scratchdl.functional import softmax
from scratchdl.nn import (
    GELU,
    Dropout,
    Embedding,
    LayerNorm,
    LearnedPositionalEmbedding,
    Linear,
    Module,
    Sequential,
    TransformerEncoderLayer,
)
from scratchdl.nn._checks import describe

__all__ = ["GPT", "sample_next"]


def sample_next(logits, *, temperature=1.0, top_k=None, rng=None):
    r"""Draw one token per row from :math:`\operatorname{softmax}(z / \tau)`.

    Parameters
    ----------
    logits : (N, V) float array
        :math:`z`, the scores of the next token.
    temperature : float > 0
        :math:`\tau`: below 1 sharpens the distribution, above 1 flattens it.
    top_k : int or None
        Keep only the ``top_k`` largest logits of each row (the rest get probability 0);
        ``top_k=1`` is greedy decoding.
    rng : numpy.random.Generator or int or None

    Returns
    -------
    (N,) int64 array
    """
    owner = "sample_next"
    temperature = check_number(temperature, "temperature", low=0, low_inclusive=False,
                               owner=owner)
    rng = check_rng(rng)
    z = np.asarray(logits, dtype=np.float64) / temperature
    if top_k is not None:
        top_k = check_number(top_k, "top_k", low=1, high=z.shape[-1], integer=True,
                             owner=owner)
        kth = np.sort(z, axis=-1)[:, -top_k][:, None]
        z = np.where(z < kth, -np.inf, z)
    p = softmax(z, axis=-1)
    u = rng.random((len(p), 1))
    # inverse-CDF draw: the first index whose cumulative probability exceeds u
    return np.minimum((np.cumsum(p, axis=-1) < u).sum(axis=-1), p.shape[-1] - 1)


class GPT(Module):
    r"""Decoder-only Transformer language model.

    .. math::
        \mathbf H^{(0)} = \mathbf E[x_{1..T}] + \mathbf P_{1..T}, \quad
        \mathbf H^{(\ell)} = \operatorname{Block}_\ell(\mathbf H^{(\ell-1)}), \quad
        \mathbf Z = \operatorname{LN}(\mathbf H^{(n)})\, \mathbf E^\top ,

    where every block is pre-norm causal self-attention plus a feed-forward network of
    width :math:`4D` with GPT-2's GELU (the tanh approximation), and row :math:`t` of the
    logits :math:`\mathbf Z` scores the token at position :math:`t + 1`.

    Parameters
    ----------
    vocab_size : int
    block_size : int
        The longest context (number of positions) the model sees.
    n_layer, n_head, n_embd : int
        Blocks, heads per block, width :math:`D` (divisible by ``n_head``).
    dropout : float in [0, 1)
        After the embeddings and inside every block.
    rng : numpy.random.Generator or int or None
    dtype : float32 or float64

    Notes
    -----
    Initialization as GPT-2: every weight from :math:`N(0, 0.02^2)`, biases zero, and the
    two projections that write into the residual stream (``out_proj`` and ``linear2``)
    scaled by :math:`1/\sqrt{2 n_\text{layer}}` so the stream's variance does not grow
    with depth. ``forward(tokens)`` takes (N, T) ids, T <= block_size, and returns (N, T,
    vocab_size) logits; ``backward(dlogits)`` returns None.
    """

    def __init__(self, vocab_size, block_size, n_layer=2, n_head=4, n_embd=64, dropout=0.0,
                 *, rng=None, dtype=np.float64):
        super().__init__()
        owner = type(self).__name__
        self.vocab_size = check_number(vocab_size, "vocab_size", low=1, integer=True,
                                       owner=owner)
        self.block_size = check_number(block_size, "block_size", low=1, integer=True,
                                       owner=owner)
        self.n_layer = check_number(n_layer, "n_layer", low=1, integer=True, owner=owner)
        self.n_head = check_number(n_head, "n_head", low=1, integer=True, owner=owner)
        self.n_embd = check_number(n_embd, "n_embd", low=1, integer=True, owner=owner)
        if self.n_embd % self.n_head:
            raise ValueError(f"{owner}: n_embd ({self.n_embd}) must be divisible by n_head "
                             f"({self.n_head})")
        self.dropout = check_number(dropout, "dropout", low=0, high=1, high_inclusive=False,
                                    owner=owner)
        rng = check_rng(rng)
        D = self.n_embd
        self.tok_emb = Embedding(self.vocab_size, D, rng=rng, dtype=dtype)
        self.pos_emb = LearnedPositionalEmbedding(self.block_size, D, rng=rng, dtype=dtype)
        self.drop = Dropout(self.dropout, rng=rng)
        self.blocks = Sequential(*(
            TransformerEncoderLayer(D, self.n_head, 4 * D, dropout=self.dropout,
                                    activation=GELU(approximate="tanh"), batch_first=True,
                                    norm_first=True, rng=rng, dtype=dtype)
            for _ in range(self.n_layer)))
        self.ln_f = LayerNorm(D, dtype=dtype)
        self.head = Linear(D, self.vocab_size, bias=False, rng=rng, dtype=dtype)
        self.head.tie_parameter("weight", self.tok_emb, "weight")
        self._init_weights(rng)
        self._shape = None

    def _init_weights(self, rng):
        residual_std = 0.02 / math.sqrt(2 * self.n_layer)
        for name, param in self.named_parameters():
            if name.endswith("bias") or name.startswith("ln_f") or ".norm" in name:
                continue  # biases stay 0, LayerNorm gains 1
            std = residual_std if name.endswith(("out_proj.weight", "linear2.weight")) else 0.02
            param[...] = rng.normal(0.0, std, param.shape)
        for name, param in self.named_parameters():
            if name.endswith("bias") and ".norm" not in name and not name.startswith("ln_f"):
                param[...] = 0

    def extra_repr(self):
        return (f"vocab_size={self.vocab_size}, block_size={self.block_size}, "
                f"n_layer={self.n_layer}, n_head={self.n_head}, n_embd={self.n_embd}")

    def _check_tokens(self, tokens, start=0):
        owner = describe(self)
        if not isinstance(tokens, np.ndarray) or not np.issubdtype(tokens.dtype, np.integer):
            got = tokens.dtype if isinstance(tokens, np.ndarray) else type(tokens).__name__
            raise TypeError(f"{owner}: tokens must be an integer array of ids, got {got}")
        if tokens.ndim != 2 or tokens.shape[1] < 1 or start + tokens.shape[1] > self.block_size:
            raise ValueError(f"{owner}: tokens must have shape (N, T) with 1 <= T <= "
                             f"block_size = {self.block_size}, got {tokens.shape}")
        if tokens.min() < 0 or tokens.max() >= self.vocab_size:
            raise ValueError(f"{owner}: token ids must lie in [0, {self.vocab_size}), got "
                             f"values from {tokens.min()} to {tokens.max()}")

    def forward(self, tokens):
        """(N, T) ids -> (N, T, vocab_size) logits of the next token at every position."""
        self._check_tokens(tokens)
        h = self.drop(self.pos_emb(self.tok_emb(tokens)))
        for block in self.blocks:
            h = block(h, is_causal=True)
        logits = self.head(self.ln_f(h))
        self._shape = logits.shape
        return logits

    def backward(self, dlogits):
        """Add every parameter's gradient (the tied embedding gets both of its uses)."""
        if self._shape is None:
            raise RuntimeError(f"{describe(self)}: backward() called before forward()")
        dh = self.ln_f.backward(self.head.backward(dlogits))
        for block in reversed(list(self.blocks)):
            dh = block.backward(dh)
        self.tok_emb.backward(self.pos_emb.backward(self.drop.backward(dh)))

    def attention_maps(self, tokens):
        """Every block's attention weights for ``tokens`` (N, T), in eval mode.

        Returns
        -------
        list of (N, n_head, T, T) arrays, one per block: row :math:`i` of head :math:`h`
        is how position :math:`i` averages the positions :math:`0..i`.
        """
        self._check_tokens(tokens)
        was_training = self.training
        self.eval()
        try:
            h = self.pos_emb(self.tok_emb(tokens))
            maps = []
            for block in self.blocks:
                x = block.norm1(h)
                _, weights = block.self_attn(x, x, x, is_causal=True,
                                             average_attn_weights=False)
                maps.append(weights)
                h = block(h, is_causal=True)
        finally:
            self.train(was_training)
        return maps

    # -- generation -------------------------------------------------------------------------
    def forward_cached(self, tokens, past=None):
        """Logits for ``tokens`` (N, T_new) that follow the positions held in ``past``.

        ``past`` is a list, one ``(K, V)`` per block, from an earlier call (None at the
        start). Each block attends over its cached keys and values plus the new ones, so
        only the new positions are computed: a step of generation costs :math:`O(T)`
        instead of recomputing all :math:`T` positions. Returns ``(logits, past)``.
        Inference only (no backward); dropout is not applied.
        """
        start = 0 if past is None else past[0][0].shape[2]
        self._check_tokens(tokens, start)
        h = self.pos_emb(self.tok_emb(tokens), start=start)
        new_past = []
        for i, block in enumerate(self.blocks):
            a, kv = block.self_attn.forward_cached(block.norm1(h), None if past is None
                                                   else past[i])
            h = h + a
            h = h + block.linear2(block.activation(block.linear1(block.norm2(h))))
            new_past.append(kv)
        return self.head(self.ln_f(h)), new_past

    def generate(self, prompt, max_new_tokens, *, temperature=1.0, top_k=None, rng=None,
                 use_cache=True):
        """Continue ``prompt`` by ``max_new_tokens`` sampled tokens.

        Parameters
        ----------
        prompt : (T,) or (N, T) int array
        max_new_tokens : int >= 0
        temperature, top_k
            As in :func:`sample_next`; ``top_k=1`` is greedy decoding.
        rng : numpy.random.Generator or int or None
        use_cache : bool
            Keep every block's keys and values and feed only the newest token; the result
            equals recomputing the whole context at every step. Once the sequence is
            longer than ``block_size`` the window slides, every position moves, and the
            context is recomputed (cropped to the last ``block_size`` tokens, as nanoGPT).

        Returns
        -------
        (T + max_new_tokens,) or (N, T + max_new_tokens) int64 array
            The prompt followed by the new tokens. The model's train/eval mode is restored.
        """
        prompt = np.asarray(prompt)
        single = prompt.ndim == 1
        tokens = prompt[None] if single else prompt
        self._check_tokens(tokens[:, -self.block_size:])
        max_new_tokens = check_number(max_new_tokens, "max_new_tokens", low=0, integer=True,
                                      owner=describe(self))
        rng = check_rng(rng)
        was_training = self.training
        self.eval()
        try:
            tokens = tokens.astype(np.int64)
            past = None
            for _ in range(max_new_tokens):
                fits = tokens.shape[1] <= self.block_size
                if use_cache and fits and past is not None:
                    logits, past = self.forward_cached(tokens[:, -1:], past)
                elif use_cache and fits:
                    logits, past = self.forward_cached(tokens)
                else:
                    logits = self.forward(tokens[:, -self.block_size:])
                nxt = sample_next(logits[:, -1], temperature=temperature, top_k=top_k, rng=rng)
                tokens = np.concatenate([tokens, nxt[:, None]], axis=1)
        finally:
            self.train(was_training)
        return tokens[0] if single else tokens
