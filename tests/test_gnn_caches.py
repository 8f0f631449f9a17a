"""The once-per-graph caches and shortcuts of the graph code give the numbers a fresh
computation gives.

Scatter plans, GCNConv's normalised weights, GATConv's self-loops and the models'
non-zero pattern of x are reused across calls; these tests change the inputs between
calls (in place and by passing other arrays) and compare with uncached results.
"""

from __future__ import annotations

import numpy as np

from scratchdl import graph
from scratchdl.models.gnn import GAT, GCN, MLP
from scratchdl.nn.graph import GATConv, GCNConv
from scratchdl.nn.module import unique_parameters


def _bincount_scatter(src, index, num_nodes):
    out = np.zeros((num_nodes, *src.shape[1:]))
    np.add.at(out, index, src)
    return out


def test_scatter_plan_follows_an_index_edited_in_place():
    rng = np.random.default_rng(0)
    index = rng.integers(0, 6, 30)
    src = rng.standard_normal((30, 3))
    assert np.allclose(graph.scatter(src, index, 6), _bincount_scatter(src, index, 6))
    index[:10] = 5                                   # same array, new contents
    assert np.allclose(graph.scatter(src, index, 6), _bincount_scatter(src, index, 6))
    assert np.allclose(graph.scatter(src, index, 6, "mean") * np.maximum(
        np.bincount(index, minlength=6), 1)[:, None], _bincount_scatter(src, index, 6))


def test_scatter_max_and_empty_index():
    index = np.array([2, 0, 2, 2])
    src = np.array([1.0, -3.0, 5.0, 2.0])
    assert np.array_equal(graph.scatter(src, index, 4, "max"), [-3.0, 0.0, 5.0, 0.0])
    assert np.array_equal(graph.scatter(np.zeros((0, 2)), np.zeros(0, np.int64), 3),
                          np.zeros((3, 2)))


def test_gcnconv_recomputes_the_normalisation_for_a_changed_graph():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 4))
    edge_index = rng.integers(0, 7, (2, 15))
    weight = rng.uniform(0.5, 2.0, 15)
    layer = GCNConv(4, 3, rng=2)
    layer.forward(x, edge_index, weight)
    edge_index[1, :5] = (edge_index[1, :5] + 1) % 7          # edit the graph in place
    weight[3] = 7.0
    fresh = GCNConv(4, 3, rng=2)
    assert np.array_equal(layer.forward(x, edge_index, weight),
                          fresh.forward(x, edge_index, weight))
    assert np.array_equal(layer.forward(x, edge_index), fresh.forward(x, edge_index))


def test_gatconv_recomputes_the_self_loops_for_a_changed_graph():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4))
    edge_index = rng.integers(0, 6, (2, 12))
    layer = GATConv(4, 2, heads=2, rng=4)
    layer.forward(x, edge_index)
    edge_index[0, :4] = 0
    fresh = GATConv(4, 2, heads=2, rng=4)
    assert np.array_equal(layer.forward(x, edge_index), fresh.forward(x, edge_index))


def _sparse_features(seed, shape=(8, 10)):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) * (rng.random(shape) < 0.3)


def test_models_reuse_the_pattern_of_a_read_only_x_only():
    edge_index = np.random.default_rng(5).integers(0, 8, (2, 20))
    for make in (lambda: GCN(10, 5, 3, rng=6), lambda: MLP(10, 5, 3, rng=6),
                 lambda: GAT(10, 2, 3, heads=2, rng=6)):
        model = make().eval()
        x = _sparse_features(7)
        model.forward(x, edge_index)
        x[...] = _sparse_features(8)                 # writeable: edited in place
        assert np.array_equal(model.forward(x, edge_index),
                              make().eval().forward(x, edge_index))
        frozen = _sparse_features(9)
        frozen.setflags(write=False)
        first = model.forward(frozen, edge_index)
        assert np.array_equal(model.forward(frozen, edge_index), first)
        assert np.array_equal(first, make().eval().forward(frozen.copy(), edge_index))


def test_backward_without_input_gradient_gives_the_same_parameter_gradients():
    edge_index = np.random.default_rng(10).integers(0, 8, (2, 20))
    x = _sparse_features(11)
    for make in (lambda: GCN(10, 5, 3, rng=12), lambda: MLP(10, 5, 3, rng=12),
                 lambda: GAT(10, 2, 3, heads=2, rng=12)):
        grads = []
        for input_grad in (True, False):
            model = make().eval()
            model.zero_grad()
            out = model.forward(x, edge_index)
            dx = model.backward(np.ones_like(out), input_grad=input_grad)
            assert (dx is None) == (not input_grad)
            grads.append({name: g.copy()
                          for name, _, g in unique_parameters(model, "test")})
        assert grads[0].keys() == grads[1].keys()
        for name in grads[0]:
            assert np.array_equal(grads[0][name], grads[1][name]), name
