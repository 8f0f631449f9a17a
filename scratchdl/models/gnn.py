r"""Node classifiers built from graph layers, and the training loop of the GCN paper.

* :class:`GCN`: ``num_layers`` GCNConv layers with ReLU and dropout between them, the
  model of Kipf and Welling (2017) (two layers, 16 hidden units, dropout 0.5 on Cora).
* :class:`GAT`: the Cora model of Veličković et al. (2018): 8 heads of 8 units with ELU,
  then one head to the classes; dropout 0.6 on features and attention.
* :class:`MLP`: the same shape as :class:`GCN` with Linear layers: a baseline that
  ignores the graph.
* :func:`train_node_classifier`: full-batch training on the labelled nodes with Adam,
  weight decay on the first layer, and the GCN paper's early stopping.

Each model's ``forward(x, edge_index)`` returns (N, C) logits and ``backward(dlogits)``
returns dL/dx, like every Module.
"""

from __future__ import annotations

import numpy as np

from scratchdl._validation import check_number, check_rng
from scratchdl.graph import check_edge_index, spmm
from scratchdl.losses import CrossEntropyLoss
from scratchdl.nn._checks import check_input, describe
from scratchdl.nn.activation import ELU, ReLU
from scratchdl.nn.dropout import Dropout
from scratchdl.nn.graph import GATConv, GCNConv, _glorot_
from scratchdl.nn.linear import Linear
from scratchdl.nn.module import Module
from scratchdl.optim import Adam

__all__ = ["GCN", "GAT", "MLP", "train_node_classifier", "accuracy"]


class _LayerStack(Module):
    """Dropout -> layer -> activation, repeated; the last layer has no activation.

    The first layer reads its input sparsely: dropout acts on the non-zero entries only
    (the GCN paper's sparse dropout; zeros stay zero either way) and the first projection
    :math:`\\mathbf X \\mathbf W^\\top` sums over the non-zeros alone
    (:func:`scratchdl.graph.spmm`, each non-zero an edge from a feature to a node; the
    weight gradient runs along the same edges reversed). For Cora's
    bag-of-words features (1.3% non-zero) this replaces a dozen passes over 3.9 million
    numbers per epoch by operations on 49,216. The layers' own ``propagate`` /
    ``attend`` then finish the first layer; the result equals the dense computation.
    """

    def _build(self, layers, activations, dropout, rng):
        self.layers, self.dropouts, self.activations = [], [], []
        self.rng, self.p = rng, dropout
        for k, layer in enumerate(layers):
            setattr(self, f"conv{k}", layer)
            self.layers.append(layer)
            if k > 0:
                drop = Dropout(dropout, rng=rng)
                setattr(self, f"dropout{k}", drop)
                self.dropouts.append(drop)
        for k, activation in enumerate(activations):
            setattr(self, f"act{k}", activation)
            self.activations.append(activation)
        self.sparse_cache = None
        self._pattern = None  # see _nonzeros

    # -- the first layer, on the non-zeros of x -------------------------------------------
    def _projection(self):
        first = self.layers[0]
        return first if isinstance(first, Linear) else first.lin

    def _first_forward(self, x, edge_index):
        pattern, values = self._nonzeros(x)        # pattern: (2, nnz) columns, rows
        if not isinstance(self.layers[0], Linear):
            edge_index = check_edge_index(edge_index, x.shape[0], describe(self))
        mask = None
        if self.training and self.p > 0:
            mask = ((self.rng.random(values.size) >= self.p) / (1 - self.p)).astype(x.dtype)
            values = values * mask
        weight = self._projection().weight                       # (out, in)
        # h_n = sum over the non-zeros (n, f) of x_nf W^T[f]: a sparse product x W^T.
        h = spmm(pattern, values, weight.T, x.shape[0])
        self.sparse_cache = (pattern, values, mask, x.shape)
        first = self.layers[0]
        if isinstance(first, Linear):
            return h if first.bias is None else h + first.bias
        if isinstance(first, GCNConv):
            return first.propagate(h, edge_index)
        return first.attend(h, edge_index)

    def _nonzeros(self, x):
        """Check x, then return the rows, columns and values of its non-zeros.

        A read-only x that owns its memory (``x.setflags(write=False)`` on a fresh array)
        cannot change, so when the same one comes back its check and its non-zeros are
        reused: a training loop then never reads the (N, D) matrix again. A writeable x
        is checked and searched on every call."""
        cached = self._pattern
        if (cached is not None and x is cached[2] and x.base is None
                and not x.flags.writeable):
            return cached[:2]
        check_input(self, x, features=self._projection().in_features, exact_ndim=2,
                    dtype=self.dtype)
        # Comparing first is several times faster than np.nonzero on the float array.
        rows, cols = np.divmod(np.flatnonzero(x.ravel() != 0), x.shape[1])
        values = x[rows, cols]
        pattern = np.stack([cols, rows])   # "edges" from feature f to node n
        self._pattern = (pattern, values, x)
        return pattern, values

    def _first_backward(self, dout, input_grad=True):
        first = self.layers[0]
        if isinstance(first, Linear):
            if first.bias is not None:
                first.grads["bias"] += dout.sum(axis=0)
            dh = dout
        elif isinstance(first, GCNConv):
            dh = first.propagate_backward(dout)
        else:
            dh = first.attend_backward(dout)
        pattern, values, mask, shape = self.sparse_cache
        projection = self._projection()
        # dL/dW^T[f] sums, over the non-zeros (n, f) in column f, x_nf dL/dh_n: the
        # transposed product x^T dL/dh, the same non-zeros along the reversed pattern.
        dweight_t = spmm(pattern[::-1], values, dh, shape[1])
        projection.grads["weight"] += dweight_t.T
        if not input_grad:
            return None
        dx = dh @ projection.weight
        if mask is not None:
            dx[pattern[1], pattern[0]] *= mask
        return dx

    # -- the stack --------------------------------------------------------------------------
    def _apply(self, layer, x, edge_index):
        return layer.forward(x, edge_index)

    def _drop(self, k, x):
        # In evaluation mode dropout is the identity: skip it.
        return self.dropouts[k - 1].forward(x) if self.training else x

    def forward(self, x, edge_index):
        """x : (N, in_channels) array, edge_index : (2, E) int array. Returns (N, C) logits."""
        for k, layer in enumerate(self.layers):
            if k == 0:
                x = self._first_forward(x, edge_index)
            else:
                x = self._apply(layer, self._drop(k, x), edge_index)
            if k < len(self.activations):
                x = self.activations[k].forward(x)
        return x

    def embed(self, x, edge_index):
        """The input of the last layer (before its dropout): node embeddings."""
        for k, layer in enumerate(self.layers[:-1]):
            x = (self._first_forward(x, edge_index) if k == 0
                 else self._apply(layer, self._drop(k, x), edge_index))
            x = self.activations[k].forward(x)
        return x

    def backward(self, dout, *, input_grad=True):
        """dout : (N, C) array. Returns dL/dx, adding every parameter's gradient.

        With ``input_grad=False`` only the parameter gradients are computed and None is
        returned: the (N, D) gradient with respect to fixed node features is the most
        costly product of the pass and a training loop never uses it (PyTorch skips it
        too for an input that does not require a gradient)."""
        for k in reversed(range(len(self.layers))):
            if k < len(self.activations):
                dout = self.activations[k].backward(dout)
            if k == 0:
                return self._first_backward(dout, input_grad)
            dout = self.layers[k].backward(dout)
            if self.training:
                dout = self.dropouts[k - 1].backward(dout)
        return dout


