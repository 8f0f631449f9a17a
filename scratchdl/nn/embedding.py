"""Embedding: a lookup table from integer token ids to learned vectors."""

from __future__ import annotations

import numpy as np

from scratchdl import init
from scratchdl._validation import check_allocation, check_float_array, check_number, check_rng
from scratchdl.nn._checks import check_dtype, describe
from scratchdl.nn.module import Module


class Embedding(Module):
    r"""Row lookup :math:`y_{\dots} = W_{x_{\dots}}`, PyTorch's ``nn.Embedding``.

    Looking up row :math:`k` is multiplying the one-hot vector :math:`e_k` by :math:`W`, so
    the gradient of :math:`W` is the sum, over every position holding token :math:`k`, of
    that position's upstream gradient; no matrix product is needed.

    Parameters
    ----------
    num_embeddings : int
        Vocabulary size :math:`V`.
    embedding_dim : int
        :math:`D`.
    padding_idx : int or None
        A token whose row starts at zero and never receives gradient (negative values count
        from the end, as in PyTorch).
    rng : numpy.random.Generator or int or None
    dtype : float32 or float64

    Attributes
    ----------
    weight : (num_embeddings, embedding_dim) array
        Initialized from :math:`N(0, 1)`, as in PyTorch.

    Notes
    -----
    Shapes: ``forward(x)`` takes an integer array of any shape (e.g. (N, T)) with values in
    [0, V) and returns ``x.shape + (D,)``. ``backward(dout)`` returns ``None``: token ids
    have no gradient.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, *, rng=None,
                 dtype=np.float64):
        super().__init__()
        self.num_embeddings = check_number(num_embeddings, "num_embeddings", low=1,
                                           integer=True, owner=type(self).__name__)
        self.embedding_dim = check_number(embedding_dim, "embedding_dim", low=1, integer=True,
                                          owner=type(self).__name__)
        if padding_idx is not None:
            padding_idx = check_number(padding_idx, "padding_idx", low=-self.num_embeddings,
                                       high=self.num_embeddings - 1, integer=True,
                                       owner=type(self).__name__)
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        dtype = check_dtype(dtype, type(self).__name__)
        check_allocation((self.num_embeddings, self.embedding_dim), dtype, what="weight",
                         owner=type(self).__name__)
        weight = init.normal_(np.empty((self.num_embeddings, self.embedding_dim), dtype=dtype),
                              rng=check_rng(rng))
        if padding_idx is not None:
            weight[padding_idx] = 0
        self.register_parameter("weight", weight)
        self.x = None


    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + ("" if self.padding_idx is None else f", padding_idx={self.padding_idx}")

    def forward(self, x):
        """Return the rows of ``weight`` for the ids ``x``: shape ``x.shape + (D,)``."""
        owner = describe(self)
        if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.integer):
            got = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
            raise TypeError(f"{owner}: x must be an integer array of token ids, got {got}")
        if x.size and (x.min() < 0 or x.max() >= self.num_embeddings):
            raise ValueError(f"{owner}: token ids must lie in [0, {self.num_embeddings}), "
                             f"got values from {x.min()} to {x.max()}")
        self.x = x
        return self.weight[x]

    def backward(self, dout):
        """Add dL/dW (a scatter-add of ``dout`` into the looked-up rows); return None."""
        owner = describe(self)
        if self.x is None:
            raise RuntimeError(f"{owner}: backward() called before forward(); run forward first")
        check_float_array(dout, "dout", dtype=self.weight.dtype, owner=owner)
        if dout.shape != (*self.x.shape, self.embedding_dim):
            raise ValueError(f"{owner}: dout must have the output's shape "
                             f"{(*self.x.shape, self.embedding_dim)}, got {dout.shape}")
        ids = self.x.reshape(-1)
        rows = dout.reshape(-1, self.embedding_dim)
        if self.padding_idx is not None:
            keep = ids != self.padding_idx
            ids, rows = ids[keep], rows[keep]
        # np.add.at adds repeated ids once per occurrence (fancy-index += would keep one).
        np.add.at(self.grads["weight"], ids, rows)
        return None
