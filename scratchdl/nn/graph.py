r"""Graph convolution layers: GCNConv, SAGEConv and GATConv, as in PyTorch Geometric.

Every layer is one round of *message passing* on a graph given as ``edge_index`` (2, E),
row 0 the sources :math:`j`, row 1 the targets :math:`i` (see :mod:`scratchdl.graph`):

1. **message**: each edge :math:`j \to i` carries a vector computed from :math:`x_j`;
2. **aggregate**: each node combines the messages arriving at it (sum, mean, max);
3. **update**: the result is mixed with a learned linear map (and the node's own state).

Class names, arguments, defaults and parameter names are PyTorch Geometric's
(``lin.weight``, ``bias``, ``lin_l.weight``, ``att_src``, ...), so a PyG ``state_dict``
loads unchanged, and the reference tests show both give the same numbers, including
how self-loops already present, duplicate edges, isolated nodes and directed edges are
treated. ``forward(x, edge_index)`` caches what ``backward(dout)`` needs; ``backward``
returns dL/dx and adds the parameter gradients into ``grads``. Gradients with respect
to ``edge_weight`` are not computed (the graph is data, not a parameter).
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from scratchdl import init
from scratchdl._validation import check_number, check_rng
from scratchdl.graph import (
    add_self_loops,
    check_edge_index,
    check_edge_weight,
    edge_softmax,
    edge_softmax_backward,
    gcn_norm,
    remove_self_loops,
    scatter,
    scatter_backward,
    spmm,
)
from scratchdl.nn._checks import check_dout, check_dtype, check_input, describe
from scratchdl.nn.linear import Linear
from scratchdl.nn.module import Module

__all__ = ["GCNConv", "SAGEConv", "GATConv"]


def _check_graph_inputs(module, x, edge_index, edge_weight=None):
    """Check the node features (N, in_channels) and the graph before anything is cached."""
    check_input(module, x, features=module.in_channels, exact_ndim=2, dtype=module.dtype)
    owner = describe(module)
    edge_index = check_edge_index(edge_index, x.shape[0], owner)
    edge_weight = check_edge_weight(edge_weight, edge_index.shape[1], x.dtype, owner)
    return edge_index, edge_weight


_DERIVED: OrderedDict = OrderedDict()   # recent graphs and what layers derived from them
_MAX_DERIVED = 8


def _derived_graph(kind, build, edge_index, edge_weight, *extra):
    """What a layer derives from a graph (self-loops, normalized weights), built once.

    Kept in a small cache shared by all layers, keyed by ``kind``, the layer's options
    ``extra`` and the arrays' memory, and reused only while stored copies of the edges
    and weights still equal the ones passed (a pass over E integers; rebuilding costs
    many more). All layers on one graph then get the same arrays, so the plans built
    from them (:func:`scratchdl.graph.scatter`, :func:`scratchdl.graph.spmm`) are shared
    too.
    """
    key = (kind, edge_index.__array_interface__["data"][0], edge_index.shape,
           None if edge_weight is None else edge_weight.__array_interface__["data"][0],
           *extra)
    entry = _DERIVED.get(key)
    if (entry is not None and np.array_equal(entry[0], edge_index)
            and (edge_weight is None or np.array_equal(entry[1], edge_weight))):
        _DERIVED.move_to_end(key)
        return entry[2]
    value = build()
    _DERIVED[key] = (edge_index.copy(),
                     None if edge_weight is None else edge_weight.copy(), value)
    if len(_DERIVED) > _MAX_DERIVED:
        _DERIVED.popitem(last=False)
    return value


def _glorot_(array, rng):
    """PyTorch Geometric's ``glorot``: U(-b, b), b = sqrt(6 / (size[-2] + size[-1]))."""
    bound = math.sqrt(6.0 / (array.shape[-2] + array.shape[-1]))
    return init.uniform_(array, -bound, bound, rng=rng)


