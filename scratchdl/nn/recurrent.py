r"""Recurrent layers: ``RNN`` (tanh or ReLU), ``LSTM`` and ``GRU``, with PyTorch's names.

All three share one skeleton, :class:`RNNBase`. Layer :math:`\ell` of a stack owns

* ``weight_ih_l{ℓ}`` of shape (G·H, D_ℓ) and ``bias_ih_l{ℓ}`` (G·H,), applied to the input,
* ``weight_hh_l{ℓ}`` of shape (G·H, H) and ``bias_hh_l{ℓ}`` (G·H,), applied to the state,

where :math:`G` is the number of gates (1 for RNN, 4 for LSTM in the order i, f, g, o, 3
for GRU in the order r, z, n), :math:`H` is ``hidden_size`` (the book's :math:`D_h`) and
:math:`D_0` is ``input_size`` (:math:`D_\ell = H` above). Every entry starts from
:math:`U(-1/\sqrt H, 1/\sqrt H)`, PyTorch's default, so its ``state_dict`` loads unchanged.

Inputs are **batch-first**, ``x`` of shape (N, T, D) (PyTorch's ``batch_first=True``);
states are (num_layers, N, H), as in PyTorch. ``forward`` returns ``(output, h_n)``
(``(output, (h_n, c_n))`` for the LSTM) and ``backward(dout, dh_n)`` returns
:math:`d\mathcal{L}/d\mathbf{x}`; the gradient with respect to the initial state is left in
``dh0`` (and ``dc0``), which is what truncated backpropagation through time passes on to
the previous chunk.

Speed comes from doing every matrix product that does not depend on the previous step
outside the loop over time: the input projection of all T steps is one matmul in forward,
and the weight gradients are one matmul each in backward. Only
:math:`\mathbf{h}_{t-1} \mathbf{W}_{hh}^\top` (and its transpose in backward) stays inside
the loop. Internally arrays are time-major, (T, N, ·), so that each step reads one
contiguous block.
"""

from __future__ import annotations

import numpy as np

from scratchdl import init
from scratchdl._validation import check_allocation, check_float_array, check_number, check_rng
from scratchdl.functional import sigmoid
from scratchdl.nn._checks import check_dtype, describe
from scratchdl.nn.module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]


