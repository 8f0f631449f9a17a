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

from scratchdl import init
from scratchdl._validation import check_allocation, check_rng
from scratchdl.functional import col2im, conv_output_size, im2col
from scratchdl.nn._checks import as_tuple, check_dout, check_dtype, check_spatial_input
from scratchdl.nn.module import Module

# Work-buffer size the stride-1 input gradient processes at a time: about L2 cache.
_CHUNK_BYTES = 2 * 1024 * 1024


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
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        check_allocation(shape, dtype, owner=owner, what="weight")
        rng = check_rng(rng)
        # PyTorch's default: U(-b, b) for weight and bias, fan_in = C_in * prod(kernel_size).
        bound = init.default_bound(self.in_channels * math.prod(self.kernel_size))
        weight = np.empty((self.out_channels, self.in_channels, *self.kernel_size), dtype)
        self.register_parameter("weight", init.uniform_(weight, -bound, bound, rng=rng))
        if bias:
            b = np.empty(self.out_channels, dtype=dtype)
            self.register_parameter("bias", init.uniform_(b, -bound, bound, rng=rng))
        else:
            self.register_parameter("bias", None)
        self.cols = None  # the unfolded input, cached by forward for the weight gradient
        # Stride 1 uses a faster fold (tests check both routes give the same numbers).
        self._fast_stride_one = True
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
        check_dout(self, dout, self.out_shape,
                   None if self.cols is None else self.cols.dtype)
        # (N, C_out, positions), the layout of the forward product's result.
        delta = dout.reshape(dout.shape[0], self.out_channels, -1)
        w = self.weight.reshape(self.out_channels, -1)
        # Sum over samples of delta_n cols_n^T; the sum over positions is inside each
        # product.
        self.grads["weight"] += (delta @ self.cols.swapaxes(1, 2)).sum(axis=0).reshape(
            self.weight.shape)
        if self.bias is not None:
            self.grads["bias"] += delta.sum(axis=(0, 2))
        if self._fast_stride_one and all(s == 1 for s in self.stride):
            return self._input_gradient_stride_one(delta)  # the same numbers, faster
        dcols = w.T @ delta
        return col2im(dcols, self.x_shape, self.kernel_size, self.stride, self.padding,
                      self.dilation)

    def _input_gradient_stride_one(self, delta):
        """``col2im(W^T delta)`` for stride 1, with long contiguous adds instead of short rows.

        col2im adds one (N, C, H_out, W_out) slice per kernel tap, and NumPy's inner loop
        then runs over rows of only ``W_out`` values. With stride 1, widening every output
        row to the padded input's width (with zero gradient in the extra columns) makes the
        positions a window reads, flattened, one contiguous run shifted by the tap's
        offset: each tap becomes a single add along ``H_out`` times the padded width.

        The batch goes through in chunks of samples whose columns fit in about
        ``_CHUNK_BYTES``, so the product's result is still in cache when the adds read it
        (measured on the benchmark's shapes: about a fifth faster than the whole batch at
        once), and the work buffers are allocated once per call, not once per chunk.
        """
        n, c_in, *spatial = self.x_shape
        out = self.out_shape[2:]
        padded = [size + 2 * p for size, p in zip(spatial, self.padding, strict=True)]
        w = self.weight.reshape(self.out_channels, -1)
        taps = math.prod(self.kernel_size)
        run = math.prod(out[:-1]) * padded[-1]  # output positions on widened rows
        total = math.prod(padded)
        # Offset of each kernel tap in the flattened padded input (row-major strides).
        strides = [math.prod(padded[axis + 1:]) for axis in range(self._nd)]
        starts = [sum(o * d * st for o, d, st in zip(offset, self.dilation, strides,
                                                    strict=True))
                  for offset in itertools.product(*(range(k) for k in self.kernel_size))]
        slack = self.dilation[-1] * (self.kernel_size[-1] - 1)
        chunk = max(1, min(n, _CHUNK_BYTES // (c_in * taps * run * delta.itemsize)))
        wide = np.zeros((chunk, self.out_channels, *out[:-1], padded[-1]), delta.dtype)
        dcols = np.empty((chunk, c_in * taps, run), delta.dtype)
        flat = np.empty((chunk, c_in, total + slack), delta.dtype)
        delta = delta.reshape(n, self.out_channels, *out)
        crop = (slice(None), slice(None)) + tuple(
            slice(p, p + size) for p, size in zip(self.padding, spatial, strict=True))
        dx = np.empty(self.x_shape, delta.dtype)
        for first in range(0, n, chunk):
            m = min(chunk, n - first)
            wide[:m, ..., :out[-1]] = delta[first:first + m]
            # W^T as a transposed view, as before chunking: OpenBLAS's small-matrix kernels
            # round differently for a copied W^T, which changed chapter 07's trained
            # numbers.
            np.matmul(w.T, wide[:m].reshape(m, self.out_channels, run), out=dcols[:m])
            by_tap = dcols[:m].reshape(m, c_in, taps, run)
            acc = flat[:m]
            acc[...] = 0
            for tap, start in enumerate(starts):
                acc[:, :, start:start + run] += by_tap[:, :, tap]
            dx[first:first + m] = acc[:, :, :total].reshape(m, c_in, *padded)[crop]
        return dx

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