class GCNConv(Module):
    r"""Graph convolution of Kipf and Welling (2017): :math:`\mathbf Y = \hat{\mathbf A}^\top
    \mathbf X \mathbf W^\top + \mathbf b`.

    Node by node, with the normalized weights :math:`\hat a_{ji}` of
    :func:`scratchdl.graph.gcn_norm`,

    .. math:: y_i = \sum_{j \to i} \hat a_{ji}\, \mathbf W x_j + b,

    where the sum runs over node i's incoming edges, its self-loop included.

    Parameters
    ----------
    in_channels, out_channels : int
    improved : bool
        Self-loops of weight 2 instead of 1 (only when ``edge_weight`` is given, as in
        PyTorch Geometric 2.8).
    add_self_loops : bool or None
        Give every node one self-loop (replacing any it had). ``None`` (default) means
        ``normalize``; adding loops without normalizing is refused, as in PyG.
    normalize : bool
        Use :math:`\hat a_{ji}`; ``False`` uses the raw edge weights (or 1).
    bias : bool
    rng : numpy.random.Generator or int or None
        Randomness of the Glorot-uniform initial weights (the bias starts at zero).
    dtype : float32 or float64

    Attributes
    ----------
    lin : Linear
        :math:`\mathbf W` is ``lin.weight``, (out_channels, in_channels).
    bias : (out_channels,) array or None
    """

    def __init__(self, in_channels, out_channels, improved=False, add_self_loops=None,
                 normalize=True, bias=True, *, rng=None, dtype=np.float64):
        super().__init__()
        owner = type(self).__name__
        self.in_channels = check_number(in_channels, "in_channels", low=1, integer=True,
                                        owner=owner)
        self.out_channels = check_number(out_channels, "out_channels", low=1, integer=True,
                                         owner=owner)
        for name, value in (("improved", improved), ("normalize", normalize), ("bias", bias)):
            if not isinstance(value, bool):
                raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
        if add_self_loops is None:
            add_self_loops = normalize
        if not isinstance(add_self_loops, bool):
            raise TypeError(f"{owner}: add_self_loops must be True, False or None, got "
                            f"{add_self_loops!r}")
        if add_self_loops and not normalize:
            raise ValueError(f"{owner}: add_self_loops=True needs normalize=True (as in "
                             "PyTorch Geometric): self-loops are added by the normalization")
        dtype = check_dtype(dtype, owner)
        rng = check_rng(rng)
        self.improved, self.add_self_loops, self.normalize = improved, add_self_loops, normalize
        self.lin = Linear(self.in_channels, self.out_channels, bias=False, rng=rng, dtype=dtype)
        _glorot_(self.lin.weight, rng)
        self.register_parameter("bias", np.zeros(self.out_channels, dtype=dtype)
                                if bias else None)
        self.cache = None  # (edge_index, propagation weights, output shape, dtype)

    def propagation(self, edge_index, edge_weight, num_nodes, dtype):
        r"""The edges with self-loops and their weights :math:`\hat a_{ji}` used by forward.

        Computed once per graph: while the same edges and weights come back (compared
        exactly), the stored result is reused, as PyTorch Geometric's ``cached=True``
        does for one fixed graph."""
        return _derived_graph(
            "gcn", lambda: self._propagation(edge_index, edge_weight, num_nodes, dtype),
            edge_index, edge_weight, self.normalize, self.improved, self.add_self_loops,
            num_nodes, np.dtype(dtype).str)

    def _propagation(self, edge_index, edge_weight, num_nodes, dtype):
        if self.normalize:
            return gcn_norm(edge_index, edge_weight, num_nodes, self.improved,
                            self.add_self_loops, dtype)
        if edge_weight is None:
            edge_weight = np.ones(edge_index.shape[1], dtype=dtype)
        return edge_index, edge_weight

    def forward(self, x, edge_index, edge_weight=None):
        r"""Compute :math:`y_i = \sum_{j \to i} \hat a_{ji} \mathbf W x_j + b`.

        Parameters
        ----------
        x : (N, in_channels) array
        edge_index : (2, E) int array
        edge_weight : (E,) array, optional

        Returns
        -------
        (N, out_channels) array
        """
        _check_graph_inputs(self, x, edge_index, edge_weight)
        h = self.lin.forward(x)                                # W x_j first
        return self.propagate(h, edge_index, edge_weight)

    def propagate(self, h, edge_index, edge_weight=None):
        r"""The propagation alone, :math:`y_i = \sum_{j \to i} \hat a_{ji} h_j + b`, for
        features already projected, ``h = x W^T`` of shape (N, out_channels)."""
        num_nodes = h.shape[0]
        edge_index = check_edge_index(edge_index, num_nodes, describe(self))
        edge_weight = check_edge_weight(edge_weight, edge_index.shape[1], h.dtype,
                                        describe(self))
        edge_index, weight = self.propagation(edge_index, edge_weight, num_nodes,
                                              h.dtype)
        out = spmm(edge_index, weight, h, num_nodes)   # y_i = sum_(j -> i) a_ji h_j
        self.cache = (edge_index, weight, out.shape, out.dtype)
        if self.bias is not None:
            out = out + self.bias
        return out

    def backward(self, dout):
        r"""Gradients of :math:`y_i = \sum_{j \to i} \hat a_{ji} h_j + b`, :math:`h = x
        \mathbf W^\top`: :meth:`propagate_backward`, then ``lin``'s backward pass turns
        :math:`dL/dh` into :math:`dL/dx` and
        :math:`dL/d\mathbf W`."""
        return self.lin.backward(self.propagate_backward(dout))

    def propagate_backward(self, dout):
        r"""Back through the propagation only: returns :math:`dL/dh`.

        .. math::
            \frac{dL}{dh_j} = \sum_{i:\, j \to i} \hat a_{ji}\,
            \frac{dL}{dy_i}, \qquad
            \frac{dL}{db} = \sum_i \frac{dL}{dy_i},

        messages sent back along every edge, from target to source.
        """
        shape, dtype = (None, None) if self.cache is None else self.cache[2:]
        check_dout(self, dout, shape, dtype)
        edge_index, weight = self.cache[:2]
        if self.bias is not None:
            self.grads["bias"] += dout.sum(axis=0)
        # The same weights along the reversed edges, i -> j: dL/dh = A-hat dL/dy.
        return spmm(edge_index[::-1], weight, dout, dout.shape[0])

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}"


