"""Convolution layers, Conv1d and Conv2d: one shared kernel slid over the input.

Both are the same code for one or two spatial axes: the input is unfolded into columns
(:func:`scratchdl.functional.im2col`, a strided view copied once), so the forward pass is
one matrix product per sample (all in one batched ``@``), and the backward pass is two
more plus a fold (:func:`scratchdl.functional.col2im`). Like PyTorch, the layers compute a
cross-correlation (the kernel is not flipped).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from scratchdl.functional import (
    col2im,
    conv_output_size,
    fold,
    im2col,
    pad_spatial,
    sliding_windows,
)
from scratchdl.nn._checks import as_tuple, check_dout, check_dtype, check_spatial_input
from scratchdl.nn.linear import register_default_parameters
from scratchdl.nn.module import Module

# The package's route (``_forward_grouped``) puts samples side by side in groups so that
# each matrix product has at least this many columns: OpenBLAS runs a product with only a
# few dozen columns (one 7x7 sample) at a fraction of its rate, and with two threads every
# call pays for waking the second one (benchmarks/bench_conv.py: 4096 measured better than
# 1024 or 2048 with two threads, no worse with one).
_GROUP_COLUMNS = 4096


class _ConvNd(Module):
    """Shared machinery of Conv1d and Conv2d; ``_nd`` is the number of spatial axes."""

    _nd = 0

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, bias=True, *, rng=None, dtype=np.float64):
        super().__init__()
        owner = type(self).__name__
        nd = self._nd
        self.in_channels = as_tuple(in_channels, 1, "in_channels", owner, 1)[0]
        self.out_channels = as_tuple(out_channels, 1, "out_channels", owner, 1)[0]
        self.kernel_size = as_tuple(kernel_size, nd, "kernel_size", owner, 1)
        self.stride = as_tuple(stride, nd, "stride", owner, 1)
        self.padding = as_tuple(padding, nd, "padding", owner, 0)
        self.dilation = as_tuple(dilation, nd, "dilation", owner, 1)
        dtype = check_dtype(dtype, owner)
        # PyTorch's default: U(-b, b) for weight and bias, fan_in = C_in * prod(kernel_size).
        register_default_parameters(
            self, (self.out_channels, self.in_channels, *self.kernel_size),
            self.in_channels * math.prod(self.kernel_size), self.out_channels, bias, dtype,
            rng)
        self.cols = None  # the unfolded input, cached by forward for the weight gradient
        # The package runs the same products grouped and arranged for speed
        # (``_forward_grouped``); tests check both routes give the same numbers.
        self._fast = True
        self.x_shape = self.out_shape = None

    def forward(self, x):
        r"""Cross-correlate ``x`` with every kernel:
        :math:`\mathbf{Y}_n = \mathbf{W}_{mat}\, \mathbf{X}^{col}_n
        + \mathbf{b}\mathbf{1}^\top`.

        Parameters
        ----------
        x : (N, in_channels, *spatial) array

        Returns
        -------
        (N, out_channels, *out) array, with ``out`` given by
        :func:`scratchdl.functional.conv_output_size` on each axis.
        """
        check_spatial_input(self, x, self.in_channels, self.weight.dtype, self.kernel_size,
                            self.padding, self.dilation)
        if self._fast:
            return self._forward_grouped(x)  # the same sums, grouped to run faster
        n = x.shape[0]
        out = [conv_output_size(size, k, s, p, d) for size, k, s, p, d in zip(
            x.shape[2:], self.kernel_size, self.stride, self.padding, self.dilation,
            strict=True)]
        cols = im2col(x, self.kernel_size, self.stride, self.padding, self.dilation)
        # One matrix product per sample, all at once: (C_out, C k) @ (N, C k, positions).
        y = self.weight.reshape(self.out_channels, -1) @ cols
        if self.bias is not None:
            y += self.bias[:, None]
        self.cols, self.x_shape = cols, x.shape
        self.out_shape = (n, self.out_channels, *out)
        return y.reshape(self.out_shape)

    def backward(self, dout):
        r"""Gradients of the convolution, all as matrix products on the columns.

        With :math:`\boldsymbol{\Delta}_n = d\mathcal{L}/d\mathbf{Y}_n` arranged as
        (C_out, positions), like :math:`\mathbf{Y}_n`,

        .. math::
            \frac{d\mathcal{L}}{d\mathbf{W}_{mat}} = \sum_n \boldsymbol{\Delta}_n\,
            (\mathbf{X}^{col}_n)^\top, \quad
            \frac{d\mathcal{L}}{d\mathbf{b}} = \sum_n \boldsymbol{\Delta}_n
            \mathbf{1}, \quad
            \frac{d\mathcal{L}}{d\mathbf{X}^{col}_n} = \mathbf{W}_{mat}^\top
            \boldsymbol{\Delta}_n,

        and ``col2im`` adds each column entry back onto the input element it was copied
        from. Parameter gradients are added to ``grads``.

        Parameters
        ----------
        dout : (N, out_channels, *out) array

        Returns
        -------
        (N, in_channels, *spatial) array
        """
        check_dout(self, dout, self.out_shape, self.weight.dtype)
        if isinstance(self.cols, list):  # forward ran the grouped route
            return self._backward_grouped(dout)
        # (N, C_out, positions), the layout of the forward product's result.
        delta = dout.reshape(dout.shape[0], self.out_channels, -1)
        w = self.weight.reshape(self.out_channels, -1)
        # Sum over samples of delta_n cols_n^T; the sum over positions is inside each
        # product.
        self.grads["weight"] += (delta @ self.cols.swapaxes(1, 2)).sum(axis=0).reshape(
            self.weight.shape)
        if self.bias is not None:
            self.grads["bias"] += delta.sum(axis=(0, 2))
        dcols = w.T @ delta
        return col2im(dcols, self.x_shape, self.kernel_size, self.stride, self.padding,
                      self.dilation)

    def _group_size(self, n, positions):
        """Samples per group: enough for ``_GROUP_COLUMNS`` columns, at most the batch."""
        return max(1, min(n, -(-_GROUP_COLUMNS // positions)))

    def _forward_grouped(self, x):
        """The forward pass with the samples of each group side by side in the columns.

        The readable route multiplies ``W_mat`` with each sample's (C k, positions) columns;
        this one copies the windows of ``m`` samples into one (C k, m positions) matrix, so
        one product serves the group. The sums are the same; a product with more columns
        runs nearer OpenBLAS's full rate (a 7x7 map has only 49 positions per sample).
        """
        nd = self._nd
        n = x.shape[0]
        padded = pad_spatial(x, self.padding) if any(self.padding) else x
        windows = sliding_windows(padded, self.kernel_size, self.stride, self.dilation)
        out = windows.shape[2:2 + nd]
        positions = math.prod(out)
        size = self._group_size(n, positions)
        # Window axes (N, C, *out, *k) to (C, *k, N, *out): rows (c, tap), columns
        # (sample, position), copied one group at a time.
        order = (1, *range(2 + nd, 2 + 2 * nd), 0, *range(2, 2 + nd))
        w = self.weight.reshape(self.out_channels, -1)
        y = np.empty((n, self.out_channels, positions), x.dtype)
        groups = []
        for first in range(0, n, size):
            part = windows[first:first + size]
            m = part.shape[0]
            cols = part.transpose(order).reshape(-1, m * positions)
            y[first:first + m] = (w @ cols).reshape(
                self.out_channels, m, positions).swapaxes(0, 1)
            groups.append(cols)
        if self.bias is not None:
            y += self.bias[:, None]
        self.cols, self.x_shape = groups, x.shape
        self.out_shape = (n, self.out_channels, *out)
        return y.reshape(self.out_shape)

    def _backward_grouped(self, dout):
        """The backward pass of :meth:`_forward_grouped`, one group of samples at a time.

        Per group, with the upstream gradient arranged like the group's columns,
        ``(C_out, m positions)``: the weight gradient is accumulated as its transpose,
        ``cols @ delta^T`` (the product OpenBLAS runs faster in this shape), and the
        input gradient is ``W_mat^T delta`` folded back (for stride 1 along widened rows,
        see :meth:`_fold_stride_one`).
        """
        c_in, c_out = self.in_channels, self.out_channels
        out = self.out_shape[2:]
        positions = math.prod(out)
        w = self.weight.reshape(c_out, -1)
        stride_one = all(s == 1 for s in self.stride)
        w_grad_t = np.zeros((w.shape[1], c_out), dout.dtype)
        dx = np.empty(self.x_shape, dout.dtype)
        if stride_one:  # sized for the first group, the largest
            buffers = self._stride_one_buffers(self.cols[0].shape[1] // positions, dout.dtype)
        first = 0
        for cols in self.cols:
            m = cols.shape[1] // positions  # samples in this group, as forward made it
            part = dout[first:first + m].swapaxes(0, 1)  # (C_out, m, *out), a view
            delta = part.reshape(c_out, m * positions)  # a copy when m > 1
            w_grad_t += cols @ delta.T
            if stride_one:
                dx[first:first + m] = self._fold_stride_one(w, part, buffers)
            else:
                by_tap = (w.T @ delta).reshape(c_in, -1, m, *out)
                dx[first:first + m] = fold(
                    lambda tap, by_tap=by_tap: by_tap[:, tap].swapaxes(0, 1),
                    (m, *self.x_shape[1:]), self.kernel_size, self.stride, self.padding,
                    self.dilation, dout.dtype)
            first += m
        self.grads["weight"] += w_grad_t.T.reshape(self.weight.shape)
        if self.bias is not None:
            self.grads["bias"] += dout.sum(axis=(0, *range(2, dout.ndim)))
        return dx

    def _stride_one_buffers(self, size, dtype):
        """Work buffers of :meth:`_fold_stride_one` for groups of ``size`` samples."""
        out = self.out_shape[2:]
        padded = [s + 2 * p for s, p in zip(self.x_shape[2:], self.padding, strict=True)]
        slack = self.dilation[-1] * (self.kernel_size[-1] - 1)
        wide = np.zeros((self.out_channels, size, *out[:-1], padded[-1]), dtype)
        flat = np.empty((self.in_channels, size, math.prod(padded) + slack), dtype)
        return wide, flat

    def _fold_stride_one(self, w, part, buffers):
        """``col2im(W^T delta)`` of one group for stride 1, with long contiguous adds.

        col2im adds one slice per kernel tap, and NumPy's inner loop then runs over rows
        of only ``W_out`` values. With stride 1, widening every output row to the padded
        input's width (with zero gradient in the extra columns) makes the positions a
        window reads, flattened, one contiguous run shifted by the tap's offset: each tap
        becomes a single add along ``H_out`` times the padded width.

        ``part`` is the group's upstream gradient (C_out, m, *out); returns (m, C_in,
        *spatial).
        """
        wide, flat = buffers
        m = part.shape[1]
        spatial = self.x_shape[2:]
        out = self.out_shape[2:]
        padded = [s + 2 * p for s, p in zip(spatial, self.padding, strict=True)]
        run = math.prod(out[:-1]) * padded[-1]  # output positions on widened rows
        total = math.prod(padded)
        # Offset of each kernel tap in the flattened padded input (row-major strides).
        strides = [math.prod(padded[axis + 1:]) for axis in range(self._nd)]
        starts = [sum(o * d * st for o, d, st in zip(offset, self.dilation, strides,
                                                    strict=True))
                  for offset in itertools.product(*(range(k) for k in self.kernel_size))]
        wide[:, :m, ..., :out[-1]] = part
        by_tap = (w.T @ wide[:, :m].reshape(self.out_channels, m * run)).reshape(
            self.in_channels, len(starts), m, run)
        acc = flat[:, :m]
        acc[...] = 0
        for tap, start in enumerate(starts):
            acc[:, :, start:start + run] += by_tap[:, tap]
        crop = (slice(None), slice(None)) + tuple(
            slice(p, p + size) for p, size in zip(self.padding, spatial, strict=True))
        return acc[:, :, :total].reshape(self.in_channels, m, *padded)[crop].swapaxes(0, 1)

    def extra_repr(self):
        one = self._nd == 1
        def show(t):
            return str(t[0]) if one else str(t)
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={show(self.kernel_size)}"
        text += f", stride={show(self.stride)}"
        if any(self.padding):
            text += f", padding={show(self.padding)}"
        if any(d != 1 for d in self.dilation):
            text += f", dilation={show(self.dilation)}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv1d(_ConvNd):
    r"""1-D convolution (cross-correlation) over sequences, as ``torch.nn.Conv1d``.

    .. math::
        y_{n, o, t} = b_o + \sum_{c=0}^{C_{in}-1} \sum_{a=0}^{k-1}
        W_{o, c, a}\, x^{pad}_{n, c,\, t s + a d}

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int
    stride, padding, dilation : int
        Step between windows; zeros added at both ends; spacing of the kernel taps.
    bias : bool
    rng : numpy.random.Generator or int or None
    dtype : float32 or float64

    Attributes
    ----------
    weight : (out_channels, in_channels, kernel_size) array
        Initialized from :math:`U(-1/\sqrt{C_{in} k}, 1/\sqrt{C_{in} k})` as in PyTorch.
    bias : (out_channels,) array or None

    Notes
    -----
    Shapes: ``x`` is (N, C_in, W), a signal of length W, the output (N, C_out, W_out)
    with :math:`W_{out} = \lfloor (W + 2P - d(k-1) - 1)/s \rfloor + 1` (P the padding).

    Examples
    --------
    >>> import numpy as np
    >>> Conv1d(2, 4, 3, padding=1, rng=0)(np.ones((5, 2, 40))).shape
    (5, 4, 40)
    """

    _nd = 1


class Conv2d(_ConvNd):
    r"""2-D convolution (cross-correlation) over images, as ``torch.nn.Conv2d``.

    .. math::
        y_{n, o, i, j} = b_o + \sum_{c} \sum_{a=0}^{k_h-1} \sum_{b=0}^{k_w-1}
        W_{o, c, a, b}\, x^{pad}_{n, c,\, i s_h + a d_h,\, j s_w + b d_w}

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride, padding, dilation : int or (int, int)
    bias : bool
    rng : numpy.random.Generator or int or None
    dtype : float32 or float64

    Attributes
    ----------
    weight : (out_channels, in_channels, kh, kw) array
        Initialized from :math:`U(-1/\sqrt{C_{in} k_h k_w}, 1/\sqrt{C_{in} k_h k_w})`.
    bias : (out_channels,) array or None

    Notes
    -----
    Shapes: ``x`` is (N, C_in, H, W), the output (N, C_out, H_out, W_out), each spatial
    size given by :func:`scratchdl.functional.conv_output_size`.

    Examples
    --------
    >>> import numpy as np
    >>> Conv2d(1, 8, 3, padding=1, rng=0)(np.ones((2, 1, 8, 8))).shape
    (2, 8, 8, 8)
    """

    _nd = 2
