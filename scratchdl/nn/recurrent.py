r"""Recurrent layers: ``RNN`` (tanh or ReLU), ``LSTM`` and ``GRU``, with PyTorch's names.

All three share one skeleton, :class:`RNNBase`. Layer :math:`\ell` of a stack owns

* ``weight_ih_l{ℓ}`` of shape (G·H, D_ℓ) and ``bias_ih_l{ℓ}`` (G·H,), applied to the input,
* ``weight_hh_l{ℓ}`` of shape (G·H, H) and ``bias_hh_l{ℓ}`` (G·H,), applied to the state,

where :math:`G` is the number of gates (1 for RNN, 4 for LSTM in the order i, f, g, o, 3
for GRU in the order r, z, n), :math:`H` is ``hidden_size`` and :math:`D_0` is
``input_size`` (:math:`D_\ell = H` above). Every entry starts from
:math:`U(-1/\sqrt H, 1/\sqrt H)`, PyTorch's default, so its ``state_dict`` loads unchanged.

Inputs are **batch-first**, ``x`` of shape (N, T, D) (PyTorch's ``batch_first=True``);
states are (num_layers, N, H), as in PyTorch. ``forward`` returns ``(output, h_n)``
(``(output, (h_n, c_n))`` for the LSTM) and ``backward(dout, dh_n)`` returns
:math:`dL/dx`; the gradient with respect to the initial state is left in ``dh0`` (and
``dc0``), which is what truncated backpropagation through time passes on to the previous
chunk.

Speed comes from doing every matrix product that does not depend on the previous step
outside the loop over time: the input projection of all T steps is one matmul in forward,
and the weight gradients are one matmul each in backward. Only :math:`h_{t-1} W_{hh}^\top`
(and its transpose in backward) stays inside the loop. Internally arrays are time-major,
(T, N, ·), so that each step reads one contiguous block.
"""

from __future__ import annotations

import math

import numpy as np

from scratchdl import init
from scratchdl._validation import check_float_array, check_number, check_rng
from scratchdl.nn._checks import check_dtype, describe
from scratchdl.nn.module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]


def _sigmoid(x):
    # sigma(x) = (1 + tanh(x / 2)) / 2 exactly; tanh never overflows, so this is stable for
    # any x and, unlike a two-branch formula, costs one vectorized call.
    return 0.5 * np.tanh(0.5 * x) + 0.5