class SAGEConv(Module):
    r"""GraphSAGE (Hamilton et al., 2017): :math:`y_i = \mathbf W_l \,
    \mathrm{aggr}_{j \to i}\, x_j + b + \mathbf W_r x_i`.

    The neighbours' features are aggregated first (mean by default, over incoming
    edges, duplicates counted, self-loops in ``edge_index`` included; 0 for a node with
    none), then mapped by ``lin_l``; the node's own features go through ``lin_r``.

    Parameters
    ----------
    in_channels, out_channels : int
    aggr : {"mean", "sum", "add", "max"}
    root_weight : bool
        Add :math:`\mathbf W_r x_i` (``lin_r``, no bias).
    bias : bool
        Bias of ``lin_l``.
    rng, dtype
        As for :class:`GCNConv` (PyTorch's default Linear initialization, as in PyG).
    """

    def __init__(self, in_channels, out_channels, aggr="mean", root_weight=True, bias=True,
                 *, rng=None, dtype=np.float64):
        super().__init__()
        owner = type(self).__name__
        self.in_channels = check_number(in_channels, "in_channels", low=1, integer=True,
                                        owner=owner)
        self.out_channels = check_number(out_channels, "out_channels", low=1, integer=True,
                                         owner=owner)
        if aggr not in ("mean", "sum", "add", "max"):
            raise ValueError(f"{owner}: aggr must be 'mean', 'sum', 'add' or 'max', got "
                             f"{aggr!r}")
        for name, value in (("root_weight", root_weight), ("bias", bias)):
            if not isinstance(value, bool):
                raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
        dtype = check_dtype(dtype, owner)
        rng = check_rng(rng)
        self.aggr, self.root_weight = aggr, root_weight
        self.lin_l = Linear(self.in_channels, self.out_channels, bias=bias, rng=rng,
                            dtype=dtype)
        if root_weight:
            self.lin_r = Linear(self.in_channels, self.out_channels, bias=False, rng=rng,
                                dtype=dtype)
        self.cache = None  # (edge_index, messages, aggregated, output shape, dtype)

    def forward(self, x, edge_index):
        r"""Compute :math:`y_i = \mathbf W_l\, \mathrm{aggr}_{j \to i} x_j + b +
        \mathbf W_r x_i`.

        Parameters
        ----------
        x : (N, in_channels) array
        edge_index : (2, E) int array

        Returns
        -------
        (N, out_channels) array
        """
        edge_index, _ = _check_graph_inputs(self, x, edge_index)
        source, target = edge_index
        messages = x[source]
        aggregated = scatter(messages, target, x.shape[0], self.aggr)
        out = self.lin_l.forward(aggregated)
        if self.root_weight:
            out = out + self.lin_r.forward(x)
        self.cache = (edge_index, messages, aggregated, out.shape, out.dtype)
        return out

    def backward(self, dout):
        r"""Back through ``lin_l``, then each message gets its share of its target's
        gradient (:func:`scratchdl.graph.scatter_backward`) and is summed onto its source;
        plus ``lin_r``'s gradient for the root term."""
        shape, dtype = (None, None) if self.cache is None else self.cache[3:]
        check_dout(self, dout, shape, dtype)
        (source, target), messages, aggregated = self.cache[:3]
        daggregated = self.lin_l.backward(dout)
        dmessages = scatter_backward(daggregated, messages, target, aggregated, self.aggr)
        dx = scatter(dmessages, source, dout.shape[0])
        if self.root_weight:
            dx = dx + self.lin_r.backward(dout)
        return dx

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, aggr={self.aggr!r}"


