r"""Graphs as arrays: edge lists, self-loops, degrees, normalization, scatter and softmax.

A graph with :math:`N` nodes is stored as PyTorch Geometric stores it: an integer array
``edge_index`` of shape (2, E) whose column :math:`e = (j, i)` is an edge from the
**source** :math:`j = ` ``edge_index[0, e]`` to the **target** :math:`i = ` ``edge_index[1, e]``,
optionally with an ``edge_weight`` of shape (E,). An undirected graph lists each edge
twice, once in each direction. Messages flow along edges from source to target, so a node
*aggregates over its incoming edges*.

Everything here is vectorized: no Python loop visits a node or an edge. Sums of messages
onto nodes (:func:`scatter`) are one ``np.bincount`` over flattened (node, feature)
positions, much faster than ``np.add.at``; maxima sort the messages by target node and
reduce each node's block with ``np.maximum.reduceat``. Weighted sums of neighbours'
features, :math:`\sum_{j \to i} w_{ji} x_j` (GCN's propagation, GAT's attention-weighted
sum, a sparse matrix times a dense one), skip the (E, F) messages: :func:`spmm` groups the
nodes by in-degree and does one batched matrix product per group. The positions, sort
orders and groups are worked out once per index array (the *plan*, kept in a small cache
and reused while the same index array comes back unchanged). The functions only read
their inputs.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from scratchdl._validation import FLOAT_DTYPES

__all__ = [
    "check_edge_index",
    "check_edge_weight",
    "remove_self_loops",
    "add_self_loops",
    "add_remaining_self_loops",
    "degree",
    "gcn_norm",
    "to_dense_adj",
    "dense_to_edge_index",
    "scatter",
    "scatter_backward",
    "spmm",
    "edge_softmax",
    "edge_softmax_backward",
    "dirichlet_energy",
]

REDUCTIONS = ("sum", "add", "mean", "max")


# -- checks ------------------------------------------------------------------------------
def check_edge_index(edge_index, num_nodes: int, owner: str = "") -> np.ndarray:
    """Check ``edge_index``: an integer array of shape (2, E) with entries in [0, num_nodes).

    Returns it as int64 (a view when it already is). Raises ``TypeError`` for a non-array
    or a non-integer dtype, ``ValueError`` for a wrong shape or an index out of range.
    """
    where = f"{owner}: " if owner else ""
    if not isinstance(edge_index, np.ndarray):
        raise TypeError(f"{where}edge_index must be a numpy integer array of shape (2, E), "
                        f"got {type(edge_index).__name__}")
    if not np.issubdtype(edge_index.dtype, np.integer):
        raise TypeError(f"{where}edge_index must hold integer node indices, got dtype "
                        f"{edge_index.dtype}")
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"{where}edge_index must have shape (2, E) (row 0 sources, row 1 "
                         f"targets), got {edge_index.shape}")
    if edge_index.size and (edge_index.min() < 0 or edge_index.max() >= num_nodes):
        raise ValueError(f"{where}edge_index must hold node indices in [0, {num_nodes}) for "
                         f"{num_nodes} nodes, got values from {edge_index.min()} to "
                         f"{edge_index.max()}")
    return edge_index.astype(np.int64, copy=False)


def check_edge_weight(edge_weight, num_edges: int, dtype=None, owner: str = ""):
    """Check an optional ``edge_weight``: finite floats of shape (E,), of ``dtype`` if given."""
    if edge_weight is None:
        return None
    where = f"{owner}: " if owner else ""
    if not isinstance(edge_weight, np.ndarray):
        raise TypeError(f"{where}edge_weight must be a numpy float array of shape (E,), got "
                        f"{type(edge_weight).__name__}")
    if edge_weight.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{where}edge_weight must have dtype float32 or float64, got "
                        f"{edge_weight.dtype}")
    if dtype is not None and edge_weight.dtype != np.dtype(dtype):
        raise TypeError(f"{where}edge_weight has dtype {edge_weight.dtype} but the "
                        f"parameters are {np.dtype(dtype)}")
    if edge_weight.shape != (num_edges,):
        raise ValueError(f"{where}edge_weight must have shape ({num_edges},), one weight per "
                         f"edge, got {edge_weight.shape}")
    if not np.all(np.isfinite(edge_weight)):
        bad = int(edge_weight.size - np.count_nonzero(np.isfinite(edge_weight)))
        raise ValueError(f"{where}edge_weight contains {bad} NaN or infinite value(s)")
    return edge_weight


def _check_num_nodes(num_nodes, owner):
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, (int, np.integer)) \
            or num_nodes < 0:
        raise ValueError(f"{owner}: num_nodes must be a non-negative integer, got {num_nodes!r}")
    return int(num_nodes)


# -- self-loops --------------------------------------------------------------------------
def remove_self_loops(edge_index, edge_weight=None):
    """Drop every edge :math:`(i, i)`; returns ``(edge_index, edge_weight)``."""
    keep = edge_index[0] != edge_index[1]
    return edge_index[:, keep], (None if edge_weight is None else edge_weight[keep])


def add_self_loops(edge_index, edge_weight=None, fill_value=1.0, num_nodes=None):
    """Append one edge :math:`(i, i)` for every node, after the existing edges.

    Existing self-loops are kept (call :func:`remove_self_loops` first to replace them).
    The new loops get weight ``fill_value`` when ``edge_weight`` is given.
    """
    num_nodes = _check_num_nodes(num_nodes, "add_self_loops")
    loops = np.arange(num_nodes, dtype=np.int64)
    edge_index = np.concatenate([edge_index, np.stack([loops, loops])], axis=1)
    if edge_weight is not None:
        edge_weight = np.concatenate(
            [edge_weight, np.full(num_nodes, fill_value, dtype=edge_weight.dtype)])
    return edge_index, edge_weight


def add_remaining_self_loops(edge_index, edge_weight=None, fill_value=1.0, num_nodes=None):
    """Give every node exactly one self-loop, as PyTorch Geometric does.

    Existing self-loops are removed and one loop per node is appended after the other
    edges. With ``edge_weight``, a node that had a self-loop keeps that loop's weight (the
    last one, if it had several) and the others get ``fill_value``; without it, no weights
    are returned.
    """
    num_nodes = _check_num_nodes(num_nodes, "add_remaining_self_loops")
    is_loop = edge_index[0] == edge_index[1]
    loops = np.arange(num_nodes, dtype=np.int64)
    new_index = np.concatenate([edge_index[:, ~is_loop], np.stack([loops, loops])], axis=1)
    if edge_weight is None:
        return new_index, None
    loop_weight = np.full(num_nodes, fill_value, dtype=edge_weight.dtype)
    loop_weight[edge_index[0, is_loop]] = edge_weight[is_loop]  # the last assignment wins
    return new_index, np.concatenate([edge_weight[~is_loop], loop_weight])


# -- degrees and normalization -------------------------------------------------------------
def degree(index, num_nodes: int, weight=None, dtype=np.float64) -> np.ndarray:
    """How often each node appears in ``index`` (summing ``weight`` if given): (N,) array.

    ``degree(edge_index[1], N)`` is the in-degree, the number of incoming edges.
    """
    return np.bincount(index, weights=weight, minlength=num_nodes).astype(dtype, copy=False)


def gcn_norm(edge_index, edge_weight=None, num_nodes=None, improved=False,
             add_self_loops=True, dtype=np.float64):
    r"""Kipf and Welling's renormalized propagation weights, edge by edge.

    With self-loops :math:`\tilde A = A + I` (weight 2 with ``improved``) and the
    in-degree :math:`\tilde d_i = \sum_j \tilde a_{ji}`, each edge :math:`j \to i` gets

    .. math:: \hat a_{ji} = \tilde d_j^{-1/2}\, \tilde a_{ji}\, \tilde d_i^{-1/2},

    the entries of :math:`\tilde D^{-1/2} \tilde A \tilde D^{-1/2}`. A node of degree 0
    gets :math:`\tilde d^{-1/2} = 0`.

    As in PyTorch Geometric 2.8, the self-loop weight 2 of ``improved`` applies only
    when ``edge_weight`` is given; without weights every edge, loops included, weighs 1.

    Returns
    -------
    edge_index : (2, E') int array
        With the self-loops, if added.
    edge_weight : (E',) float array
        :math:`\hat a_{ji}`.
    """
    fill_value = 2.0 if improved else 1.0
    if add_self_loops:
        edge_index, edge_weight = add_remaining_self_loops(edge_index, edge_weight,
                                                           fill_value, num_nodes)
    if edge_weight is None:
        edge_weight = np.ones(edge_index.shape[1], dtype=dtype)
    source, target = edge_index
    deg = degree(target, num_nodes, edge_weight, dtype=edge_weight.dtype)
    with np.errstate(divide="ignore"):
        deg_inv_sqrt = np.where(deg > 0, deg, np.inf) ** -0.5  # 0 where the degree is 0
    return edge_index, deg_inv_sqrt[source] * edge_weight * deg_inv_sqrt[target]


# -- dense <-> sparse ----------------------------------------------------------------------
def to_dense_adj(edge_index, num_nodes: int, edge_weight=None, dtype=np.float64):
    """The (N, N) adjacency matrix :math:`A` with :math:`a_{ji}` = weight of edge j -> i.

    Row = source, column = target (PyTorch Geometric's layout); duplicate edges add up.
    """
    flat = edge_index[0] * num_nodes + edge_index[1]
    weight = None if edge_weight is None else edge_weight
    adj = np.bincount(flat, weights=weight, minlength=num_nodes * num_nodes)
    return adj.reshape(num_nodes, num_nodes).astype(
        dtype if edge_weight is None else edge_weight.dtype, copy=False)


def dense_to_edge_index(adj):
    """The edges of a dense adjacency matrix: ``(edge_index, edge_weight)`` of its non-zeros.

    Edges come in row-major order (sorted by source, then target).
    """
    source, target = np.nonzero(adj)
    return np.stack([source, target]).astype(np.int64), adj[source, target]


# -- scatter: from edges to nodes ---------------------------------------------------------
_PLANS: OrderedDict = OrderedDict()   # a few recent plans, see _plan
_MAX_PLANS = 16


def _plan(index, num_nodes):
    """How to reduce messages by target node: ``(order, nodes, starts, counts, flat)``.

    ``index[order]`` is sorted (``order`` is None when ``index`` already is); ``nodes`` are
    the nodes that receive something and ``starts`` where each one's block begins in the
    sorted messages; ``counts`` the number of messages per node; ``flat`` maps a message
    width to the flattened (node, feature) positions of its entries, filled on first use.
    A training loop passes the same index array every epoch, so the plan is cached, keyed
    by the array's memory and shape, and reused only when the stored copy of the index
    still equals it (a cheap comparison of E integers): an edited or different index gets
    a new plan.
    """
    key = (index.__array_interface__["data"][0], index.shape, index.strides,
           index.dtype.str, num_nodes)
    cached = _PLANS.get(key)
    if cached is not None and np.array_equal(cached[0], index):
        _PLANS.move_to_end(key)
        return cached[1]
    order = np.argsort(index, kind="stable")
    sorted_index = index[order]
    if np.array_equal(order, np.arange(index.size)):
        order = None
    nodes, starts = np.unique(sorted_index, return_index=True)
    plan = (order, nodes, starts, np.bincount(index, minlength=num_nodes), {})
    _PLANS[key] = (index.copy(), plan)
    if len(_PLANS) > _MAX_PLANS:
        _PLANS.popitem(last=False)
    return plan


def scatter(src, index, num_nodes: int, reduce: str = "sum"):
    r"""Combine the rows of ``src`` that share a target node:
    :math:`out_i = \bigoplus_{e:\, index_e = i} src_e`.

    Parameters
    ----------
    src : (E, ...) float array
        One message per edge.
    index : (E,) int array
        The node each message goes to (``edge_index[1]`` for messages along edges).
    num_nodes : int
    reduce : {"sum", "add", "mean", "max"}
        A node that receives nothing gets 0, as in PyTorch Geometric.

    Returns
    -------
    (num_nodes, ...) array
    """
    if reduce not in REDUCTIONS:
        raise ValueError(f"scatter: reduce must be one of {REDUCTIONS}, got {reduce!r}")
    out = np.zeros((num_nodes, *src.shape[1:]), dtype=src.dtype)
    if index.size == 0:
        return out
    order, nodes, starts, counts, flat = _plan(index, num_nodes)
    if reduce == "max":
        grouped = src if order is None else src.take(order, axis=0)   # sorted by target
        out[nodes] = np.maximum.reduceat(grouped, starts, axis=0)   # one block per node
        return out
    width = src.size // index.size              # numbers per message
    if width not in flat:                       # (node, feature) -> one flat position
        flat[width] = (index[:, None] * width + np.arange(width)).ravel()
    out[...] = np.bincount(flat[width], weights=src.ravel(),
                           minlength=num_nodes * width).reshape(out.shape)
    if reduce == "mean":
        out /= np.maximum(counts, 1).reshape(-1, *[1] * (src.ndim - 1))
    return out


def scatter_backward(dout, src, index, out, reduce: str = "sum"):
    r"""Gradient of :func:`scatter` with respect to ``src``, given ``dout`` = dL/d(out).

    Sum: every message gets its target's gradient, :math:`dL/d\,\mathrm{src}_e =
    dout_{index_e}`. Mean: divided by the target's number of messages. Max: only the
    messages equal to the maximum receive it, shared equally among ties (as PyTorch does).
    """
    dsrc = dout[index]
    if reduce in ("sum", "add"):
        return dsrc
    num_nodes = dout.shape[0]
    if reduce == "mean":
        count = _plan(index, num_nodes)[3].reshape(-1, *[1] * (src.ndim - 1))
        return dsrc / count[index]
    winner = (src == out[index]).astype(src.dtype)
    ties = scatter(winner, index, num_nodes, "sum")
    return dsrc * winner / np.maximum(ties[index], 1)


# -- weighted sums along edges: a sparse matrix times a dense one ---------------------------
_SPMM_PLANS: OrderedDict = OrderedDict()   # a few recent plans, see _spmm_plan


def _spmm_plan(edge_index, num_nodes):
    """How :func:`spmm` visits the edges: a list of ``(nodes, edges, sources)`` blocks.

    Nodes are grouped by in-degree into bands [1, 2), [2, 4), [4, 8), ...; a band of n
    nodes whose largest in-degree is d gets an (n, d) table of its nodes' incoming edges
    (``edges``) and of those edges' sources (``sources``), rows padded with -1 where a
    node has fewer than d edges. The -1 picks a zero weight and a zero row appended at
    the end, so padding adds nothing; no band is padded to more than twice its smallest
    degree. Cached like :func:`_plan`: reused only while a stored copy of ``edge_index``
    still equals the array passed.
    """
    key = (edge_index.__array_interface__["data"][0], edge_index.shape,
           edge_index.strides, edge_index.dtype.str, num_nodes)
    cached = _SPMM_PLANS.get(key)
    if cached is not None and np.array_equal(cached[0], edge_index):
        _SPMM_PLANS.move_to_end(key)
        return cached[1]
    source, target = edge_index
    order = np.argsort(target, kind="stable")          # edges grouped by target
    counts = np.bincount(target, minlength=num_nodes)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])   # each node's first edge
    sources = np.append(source, -1)                     # -1 -> the appended zero row
    order = np.append(order, -1)                        # -1 -> the appended zero weight
    blocks, low = [], 1
    while counts.size and low <= counts.max():
        nodes = np.flatnonzero((counts >= low) & (counts < 2 * low))
        if nodes.size:
            slot = np.arange(counts[nodes].max())
            used = slot < counts[nodes][:, None]
            edges = np.where(used, order[np.where(used, first[nodes][:, None] + slot, -1)],
                             -1)
            blocks.append((nodes, edges, sources[edges]))
        low *= 2
    _SPMM_PLANS[key] = (edge_index.copy(), blocks)
    if len(_SPMM_PLANS) > _MAX_PLANS:
        _SPMM_PLANS.popitem(last=False)
    return blocks


def spmm(edge_index, edge_weight, x, num_nodes: int):
    r"""Weighted sums of source rows onto targets,
    :math:`out_i = \sum_{e = (j \to i)} w_e x_j`: the product :math:`\mathbf A^\top
    \mathbf X` with the sparse :math:`\mathbf A` given by its edges (the name of PyTorch
    Geometric's ``spmm``).

    The same as ``scatter(edge_weight[:, None] * x[edge_index[0]], edge_index[1],
    num_nodes)`` without building the (E, F) messages. The nodes are grouped by
    in-degree into bands [1, 2), [2, 4), [4, 8), ...; a band of n nodes whose largest
    in-degree is d gets an (n, d) table of its nodes' incoming edges, padded with a zero
    weight and a zero row where a node has fewer than d, and each table is one batched
    product of (1, d) weights with (d, F) rows. The tables are built once per
    ``edge_index`` (the plan) and reused. Sums are accumulated in the dtype of ``x``
    (float32 stays float32).

    Its gradient with respect to ``x`` is
    ``spmm(edge_index[::-1], edge_weight, dout, M)``: the same weights, along the
    reversed edges.

    Parameters
    ----------
    edge_index : (2, E) int array
        Row 0 indexes the rows of ``x`` (sources, any range), row 1 the output rows.
    edge_weight : (E,) or (E, H) float array, or None (all ones)
        With (E, H) weights, ``x`` is (M, H, C): one weight per edge and head.
    x : (M, F) or (M, H, C) float array
    num_nodes : int
        Number of output rows; a node without incoming edges gets 0.

    Returns
    -------
    (num_nodes, F) or (num_nodes, H, C) array
    """
    out = np.zeros((num_nodes, *x.shape[1:]), dtype=x.dtype)
    if edge_index.shape[1] == 0:
        return out
    if edge_weight is None:
        edge_weight = np.ones(edge_index.shape[1], dtype=x.dtype)
    weight = np.concatenate([edge_weight, np.zeros((1, *edge_weight.shape[1:]),
                                                   edge_weight.dtype)])
    rows = np.concatenate([x, np.zeros((1, *x.shape[1:]), x.dtype)])
    for nodes, edges, sources in _spmm_plan(edge_index, num_nodes):
        w, r = weight[edges], rows.take(sources, axis=0)   # (n, d[, H]), (n, d, ...)
        if w.ndim == 2:
            out[nodes] = (w[:, None, :] @ r.reshape(*w.shape, -1)).reshape(
                len(nodes), *x.shape[1:])
        else:
            out[nodes] = np.einsum("ndh,ndhc->nhc", w, r)
    return out


# -- softmax over each node's incoming edges ------------------------------------------------
def edge_softmax(scores, index, num_nodes: int):
    r"""Softmax of edge scores over the edges that share a target node.

    .. math:: \alpha_{e} = \frac{\exp(s_e)}{\sum_{e': index_{e'} = index_e} \exp(s_{e'})}

    Each group is shifted by its own maximum first, so no score overflows.

    Parameters
    ----------
    scores : (E, ...) float array
        E.g. (E, heads) attention logits.
    index : (E,) int array
        Target node of each edge.

    Returns
    -------
    (E, ...) array
        For every target node, its incoming edges' weights sum to one.
    """
    shift = scatter(scores, index, num_nodes, "max")
    exp = np.exp(scores - shift[index])
    total = scatter(exp, index, num_nodes, "sum")
    return exp / total[index]


def edge_softmax_backward(alpha, dalpha, index, num_nodes: int):
    r"""Gradient of :func:`edge_softmax`: :math:`dL/ds_e = \alpha_e
    (g_e - \sum_{e' \to i} \alpha_{e'} g_{e'})` with :math:`g = dL/d\alpha` and i the
    target of e."""
    weighted = scatter(alpha * dalpha, index, num_nodes, "sum")
    return alpha * (dalpha - weighted[index])


# -- how alike the nodes are ------------------------------------------------------------------
def dirichlet_energy(x, edge_index, normalize: bool = True) -> float:
    r"""How much node features differ across edges: the Dirichlet energy.

    .. math:: E(\mathbf X) = \frac{1}{2} \sum_{(j,i)} \left\lVert
        \frac{x_i}{\sqrt{1 + d_i}} - \frac{x_j}{\sqrt{1 + d_j}} \right\rVert^2

    over the edges of ``edge_index`` (an undirected graph lists each edge twice, hence
    the half), with in-degrees :math:`d`. Zero means neighbours are indistinguishable
    (after the degree scaling): the end point of over-smoothing. ``normalize=False``
    drops the degree scaling.
    """
    source, target = edge_index
    if normalize:
        scale = 1 / np.sqrt(1 + degree(target, x.shape[0], dtype=x.dtype))
        x = x * scale.reshape(-1, *[1] * (x.ndim - 1))
    diff = x.take(target, axis=0)
    diff -= x.take(source, axis=0)              # in place: one (E, ...) array, not three
    return 0.5 * float(np.sum(np.square(diff, out=diff)))