class RNNBase(Module):
    """The parameters, checks and layer loop shared by :class:`RNN`, :class:`LSTM`, :class:`GRU`.

    A subclass sets ``gates`` (blocks of ``hidden_size`` rows in each weight) and
    ``states`` (the names of its recurrent states: ``("h",)``, or ``("h", "c")`` for the
    LSTM), and implements one layer over all time steps:

    * ``_scan(x_proj, *initial_states, w_hh, b_hh)`` returns the per-step states,
      time-major, in the order of ``states``, followed by whatever else its backward pass
      needs (a single array when that is all);
    * ``_scan_backward(dh_out, *final_state_grads, *scan_outputs, w_hh)`` returns
      :math:`\\boldsymbol{\\delta}_t`, the gradient with respect to the pre-activations of
      every step, then the gradients with respect to the initial states. The GRU, whose
      reset gate scales the state projection, returns the pair
      ``(delta_x, delta_h)`` in place of ``delta``.
    """

    gates = 1
    states = ("h",)

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
        bound = init.default_bound(hidden)  # PyTorch's default: U(-b, b), b = 1/sqrt(H)
        for layer in range(self.num_layers):
            d_in = self.input_size if layer == 0 else hidden
            shapes = {f"weight_ih_l{layer}": (rows, d_in), f"weight_hh_l{layer}": (rows, hidden)}
            if self.bias:
                shapes.update({f"bias_ih_l{layer}": (rows,), f"bias_hh_l{layer}": (rows,)})
            for name, shape in shapes.items():
                check_allocation(shape, dtype, owner=owner, what=name)
                value = init.uniform_(np.empty(shape, dtype=dtype), -bound, bound, rng=rng)
                self.register_parameter(name, value)
        self.cache = None  # per layer: (input, initial states, scan outputs), set by forward
        for name in self.states:
            setattr(self, f"d{name}0", None)  # dL/dh_0 (and dL/dc_0), set by backward

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        return text + ("" if self.bias else ", bias=False")

    # -- checks -----------------------------------------------------------------------------
    def _state_name(self, k, grad=False):
        """How messages call state ``k``: ``hx`` / ``hx[1] (c_0)``, or ``dh_n`` / ``dc_n``."""
        if grad:
            return f"d{self.states[k]}_n"
        return "hx" if len(self.states) == 1 else f"hx[{k}] ({self.states[k]}_0)"

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

    def _check_backward(self, dout, final_grads):
        """Check ``backward``'s arguments against the last forward pass; read-only.

        Returns dL/d(output) time-major, (T, N, H), and the final-state gradients with
        None replaced by zeros.
        """
        owner = describe(self)
        if self.cache is None:
            raise RuntimeError(f"{owner}: backward() called before forward(); run forward first")
        top_hs = self.cache[-1][2][0]
        steps, n, _ = top_hs.shape
        check_float_array(dout, "dout", dtype=top_hs.dtype, owner=owner)
        if dout.shape != (n, steps, self.hidden_size):
            raise ValueError(f"{owner}: dout must have the output's shape "
                             f"{(n, steps, self.hidden_size)}, got {dout.shape}")
        final_grads = [self._check_state(g, self._state_name(k, grad=True), n, top_hs.dtype)
                       for k, g in enumerate(final_grads)]
        return np.ascontiguousarray(dout.swapaxes(0, 1)), final_grads

    def _weights(self, layer):
        """``W_ih, W_hh, b_ih, b_hh`` of one layer (zero biases when ``bias=False``)."""
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

    def _forward(self, x, initial_states):
        """Run every layer; ``initial_states`` holds one (num_layers, N, H) array per state."""
        x = self._check_x(x)
        n, steps, _ = x.shape
        initial_states = [self._check_state(s, self._state_name(k), n, x.dtype)
                          for k, s in enumerate(initial_states)]
        # Time-major inside: every step then reads one contiguous (N, .) block.
        inputs = np.ascontiguousarray(x.swapaxes(0, 1))
        caches, finals = [], []
        for layer in range(self.num_layers):
            w_ih, w_hh, b_ih, b_hh = self._weights(layer)
            # The input projection of all T steps at once: one (T*N, D) @ (D, G*H) matmul.
            x_proj = (inputs.reshape(steps * n, -1) @ w_ih.T + b_ih).reshape(steps, n, -1)
            initial = [s[layer] for s in initial_states]
            out = self._scan(x_proj, *initial, w_hh, b_hh)
            out = out if isinstance(out, tuple) else (out,)
            caches.append((inputs, initial, out))
            finals.append([per_step[-1] for per_step in out[:len(self.states)]])
            inputs = out[0]  # this layer's states h_1..h_T are the next layer's inputs
        self.cache = caches
        output = inputs.swapaxes(0, 1)  # back to batch-first (a view)
        return output, tuple(np.stack(f) for f in zip(*finals, strict=True))

    def _backward(self, dout, final_grads):
        """BPTT through every layer, top first; return dL/dx and dL/d(initial states).

        ``final_grads`` are the gradients arriving through the final states (None =
        zeros). The parameter gradients, eq. (bptt-params) of chapter 5, are added into
        ``grads``: every step's term at once, one matrix product per weight.
        """
        dh_out, final_grads = self._check_backward(dout, final_grads)
        initial_grads = [np.empty_like(g) for g in final_grads]
        for layer in reversed(range(self.num_layers)):
            x, initial, out = self.cache[layer]  # x and the states h_t are (T, N, .)
            w_ih, w_hh, _, _ = self._weights(layer)
            delta, *dinitial = self._scan_backward(
                dh_out, *(g[layer] for g in final_grads), *out, w_hh)
            for k, d in enumerate(dinitial):
                initial_grads[k][layer] = d
            # delta_x = dL/d(x W_ih^T + b_ih), delta_h = dL/d(h W_hh^T + b_hh): the same
            # array except in the GRU, whose reset gate scales the state projection.
            delta_x, delta_h = delta if isinstance(delta, tuple) else (delta, delta)
            h_prev = np.concatenate([initial[0][None], out[0][:-1]])  # h_0..h_{T-1}
            rows = delta_x.shape[0] * delta_x.shape[1]  # T * N: all steps, all sequences
            delta_x2d, delta_h2d = delta_x.reshape(rows, -1), delta_h.reshape(rows, -1)
            self.grads[f"weight_ih_l{layer}"] += delta_x2d.T @ x.reshape(rows, -1)
            self.grads[f"weight_hh_l{layer}"] += delta_h2d.T @ h_prev.reshape(rows, -1)
            if self.bias:
                self.grads[f"bias_ih_l{layer}"] += delta_x.sum(axis=(0, 1))
                self.grads[f"bias_hh_l{layer}"] += delta_h.sum(axis=(0, 1))
            dh_out = delta_x @ w_ih  # dL/dx_t: the layer below's output gradient
        return dh_out.swapaxes(0, 1), initial_grads