class GATConv(Module):
    r"""Graph attention (Veličković et al., 2018), PyTorch Geometric's ``GATConv``.

    Each head :math:`k` projects the nodes, :math:`h_j = \mathbf W^{(k)} x_j`, scores every
    edge :math:`j \to i` and normalizes the scores over node i's incoming edges:

    .. math::
        s_{ji} = \mathrm{LeakyReLU}\big(a_{src} \cdot h_j + a_{dst} \cdot h_i\big),
        \qquad
        \alpha_{ji} = \frac{\exp s_{ji}}{\sum_{j' \to i} \exp s_{j'i}}, \qquad
        y_i = \sum_{j \to i} \alpha_{ji} h_j.

    The heads' outputs are concatenated (``concat=True``) or averaged, then ``bias`` is
    added. By default every node gets exactly one self-loop (existing ones are replaced).

    Parameters
    ----------
    in_channels, out_channels : int
        ``out_channels`` per head.
    heads : int
    concat : bool
    negative_slope : float
        Slope of the LeakyReLU for negative scores.
    dropout : float in [0, 1)
        Dropout on the attention coefficients :math:`\alpha` in training mode.
    add_self_loops : bool
    bias : bool
    rng : numpy.random.Generator or int or None
        Initial weights (Glorot uniform, bias zero) and the dropout masks.
    dtype : float32 or float64

    Attributes
    ----------
    lin : Linear
        All heads' :math:`\mathbf W`, ``lin.weight`` of shape (heads * out_channels,
        in_channels).
    att_src, att_dst : (1, heads, out_channels) arrays
    bias : (heads * out_channels,) or (out_channels,) array or None
    attention : (E', heads) array or None
        The coefficients :math:`\alpha` of the last forward pass (before dropout), one row
        per edge of ``attention_edge_index``, for plotting.
    attention_edge_index : (2, E') int array or None
        The edges ``attention`` refers to, self-loops included.
    """

    def __init__(self, in_channels, out_channels, heads=1, concat=True, negative_slope=0.2,
                 dropout=0.0, add_self_loops=True, bias=True, *, rng=None, dtype=np.float64):
        super().__init__()
        owner = type(self).__name__
        self.in_channels = check_number(in_channels, "in_channels", low=1, integer=True,
                                        owner=owner)
        self.out_channels = check_number(out_channels, "out_channels", low=1, integer=True,
                                         owner=owner)
        self.heads = check_number(heads, "heads", low=1, integer=True, owner=owner)
        self.negative_slope = check_number(negative_slope, "negative_slope", owner=owner)
        self.dropout = check_number(dropout, "dropout", low=0, high=1, high_inclusive=False,
                                    owner=owner)
        for name, value in (("concat", concat), ("add_self_loops", add_self_loops),
                            ("bias", bias)):
            if not isinstance(value, bool):
                raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
        dtype = check_dtype(dtype, owner)
        self.rng = check_rng(rng)
        self.concat, self.add_self_loops = concat, add_self_loops
        H, C = self.heads, self.out_channels
        self.lin = Linear(self.in_channels, H * C, bias=False, rng=self.rng, dtype=dtype)
        _glorot_(self.lin.weight, self.rng)
        self.register_parameter("att_src", _glorot_(np.empty((1, H, C), dtype), self.rng))
        self.register_parameter("att_dst", _glorot_(np.empty((1, H, C), dtype), self.rng))
        width = H * C if concat else C
        self.register_parameter("bias", np.zeros(width, dtype=dtype) if bias else None)
        self.attention = None
        self.attention_edge_index = None
        self.cache = None

    def forward(self, x, edge_index):
        r"""Attention-weighted sums of the projected neighbours, for every head.

        Parameters
        ----------
        x : (N, in_channels) array
        edge_index : (2, E) int array

        Returns
        -------
        (N, heads * out_channels) array, or (N, out_channels) with ``concat=False``
        """
        _check_graph_inputs(self, x, edge_index)
        return self.attend(self.lin.forward(x), edge_index)              # all heads' W x_j

    def attend(self, h, edge_index):
        r"""Everything after the projection: scores, softmax, weighted sums, bias, for
        features already projected, ``h = x W^T`` of shape (N, heads * out_channels)."""
        N, H, C = h.shape[0], self.heads, self.out_channels
        edge_index = check_edge_index(edge_index, N, describe(self))
        if self.add_self_loops:   # once per graph, see GCNConv.propagation
            edge_index = _derived_graph(
                "self-loops", lambda: add_self_loops(*remove_self_loops(edge_index),
                                                     num_nodes=N)[0],
                edge_index, None, N)
        source, target = edge_index
        h = h.reshape(N, H, C)                                           # h_j, per head
        score = (h * self.att_src).sum(-1)[source] + (h * self.att_dst).sum(-1)[target]
        alpha = edge_softmax(np.where(score > 0, score, self.negative_slope * score),
                             target, N)                               # (E, H)
        keep = np.ones_like(alpha)
        if self.training and self.dropout > 0:
            keep = ((self.rng.random(alpha.shape) >= self.dropout)
                    / (1 - self.dropout)).astype(alpha.dtype)
        out = spmm(edge_index, alpha * keep, h, N)                   # (N, H, C)
        self.attention, self.attention_edge_index = alpha, edge_index
        self.cache = (edge_index, h, score, alpha, keep)
        out = out.reshape(N, H * C) if self.concat else out.mean(axis=1)
        if self.bias is not None:
            out = out + self.bias
        self.out_spec = (out.shape, out.dtype)
        return out

    def backward(self, dout):
        r"""Back through the weighted sum, the dropout, the softmax over each node's
        incoming edges, the LeakyReLU and the two attention vectors.

        With :math:`g_{ji} = dL/d\alpha_{ji} = \delta_i \cdot h_j` and the
        softmax's Jacobian,

        .. math::
            \frac{dL}{ds_{ji}} = \alpha_{ji}\Big(g_{ji} -
            \sum_{j' \to i} \alpha_{j'i}\, g_{j'i}\Big);

        the score :math:`s_{ji}` depends on :math:`h_j` through :math:`a_{src}` and on
        :math:`h_i` through :math:`a_{dst}`, so each edge's score gradient flows to both
        ends.
        """
        return self.lin.backward(self.attend_backward(dout))

    def attend_backward(self, dout):
        """Back through :meth:`attend`: returns dL/dh, (N, heads * out_channels)."""
        shape, dtype = (None, None) if self.cache is None else self.out_spec
        check_dout(self, dout, shape, dtype)
        edge_index, h, score, alpha, keep = self.cache
        (source, target), (N, H, C) = edge_index, h.shape
        if self.bias is not None:
            self.grads["bias"] += dout.sum(axis=0)
        # dL/d(per-head output): concatenation splits, the mean shares equally.
        dy = (dout.reshape(N, H, C) if self.concat
              else np.repeat(dout[:, None, :] / H, H, axis=1))
        dmessage = dy[target]                                           # (E, H, C)
        dh = spmm(edge_index[::-1], alpha * keep, dy, N)                # through y_i
        dalpha = (dmessage * h[source]).sum(-1) * keep                  # g_ji
        dscore = edge_softmax_backward(alpha, dalpha, target, N)
        dscore = dscore * np.where(score > 0, 1.0, self.negative_slope).astype(h.dtype)
        dsrc = scatter(dscore, source, N)                               # (N, H)
        ddst = scatter(dscore, target, N)
        dh += dsrc[:, :, None] * self.att_src + ddst[:, :, None] * self.att_dst
        self.grads["att_src"] += (dsrc[:, :, None] * h).sum(axis=0, keepdims=True)
        self.grads["att_dst"] += (ddst[:, :, None] * h).sum(axis=0, keepdims=True)
        return dh.reshape(N, H * C)

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, heads={self.heads}"
