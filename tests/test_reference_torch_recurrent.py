"""Reference tests for the recurrent layers: scratchdl and PyTorch (CPU, float64) agree.

Weights go from a ``torch.nn.RNN`` / ``LSTM`` / ``GRU`` / ``Embedding`` to scratchdl through
``load_state_dict``; both get the same inputs, initial states and upstream gradients (for
the output *and* the final states); outputs, final states, dL/dx, dL/d(initial state) and
every parameter gradient must agree to the RTOL/ATOL of ``test_reference_torch.py`` over
random sizes, lengths and layer counts. ``clip_grad_norm_`` and the masked sequence loss
are compared too.
"""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import nn
from scratchdl.losses import SequenceCrossEntropyLoss
from tests.oracles import require
from tests.test_reference_torch import close, numpy_state

torch = require("torch")
pytestmark = pytest.mark.reference

KINDS = {
    "rnn_tanh": (nn.RNN, torch.nn.RNN, {}),
    "rnn_relu": (nn.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, torch.nn.LSTM, {}),
    "gru": (nn.GRU, torch.nn.GRU, {}),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("seed", range(4))
def test_recurrent_layer_matches_torch(kind, seed):
    ours_cls, theirs_cls, kwargs = KINDS[kind]
    rng = np.random.default_rng(seed)
    n, steps, d, h = (int(v) for v in rng.integers(1, 7, 4))
    layers, bias, with_state = int(rng.integers(1, 4)), seed != 2, seed % 2 == 0
    theirs = theirs_cls(d, h, layers, bias=bias, batch_first=True, **kwargs).double()
    ours = ours_cls(d, h, layers, bias=bias, rng=0, **kwargs)
    ours.load_state_dict(numpy_state(theirs))
    is_lstm = kind == "lstm"
    x = rng.standard_normal((n, steps, d))
    states = [rng.standard_normal((layers, n, h)) for _ in range(2 if is_lstm else 1)]
    xt = torch.tensor(x, requires_grad=True)
    st = [torch.tensor(s, requires_grad=True) for s in states]
    if with_state:
        hx_ours = tuple(states) if is_lstm else states[0]
        hx_theirs = tuple(st) if is_lstm else st[0]
        out_t, final_t = theirs(xt, hx_theirs)
        out, final = ours(x, hx_ours)
    else:
        out_t, final_t = theirs(xt)
        out, final = ours(x)
    finals, finals_t = (final, final_t) if is_lstm else ((final,), (final_t,))
    close(out, out_t, "output")
    for k, (a, b) in enumerate(zip(finals, finals_t, strict=True)):
        close(a, b, f"final state {k}")
    dout = rng.standard_normal(out.shape)
    dfinals = [rng.standard_normal(f.shape) for f in finals]
    total = (out_t * torch.tensor(dout)).sum()
    for f, df in zip(finals_t, dfinals, strict=True):
        total = total + (f * torch.tensor(df)).sum()
    theirs.zero_grad()
    total.backward()
    ours.zero_grad()
    dx = ours.backward(dout, *dfinals)
    close(dx, xt.grad, "dL/dx")
    if with_state:
        close(ours.dh0, st[0].grad, "dL/dh0")
        if is_lstm:
            close(ours.dc0, st[1].grad, "dL/dc0")
    for name, param in theirs.named_parameters():
        close(ours.grads[name], param.grad, f"gradient of {name}")


def test_default_initialization_matches_torch_distribution():
    ours = nn.LSTM(8, 64, rng=0)
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(8, 64)
    for name, param in theirs.named_parameters():
        a, b = ours.params[name], param.detach().numpy()
        assert a.shape == b.shape
        assert abs(a.max() - b.max()) < 0.01 and abs(a.std() - b.std()) < 0.01


@pytest.mark.parametrize("padding_idx", [None, 0, -2])
def test_embedding_matches_torch(padding_idx):
    theirs = torch.nn.Embedding(7, 4, padding_idx=padding_idx).double()
    ours = nn.Embedding(7, 4, padding_idx=padding_idx, rng=0)
    if padding_idx is not None:
        assert ours.padding_idx == theirs.padding_idx
    ours.load_state_dict(numpy_state(theirs))
    ids = np.random.default_rng(1).integers(0, 7, (3, 5))
    ids[0, :2] = 0
    out_t = theirs(torch.tensor(ids))
    close(ours(ids), out_t, "output")
    dout = np.random.default_rng(2).standard_normal((3, 5, 4))
    out_t.backward(torch.tensor(dout))
    ours.backward(dout)
    close(ours.grads["weight"], theirs.weight.grad, "gradient of weight")


@pytest.mark.parametrize(("max_norm", "norm_type"), [(0.5, 2.0), (100.0, 2.0), (0.3, 1.0),
                                                     (0.1, float("inf")), (1.0, 3.0)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    theirs = torch.nn.LSTM(3, 4, 2).double()
    ours = nn.LSTM(3, 4, 2, rng=0)
    rng = np.random.default_rng(0)
    for name, param in theirs.named_parameters():
        param.grad = torch.tensor(rng.standard_normal(tuple(param.shape)))
        ours.grads[name][...] = param.grad.numpy()
    total_t = torch.nn.utils.clip_grad_norm_(theirs.parameters(), max_norm, norm_type)
    total = nn.clip_grad_norm_(ours, max_norm, norm_type)
    close(total, total_t, "total norm")
    for name, param in theirs.named_parameters():
        close(ours.grads[name], param.grad, f"clipped gradient of {name}")


def test_sequence_loss_matches_torch_ignore_index():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 6, 5)) * 2
    target = rng.integers(0, 5, (4, 6))
    target[1, 3:] = -100
    lt = torch.tensor(logits, requires_grad=True)
    value_t = torch.nn.functional.cross_entropy(lt.reshape(-1, 5), torch.tensor(target).reshape(-1),
                                                ignore_index=-100)
    value_t.backward()
    loss = SequenceCrossEntropyLoss(ignore_index=-100)
    close(loss(logits, target), value_t, "loss")
    close(loss.backward(), lt.grad, "dL/dlogits")
