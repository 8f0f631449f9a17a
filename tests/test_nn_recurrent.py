"""scratchdl.nn.recurrent: RNN, LSTM and GRU; gradient checks in float64 (with the initial
and final states), carried state, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchdl import nn
from scratchdl.gradcheck import StatefulCheck, gradcheck

LAYERS = {
    "rnn_tanh": lambda d, h, layers: nn.RNN(d, h, layers, rng=0),
    "rnn_relu": lambda d, h, layers: nn.RNN(d, h, layers, nonlinearity="relu", rng=0),
    "lstm": lambda d, h, layers: nn.LSTM(d, h, layers, rng=0),
    "gru": lambda d, h, layers: nn.GRU(d, h, layers, rng=0),
    "rnn_nobias": lambda d, h, layers: nn.RNN(d, h, layers, bias=False, rng=0),
}


def data(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def states_for(layer, n, seed=5):
    shape = (layer.num_layers, n, layer.hidden_size)
    count = 2 if isinstance(layer, nn.LSTM) else 1
    return [data(shape, seed + k) * 0.5 for k in range(count)]


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize(("n", "steps", "d", "h", "layers"), [(2, 4, 3, 5, 1), (3, 3, 2, 4, 2)])
def test_gradcheck_with_initial_state(kind, n, steps, d, h, layers):
    layer = LAYERS[kind](d, h, layers)
    result = gradcheck(StatefulCheck(layer), data((n, steps, d), 1), *states_for(layer, n))
    assert result.passed(), result
    assert {"input0", "input1"} <= set(result.errors)
    assert len(result.errors) == len(layer.params) + 1 + len(states_for(layer, n))


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_gradcheck_without_initial_state(kind):
    layer = LAYERS[kind](3, 4, 1)

    class OutputOnly(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = layer

        def forward(self, x):
            return self.layer(x)[0]

        def backward(self, dout):
            return self.layer.backward(dout)

    assert gradcheck(OutputOnly(), data((2, 5, 3), 2)).passed()


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_chunks_with_carried_state_equal_the_full_sequence(kind):
    """Forward in two chunks = forward once; backward chained through dh0 = full BPTT."""
    layer = LAYERS[kind](3, 4, 2)
    x, dout = data((2, 7, 3), 1), data((2, 7, 4), 2)
    full, _ = layer(x)
    layer.zero_grad()
    dx_full = layer.backward(dout)
    grads_full = {k: g.copy() for k, g in layer.grads.items()}

    first, state = layer(x[:, :3])
    second, _ = layer(x[:, 3:], state)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), full, rtol=1e-13)
    # Backward of the second chunk, then the first with the second's dL/dh0 (and dL/dc0).
    layer.zero_grad()
    dx2 = layer.backward(dout[:, 3:])
    carried = (layer.dh0,) if not isinstance(layer, nn.LSTM) else (layer.dh0, layer.dc0)
    layer(x[:, :3])
    dx1 = layer.backward(dout[:, :3], *carried)
    np.testing.assert_allclose(np.concatenate([dx1, dx2], axis=1), dx_full, rtol=1e-12)
    for name, grad in layer.grads.items():
        np.testing.assert_allclose(grad, grads_full[name], rtol=1e-12, atol=1e-14)


def test_gradcheck_of_a_truncated_chunk_from_a_carried_state():
    layer = nn.LSTM(2, 3, rng=0)
    x = data((2, 8, 2), 3)
    _, (h, c) = layer(x[:, :4])
    result = gradcheck(StatefulCheck(layer), x[:, 4:].copy(), h, c)
    assert result.passed(), result


def test_parameters_names_shapes_and_init():
    lstm = nn.LSTM(3, 5, num_layers=2, rng=0)
    assert sorted(lstm.params) == sorted(
        f"{w}_l{k}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") for k in (0, 1))
    assert lstm.params["weight_ih_l0"].shape == (20, 3)
    assert lstm.params["weight_ih_l1"].shape == (20, 5)
    assert lstm.params["weight_hh_l1"].shape == (20, 5)
    assert nn.GRU(3, 5, rng=0).params["bias_hh_l0"].shape == (15,)
    bound = 1 / math.sqrt(5)
    assert all(np.abs(p).max() <= bound for p in lstm.params.values())
    assert repr(lstm) == "LSTM(3, 5, num_layers=2)"
    assert repr(nn.RNN(2, 3, nonlinearity="relu", bias=False)) == \
        "RNN(2, 3, nonlinearity='relu', bias=False)"
    out, h_n = nn.RNN(2, 3, rng=0)(np.zeros((4, 6, 2)))
    assert out.shape == (4, 6, 3) and h_n.shape == (1, 4, 3)
    np.testing.assert_array_equal(out[:, -1], h_n[0])


def test_float32_keeps_dtype():
    layer = nn.LSTM(2, 3, rng=0, dtype=np.float32)
    out, (h, c) = layer(np.ones((2, 4, 2), dtype=np.float32))
    assert out.dtype == h.dtype == c.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32
    with pytest.raises(TypeError, match="float64"):
        layer(np.ones((2, 4, 2)))


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_bad_input_is_rejected_and_nothing_changes(kind):
    layer = LAYERS[kind](3, 4, 2)
    x = data((2, 5, 3), 1)
    out, _ = layer(x)
    before = {k: v.copy() for k, v in layer.params.items()}
    cache = layer.cache
    name = type(layer).__name__
    with pytest.raises(ValueError, match=rf"{name}\(3, 4, num_layers=2\): x must have shape "
                                         r"\(N, T, 3\)"):
        layer(data((2, 5, 4), 1))
    with pytest.raises(ValueError, match="x must have shape"):
        layer(data((5, 3), 1))
    with pytest.raises(TypeError, match="numpy array"):
        layer(x.tolist())
    with pytest.raises(ValueError, match="NaN"):
        layer(np.full((2, 5, 3), np.nan))
    bad_state = data((2, 2, 4), 3)  # (num_layers, N, H) would be (2, 2, 4); give wrong N
    wrong = data((2, 3, 4), 3)
    hx = (wrong, bad_state) if kind == "lstm" else wrong
    with pytest.raises(ValueError, match=r"must have shape \(num_layers, N, hidden_size\) = "
                                         r"\(2, 2, 4\), got \(2, 3, 4\)"):
        layer(x, hx)
    if kind == "lstm":
        with pytest.raises(TypeError, match="pair"):
            layer(x, bad_state)
    with pytest.raises(ValueError, match=r"dout must have the output's shape"):
        layer.backward(data((2, 5, 3), 1))
    with pytest.raises(ValueError, match="dh_n must have shape"):
        layer.backward(data(out.shape, 1), data((1, 2, 4), 1))
    assert layer.cache is cache
    for key, value in layer.params.items():
        np.testing.assert_array_equal(value, before[key])
    assert not any(g.any() for g in layer.grads.values())
    with pytest.raises(RuntimeError, match="before forward"):
        LAYERS[kind](3, 4, 1).backward(data((2, 5, 4), 1))


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size"):
        nn.LSTM(2, 0)
    with pytest.raises(ValueError, match="num_layers"):
        nn.GRU(2, 3, num_layers=0)
    with pytest.raises(TypeError, match="dtype"):
        nn.RNN(2, 3, dtype=np.int64)


def test_state_names_in_messages_come_from_one_declaration():
    lstm = nn.LSTM(3, 4, rng=0)
    x = np.zeros((2, 5, 3))
    assert nn.LSTM.states == ("h", "c") and nn.GRU.states == nn.RNN.states == ("h",)
    with pytest.raises(ValueError, match=r"hx\[1\] \(c_0\) must have shape"):
        lstm(x, (np.zeros((1, 2, 4)), np.zeros((1, 3, 4))))
    out, _ = lstm(x)
    with pytest.raises(ValueError, match="dc_n must have shape"):
        lstm.backward(np.zeros_like(out), None, np.zeros((1, 3, 4)))
    with pytest.raises(ValueError, match=r"GRU\(3, 4\): hx must have shape"):
        nn.GRU(3, 4, rng=0)(x, np.zeros((1, 3, 4)))
    assert nn.RNN(3, 4).dh0 is None and lstm.dc0 is None
    lstm.backward(np.zeros_like(out))
    assert lstm.dh0.shape == lstm.dc0.shape == (1, 2, 4)


def test_displayed_scans_take_the_names_the_chapters_use():
    # Chapters 05 and 06 show these functions and name their arguments in the prose.
    import inspect

    def names(function):
        return list(inspect.signature(function).parameters)[1:]  # without self

    assert names(nn.RNN._scan) == ["x_proj", "h0", "w_hh", "b_hh"]
    assert names(nn.RNN._scan_backward) == ["dh_out", "dh_T", "hs", "w_hh"]
    assert names(nn.LSTM._scan) == ["x_proj", "h0", "c0", "w_hh", "b_hh"]
    assert names(nn.LSTM._scan_backward)[:3] == ["dh_out", "dh_T", "dc_T"]
    source = inspect.getsource(nn.LSTM._scan_backward)
    assert all(name in source for name in ("di", "df", "dc_tilde", "do", "delta_i",
                                           "delta_o", "dc = dc * f"))
    assert "delta_x2d.T @ x.reshape(rows, -1)" in inspect.getsource(nn.RNN._backward)
