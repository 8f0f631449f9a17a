"""Graph utilities and graph layers: values, gradient checks, equivariance, bad input.

The comparisons with PyTorch Geometric are in tests/test_reference_pyg.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import graph
from scratchdl.gradcheck import TOLERANCE, gradcheck, numerical_gradient, relative_error
from scratchdl.models.gnn import GAT, GCN, MLP
from scratchdl.nn.graph import GATConv, GCNConv, SAGEConv
from scratchdl.nn.linear import Linear
from scratchdl.nn.module import Module

N = 8


def awkward_graph(seed=0, num_edges=18):
    """Directed multigraph: self-loops already present, duplicates, isolated nodes 6, 7."""
    rng = np.random.default_rng(seed)
    edges = rng.integers(0, N - 2, (2, num_edges))
    extra = np.array([[2, 2, 4, 0, 0], [2, 2, 4, 1, 1]])  # loop twice, loop, 0->1 twice
    edge_index = np.concatenate([edges, extra], axis=1).astype(np.int64)
    return edge_index, rng.uniform(0.2, 2.0, edge_index.shape[1])


def features(seed=0, channels=4):
    return np.random.default_rng(seed + 50).standard_normal((N, channels))


class OnGraph(Module):
    """A graph layer with its graph fixed, so gradcheck sees forward(x) -> y."""

    def __init__(self, layer, *graph_args):
        super().__init__()
        self.layer = layer
        self.graph_args = graph_args

    def forward(self, x):
        return self.layer.forward(x, *self.graph_args)

    def backward(self, dout):
        return self.layer.backward(dout)


LAYERS = {
    "gcn": lambda: GCNConv(4, 3, rng=0),
    "gcn_improved": lambda: GCNConv(4, 3, improved=True, rng=0),
    "gcn_no_loops": lambda: GCNConv(4, 3, add_self_loops=False, rng=0),
    "gcn_raw": lambda: GCNConv(4, 3, normalize=False, rng=0),
    "sage_mean": lambda: SAGEConv(4, 3, rng=0),
    "sage_sum": lambda: SAGEConv(4, 3, aggr="sum", rng=0),
    "sage_max": lambda: SAGEConv(4, 3, aggr="max", root_weight=False, rng=0),
    "gat": lambda: GATConv(4, 3, heads=2, rng=0),
    "gat_mean": lambda: GATConv(4, 3, heads=3, concat=False, rng=0),
    "gat_no_loops": lambda: GATConv(4, 3, heads=2, add_self_loops=False, rng=0),
}
WEIGHTED = {"gcn", "gcn_improved", "gcn_no_loops", "gcn_raw"}


def with_random_bias(layer):
    if getattr(layer, "bias", None) is not None:
        layer.bias[...] = np.random.default_rng(3).standard_normal(layer.bias.shape)
    return layer


@pytest.mark.parametrize("name, weighted", [(name, False) for name in sorted(LAYERS)]
                         + [(name, True) for name in sorted(WEIGHTED)])  # GCNConv's weights
def test_gradcheck_layers(name, weighted):
    edge_index, weight = awkward_graph(1)
    args = (edge_index, weight) if weighted else (edge_index,)
    result = gradcheck(OnGraph(with_random_bias(LAYERS[name]()), *args), features(1))
    assert result.passed(), result


def test_gradcheck_gat_with_attention_dropout():
    layer = GATConv(4, 3, heads=2, dropout=0.4, rng=2)
    assert layer.training
    result = gradcheck(OnGraph(layer, awkward_graph(2)[0]), features(2))
    assert result.passed(), result


@pytest.mark.parametrize("model", [
    lambda: GCN(4, 5, 3, num_layers=3, dropout=0.3, rng=0),
    lambda: GAT(4, 2, 3, heads=2, dropout=0.3, rng=0),
    lambda: MLP(4, 5, 3, dropout=0.3, rng=0)])
def test_gradcheck_models_in_training_mode(model):
    x = features(3)  # no zero: finite differences cannot cross SparseDropout's zero test
    result = gradcheck(OnGraph(model(), awkward_graph(3)[0]), x)
    assert result.passed(), result


@pytest.mark.parametrize("make", [lambda: GCN(6, 5, 3, rng=0), lambda: GAT(6, 2, 3, heads=2, rng=0),
                                  lambda: MLP(6, 5, 3, rng=0)])
def test_models_read_sparse_input_as_the_dense_layers_would(make):
    model = make().eval()
    edge_index = awkward_graph(4)[0]
    x = np.random.default_rng(4).standard_normal((N, 6))
    x[x < 0.3] = 0.0  # mostly zeros, as bag-of-words features are
    first = model.layers[0]
    dense = first.forward(x) if isinstance(first, Linear) else first.forward(x, edge_index)
    hidden = model.embed(x, edge_index)
    assert np.allclose(model.activations[0].forward(dense), hidden, atol=1e-14)


def test_sparse_input_dropout_touches_only_the_nonzeros():
    model = MLP(50, 4, 2, dropout=0.5, bias=False, rng=0)
    x = np.zeros((200, 50))
    x[::3, ::2] = 1.0
    model.forward(x, np.zeros((2, 0), dtype=np.int64))
    (cols, rows), values, mask, _ = model.sparse_cache
    assert np.all(x[rows, cols] == 1.0) and rows.size == np.count_nonzero(x)
    assert set(np.unique(values)) == {0.0, 2.0}
    assert abs(values.mean() - 1) < 0.05


# -- utilities ------------------------------------------------------------------------------
@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_scatter_values_and_gradient(reduce):
    rng = np.random.default_rng(0)
    index = np.array([0, 2, 2, 2, 3, 0, 3])  # node 1 and node 4 receive nothing
    src = rng.standard_normal((7, 3))
    out = graph.scatter(src, index, 5, reduce)
    combine = {"sum": np.sum, "mean": np.mean, "max": np.max}[reduce]
    for node in range(5):  # the definition, node by node (test only)
        rows = src[index == node]
        expected = combine(rows, axis=0) if len(rows) else np.zeros(3)
        assert np.allclose(out[node], expected, atol=1e-15)
    R = rng.standard_normal(out.shape)
    analytic = graph.scatter_backward(R, src, index, out, reduce)
    numeric = numerical_gradient(lambda: float(np.sum(graph.scatter(src, index, 5, reduce) * R)),
                                 src)
    assert relative_error(analytic, numeric) < TOLERANCE


def _spmm_by_definition(edge_index, weight, x, num_nodes):
    out = np.zeros((num_nodes, *x.shape[1:]))
    for e, (j, i) in enumerate(edge_index.T):   # edge by edge (test only)
        w = weight[e] if weight.ndim == 1 else weight[e][:, None]
        out[i] += w * x[j]
    return out


@pytest.mark.parametrize("heads", [None, 3])
def test_spmm_values_and_gradients(heads):
    rng = np.random.default_rng(7)
    # Degrees 0 to 9 (bands of one, two, four and more edges), a duplicated edge, a
    # self-loop, and sources drawn from 5 rows for 12 targets (a rectangular matrix).
    targets = np.concatenate([np.repeat(np.arange(10), np.arange(10)), [11, 11, 3]])
    sources = np.concatenate([rng.integers(0, 5, targets.size - 3), [4, 4, 3]])
    order = rng.permutation(targets.size)      # edges in no particular order
    edge_index = np.stack([sources, targets])[:, order]
    shape = (targets.size,) if heads is None else (targets.size, heads)
    weight = rng.standard_normal(shape)
    x = rng.standard_normal((5, 4) if heads is None else (5, heads, 4))
    out = graph.spmm(edge_index, weight, x, 12)
    assert out.shape == (12, *x.shape[1:]) and np.all(out[[0, 10]] == 0)   # no edges in
    assert np.allclose(out, _spmm_by_definition(edge_index, weight, x, 12), atol=1e-14)
    R = rng.standard_normal(out.shape)
    # dL/dx: the same weights along the reversed edges.
    analytic = graph.spmm(edge_index[::-1], weight, R, 5)
    numeric = numerical_gradient(lambda: float(np.sum(graph.spmm(edge_index, weight, x, 12)
                                                      * R)), x)
    assert relative_error(analytic, numeric) < TOLERANCE
    if heads is None:   # and the scatter of the messages it never builds
        messages = weight[:, None] * x[edge_index[0]]
        assert np.allclose(out, graph.scatter(messages, edge_index[1], 12), atol=1e-14)
        assert np.array_equal(graph.spmm(edge_index, None, x, 12),
                              graph.spmm(edge_index, np.ones(targets.size), x, 12))


def test_spmm_float32_empty_and_an_index_edited_in_place():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    assert graph.spmm(np.zeros((2, 0), np.int64), None, x, 4).tolist() == [[0, 0]] * 4
    edge_index = np.array([[0, 1, 2], [1, 1, 0]])
    weight = np.array([1.0, 2.0, 0.5], np.float32)
    out = graph.spmm(edge_index, weight, x, 3)
    assert out.dtype == np.float32 and out.tolist() == [[2, 2.5], [4, 7], [0, 0]]
    edge_index[1, 1] = 2                               # same array, new contents
    assert graph.spmm(edge_index, weight, x, 3).tolist() == [[2, 2.5], [0, 1], [4, 6]]
    x[2] = np.inf     # a non-finite row reaches only its own targets, not the padding
    assert np.isfinite(graph.spmm(edge_index, weight, x, 3)[[1, 2]]).all()


def test_scatter_max_shares_the_gradient_among_ties():
    src = np.array([[1.0], [1.0], [0.5]])
    index = np.array([0, 0, 0])
    out = graph.scatter(src, index, 1, "max")
    assert np.array_equal(graph.scatter_backward(np.ones((1, 1)), src, index, out, "max"),
                          [[0.5], [0.5], [0.0]])


def test_edge_softmax_values_gradient_and_extreme_scores():
    rng = np.random.default_rng(1)
    index = np.array([0, 0, 1, 1, 1, 3])
    scores = rng.standard_normal((6, 2))
    alpha = graph.edge_softmax(scores, index, 4)
    assert np.allclose(graph.scatter(alpha, index, 4)[[0, 1, 3]], 1.0)
    R = rng.standard_normal(alpha.shape)
    analytic = graph.edge_softmax_backward(alpha, R, index, 4)
    numeric = numerical_gradient(
        lambda: float(np.sum(graph.edge_softmax(scores, index, 4) * R)), scores)
    assert relative_error(analytic, numeric) < TOLERANCE
    huge = graph.edge_softmax(np.array([1000.0, 999.0, -1000.0]), np.array([0, 0, 1]), 2)
    assert np.all(np.isfinite(huge)) and np.isclose(huge[2], 1.0)


def test_self_loops_as_pyg():
    edge_index = np.array([[0, 1, 1, 2], [1, 1, 2, 2]])
    weight = np.array([0.5, 3.0, 0.25, 4.0])
    ei, w = graph.add_remaining_self_loops(edge_index, weight, 2.0, num_nodes=4)
    assert np.array_equal(ei, [[0, 1, 0, 1, 2, 3], [1, 2, 0, 1, 2, 3]])
    assert np.array_equal(w, [0.5, 0.25, 2.0, 3.0, 4.0, 2.0])  # existing loops keep weights
    ei, _ = graph.add_self_loops(*graph.remove_self_loops(edge_index), num_nodes=3)
    assert np.array_equal(ei, [[0, 1, 0, 1, 2], [1, 2, 0, 1, 2]])


def test_gcn_norm_is_the_renormalised_adjacency():
    edge_index, _ = awkward_graph(4)
    edge_index = graph.remove_self_loops(edge_index)[0]
    ei, w = graph.gcn_norm(edge_index, None, N)
    A = graph.to_dense_adj(edge_index, N) + np.eye(N)
    d = A.sum(axis=0)  # in-degree: column sums (row = source)
    expected = A / np.sqrt(d)[:, None] / np.sqrt(d)[None, :]
    assert np.allclose(graph.to_dense_adj(ei, N, w), expected, atol=1e-15)


def test_dense_round_trip_and_degree():
    edge_index, weight = awkward_graph(5)
    A = graph.to_dense_adj(edge_index, N, weight)
    ei, w = graph.dense_to_edge_index(A)
    assert np.allclose(graph.to_dense_adj(ei, N, w), A)
    assert np.array_equal(graph.degree(edge_index[1], N),
                          graph.to_dense_adj(edge_index, N).sum(axis=0))


def test_dirichlet_energy_is_zero_for_constant_scaled_features_and_positive_otherwise():
    edge_index = np.array([[0, 1, 1, 2], [1, 0, 2, 1]])  # a path, both directions
    d = graph.degree(edge_index[1], 3)
    x = np.sqrt(1 + d)[:, None] * np.ones((3, 2))
    assert graph.dirichlet_energy(x, edge_index) == 0.0
    assert graph.dirichlet_energy(np.eye(3), edge_index, normalize=False) == 4.0


# -- permutation equivariance ------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layers_are_permutation_equivariant(name):
    edge_index, weight = awkward_graph(6)
    x = features(6)
    perm = np.random.default_rng(6).permutation(N)
    inverse = np.argsort(perm)  # new label of old node j is inverse[j]
    layer = with_random_bias(LAYERS[name]())
    args = (weight,) if name in WEIGHTED else ()
    y = layer.forward(x, edge_index, *args)
    y_perm = layer.forward(x[perm], inverse[edge_index], *args)
    assert np.allclose(y_perm, y[perm], atol=1e-12)


# -- bad input: a clear error naming the layer, nothing changed -----------------------------
BAD_GRAPHS = [
    (np.array([0, 1, 2]), ValueError, r"shape \(2, E\)"),
    (np.zeros((3, 2), dtype=np.int64), ValueError, r"shape \(2, E\)"),
    (np.array([[0.0, 1.0], [1.0, 0.0]]), TypeError, "integer"),
    (np.array([[0, -1], [1, 0]]), ValueError, r"\[0, 8\)"),
    (np.array([[0, 8], [1, 0]]), ValueError, r"\[0, 8\)"),
    ([[0, 1], [1, 0]], TypeError, "numpy integer array"),
]


@pytest.mark.parametrize("name", ["gcn", "sage_mean", "gat"])
@pytest.mark.parametrize("bad", BAD_GRAPHS)
def test_bad_edge_index_is_refused_and_changes_nothing(name, bad):
    edge_index, error, message = bad
    layer = LAYERS[name]()
    good = awkward_graph(0)[0]
    layer.forward(features(0), good)
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    cache = layer.cache
    with pytest.raises(error, match=message) as info:
        layer.forward(features(0), edge_index)
    assert str(info.value).startswith(type(layer).__name__ + "(")
    assert layer.cache is cache
    assert all(np.array_equal(v, layer.state_dict()[k]) for k, v in before.items())


@pytest.mark.parametrize("weight, error, message", [
    (np.array([1.0, np.nan] + [1.0] * 21), ValueError, "NaN or infinite"),
    (np.array([1.0, np.inf] + [1.0] * 21), ValueError, "NaN or infinite"),
    (np.ones(5), ValueError, r"shape \(23,\)"),
    (np.ones(23, dtype=np.int64), TypeError, "float32 or float64"),
    (np.ones(23, dtype=np.float32), TypeError, "dtype float32"),
])
def test_bad_edge_weight_is_refused(weight, error, message):
    layer = GCNConv(4, 3, rng=0)
    with pytest.raises(error, match=message) as info:
        layer.forward(features(0), awkward_graph(0)[0], weight)
    assert str(info.value).startswith("GCNConv(4, 3)")
    assert layer.cache is None


@pytest.mark.parametrize("name", ["gcn", "sage_mean", "gat"])
def test_bad_features_and_dout(name):
    layer = LAYERS[name]()
    edge_index = awkward_graph(0)[0]
    with pytest.raises(ValueError, match=r"shape \(N, 4\)"):
        layer.forward(np.ones((N, 5)), edge_index)
    x = features(0)
    x[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        layer.forward(x, edge_index)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((N, 3)))
    y = layer.forward(features(0), edge_index)
    with pytest.raises(ValueError, match="output's shape"):
        layer.backward(np.ones((N + 1, y.shape[1])))


@pytest.mark.parametrize("make, message", [
    (lambda: GCNConv(0, 3), "in_channels"),
    (lambda: GCNConv(3, 3, add_self_loops=True, normalize=False), "normalize"),
    (lambda: SAGEConv(3, 3, aggr="median"), "aggr"),
    (lambda: GATConv(3, 3, heads=0), "heads"),
    (lambda: GATConv(3, 3, dropout=1.0), "dropout"),
])
def test_bad_hyperparameters(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_float32_stays_float32():
    edge_index = awkward_graph(0)[0]
    x = features(0).astype(np.float32)
    for layer in (GCNConv(4, 3, dtype=np.float32), SAGEConv(4, 3, aggr="max", dtype=np.float32),
                  GATConv(4, 3, heads=2, dtype=np.float32)):
        y = layer.forward(x, edge_index)
        assert y.dtype == np.float32
        assert layer.backward(np.ones_like(y)).dtype == np.float32
        assert all(g.dtype == np.float32 for g in layer.grads.values())


def test_elu_gradient_and_extreme_inputs():
    from scratchdl.nn import ELU
    x = np.random.default_rng(7).standard_normal((4, 5)) * 2
    assert gradcheck(ELU(0.7), x).passed()
    with np.errstate(all="raise"):
        y = ELU().forward(np.array([-1e4, -1e-12, 0.0, 1e4]))
    assert y[0] == -1.0 and y[1] == pytest.approx(-1e-12, rel=1e-9) and y[3] == 1e4