class RNNBase(Module):
    """The parameters, checks and layer loop shared by :class:`RNN`, :class:`LSTM`, :class:`GRU`.

    Subclasses set ``gates`` and ``n_states`` (1 for h, 2 for the LSTM's h and c) and
    implement ``_scan`` (one layer forward over all time steps) and ``_scan_backward``.
    """

    gates = 1
    n_states = 1

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, *, rng=None,
                 dtype=np.float64):
        super().__init__()
        owner = type(self).__name__
        self.input_size = check_number(input_size, "input_size", low=1, integer=True,
                                       owner=owner)
        self.hidden_size = check_number(hidden_size, "hidden_size", low=1, integer=True,
                                        owner=owner)
        self.num_layers = check_number(num_layers, "num_layers", low=1, integer=True,
                                       owner=owner)
        self.bias = bool(bias)
        dtype = check_dtype(dtype, owner)
        rng = check_rng(rng)
        hidden, rows = self.hidden_size, self.gates * self.hidden_size
        bound = 1 / math.sqrt(hidden)
        for layer in range(self.num_layers):
            d_in = self.input_size if layer == 0 else hidden
            shapes = {f"weight_ih_l{layer}": (rows, d_in), f"weight_hh_l{layer}": (rows, hidden)}
            if self.bias:
                shapes.update({f"bias_ih_l{layer}": (rows,), f"bias_hh_l{layer}": (rows,)})
            for name, shape in shapes.items():
                value = init.uniform_(np.empty(shape, dtype=dtype), -bound, bound, rng=rng)
                self.register_parameter(name, value)
        self.cache = None  # per layer: (input, scan cache), set by forward
        self.dh0 = None  # dL/dh_0, (num_layers, N, H), set by backward

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        return text + ("" if self.bias else ", bias=False")

    # -- checks -----------------------------------------------------------------------------
    def _check_x(self, x):
        owner = describe(self)
        dtype = self.params["weight_ih_l0"].dtype
        check_float_array(x, "x", dtype=dtype, allow_nonfinite=True, owner=owner)
        if x.ndim != 3 or x.shape[2] != self.input_size or 0 in x.shape:
            raise ValueError(f"{owner}: x must have shape (N, T, {self.input_size}) "
                             f"(batch-first, N, T >= 1), got {x.shape}")
        return check_float_array(x, "x", owner=owner)

    def _check_state(self, state, name, n, dtype):
        """A state (or state gradient) of shape (num_layers, N, H); None means zeros."""
        shape = (self.num_layers, n, self.hidden_size)
        if state is None:
            return np.zeros(shape, dtype=dtype)
        owner = describe(self)
        check_float_array(state, name, dtype=dtype, owner=owner)
        if state.shape != shape:
            raise ValueError(f"{owner}: {name} must have shape (num_layers, N, hidden_size) "
                             f"= {shape}, got {state.shape}")
        return state

    def _layer_params(self, layer):
        p = self.params
        zeros = np.zeros(self.gates * self.hidden_size, dtype=p["weight_ih_l0"].dtype)
        return (p[f"weight_ih_l{layer}"], p[f"weight_hh_l{layer}"],
                p.get(f"bias_ih_l{layer}", zeros), p.get(f"bias_hh_l{layer}", zeros))

    # -- forward and backward through the stack ---------------------------------------------
    # One state (h): RNN and GRU use these as they are; LSTM overrides them for (h, c).
    def forward(self, x, hx=None):
        """Return ``(output, h_n)``: (N, T, H) and (num_layers, N, H)."""
        output, (h_n,) = self._forward(x, [hx])
        return output, h_n

    def backward(self, dout, dh_n=None):
        """Return dL/dx (N, T, D); dL/dh_0 goes to ``self.dh0``."""
        dx, (self.dh0,) = self._backward(dout, [dh_n])
        return dx

    def _forward(self, x, states):
        """Run every layer; ``states`` is a list of (num_layers, N, H) initial states."""
        x = self._check_x(x)
        n, steps, _ = x.shape
        states = [self._check_state(s, name, n, x.dtype)
                  for s, name in zip(states, self._state_names(), strict=True)]
        # Time-major inside: every step then reads one contiguous (N, .) block.
        inputs = np.ascontiguousarray(x.swapaxes(0, 1))
        caches, finals = [], []
        for layer in range(self.num_layers):
            w_ih, w_hh, b_ih, b_hh = self._layer_params(layer)
            # The input projection of all T steps at once: one (T*N, D) @ (D, G*H) matmul.
            xw = (inputs.reshape(steps * n, -1) @ w_ih.T + b_ih).reshape(steps, n, -1)
            initial = tuple(s[layer] for s in states)
            hs, final, scan_cache = self._scan(xw, initial, w_hh, b_hh)
            caches.append((inputs, initial, hs, scan_cache))
            finals.append(final)
            inputs = hs
        self.cache = caches
        output = inputs.swapaxes(0, 1)  # back to batch-first (a view)
        final_states = tuple(np.stack([f[k] for f in finals]) for k in range(self.n_states))
        return output, final_states

    def _backward(self, dout, dstates_n):
        """Backward through every layer, top first; returns dL/dx and dL/d(initial states).

        ``dstates_n`` are the gradients arriving through the final states (None = zeros).
        Parameter gradients are added into ``grads``.
        """
        owner = describe(self)
        if self.cache is None:
            raise RuntimeError(f"{owner}: backward() called before forward(); run forward first")
        last_hs = self.cache[-1][2]
        steps, n, _ = last_hs.shape
        check_float_array(dout, "dout", dtype=last_hs.dtype, owner=owner)
        if dout.shape != (n, steps, self.hidden_size):
            raise ValueError(f"{owner}: dout must have the output's shape "
                             f"{(n, steps, self.hidden_size)}, got {dout.shape}")
        dstates_n = [self._check_state(d, name, n, last_hs.dtype)
                     for d, name in zip(dstates_n, self._dstate_names(), strict=True)]
        dhs = np.ascontiguousarray(dout.swapaxes(0, 1))  # dL/dh_t from above, time-major
        dstates_0 = [np.empty_like(d) for d in dstates_n]
        for layer in reversed(range(self.num_layers)):
            inputs, initial, hs, scan_cache = self.cache[layer]
            w_ih, w_hh, _, _ = self._layer_params(layer)
            dfinal = tuple(d[layer] for d in dstates_n)
            # dxw = dL/d(x W_ih^T + b_ih) per step; dhw = dL/d(h_{t-1} W_hh^T + b_hh).
            dxw, dhw, dinitial = self._scan_backward(dhs, dfinal, hs, initial, scan_cache, w_hh)
            for k, d in enumerate(dinitial):
                dstates_0[k][layer] = d
            rows = dxw.shape[-1]
            h_prev = np.concatenate([initial[0][None], hs[:-1]]).reshape(-1, self.hidden_size)
            # Shared weights: every step's contribution, summed by one matmul each.
            self.grads[f"weight_ih_l{layer}"] += dxw.reshape(-1, rows).T @ inputs.reshape(
                steps * n, -1)
            self.grads[f"weight_hh_l{layer}"] += dhw.reshape(-1, rows).T @ h_prev
            if self.bias:
                self.grads[f"bias_ih_l{layer}"] += dxw.sum(axis=(0, 1))
                self.grads[f"bias_hh_l{layer}"] += dhw.sum(axis=(0, 1))
            dhs = (dxw.reshape(-1, rows) @ w_ih).reshape(steps, n, -1)  # dL/d(input)
        return dhs.swapaxes(0, 1), dstates_0

    def _state_names(self):
        return ("hx",)

    def _dstate_names(self):
        return ("dh_n",)