def _check_sizes(owner, in_channels, hidden_channels, out_channels, num_layers, dropout):
    sizes = [check_number(value, name, low=1, integer=True, owner=owner)
             for name, value in (("in_channels", in_channels),
                                 ("hidden_channels", hidden_channels),
                                 ("out_channels", out_channels),
                                 ("num_layers", num_layers))]
    check_number(dropout, "dropout", low=0, high=1, high_inclusive=False, owner=owner)
    return sizes


class GCN(_LayerStack):
    r"""``num_layers`` graph convolutions: :math:`\mathbf H^{(l+1)} = \mathrm{ReLU}(\hat{\mathbf
    A} \,\mathrm{dropout}(\mathbf H^{(l)}) \mathbf W^{(l)\top} + b^{(l)})`, logits last.

    Parameters
    ----------
    in_channels, hidden_channels, out_channels : int
    num_layers : int
        At least 1; every hidden layer has ``hidden_channels`` units.
    dropout : float in [0, 1)
        Applied to every layer's input in training mode.
    bias : bool
        Biases in the layers (PyG's default); the GCN paper's code has none.
    rng : numpy.random.Generator or int or None
        Initial weights and dropout masks.
    dtype : float32 or float64
    """

    def __init__(self, in_channels, hidden_channels, out_channels, num_layers=2, dropout=0.5,
                 bias=True, *, rng=None, dtype=np.float64):
        super().__init__()
        D, Hd, C, L = _check_sizes("GCN", in_channels, hidden_channels, out_channels,
                                   num_layers, dropout)
        rng = check_rng(rng)
        widths = [D] + [Hd] * (L - 1) + [C]
        layers = [GCNConv(a, b, bias=bias, rng=rng, dtype=dtype)
                  for a, b in zip(widths[:-1], widths[1:], strict=True)]
        self.num_layers, self.dropout = L, dropout
        self._build(layers, [ReLU() for _ in range(L - 1)], dropout, rng)

    def extra_repr(self):
        return f"num_layers={self.num_layers}, dropout={self.dropout}"