class RNN(RNNBase):
    r"""Elman recurrent network:

    :math:`\mathbf{h}_t = \phi(\mathbf{W}_{ih}\mathbf{x}_t + \mathbf{b}_{ih}
    + \mathbf{W}_{hh}\mathbf{h}_{t-1} + \mathbf{b}_{hh})`.

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
    weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} : arrays (also in ``params``)
        Shapes (H, D or H), (H, H), (H,), (H,).
    dh0 : (num_layers, N, H) array
        :math:`d\mathcal{L}/d\mathbf{h}_0`, set by ``backward``.

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
            raise ValueError(f"{type(self).__name__}: nonlinearity must be 'tanh' or 'relu', "
                             f"got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, rng=rng, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _scan(self, x_proj, h0, w_hh, b_hh):
        """h_1..h_T, (T, N, H), from x_proj[t] = W_ih x_t + b_ih (all t) and h_0."""
        hs = np.empty_like(x_proj)
        h = h0
        for t in range(len(x_proj)):
            a = x_proj[t] + h @ w_hh.T + b_hh  # a_t
            h = np.tanh(a) if self.nonlinearity == "tanh" else np.maximum(a, 0)  # phi(a_t)
            hs[t] = h
        return hs

    def _scan_backward(self, dh_out, dh_T, hs, w_hh):
        """delta_t = dL/da_t for every t, (T, N, H), and dL/dh_0, by BPTT from t = T down.

        dh_out[t] is ∂L_t/∂h_t, what the layer above sends; dh_T arrives through h_T.
        """
        delta = np.empty_like(hs)
        dh = dh_T
        for t in reversed(range(len(hs))):
            dh = dh + dh_out[t]  # g_t: through L_t, plus through a_{t+1} (carried in dh)
            if self.nonlinearity == "tanh":
                delta[t] = dh * (1 - hs[t] ** 2)  # delta_t = g_t * phi'(a_t), 1 - h_t^2
            else:
                delta[t] = dh * (hs[t] > 0)
            dh = delta[t] @ w_hh  # delta_t W_hh: the part of g_{t-1} that comes through a_t
        return delta, dh


class LSTM(RNNBase):
    r"""Long short-term memory (Hochreiter and Schmidhuber, 1997), PyTorch's formulation.

    With :math:`\mathbf{a}_t = \mathbf{W}_{ih}\mathbf{x}_t + \mathbf{b}_{ih}
    + \mathbf{W}_{hh}\mathbf{h}_{t-1} + \mathbf{b}_{hh}` split into four blocks of
    :math:`H` in the order i, f, g, o:

    .. math::
        \mathbf{i}_t = \sigma(\mathbf{a}^i_t),\ \mathbf{f}_t = \sigma(\mathbf{a}^f_t),\
        \tilde{\mathbf{c}}_t = \tanh(\mathbf{a}^g_t),\ \mathbf{o}_t = \sigma(\mathbf{a}^o_t),

        \mathbf{c}_t = \mathbf{f}_t \odot \mathbf{c}_{t-1}
        + \mathbf{i}_t \odot \tilde{\mathbf{c}}_t,\qquad
        \mathbf{h}_t = \mathbf{o}_t \odot \tanh(\mathbf{c}_t).

    The candidate :math:`\tilde{\mathbf{c}}_t` is PyTorch's "g" block (``c_tilde`` in the
    code).

    Parameters
    ----------
    input_size, hidden_size, num_layers, bias, rng, dtype
        As in :class:`RNN`. Weights have 4H rows.

    Attributes
    ----------
    dh0, dc0 : (num_layers, N, H) arrays
        :math:`d\mathcal{L}/d\mathbf{h}_0` and :math:`d\mathcal{L}/d\mathbf{c}_0`, set by
        ``backward``.

    Notes
    -----
    ``forward(x, hx=None)`` takes ``x`` (N, T, D) and ``hx = (h_0, c_0)``, each
    (num_layers, N, H) (zeros if None), and returns ``(output, (h_n, c_n))``.
    ``backward(dout, dh_n=None, dc_n=None)`` returns dL/dx.
    """

    gates = 4
    states = ("h", "c")

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

    def _scan(self, x_proj, h0, c0, w_hh, b_hh):
        """h_1..h_T, c_1..c_T and the gates of every step, from x_proj and (h_0, c_0).

        c_0 is returned too: the backward pass of step 1 needs it.
        """
        hidden = h0.shape[-1]
        gates = np.empty_like(x_proj)  # i, f, c~, o of every step, after nonlinearities
        hs = np.empty((len(x_proj), *h0.shape), dtype=h0.dtype)
        cs = np.empty_like(hs)
        h, c = h0, c0
        for t in range(len(x_proj)):
            a = x_proj[t] + h @ w_hh.T + b_hh  # a_t = (a^i, a^f, a^g, a^o)
            gates[t, :, :2 * hidden] = sigmoid(a[:, :2 * hidden])  # i_t, f_t
            # the candidate c~_t (PyTorch's "g" block)
            gates[t, :, 2 * hidden:3 * hidden] = np.tanh(a[:, 2 * hidden:3 * hidden])
            gates[t, :, 3 * hidden:] = sigmoid(a[:, 3 * hidden:])  # o_t
            i, f, c_tilde, o = np.split(gates[t], 4, axis=1)
            c = f * c + i * c_tilde
            h = o * np.tanh(c)
            hs[t], cs[t] = h, c
        return hs, cs, gates, c0

    def _scan_backward(self, dh_out, dh_T, dc_T, hs, cs, gates, c0, w_hh):
        """delta_t = dL/da_t for every t, (T, N, 4H), then dL/dh_0 and dL/dc_0."""
        delta = np.empty_like(gates)
        dh, dc = dh_T, dc_T
        for t in reversed(range(len(hs))):
            i, f, c_tilde, o = np.split(gates[t], 4, axis=1)
            tanh_c = np.tanh(cs[t])
            c_prev = cs[t - 1] if t > 0 else c0
            dh = dh + dh_out[t]  # g^h_t: through L_t, plus through a_{t+1} (carried in dh)
            # g^c_t: through h_t, plus through c_{t+1} (carried in dc, times f_{t+1})
            dc = dc + dh * o * (1 - tanh_c**2)
            di, df, dc_tilde, do = dc * c_tilde, dc * c_prev, dc * i, dh * tanh_c
            # Back through each gate's nonlinearity: sigma' = s (1 - s), tanh' = 1 - c~^2,
            # written straight into the four blocks of delta_t (views).
            delta_i, delta_f, delta_g, delta_o = np.split(delta[t], 4, axis=1)
            delta_i[...] = di * i * (1 - i)
            delta_f[...] = df * f * (1 - f)
            delta_g[...] = dc_tilde * (1 - c_tilde**2)
            delta_o[...] = do * o * (1 - o)
            dc = dc * f  # the carousel: dL/dc_{t-1} picks up only a factor f_t
            dh = delta[t] @ w_hh  # the part of g^h_{t-1} that comes through a_t
        return delta, dh, dc


class GRU(RNNBase):
    r"""Gated recurrent unit (Cho et al., 2014), PyTorch's formulation.

    With the input projections :math:`\mathbf{W}_{i\cdot}\mathbf{x}_t + \mathbf{b}_{i\cdot}`
    and the state projections :math:`\mathbf{W}_{h\cdot}\mathbf{h}_{t-1} + \mathbf{b}_{h\cdot}`
    in the order r, z, n:

    .. math::
        \mathbf{r}_t = \sigma(\mathbf{W}_{ir}\mathbf{x}_t + \mathbf{b}_{ir}
        + \mathbf{W}_{hr}\mathbf{h}_{t-1} + \mathbf{b}_{hr}),\quad
        \mathbf{z}_t = \sigma(\mathbf{W}_{iz}\mathbf{x}_t + \mathbf{b}_{iz}
        + \mathbf{W}_{hz}\mathbf{h}_{t-1} + \mathbf{b}_{hz}),

        \mathbf{n}_t = \tanh(\mathbf{W}_{in}\mathbf{x}_t + \mathbf{b}_{in}
        + \mathbf{r}_t \odot (\mathbf{W}_{hn}\mathbf{h}_{t-1} + \mathbf{b}_{hn})),\quad
        \mathbf{h}_t = (1 - \mathbf{z}_t) \odot \mathbf{n}_t
        + \mathbf{z}_t \odot \mathbf{h}_{t-1}.

    Note that :math:`\mathbf{r}_t` multiplies the state projection *including* its bias
    :math:`\mathbf{b}_{hn}`, as in PyTorch (and cuDNN).

    Parameters
    ----------
    input_size, hidden_size, num_layers, bias, rng, dtype
        As in :class:`RNN`. Weights have 3H rows.

    Attributes
    ----------
    dh0 : (num_layers, N, H) array
        :math:`d\mathcal{L}/d\mathbf{h}_0`, set by ``backward``.

    Notes
    -----
    ``forward(x, hx=None)`` returns ``(output, h_n)``; ``backward(dout, dh_n=None)``
    returns dL/dx, as for :class:`RNN`.
    """

    gates = 3

    def _scan(self, x_proj, h0, w_hh, b_hh):
        """h_1..h_T, the gates r, z, n of every step and W_hn h_{t-1} + b_hn (for dr); h_0."""
        hidden = h0.shape[-1]
        gates = np.empty_like(x_proj)  # r, z, n
        hn_proj = np.empty((len(x_proj), *h0.shape), dtype=h0.dtype)
        hs = np.empty_like(hn_proj)
        h = h0
        for t in range(len(x_proj)):
            h_proj = h @ w_hh.T + b_hh
            rz = sigmoid(x_proj[t, :, :2 * hidden] + h_proj[:, :2 * hidden])
            r, z = rz[:, :hidden], rz[:, hidden:]
            n = np.tanh(x_proj[t, :, 2 * hidden:] + r * h_proj[:, 2 * hidden:])
            h = (1 - z) * n + z * h
            gates[t, :, :2 * hidden], gates[t, :, 2 * hidden:] = rz, n
            hn_proj[t], hs[t] = h_proj[:, 2 * hidden:], h
        return hs, gates, hn_proj, h0

    def _scan_backward(self, dh_out, dh_T, hs, gates, hn_proj, h0, w_hh):
        """(delta_x, delta_h), the gradients of the input and state projections, and dL/dh_0."""
        hidden = dh_T.shape[-1]
        delta_x, delta_h = np.empty_like(gates), np.empty_like(gates)
        dh = dh_T
        for t in reversed(range(len(hs))):
            r, z, n = np.split(gates[t], 3, axis=1)
            h_prev = hs[t - 1] if t > 0 else h0
            dh = dh + dh_out[t]
            dn_pre = dh * (1 - z) * (1 - n**2)  # dL/d(pre-activation of n)
            dz_pre = dh * (h_prev - n) * z * (1 - z)
            dr_pre = dn_pre * hn_proj[t] * r * (1 - r)
            delta_x[t, :, :hidden], delta_x[t, :, hidden:2 * hidden] = dr_pre, dz_pre
            delta_x[t, :, 2 * hidden:] = dn_pre
            delta_h[t, :, :2 * hidden] = delta_x[t, :, :2 * hidden]
            delta_h[t, :, 2 * hidden:] = dn_pre * r  # r scales the state projection of n
            dh = dh * z + delta_h[t] @ w_hh  # direct path through z, and through every gate
        return (delta_x, delta_h), dh
