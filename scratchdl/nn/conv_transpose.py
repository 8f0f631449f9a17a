"""ConvTranspose2d: the adjoint of Conv2d, which upsamples a feature map.

A convolution maps an input to fewer (or as many) positions; its input gradient maps the
output's shape back to the input's. ``ConvTranspose2d`` *is* that input gradient, used as
a layer in its own right: its forward pass is :class:`~scratchdl.nn.conv.Conv2d`'s backward
pass to the input (a product with the transposed weight matrix, then a fold), and its
backward pass is a convolution (an unfold, then a product). With stride :math:`s` each
input position spreads over an :math:`s`-times larger output, which is how a generator
turns a small code into an image.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from scratchdl._validation import check_allocation
from scratchdl.functional import conv_output_size, fold, im2col
from scratchdl.nn._checks import as_tuple, check_dout, check_dtype, check_spatial_input, describe
from scratchdl.nn.linear import register_default_parameters
from scratchdl.nn.module import Module

# Bytes of columns processed at a time by both fast passes (a chunk of samples): about the
# L2 cache.
_CHUNK_BYTES = 2 * 1024 * 1024


def transposed_output_size(size, kernel_size, stride, padding, output_padding, dilation):
    r"""Length of a transposed convolution's output along one axis.

    .. math::
        L_{out} = (L - 1) s - 2p + d(k - 1) + p_{out} + 1

    the length a convolution with the same :math:`k, s, p, d` would map back to
    :math:`L`; ``output_padding`` :math:`p_{out}` picks among the lengths that all map to
    :math:`L` when :math:`s > 1` (the convolution's floor forgets which one it was).
    """
    return (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


class ConvTranspose2d(Module):
    r"""2-D transposed convolution, as ``torch.nn.ConvTranspose2d`` (``groups=1``).

    With :math:`\mathbf{W}_{mat}` the weight reshaped to
    :math:`C_{in} \times C_{out} k_h k_w` and :math:`\mathbf{X}_n` sample :math:`n` of the
    input arranged as :math:`C_{in} \times H W`,

    .. math::
        \mathbf{Y}^{col}_n = \mathbf{W}_{mat}^\top \mathbf{X}_n, \qquad
        \mathbf{y}_n = \operatorname{fold}(\mathbf{Y}^{col}_n) + \mathbf{b},

    exactly the input gradient of a ``Conv2d(out_channels, in_channels, ...)`` with the
    same weight: every input value scatters a copy of its kernel, scaled, onto the output,
    and overlapping copies add.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride, padding, dilation : int or (int, int)
        Those of the convolution this layer is the adjoint of; ``padding`` crops
        ``padding`` rows and columns from every side of the full output.
    output_padding : int or (int, int)
        Extra rows/columns added on the bottom/right side of the output, each smaller than
        the stride or the dilation.
    bias : bool
    rng : numpy.random.Generator or int or None
    dtype : float32 or float64

    Attributes
    ----------
    weight : (in_channels, out_channels, kh, kw) array
        PyTorch's layout and initialization, :math:`U(-1/\sqrt{C_{out} k_h k_w},
        1/\sqrt{C_{out} k_h k_w})` (PyTorch computes the fan-in from the weight's second
        axis).
    bias : (out_channels,) array or None

    Notes
    -----
    Shapes: (N, C_in, H, W) to (N, C_out, H_out, W_out) with
    :math:`H_{out} = (H - 1) s - 2p + d(k - 1) + p_{out} + 1`.

    Examples
    --------
    >>> import numpy as np
    >>> ConvTranspose2d(8, 4, 4, stride=2, padding=1, rng=0)(np.ones((2, 8, 7, 7))).shape
    (2, 4, 14, 14)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, dilation=1, bias=True, *, rng=None, dtype=np.float64):
        super().__init__()
        owner = type(self).__name__
        self.in_channels = as_tuple(in_channels, 1, "in_channels", owner, 1)[0]
        self.out_channels = as_tuple(out_channels, 1, "out_channels", owner, 1)[0]
        self.kernel_size = as_tuple(kernel_size, 2, "kernel_size", owner, 1)
        self.stride = as_tuple(stride, 2, "stride", owner, 1)
        self.padding = as_tuple(padding, 2, "padding", owner, 0)
        self.output_padding = as_tuple(output_padding, 2, "output_padding", owner, 0)
        self.dilation = as_tuple(dilation, 2, "dilation", owner, 1)
        if any(op >= max(s, d) for op, s, d in
               zip(self.output_padding, self.stride, self.dilation, strict=True)):
            raise ValueError(
                f"{owner}: output_padding must be smaller than the stride or the dilation "
                f"on each axis, got output_padding={output_padding!r}, stride={stride!r}, "
                f"dilation={dilation!r}")
        if not isinstance(bias, bool):
            raise TypeError(f"{owner}: bias must be True or False, got {bias!r}")
        dtype = check_dtype(dtype, owner)
        # PyTorch's default; the weight (C_in, C_out, *k) has fan_in = C_out * prod(k).
        register_default_parameters(
            self, (self.in_channels, self.out_channels, *self.kernel_size),
            self.out_channels * math.prod(self.kernel_size), self.out_channels, bias, dtype,
            rng)
        self.x_mat = None  # the input as (N, C_in, H * W), cached for the weight gradient
        # The package runs both passes phase by phase (_forward_by_phase,
        # _backward_by_phase); tests check them against the readable fold and im2col.
        self._fast = True
        self.x_shape = self.out_shape = None

    def _output_spatial(self, spatial):
        return tuple(transposed_output_size(n, k, s, p, op, d) for n, k, s, p, op, d in zip(
            spatial, self.kernel_size, self.stride, self.padding, self.output_padding,
            self.dilation, strict=True))

    def forward(self, x):
        r"""Scatter every input value's scaled kernel onto the output: Conv2d's input
        gradient.

        Parameters
        ----------
        x : (N, in_channels, H, W) array

        Returns
        -------
        (N, out_channels, H_out, W_out) array
        """
        check_spatial_input(self, x, self.in_channels, self.weight.dtype, (1, 1), (0, 0),
                            (1, 1))
        out = self._output_spatial(x.shape[2:])
        if min(out) < 1:
            raise ValueError(f"{describe(self)}: x of shape {x.shape} gives an output of "
                             f"size {out}; use a larger input or less padding")
        check_allocation((x.shape[0], self.out_channels * (1 + math.prod(self.kernel_size)),
                          *out), x.dtype, owner=describe(self), what="the output and its columns")
        n, c_in, h, w = x.shape
        x_mat = x.reshape(n, c_in, h * w)
        if self._fast:  # the same numbers as the fold below (bias included), faster
            y = self._forward_by_phase(x, out)
        else:
            # (N, C_out k_h k_w, H W): row (o, tap), column (i, j) of sample n is what input
            # position (i, j) sends to output channel o through kernel tap `tap`.
            cols = self.weight.reshape(c_in, -1).T @ x_mat
            by_tap = cols.reshape(n, self.out_channels, math.prod(self.kernel_size), h, w)
            y = fold(lambda tap: by_tap[:, :, tap], (n, self.out_channels, *out),
                     self.kernel_size, self.stride, self.padding, self.dilation,
                     self.weight.dtype)
            if self.bias is not None:
                y += self.bias[:, None, None]
        self.x_mat, self.x_shape = x_mat, x.shape
        self.out_shape = (n, self.out_channels, *out)
        return np.ascontiguousarray(y)

    def _forward_by_phase(self, x, out):
        """The forward pass as one product per chunk of samples, one output phase per
        block of rows, with no adds.

        Tap ``a`` of the input value at position ``i`` lands on padded output position
        ``i s + a d``. Output positions of one *phase* ``r`` (those equal to ``r`` modulo
        ``s``) form a dense grid ``r + s t``, and tap ``a`` lands in phase
        ``(a d) mod s`` at ``t = i + q_a`` with ``q_a = (a d) // s``. So the phase-``r``
        grid is a small correlation of the input: ``G_r[t] = sum over the taps a of
        phase r of W_a^T x[t - q_a]``. Every phase reads the input at the same few shifts
        ``q`` (0 or 1 for a 4x4 kernel of stride 2), so one set of columns, the input
        copied at each shift (in contiguous runs, its rows widened to the grid's width),
        serves every phase: one product ``W_phases @ cols`` gives every phase grid of a
        chunk of samples, the bias through a row of ones. Each grid is then copied into
        the output's strided positions, which it covers exactly. Work arrays are kept
        between calls (``Module._work_array``).
        """
        n, c_in, h, w = x.shape
        c_out = self.out_channels
        (s_h, s_w), (d_h, d_w) = self.stride, self.dilation
        grid_h, grid_w, _, _, placements = self._phase_layout(h, out)
        shifts_h = [a * d_h // s_h for a in range(self.kernel_size[0])]
        shifts_w = [b * d_w // s_w for b in range(self.kernel_size[1])]
        q_h, q_w = max(shifts_h), max(shifts_w)
        # The input padded by q_h rows above and q_w columns on the left, its rows as wide
        # as a grid's plus q_w; position u = t_h width + t_w of a grid reads, at shift
        # (q_a, q_b), flat position u + (q_h - q_a) width + (q_w - q_b).
        width = grid_w + q_w
        run = grid_h * width
        length = (grid_h + q_h) * width + q_w
        flat = self._work_array("x", (n, c_in, length), x.dtype, fill=0)
        np.reshape(flat[:, :, :length - q_w], (n, c_in, grid_h + q_h, width), copy=False)[
            :, :, q_h:q_h + h, q_w:q_w + w] = x
        # W_phases: row (phase_h, phase_w, o), column (c, q_h - q_a, q_w - q_b), then the
        # bias column.
        shifts = (q_h + 1) * (q_w + 1)
        bias = self.bias is not None
        w_phases = np.zeros((s_h, s_w, c_out, c_in, q_h + 1, q_w + 1), x.dtype)
        for a, b in itertools.product(*(range(k) for k in self.kernel_size)):
            w_phases[a * d_h % s_h, b * d_w % s_w, :, :, q_h - shifts_h[a],
                     q_w - shifts_w[b]] = self.weight[:, :, a, b].T
        w_phases = w_phases.reshape(s_h * s_w * c_out, c_in * shifts)
        if bias:
            w_phases = np.concatenate(
                [w_phases, np.tile(self.bias, s_h * s_w)[:, None]], axis=1)
        chunk = max(1, min(n, _CHUNK_BYTES // ((c_in * shifts + 1) * run * x.itemsize)))
        cols = self._work_array("cols", (c_in * shifts + 1, chunk * run), x.dtype, fill=1)
        grids = self._work_array("grids_out", (s_h * s_w * c_out, chunk * run), x.dtype)
        item = x.itemsize
        y = np.empty((n, c_out, *out), x.dtype)
        for first in range(0, n, chunk):
            m = min(chunk, n - first)
            group = cols[:c_in * shifts + bias, :m * run]
            source = flat[first:first + m]
            np.copyto(np.reshape(group[:c_in * shifts], (c_in, q_h + 1, q_w + 1, m, run),
                                 copy=False),
                      np.lib.stride_tricks.as_strided(
                          source, (c_in, q_h + 1, q_w + 1, m, run),
                          (source.strides[1], width * item, item, source.strides[0], item),
                          writeable=False))
            result = grids[:, :m * run]
            np.matmul(w_phases, group, out=result)
            by_phase = np.reshape(result, (s_h, s_w, c_out, m, grid_h, width), copy=False)
            for (r_h, r_w), (in_grid, in_output) in placements.items():
                y[(slice(first, first + m), slice(None)) + in_output] = by_phase[
                    (r_h, r_w, slice(None), slice(None)) + in_grid].swapaxes(0, 1)
        return y

    def _phase_layout(self, h, out):
        """The phase grids of :meth:`_forward_by_phase` for an input of height ``h`` and
        an output of size ``out``: ``(grid_h, grid_w, shift_w, routes, placements)``.

        ``routes[tap]`` is the phase ``(r_h, r_w)`` kernel tap ``tap`` writes and its offset
        in the flattened phase grid (rows of ``grid_w``); ``shift_w`` is the largest
        offset within a row. ``placements[(r_h, r_w)]`` is ``(in_grid, in_output)``: the
        slices of the phase grid and of the (cropped) output that hold the same
        positions.
        """
        (s_h, s_w), (d_h, d_w), (p_h, p_w) = self.stride, self.dilation, self.padding
        grid_h = -(-(out[0] + 2 * p_h) // s_h)  # the largest phase grid, each axis
        grid_w = -(-(out[1] + 2 * p_w) // s_w)
        shift_w = (d_w * (self.kernel_size[1] - 1)) // s_w
        routes = [((a * d_h % s_h, b * d_w % s_w), (a * d_h // s_h) * grid_w + b * d_w // s_w)
                  for a, b in itertools.product(*(range(k) for k in self.kernel_size))]

        def placement(r, s, p, length):
            # First grid index, first output index and count of phase r along one axis.
            t0 = max(0, -(-(p - r) // s))
            o0 = r + s * t0 - p
            count = len(range(o0, length, s))
            return slice(t0, t0 + count), slice(o0, length, s)

        placements = {}
        for r_h, r_w in itertools.product(range(s_h), range(s_w)):
            (grid_rows, out_rows), (grid_cols, out_cols) = (
                placement(r_h, s_h, p_h, out[0]), placement(r_w, s_w, p_w, out[1]))
            placements[r_h, r_w] = (grid_rows, grid_cols), (out_rows, out_cols)
        return grid_h, grid_w, shift_w, routes, placements

    def backward(self, dout):
        r"""Gradients: a convolution of ``dout`` with the same weight.

        With :math:`\mathbf{D}^{col}_n` = ``im2col(dout)[n]`` (the windows every input
        position of sample :math:`n` wrote to),

        .. math::
            \frac{d\mathcal{L}}{d\mathbf{X}_n} = \mathbf{W}_{mat}\, \mathbf{D}^{col}_n, \qquad
            \frac{d\mathcal{L}}{d\mathbf{W}_{mat}} = \sum_n \mathbf{X}_n\,
            (\mathbf{D}^{col}_n)^\top, \qquad
            \frac{d\mathcal{L}}{db_o} = \sum_{n,i,j} \delta_{n,o,i,j}.

        Parameter gradients are added to ``grads``.

        Parameters
        ----------
        dout : (N, out_channels, H_out, W_out) array

        Returns
        -------
        (N, in_channels, H, W) array
        """
        check_dout(self, dout, self.out_shape, None if self.x_mat is None else self.x_mat.dtype)
        if self._fast:
            return self._backward_by_phase(dout)  # the same sums, arranged to run faster
        n, c_in, h, w = self.x_shape
        windows = tuple(conv_output_size(size, k, s, p, d) for size, k, s, p, d in zip(
            self.out_shape[2:], self.kernel_size, self.stride, self.padding, self.dilation,
            strict=True))
        w_mat = self.weight.reshape(c_in, -1)
        grad_w_t = np.zeros(w_mat.shape[::-1], dout.dtype)  # (C_out k_h k_w, C_in)
        dx = np.empty((n, c_in, h * w), dout.dtype)
        # In chunks of samples whose columns fit in about _CHUNK_BYTES, so both products
        # read them from cache; the weight gradient is summed as its transpose,
        # D^col_n X_n^T, the better shaped product for OpenBLAS here.
        chunk = max(1, min(n, _CHUNK_BYTES // (w_mat.shape[1] * math.prod(windows)
                                               * dout.itemsize)))
        for first in range(0, n, chunk):
            m = min(chunk, n - first)
            cols = im2col(dout[first:first + m], self.kernel_size, self.stride, self.padding,
                          self.dilation)
            if windows != (h, w):
                # output_padding >= stride (allowed when smaller than the dilation) leaves a
                # last row or column of windows that no input position wrote to: drop it.
                cols = cols.reshape(m, -1, *windows)[:, :, :h, :w].reshape(m, -1, h * w)
            grad_w_t += (cols @ self.x_mat[first:first + m].swapaxes(1, 2)).sum(axis=0)
            np.matmul(w_mat, cols, out=dx[first:first + m])
        self.grads["weight"] += grad_w_t.T.reshape(self.weight.shape)
        if self.bias is not None:
            self.grads["bias"] += dout.sum(axis=(0, 2, 3))
        return dx.reshape(self.x_shape)

    def _backward_by_phase(self, dout):
        """The backward pass on the phase grids of :meth:`_forward_by_phase`: no strided
        im2col.

        Tap ``(a, b)`` of the window at input position ``(i, j)`` reads padded output
        position ``(i s_h + a d_h, j s_w + b d_w)``, which in that tap's phase grid is
        ``(i, j)`` shifted by the tap's offset. So ``dout`` is copied once into its phase
        grids, and the columns of a chunk of samples are, tap by tap, contiguous runs of
        the flattened grids, on the input's rows widened to the grid's width: the extra
        positions are dropped from the input gradient, and the input is widened with
        zeros for the weight gradient. The products are those of the readable backward
        pass, one per gradient and chunk, on (channels, samples x positions) matrices.
        """
        n, c_in, h, w = self.x_shape
        c_out, taps = self.out_channels, math.prod(self.kernel_size)
        (s_h, s_w), dtype = self.stride, dout.dtype
        grid_h, grid_w, shift_w, routes, placements = self._phase_layout(
            h, self.out_shape[2:])
        size, run = grid_h * grid_w, h * grid_w
        # Work arrays kept between calls (Module._work_array); the grid positions that
        # lie in the padding, and the input's widening columns, are never written.
        grids = self._work_array("grids", (s_h, s_w, n, c_out, size + shift_w), dtype,
                                 fill=0)
        for (r_h, r_w), (in_grid, in_output) in placements.items():
            np.reshape(grids[r_h, r_w, :, :, :size], (n, c_out, grid_h, grid_w),
                       copy=False)[(slice(None), slice(None)) + in_grid] = dout[
                (slice(None), slice(None)) + in_output]
        chunk = max(1, min(n, _CHUNK_BYTES // (c_out * taps * run * dout.itemsize)))
        cols = self._work_array("cols_d", (c_out, taps, chunk, run), dtype)
        wide = self._work_array("x_wide", (c_in, chunk, h, grid_w), dtype, fill=0)
        result = self._work_array("dx_wide", (c_in, chunk * run), dtype)
        x = self.x_mat.reshape(n, c_in, h, w)
        w_mat = self.weight.reshape(c_in, -1)
        grad_w_t = np.zeros(w_mat.shape[::-1], dtype)  # as its transpose, like backward
        step = np.empty_like(grad_w_t)
        dx = np.empty(self.x_shape, dtype)
        for first in range(0, n, chunk):
            m = min(chunk, n - first)
            group = cols[:, :, :m]
            for tap, ((r_h, r_w), start) in enumerate(routes):
                np.copyto(group[:, tap],
                          grids[r_h, r_w, first:first + m, :, start:start + run].swapaxes(0, 1))
            group = np.reshape(group, (c_out * taps, m * run), copy=False)
            x_wide = wide[:, :m]
            x_wide[..., :w] = x[first:first + m].swapaxes(0, 1)
            np.matmul(group, np.reshape(x_wide, (c_in, m * run), copy=False).T, out=step)
            grad_w_t += step
            dx_wide = result[:, :m * run]
            np.matmul(w_mat, group, out=dx_wide)
            np.copyto(dx[first:first + m], np.reshape(
                dx_wide, (c_in, m, h, grid_w), copy=False)[..., :w].swapaxes(0, 1))
        self.grads["weight"] += grad_w_t.T.reshape(self.weight.shape)
        if self.bias is not None:
            self.grads["bias"] += dout.sum(axis=(0, 2, 3))
        return dx

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        text += f", stride={self.stride}"
        if any(self.padding):
            text += f", padding={self.padding}"
        if any(self.output_padding):
            text += f", output_padding={self.output_padding}"
        if any(d != 1 for d in self.dilation):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text