class RNN(RNNBase):
    r"""Elman recurrent network:

    :math:`h_t = \phi(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})`.

    Parameters
    ----------
    input_size : int
        :math:`D`, features per time step.
    hidden_size : int
        :math:`H`.
    num_layers : int
        Stacked layers; layer :math:`\ell > 0` reads the hidden states of layer
        :math:`\ell - 1`.
    nonlinearity : {'tanh', 'relu'}
        :math:`\phi`.
    bias : bool
    rng : numpy.random.Generator or int or None
    dtype : float32 or float64

    Attributes
    ----------
    weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} : in ``params``
        Shapes (H, D or H), (H, H), (H,), (H,).
    dh0 : (num_layers, N, H) array
        :math:`dL/dh_0`, set by ``backward``.

    Notes
    -----
    ``forward(x, hx=None)`` takes ``x`` (N, T, D) and ``hx`` (num_layers, N, H) (zeros if
    None) and returns ``output`` (N, T, H), the top layer's states, and ``h_n``
    (num_layers, N, H). ``backward(dout, dh_n=None)`` takes dL/d(output) and dL/dh_n and
    returns dL/dx.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 *, rng=None, dtype=np.float64):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, rng=rng, dtype=dtype)
        self.nonlinearity = nonlinearity

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.nonlinearity != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        return text + ("" if self.bias else ", bias=False")

    def _scan(self, xw, initial, w_hh, b_hh):
        (h,) = initial
        hs = np.empty_like(xw)
        for t in range(xw.shape[0]):
            a = xw[t] + h @ w_hh.T + b_hh  # pre-activation a_t
            h = np.tanh(a) if self.nonlinearity == "tanh" else np.maximum(a, 0)
            hs[t] = h
        return hs, (h,), None

    def _scan_backward(self, dhs, dfinal, hs, initial, cache, w_hh):
        (dh,) = dfinal  # dL/dh_T arriving from after the sequence (h_n's gradient)
        da = np.empty_like(hs)
        for t in reversed(range(hs.shape[0])):
            dh = dh + dhs[t]  # total derivative: from the output at t and from step t + 1
            if self.nonlinearity == "tanh":
                da[t] = dh * (1 - hs[t] ** 2)  # dL/da_t, through tanh' = 1 - h^2
            else:
                da[t] = dh * (hs[t] > 0)
            dh = da[t] @ w_hh  # dL/dh_{t-1} through a_t's dependence on h_{t-1}
        return da, da, (dh,)


class LSTM(RNNBase):
    r"""Long short-term memory (Hochreiter and Schmidhuber, 1997), PyTorch's formulation.

    With :math:`a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}` split into
    four blocks of :math:`H` in the order i, f, g, o:

    .. math::
        i_t = \sigma(a^i_t),\ f_t = \sigma(a^f_t),\ g_t = \tanh(a^g_t),\
        o_t = \sigma(a^o_t),\qquad
        c_t = f_t \odot c_{t-1} + i_t \odot g_t,\qquad h_t = o_t \odot \tanh(c_t).

    Parameters
    ----------
    input_size, hidden_size, num_layers, bias, rng, dtype
        As in :class:`RNN`. Weights have 4H rows.

    Attributes
    ----------
    dh0, dc0 : (num_layers, N, H) arrays
        :math:`dL/dh_0` and :math:`dL/dc_0`, set by ``backward``.

    Notes
    -----
    ``forward(x, hx=None)`` takes ``x`` (N, T, D) and ``hx = (h_0, c_0)``, each
    (num_layers, N, H) (zeros if None), and returns ``(output, (h_n, c_n))``.
    ``backward(dout, dh_n=None, dc_n=None)`` returns dL/dx.
    """

    gates = 4
    n_states = 2

    def forward(self, x, hx=None):
        """Return ``(output, (h_n, c_n))``: (N, T, H) and two (num_layers, N, H)."""
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, tuple) or len(hx) != 2:
            raise TypeError(f"{describe(self)}: hx must be a pair (h_0, c_0) or None, "
                            f"got {type(hx).__name__}")
        output, (h_n, c_n) = self._forward(x, list(hx))
        return output, (h_n, c_n)

    def backward(self, dout, dh_n=None, dc_n=None):
        """Return dL/dx (N, T, D); dL/dh_0 and dL/dc_0 go to ``self.dh0``, ``self.dc0``."""
        dx, (self.dh0, self.dc0) = self._backward(dout, [dh_n, dc_n])
        return dx

    def _state_names(self):
        return ("hx[0] (h_0)", "hx[1] (c_0)")

    def _dstate_names(self):
        return ("dh_n", "dc_n")

    def _scan(self, xw, initial, w_hh, b_hh):
        h, c = initial
        hidden = h.shape[-1]
        steps = xw.shape[0]
        gates = np.empty_like(xw)  # i, f, g, o after their nonlinearities
        cs = np.empty((steps, *h.shape), dtype=h.dtype)
        hs = np.empty_like(cs)
        for t in range(steps):
            a = xw[t] + h @ w_hh.T + b_hh
            gate = gates[t]
            gate[:, :2 * hidden] = _sigmoid(a[:, :2 * hidden])  # i, f
            gate[:, 2 * hidden:3 * hidden] = np.tanh(a[:, 2 * hidden:3 * hidden])  # g
            gate[:, 3 * hidden:] = _sigmoid(a[:, 3 * hidden:])  # o
            i, f, g, o = np.split(gate, 4, axis=1)
            c = f * c + i * g
            h = o * np.tanh(c)
            cs[t], hs[t] = c, h
        return hs, (h, c), (gates, cs)

    def _scan_backward(self, dhs, dfinal, hs, initial, cache, w_hh):
        gates, cs = cache
        dh, dc = dfinal
        da = np.empty_like(gates)
        c0 = initial[1]
        for t in reversed(range(hs.shape[0])):
            i, f, g, o = np.split(gates[t], 4, axis=1)
            tanh_c = np.tanh(cs[t])
            c_prev = cs[t - 1] if t > 0 else c0
            dh = dh + dhs[t]
            # c_t reaches the loss through h_t and, unchanged but for f_{t+1}, through c_{t+1}.
            dc = dc + dh * o * (1 - tanh_c**2)
            di, dg, df, do = dc * g, dc * i, dc * c_prev, dh * tanh_c
            # Back through each gate's nonlinearity: sigma' = s (1 - s), tanh' = 1 - g^2.
            da[t] = np.concatenate(
                [di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1)
            dc = dc * f  # the carousel: dL/dc_{t-1} picks up only a factor f_t
            dh = da[t] @ w_hh
        return da, da, (dh, dc)


class GRU(RNNBase):
    r"""Gated recurrent unit (Cho et al., 2014), PyTorch's formulation.

    With the input projections :math:`x_t W_{i\cdot}^\top + b_{i\cdot}` and the state
    projections :math:`h_{t-1} W_{h\cdot}^\top + b_{h\cdot}` in the order r, z, n:

    .. math::
        r_t = \sigma(x W_{ir}^\top + b_{ir} + h W_{hr}^\top + b_{hr}),\quad
        z_t = \sigma(x W_{iz}^\top + b_{iz} + h W_{hz}^\top + b_{hz}),

        n_t = \tanh(x W_{in}^\top + b_{in} + r_t \odot (h W_{hn}^\top + b_{hn})),\quad
        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1},

    with :math:`h = h_{t-1}`. Note that :math:`r_t` multiplies the state projection
    *including* its bias :math:`b_{hn}`, as in PyTorch (and cuDNN).

    Parameters
    ----------
    input_size, hidden_size, num_layers, bias, rng, dtype
        As in :class:`RNN`. Weights have 3H rows.

    Attributes
    ----------
    dh0 : (num_layers, N, H) array
        :math:`dL/dh_0`, set by ``backward``.

    Notes
    -----
    ``forward(x, hx=None)`` returns ``(output, h_n)``; ``backward(dout, dh_n=None)``
    returns dL/dx, as for :class:`RNN`.
    """

    gates = 3

    def _scan(self, xw, initial, w_hh, b_hh):
        (h,) = initial
        hidden = h.shape[-1]
        steps = xw.shape[0]
        gates = np.empty_like(xw)  # r, z, n
        hn = np.empty((steps, *h.shape), dtype=h.dtype)  # h W_hn^T + b_hn, needed for dr
        hs = np.empty_like(hn)
        for t in range(steps):
            hw = h @ w_hh.T + b_hh
            rz = _sigmoid(xw[t, :, :2 * hidden] + hw[:, :2 * hidden])
            r, z = rz[:, :hidden], rz[:, hidden:]
            n = np.tanh(xw[t, :, 2 * hidden:] + r * hw[:, 2 * hidden:])
            h = (1 - z) * n + z * h
            gates[t, :, :2 * hidden], gates[t, :, 2 * hidden:] = rz, n
            hn[t], hs[t] = hw[:, 2 * hidden:], h
        return hs, (h,), (gates, hn)

    def _scan_backward(self, dhs, dfinal, hs, initial, cache, w_hh):
        gates, hn = cache
        (dh,) = dfinal
        hidden = dh.shape[-1]
        dxw, dhw = np.empty_like(gates), np.empty_like(gates)
        for t in reversed(range(hs.shape[0])):
            r, z, n = np.split(gates[t], 3, axis=1)
            h_prev = hs[t - 1] if t > 0 else initial[0]
            dh = dh + dhs[t]
            dn_pre = dh * (1 - z) * (1 - n**2)  # dL/d(pre-activation of n)
            dz_pre = dh * (h_prev - n) * z * (1 - z)
            dr_pre = dn_pre * hn[t] * r * (1 - r)
            dxw[t, :, :hidden], dxw[t, :, hidden:2 * hidden] = dr_pre, dz_pre
            dxw[t, :, 2 * hidden:] = dn_pre
            dhw[t, :, :2 * hidden] = dxw[t, :, :2 * hidden]
            dhw[t, :, 2 * hidden:] = dn_pre * r  # r scales the state projection of n
            dh = dh * z + dhw[t] @ w_hh  # direct path through z, and through every gate
        return dxw, dhw, (dh,)
