"""Reference tests: GCNConv, SAGEConv and GATConv give PyTorch Geometric's numbers.

The same weights (a scratchdl ``state_dict`` loaded unchanged into the PyG layer) and the
same float64 inputs go through both; outputs, input gradients and every parameter
gradient must agree to 1e-10. The graphs are random and contain what PyG treats in its
own way: self-loops already present, duplicate edges, isolated nodes, directed edges.
"""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.graph import gcn_norm
from scratchdl.nn.graph import GATConv, GCNConv, SAGEConv
from tests.oracles import require

torch = require("torch")
pyg_nn = require("torch_geometric.nn")
pyg_gcn = require("torch_geometric.nn.conv.gcn_conv")
pytestmark = pytest.mark.reference

TOL = 1e-10


def awkward_graph(seed, num_nodes=9, num_edges=20):
    """A random directed multigraph with self-loops, duplicates and isolated nodes."""
    rng = np.random.default_rng(seed)
    active = num_nodes - 2  # the last two nodes have no edge at all
    edges = rng.integers(0, active, (2, num_edges))
    loops = np.array([[1, 1, 3], [1, 1, 3]])          # node 1 has two self-loops
    duplicates = edges[:, :3]                         # three edges appear twice
    edge_index = np.concatenate([edges, loops, duplicates], axis=1)
    weight = rng.uniform(0.2, 2.0, edge_index.shape[1])
    weight[num_edges:num_edges + 2] = 0.7  # equal weights on node 1's duplicated loop
    return edge_index.astype(np.int64), weight


def compare(ours, theirs, x, *graph, seed=0):
    """Run both layers forward and backward with one upstream gradient; return max gaps."""
    theirs.double()  # before loading, or the weights pass through float32
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    ours.zero_grad()
    x_t = torch.tensor(x, requires_grad=True)
    y_t = theirs(x_t, *[torch.tensor(a) for a in graph])
    y = ours.forward(x, *graph)
    g = np.random.default_rng(seed).standard_normal(y.shape)
    y_t.backward(torch.tensor(g))
    dx = ours.backward(g)
    gaps = {"out": np.abs(y - y_t.detach().numpy()).max(),
            "dx": np.abs(dx - x_t.grad.numpy()).max()}
    for name, param in theirs.named_parameters():
        gaps[name] = np.abs(ours.grads[name] - param.grad.numpy()).max()
    assert set(gaps) - {"out", "dx"} == set(ours.params)
    return gaps


def x_for(seed, num_nodes=9, channels=5):
    return np.random.default_rng(seed + 100).standard_normal((num_nodes, channels))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kwargs", [{}, {"improved": True}, {"add_self_loops": False},
                                    {"normalize": False}, {"bias": False}])
@pytest.mark.parametrize("weighted", [False, True])
def test_gcnconv_matches_pyg(seed, kwargs, weighted):
    edge_index, weight = awkward_graph(seed)
    ours = GCNConv(5, 4, rng=seed, **kwargs)
    if ours.bias is not None:
        ours.bias[...] = np.random.default_rng(seed).standard_normal(4)
    graph = (edge_index, weight) if weighted else (edge_index,)
    gaps = compare(ours, pyg_nn.GCNConv(5, 4, **kwargs), x_for(seed), *graph, seed=seed)
    assert max(gaps.values()) < TOL, gaps


@pytest.mark.parametrize("improved", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_gcn_norm_matches_pyg(improved, weighted):
    edge_index, weight = awkward_graph(5)
    w = weight if weighted else None
    ours = gcn_norm(edge_index, w, 9, improved, True)
    theirs = pyg_gcn.gcn_norm(torch.tensor(edge_index), None if w is None else torch.tensor(w),
                              9, improved, True, "source_to_target", torch.float64)
    assert np.array_equal(ours[0], theirs[0].numpy())
    assert np.abs(ours[1] - theirs[1].numpy()).max() < 1e-14


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("aggr", ["mean", "sum", "max"])
@pytest.mark.parametrize("root_weight", [True, False])
def test_sageconv_matches_pyg(seed, aggr, root_weight):
    edge_index, _ = awkward_graph(seed)
    ours = SAGEConv(5, 4, aggr=aggr, root_weight=root_weight, rng=seed)
    theirs = pyg_nn.SAGEConv(5, 4, aggr=aggr, root_weight=root_weight)
    gaps = compare(ours, theirs, x_for(seed), edge_index, seed=seed)
    assert max(gaps.values()) < TOL, gaps


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kwargs", [{"heads": 1}, {"heads": 3}, {"heads": 3, "concat": False},
                                    {"heads": 2, "add_self_loops": False},
                                    {"heads": 2, "negative_slope": 0.05, "bias": False}])
def test_gatconv_matches_pyg(seed, kwargs):
    edge_index, _ = awkward_graph(seed)
    ours = GATConv(5, 4, rng=seed, **kwargs)
    if ours.bias is not None:
        ours.bias[...] = np.random.default_rng(seed).standard_normal(ours.bias.shape)
    theirs = pyg_nn.GATConv(5, 4, **kwargs)
    gaps = compare(ours, theirs, x_for(seed), edge_index, seed=seed)
    assert max(gaps.values()) < TOL, gaps


def test_gat_attention_matches_pyg():
    edge_index, _ = awkward_graph(1)
    ours = GATConv(5, 4, heads=2, rng=1)
    theirs = pyg_nn.GATConv(5, 4, heads=2).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = x_for(1)
    ours.forward(x, edge_index)
    _, (edges_t, alpha_t) = theirs(torch.tensor(x), torch.tensor(edge_index),
                                   return_attention_weights=True)
    assert np.array_equal(ours.attention_edge_index, edges_t.numpy())
    assert np.abs(ours.attention - alpha_t.detach().numpy()).max() < TOL


def test_pyg_state_dict_loads_unchanged():
    for ours, theirs in [(GCNConv(3, 2), pyg_nn.GCNConv(3, 2)),
                         (SAGEConv(3, 2), pyg_nn.SAGEConv(3, 2)),
                         (GATConv(3, 2, heads=4), pyg_nn.GATConv(3, 2, heads=4))]:
        state = {k: v.detach().double().numpy() for k, v in theirs.state_dict().items()}
        ours.load_state_dict(state)  # strict: the same keys and shapes
        for name, value in state.items():
            assert np.array_equal(ours.state_dict()[name], value)


def test_elu_matches_torch():
    from scratchdl.nn import ELU
    x = np.random.default_rng(0).standard_normal((5, 4)) * 3
    x[0, 0] = 0.0
    layer = ELU()
    y = layer.forward(x)
    x_t = torch.tensor(x, requires_grad=True)
    y_t = torch.nn.functional.elu(x_t)
    g = np.random.default_rng(1).standard_normal(x.shape)
    y_t.backward(torch.tensor(g))
    assert np.abs(y - y_t.detach().numpy()).max() < 1e-15
    assert np.abs(layer.backward(g) - x_t.grad.numpy()).max() < 1e-15