class MLP(_LayerStack):
    """The :class:`GCN` architecture with ``Linear`` in place of ``GCNConv`` (same
    initialization: Glorot-uniform weights, zero biases): it sees each node's features
    only, never the graph (``edge_index`` is accepted and ignored, so the same training
    loop serves both)."""

    def __init__(self, in_channels, hidden_channels, out_channels, num_layers=2, dropout=0.5,
                 bias=True, *, rng=None, dtype=np.float64):
        super().__init__()
        D, Hd, C, L = _check_sizes("MLP", in_channels, hidden_channels, out_channels,
                                   num_layers, dropout)
        rng = check_rng(rng)
        widths = [D] + [Hd] * (L - 1) + [C]
        layers = [Linear(a, b, bias=bias, rng=rng, dtype=dtype)
                  for a, b in zip(widths[:-1], widths[1:], strict=True)]
        for layer in layers:  # GCNConv's initialization, so the two differ only by the graph
            _glorot_(layer.weight, rng)
            if layer.bias is not None:
                layer.bias[...] = 0.0
        self.num_layers, self.dropout = L, dropout
        self._build(layers, [ReLU() for _ in range(L - 1)], dropout, rng)

    def _apply(self, layer, x, edge_index):
        return layer.forward(x)

    def extra_repr(self):
        return f"num_layers={self.num_layers}, dropout={self.dropout}"


class GAT(_LayerStack):
    """Two GATConv layers as in the GAT paper's Cora model.

    ``heads`` attention heads of ``hidden_channels`` units each (concatenated), ELU,
    then ``output_heads`` heads of ``out_channels`` averaged into the logits; dropout
    ``dropout`` on both layers' inputs and on the attention coefficients.
    """

    def __init__(self, in_channels, hidden_channels=8, out_channels=7, heads=8,
                 output_heads=1, dropout=0.6, *, rng=None, dtype=np.float64):
        super().__init__()
        D, Hd, C, heads = _check_sizes("GAT", in_channels, hidden_channels, out_channels,
                                       heads, dropout)
        rng = check_rng(rng)
        layers = [GATConv(D, Hd, heads=heads, dropout=dropout, rng=rng, dtype=dtype),
                  GATConv(Hd * heads, C, heads=output_heads, concat=False, dropout=dropout,
                          rng=rng, dtype=dtype)]
        self.dropout = dropout
        self._build(layers, [ELU()], dropout, rng)

    def extra_repr(self):
        return f"dropout={self.dropout}"


def accuracy(logits, y) -> float:
    """Fraction of rows whose largest logit is at the label."""
    return float(np.mean(np.argmax(logits, axis=1) == y))


def train_node_classifier(model, x, edge_index, y, train_index, val_index, *,
                          epochs=200, lr=0.01, weight_decay=5e-4,
                          first_layer_decay_only=True, patience=10):
    r"""Full-batch training on the labelled nodes, as in Kipf and Welling's code.

    Every epoch: one forward pass over the whole graph in training mode, cross-entropy
    on the ``train_index`` nodes, one backward pass, one Adam step; then the validation
    loss in evaluation mode. Weight decay :math:`\lambda` (L2, added to the gradient)
    applies to the first layer only when ``first_layer_decay_only`` (the GCN paper),
    otherwise to every parameter (the GAT paper).

    Early stopping (the GCN paper's rule): stop after epoch :math:`t > p` (patience)
    when the validation loss exceeds the mean of the :math:`p` before it. The model is
    left as it is at that epoch. With ``val_index=None`` there is no validation and no
    early stopping: all ``epochs`` run.

    Returns
    -------
    dict of lists
        ``"loss"``, ``"val_loss"``, ``"train_accuracy"``, ``"val_accuracy"`` per epoch.
    """
    owner = "train_node_classifier"
    check_input(model, x)
    edge_index = check_edge_index(edge_index, x.shape[0], owner)
    epochs = check_number(epochs, "epochs", low=1, integer=True, owner=owner)
    patience = check_number(patience, "patience", low=1, integer=True, owner=owner)
    if first_layer_decay_only:
        first = model.layers[0]
        rest = [layer for layer in model.layers[1:] if layer.num_parameters()]
        optimizers = [Adam(first, lr=lr, weight_decay=weight_decay)]
        if rest:
            optimizers.append(Adam(rest, lr=lr))
    else:
        optimizers = [Adam(model, lr=lr, weight_decay=weight_decay)]
    loss_fn = CrossEntropyLoss()
    history = {"loss": [], "val_loss": [], "train_accuracy": [], "val_accuracy": []}
    y_train = y[train_index]
    y_val = None if val_index is None else y[val_index]
    for epoch in range(epochs):
        model.train()
        model.zero_grad()
        logits = model.forward(x, edge_index)
        loss = loss_fn(logits[train_index], y_train)
        dlogits = np.zeros_like(logits)
        dlogits[train_index] = loss_fn.backward()
        model.backward(dlogits, input_grad=False)   # x is data: no dL/dx needed
        for optimizer in optimizers:
            optimizer.step()
        history["loss"].append(loss)
        if val_index is None:
            continue
        model.eval()
        logits = model.forward(x, edge_index)
        val_loss = loss_fn(logits[val_index], y_val)
        history["val_loss"].append(val_loss)
        history["train_accuracy"].append(accuracy(logits[train_index], y_train))
        history["val_accuracy"].append(accuracy(logits[val_index], y_val))
        previous = history["val_loss"][-(patience + 1):-1]   # the p epochs before
        if epoch > patience and val_loss > np.mean(previous):
            break
    model.eval()
    return history
