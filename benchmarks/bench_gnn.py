"""Speed of one GCN training epoch on Cora: scratchdl against PyTorch Geometric on CPU.

One epoch as chapter 08 trains it (the GCN paper's model, without biases): dropout on the
input features, GCNConv 1433 -> 16, ReLU, dropout, GCNConv 16 -> 7, softmax
cross-entropy on the 140 training nodes, backward, Adam step with weight decay on the
first layer. Float32, the same weights, interleaved, median of several repeats after a
warm-up, PyTorch's threads set to NumPy's BLAS threads; it prints the ratio
scratchdl / PyG (below 1 means scratchdl is faster).

Both normalise the graph once: PyG with ``cached=True``, scratchdl by reusing the
normalisation while the same edges come back. scratchdl finds the non-zeros of the
read-only features once and reads only those (the GCN paper's sparse input and sparse
dropout, random numbers for the non-zeros only); PyG multiplies the dense features and
its ``F.dropout`` draws for every entry. Neither computes the gradient with respect to
the features (``input_grad=False``; ``x`` does not require a gradient in PyTorch).

Run it with ``.venv/bin/python benchmarks/bench_gnn.py`` after ``make test`` (which installs
torch and torch_geometric).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from timing import setup_threads, side_by_side
from torch_geometric.nn import GCNConv as PygGCNConv

from scratchdl.data.graphs import load_cora
from scratchdl.losses import CrossEntropyLoss
from scratchdl.models.gnn import GCN
from scratchdl.optim import Adam


class PygGCN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv0 = PygGCNConv(1433, 16, bias=False, cached=True)
        self.conv1 = PygGCNConv(16, 7, bias=False, cached=True)

    def forward(self, x, edge_index):
        x = F.dropout(x, 0.5, self.training)
        x = F.relu(self.conv0(x, edge_index))
        x = F.dropout(x, 0.5, self.training)
        return self.conv1(x, edge_index)


def main() -> None:
    setup_threads()
    data = load_cora()
    x = (data["x"] / data["x"].sum(axis=1, keepdims=True)).astype(np.float32)
    x.setflags(write=False)
    edge_index, y, train = data["edge_index"], data["y"], data["train_index"]
    model = GCN(1433, 16, 7, bias=False, rng=0, dtype=np.float32)
    twin = PygGCN()
    twin.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.state_dict().items()})
    optimizers = [Adam(model.conv0, lr=0.01, weight_decay=5e-4), Adam(model.conv1, lr=0.01)]
    loss = CrossEntropyLoss()
    twin_optimizer = torch.optim.Adam([dict(params=twin.conv0.parameters(), weight_decay=5e-4),
                                       dict(params=twin.conv1.parameters(), weight_decay=0)],
                                      lr=0.01)
    xt, eit = torch.from_numpy(x.copy()), torch.from_numpy(edge_index)
    yt, traint = torch.from_numpy(y[train]), torch.from_numpy(train)
    y_train = y[train]

    def ours():
        model.train()
        model.zero_grad()
        logits = model.forward(x, edge_index)
        loss(logits[train], y_train)
        dlogits = np.zeros_like(logits)
        dlogits[train] = loss.backward()
        model.backward(dlogits, input_grad=False)
        for optimizer in optimizers:
            optimizer.step()

    def theirs():
        twin.train()
        twin_optimizer.zero_grad()
        F.cross_entropy(twin(xt, eit)[traint], yt).backward()
        twin_optimizer.step()

    side_by_side("GCN epoch on Cora (fwd+bwd+Adam)", ours, theirs)


if __name__ == "__main__":
    main()
