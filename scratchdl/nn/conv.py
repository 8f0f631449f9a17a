"""Convolution layers, Conv1d and Conv2d: one shared kernel slid over the input.

Both are the same code for one or two spatial axes: the input is unfolded into columns
(:func:`scratchdl.functional.im2col`, a strided view copied once), so the forward pass is
one matrix product per sample (all in one batched ``@``), and the backward pass is two
more plus a fold (:func:`scratchdl.functional.col2im`). Like PyTorch, the layers compute a
cross-correlation (the kernel is not flipped). That readable route is the one chapter 07
derives; the package runs the same sums arranged for speed (``_forward_fast``: for stride
1 with padding at most ``dilation * (kernel_size - 1)``, the batch stacked into one tall
map, ``_Stacked``, or, on small maps with many input channels (``_channels_last``), the
samples laid out with their channels last; otherwise groups of samples side by side), and
tests check the routes agree.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from scratchdl._parallel import batch_parts, run_parts
from scratchdl.functional import (
    col2im,
    conv_output_size,
    fold,
    im2col,
    sliding_windows,
)
from scratchdl.nn._checks import as_tuple, check_dout, check_dtype, check_spatial_input
from scratchdl.nn.linear import register_default_parameters
from scratchdl.nn.module import Module

# The package's routes (``_forward_stride_one``, ``_forward_grouped``) put samples side by
# side in groups so that each matrix product has at least this many columns: OpenBLAS runs
# a product with only a few dozen columns (one 7x7 sample) at a fraction of its rate, and
# with two threads every call pays for waking the second one. Measured on the three
# products of the 16 -> 32 channel 28x28 layer (the same data reused, best of 15, the
# products alone): with two threads 12.5 ms in groups of 1 sample, 11.3 of 2, 10.4 of 5
# (4,200 columns), 12.6 of 10; with one thread 19 ms up to 2 samples and 21 ms for 5.
_GROUP_COLUMNS = 4096
# When the stride-1 route runs the batch in parts, one per thread, each product runs on one
# BLAS thread and both cores share the caches: groups of about this many columns (3 samples
# of 28x28) were as fast as or slightly faster than 4096 there (the same layer, two parts
# on two cores, best of 40 forward + backward passes: 14.2 ms in groups of 3 samples, 14.3
# of 2, 14.8 of 5).
_PART_COLUMNS = 2048
# A part on its own thread pays off only with enough products to run: for the first layer
# (1 -> 16 channels, 28x28, batch 64: 4.5 million multiply-adds per half) two parts took
# 3.8 ms against 2.9 ms for the whole batch with a two-thread BLAS (forward + backward,
# median of 20 interleaved rounds); for 16 -> 32 (129 million per half) parts are faster.
_PART_WORK = 32_000_000
# On small maps the channels-last route runs instead of the stacked layout
# (``_forward_channels_last``): up to this many output positions per sample, with at least
# ``_LAST_CHANNELS`` input channels (``_LAST_CHANNELS_1D`` in 1-D). The stacked layout
# computes positions that are not outputs (the padding columns of every row, the rows
# between samples: 72 per 49 outputs on a 7x7 map with padding 1, 30 per 16 on 4x4, 53 per
# 49 for 49 positions and 9 taps in 1-D), a large share of a small 2-D map's work, and its
# groups then hold many samples; the channels-last route computes outputs only. Measured
# forward + backward, float32, batch 64, 3x3 with padding 1 (9 taps with padding 4 in
# 1-D), median of 9-15 interleaved rounds (each a pause, one untimed call and the mean of
# 3), channels last against stacked, in ms. Two BLAS threads: 64 -> 64 channels on 7x7
# 5.5-8 against 9.7-14 (from run to run), on 10x10 13.9-14.2 against 16.0-17.2, on 12x12
# 20.5 against 21.7; 32 -> 32 on 7x7 2.2-2.8 against 2.8-3.7; 64 -> 128 on 4x4 4.8 against
# 7.7; Conv1d 64 -> 64 on 49 positions 6.6 against 7.4-7.6. Larger maps: on 14x14 the two
# were within noise of each other or stacked faster (32 -> 32: 15.4 against 12.2), on
# 28x28 stacked was faster (32 -> 32: 41.6 against 29.2, with a first version of the route
# that added the bias apart), and so for Conv1d on 196 positions (64 -> 64: 25.9 against
# 23.8). One BLAS thread: 64 -> 64 on 12x12 28.3 against 38.8, Conv1d on 49 positions 10.2
# against 11.5, 32 -> 32 on 14x14 14.1 against 14.3.
_LAST_MAP = 144
# The channels-last route copies runs of C_in values, and its products have C_out columns:
# with few channels neither pays. On 7x7 (same protocol): 1 -> 16 channels 0.85 ms channels
# last against 0.41 stacked, 8 -> 16 1.32 against 1.00, 16 -> 16 2.4 against 1.7 with two
# threads (1.7 against 1.7 with one), 32 -> 32 2.8 against 3.7. In 1-D, where the stacked
# layout drops few positions, it paid only from 64 channels (9 taps, two threads; one
# thread in brackets): 32 -> 32 on 16 positions 1.51 against 1.42 (1.63 against 1.51), on
# 49 3.38 against 3.08 (3.14 against 3.24), on 121 9.1 against 5.8 (9.9 against 10.5);
# 64 -> 64 on 49 6.6 against 7.4-7.6, on 81 11.5 against 12.3 (17.9 against 19.6), on
# 121 19.1 against 19.0 (29.0 against 31.9).
_LAST_CHANNELS = 32
_LAST_CHANNELS_1D = 64
# Output positions per group of the channels-last route (16 samples of 7x7): its products
# have these many rows, and its columns (positions x C_in k, 1.8 MB for 64 channels) are
# likely still in the cache when the product reads them. The 64 -> 64 channel 7x7 layer,
# median of 12 interleaved rounds, two BLAS threads: 8.8 ms with 392 positions per group,
# 7.7 with 784, 8.3 with 1,568, 8.6 with the whole batch (3,136); one thread: 9.9, 9.3,
# 9.4, 10.8.
# (These comparisons were measured with a first backward pass of the route that copied
# the input's columns again and took the weight gradient from them; the present one, both
# gradients from the columns of delta, was as fast or faster: forward + backward, median
# of 40 interleaved rounds, 7.25 ms against 7.31 on that 7x7 layer, 6.74 against 7.35 for
# Conv1d 64 -> 64 on 49 positions.)
_LAST_POSITIONS = 784


class _Stacked:
    """The layout of the stride-1 route: the samples of a batch stacked into one tall map.

    Each channel is padded and the samples are laid one above the other along the first
    spatial axis, sharing their zero rows: sample ``n``'s values start at row ``n S + P``
    with ``S = H + P`` (its height plus one padding), so the ``P`` zero rows between two
    samples are the bottom padding of one and the top padding of the next. Flattened,
    a window at position (i, j) of the tall map reads, from kernel tap (a, b), position
    ``i W_p + j + offset`` with ``offset = a d_h W_p + b d_w`` (``W_p`` the padded
    width). Counting positions on the tall map's full rows (``u = i W_p + j``), every
    tap therefore reads one contiguous run: ``flat[offset : offset + count]`` for
    ``count`` consecutive positions. The positions that are not outputs of a sample
    (``j >= W_out``, or rows where a window straddles two samples) are computed and then
    dropped. The same holds for one spatial axis (a row is then one position, so only
    the positions between samples are dropped) and for more (a row is then everything
    after the first axis).

    Attributes: ``padded`` and ``out`` (one sample's padded and output sizes), ``step``
    (rows per sample, ``S``), ``row`` (a row's length, ``W_p``), ``length`` (one
    channel's flattened length, with the zeros the last taps read past the end),
    ``taps`` (the step in the flattened map of each kernel axis), ``padding``, and
    ``start`` (where the first sample's first value sits in the flattened map).
    """

    def __init__(self, n, sizes, padding, kernel_size, dilation):
        self.padded = [size + 2 * p for size, p in zip(sizes, padding, strict=True)]
        self.out = [size - d * (k - 1) for size, k, d in zip(self.padded, kernel_size,
                                                             dilation, strict=True)]
        self.step = sizes[0] + padding[0]
        self.row = math.prod(self.padded[1:])
        strides = [math.prod(self.padded[axis + 1:]) for axis in range(len(sizes))]
        self.taps = [d * s for d, s in zip(dilation, strides, strict=True)]
        slack = sum((k - 1) * t for k, t in zip(kernel_size[1:], self.taps[1:], strict=True))
        reach = dilation[0] * (kernel_size[0] - 1)  # rows the last sample's windows read
        self.length = (n * self.step + reach) * self.row + slack
        self.padding = padding
        # Where the first sample's first value sits in the flattened map.
        self.start = sum(p * s for p, s in zip(padding, [self.row, *strides[1:]],
                                               strict=True))

    def samples(self, flat, n, sizes):
        """View of ``flat`` (C, length) as (C, n, *sizes): where each sample's values
        go."""
        first_row = self.padding[0] * self.row
        blocks = np.reshape(flat[:, first_row:first_row + n * self.step * self.row],
                            (flat.shape[0], n, self.step, *self.padded[1:]), copy=False)
        return blocks[(slice(None), slice(None), slice(0, sizes[0])) + tuple(
            slice(p, p + size) for p, size in zip(self.padding[1:], sizes[1:], strict=True))]

    def outputs(self, result, m, out):
        """View of ``result`` (C, m S row), a group's results on the tall map's
        positions, as (C, m, *out): the positions that are outputs of a sample."""
        blocks = np.reshape(result, (result.shape[0], m, self.step, *self.padded[1:]),
                            copy=False)
        return blocks[(slice(None), slice(None)) + tuple(slice(0, o) for o in out)]

    def columns(self, flat, first, m, kernel_size, dest):
        """Copy the columns of samples ``first`` to ``first + m`` into ``dest`` (C, *k,
        m S row): one contiguous run of the flattened map per channel and kernel tap."""
        item = flat.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[:, first * self.step * self.row:],
            (flat.shape[0], *kernel_size, m * self.step * self.row),
            (flat.strides[0], *(t * item for t in self.taps), item), writeable=False)
        np.copyto(dest, view)


def _inside(padding, sizes):
    """Index of the unpadded values in an array (N, *padded, C) padded by ``padding``."""
    return (slice(None),) + tuple(slice(p, p + s) for p, s in zip(padding, sizes,
                                                                   strict=True))


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
        # The package computes the same sums arranged for speed (``_forward_fast``);
        # tests check every route gives the same numbers.
        self._fast = True
        self._route = None  # the route the last forward pass took
        self._parts = None  # the parts of the batch the stride-1 route ran (``_split``)
        self._threads = None  # threads for the fast route; None: as many as the BLAS has
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
            return self._forward_fast(x)  # the same sums, arranged to run faster
        n = x.shape[0]
        out = [conv_output_size(size, k, s, p, d) for size, k, s, p, d in zip(
            x.shape[2:], self.kernel_size, self.stride, self.padding, self.dilation,
            strict=True)]
        cols = im2col(x, self.kernel_size, self.stride, self.padding, self.dilation)
        # One matrix product per sample, all at once: (C_out, C k) @ (N, C k, positions).
        y = self.weight.reshape(self.out_channels, -1) @ cols
        if self.bias is not None:
            y += self.bias[:, None]
        self.cols, self.x_shape, self._route = cols, x.shape, "readable"
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
        if self._route != "readable":  # forward ran a faster route
            return self._backward_fast(dout)
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

    def _stride_one(self):
        """Whether the stride-1 route applies: stride 1, and padding no wider than the
        kernel's span minus one (so the input gradient's own padding is not negative)."""
        return all(s == 1 for s in self.stride) and all(
            p <= d * (k - 1) for p, d, k in zip(self.padding, self.dilation,
                                                self.kernel_size, strict=True))

    def _channels_last(self, spatial):
        """Whether the channels-last route runs for stride 1 on an input of these spatial
        sizes: at most ``_LAST_MAP`` output positions per sample and at least
        ``_LAST_CHANNELS`` input channels (``_LAST_CHANNELS_1D`` for Conv1d)."""
        outputs = math.prod(size + 2 * p - d * (k - 1) for size, p, d, k in zip(
            spatial, self.padding, self.dilation, self.kernel_size, strict=True))
        least = _LAST_CHANNELS_1D if self._nd == 1 else _LAST_CHANNELS
        return self.in_channels >= least and outputs <= _LAST_MAP

    def _forward_fast(self, x):
        """The package's forward pass: where :meth:`_stride_one` holds,
        :meth:`_forward_channels_last` if :meth:`_channels_last` says so and
        :meth:`_forward_stride_one` otherwise; :meth:`_forward_grouped` for the rest."""
        if self._stride_one():
            if self._channels_last(x.shape[2:]):
                return self._forward_channels_last(x)
            return self._forward_stride_one(x)
        return self._forward_grouped(x)

    def _backward_fast(self, dout):
        """The backward pass of the route the forward pass took."""
        if self._route == "stride one":
            return self._backward_stride_one(dout)
        if self._route == "channels last":
            return self._backward_channels_last(dout)
        return self._backward_grouped(dout)

    def _forward_stride_one(self, x):
        """The forward pass for stride 1: the batch as one tall map (``_Stacked``),
        its columns copied a group of samples at a time.

        The input is padded and stacked into an array kept for the backward pass; the
        columns of ``m`` samples are copied from it in long contiguous runs, one product
        ``W_mat @ cols`` gives their outputs at every position of their rows, and the
        positions that are outputs are copied into ``y``. Under the rows of the windows
        sits a row of ones, and beside ``W_mat`` a column holding the bias, so the product
        adds the bias too. A group is the fewest samples that give the product at least
        ``_GROUP_COLUMNS`` columns (or the whole batch), and its columns are multiplied
        right after they are copied, while they are likely still in the processor's cache
        (for the 16 -> 32 channel 28x28 layer of ``benchmarks/bench_conv.py``, 5 samples:
        145 rows by 4,350 columns, 2.5 MB in float32).

        When NumPy's BLAS has several threads, the batch is cut into as many parts, each
        done as above on its own thread with a one-thread BLAS
        (:func:`scratchdl._parallel.run_parts`): see :meth:`_split`.
        """
        n = x.shape[0]
        layout = _Stacked(n, x.shape[2:], self.padding, self.kernel_size, self.dilation)
        y = np.empty((n, self.out_channels, *layout.out), x.dtype)
        self._parts = parts = self._split(n, layout.step * layout.row)
        run_parts(lambda part: self._forward_stride_one_part(x[part], y[part], part),
                  parts, self._threads)
        self.cols, self.x_shape, self._route = None, x.shape, "stride one"
        self.out_shape = y.shape
        return y

    def _split(self, n, run):
        """The batch's parts (slices): one per BLAS thread (``self._threads`` if set) when
        every part gets at least ``_GROUP_COLUMNS`` columns (``run`` per sample) and
        ``_PART_WORK`` multiply-adds in the forward product, otherwise the whole batch as
        one part."""
        rows = self.in_channels * math.prod(self.kernel_size) + 1
        by_columns = batch_parts(n, run, _GROUP_COLUMNS, self._threads)
        by_work = batch_parts(n, run * rows * self.out_channels, _PART_WORK, self._threads)
        return min(by_columns, by_work, key=len)

    def _forward_stride_one_part(self, x, y, part):
        """:meth:`_forward_stride_one` on one part of the batch, ``x``, into ``y``; its
        work arrays are its own (named after the part's first sample)."""
        n, c_in = x.shape[:2]
        c_out, kernel = self.out_channels, self.kernel_size
        key = part.start
        layout = _Stacked(n, x.shape[2:], self.padding, kernel, self.dilation)
        flat = self._work_array(f"x{key}", (c_in, layout.length), x.dtype, fill=0)
        layout.samples(flat, n, x.shape[2:])[...] = x.swapaxes(0, 1)  # the rest stays 0
        rows = c_in * math.prod(kernel)
        bias = self.bias is not None
        run = layout.step * layout.row  # positions per sample
        size = self._part_group_size(n, run)
        cols = self._work_array(f"cols{key}", (rows + 1, size * run), x.dtype, fill=1)
        product = self._work_array(f"product{key}", (c_out, size * run), x.dtype)
        w = self._weight_and_bias()
        for first in range(0, n, size):
            m = min(size, n - first)
            group = cols[:rows + bias, :m * run]
            layout.columns(flat, first, m, kernel, np.reshape(
                group[:rows], (c_in, *kernel, m * run), copy=False))
            result = product[:, :m * run]
            np.matmul(w, group, out=result)
            np.copyto(y[first:first + m],
                      layout.outputs(result, m, layout.out).swapaxes(0, 1))

    def _backward_stride_one(self, dout):
        r"""The backward pass of :meth:`_forward_stride_one`, with no fold and no second
        im2col of the input.

        With stride 1 the input gradient is itself a cross-correlation (chapter 07's
        equation ``conv-input-grad``): of :math:`\delta` padded by :math:`d(k - 1) - P`
        zeros, with the kernel flipped and its two channel axes swapped,

        .. math::
            \frac{d\mathcal{L}}{d x_{c, i}} = \sum_{o} \sum_{a'}
            W_{o, c, k-1-a'}\; \delta^{pad}_{o,\, i + a' d},

        for the unpadded input (one spatial axis written). So ``dout`` is padded and
        stacked like the input (``_Stacked``), its columns ``D`` are copied group by
        group, and ``W_flip @ D`` is the input gradient. The same columns give the weight
        gradient: row ``(o, a')`` of ``D`` at input position ``i`` holds
        :math:`\delta^{pad}_{o, i + a' d}`, so :math:`\sum_i x_{c, i} D_{(o, a'), i}` is
        chapter 07's ``conv-weight-grad`` at tap :math:`a = k - 1 - a'`: one product
        ``D @ X^T`` with ``X`` the input laid out at the same positions, zero at those
        that are not input positions; for "same" padding (:math:`d(k-1) = 2P`) that is a
        view of the padded input the forward pass kept. With few input channels
        (:math:`C_{out} \ge 4 C_{in}`, a first layer) the columns of :math:`\delta` would
        dwarf the input's, and :meth:`_backward_narrow_part` runs instead. The parts of
        the forward pass are the parts here; their weight gradients are added in the
        parts' order.
        """
        nd = self._nd
        dx = np.empty(self.x_shape, dout.dtype)
        # Few input channels (a first layer): the columns of delta would be C_out / C_in
        # times larger than the input's, so the narrow route folds W^T delta instead.
        narrow = 4 * self.in_channels <= self.out_channels
        part_pass = (self._backward_narrow_part if narrow
                     else self._backward_stride_one_part)
        sums = run_parts(lambda part: part_pass(dout[part], dx[part], part), self._parts,
                         self._threads)
        grad = sums[0]
        for more in sums[1:]:
            grad += more
        self.grads["weight"] += grad
        if self.bias is not None:
            self.grads["bias"] += dout.sum(axis=(0, *range(2, 2 + nd)))
        return dx

    def _backward_stride_one_part(self, dout, dx, part):
        """:meth:`_backward_stride_one` on one part of the batch: writes its input
        gradient into ``dx`` and returns its weight gradient (as ``grad_t``, rows
        ``(o, a')``)."""
        n, c_in = dout.shape[0], self.in_channels
        spatial = dx.shape[2:]
        c_out, kernel, nd = self.out_channels, self.kernel_size, self._nd
        dtype = dout.dtype
        key = part.start
        pad_d = [d * (k - 1) - p for p, d, k in zip(self.padding, self.dilation, kernel,
                                                    strict=True)]
        layout = _Stacked(n, spatial, self.padding, kernel, self.dilation)
        layout_d = _Stacked(n, dout.shape[2:], pad_d, kernel, self.dilation)
        run = layout_d.step * layout_d.row  # input positions per sample
        size = self._part_group_size(n, layout.step * layout.row)  # the forward's groups
        flat_d = self._work_array(f"dout{key}", (c_out, layout_d.length), dtype, fill=0)
        layout_d.samples(flat_d, n, dout.shape[2:])[...] = dout.swapaxes(0, 1)
        flat = self._work[f"x{key}"]  # the padded, stacked input the forward pass kept
        if list(pad_d) == list(self.padding):  # "same" padding: the layouts coincide
            x_at = flat[:, layout.start:layout.start + n * run]
        else:  # the input at the input gradient's positions, zero elsewhere
            x_at = self._work_array(f"x_at{key}", (c_in, n * run), dtype, fill=0)
            np.reshape(x_at, (c_in, n, layout_d.step, *layout_d.padded[1:]), copy=False)[
                (slice(None), slice(None)) + tuple(slice(0, s) for s in spatial)] = (
                layout.samples(flat, n, spatial))
        cols_d = self._work_array(f"cols_d{key}", (c_out * math.prod(kernel), size * run),
                                  dtype)
        result = self._work_array(f"dx{key}", (c_in, size * run), dtype)
        flipped = self.weight[(slice(None), slice(None)) + (slice(None, None, -1),) * nd]
        w_flip = flipped.swapaxes(0, 1).reshape(c_in, -1)
        grad_t = np.zeros((cols_d.shape[0], c_in), dtype)
        step = np.empty_like(grad_t)
        for first in range(0, n, size):
            m = min(size, n - first)
            group = cols_d[:, :m * run]
            layout_d.columns(flat_d, first, m, kernel, np.reshape(
                group, (c_out, *kernel, m * run), copy=False))
            np.matmul(group, x_at[:, first * run:(first + m) * run].T, out=step)
            grad_t += step
            dx_all = result[:, :m * run]
            np.matmul(w_flip, group, out=dx_all)
            np.copyto(dx[first:first + m], layout_d.outputs(dx_all, m, spatial).swapaxes(0, 1))
        # Row (o, a') of grad_t is tap a = k - 1 - a' of output channel o.
        grad = grad_t.reshape(c_out, *kernel, c_in)[
            (slice(None),) + (slice(None, None, -1),) * nd]
        return np.moveaxis(grad, -1, 1)

    def _backward_narrow_part(self, dout, dx, part):
        """The backward pass of one part of the stride-1 route for few input channels:
        chapter 07's own equations on the stacked layout.

        ``dout`` is laid out at the forward pass's positions (zero at those that are not
        outputs); per group, the input's columns are copied again (``C_in k`` rows, few
        here), the weight gradient is ``delta @ cols^T`` and the columns' gradient
        ``W_mat^T delta``, which is folded back onto the stacked input: tap by tap, one
        add of a contiguous run, the adjoint of the copy that made the columns. Returns
        the part's weight gradient; its input gradient goes into ``dx``.
        """
        n, c_in = dout.shape[0], self.in_channels
        spatial = dx.shape[2:]
        c_out, kernel = self.out_channels, self.kernel_size
        dtype, key = dout.dtype, part.start
        layout = _Stacked(n, spatial, self.padding, kernel, self.dilation)
        run = layout.step * layout.row  # the forward pass's positions per sample
        size = self._part_group_size(n, run)
        delta = self._work_array(f"delta{key}", (c_out, n * run), dtype, fill=0)
        layout.outputs(delta, n, layout.out)[...] = dout.swapaxes(0, 1)  # the rest stays 0
        flat = self._work[f"x{key}"]  # the padded, stacked input the forward pass kept
        rows = c_in * math.prod(kernel)
        cols = self._work_array(f"cols{key}", (rows + 1, size * run), dtype, fill=1)
        dcols = self._work_array(f"dcols{key}", (rows, size * run), dtype)
        dflat = self._work_array(f"dflat{key}", flat.shape, dtype)
        dflat.fill(0)
        w = self.weight.reshape(c_out, -1)
        offsets = [sum(a * t for a, t in zip(tap, layout.taps, strict=True))
                   for tap in itertools.product(*(range(k) for k in kernel))]
        grad = np.zeros((c_out, rows), dtype)
        step = np.empty_like(grad)
        for first in range(0, n, size):
            m = min(size, n - first)
            group = cols[:rows, :m * run]
            layout.columns(flat, first, m, kernel, np.reshape(
                group, (c_in, *kernel, m * run), copy=False))
            delta_g = delta[:, first * run:(first + m) * run]
            np.matmul(delta_g, group.T, out=step)
            grad += step
            back = dcols[:, :m * run]
            np.matmul(w.T, delta_g, out=back)
            back = np.reshape(back, (c_in, len(offsets), m * run), copy=False)
            for tap, offset in enumerate(offsets):
                start = first * run + offset
                dflat[:, start:start + m * run] += back[:, tap]
        np.copyto(dx, layout.samples(dflat, n, spatial).swapaxes(0, 1))
        return grad.reshape(self.weight.shape)

    def _forward_channels_last(self, x):
        """The forward pass for stride 1 on small maps: the input channels last, so that
        no position is computed that is not an output.

        The input is laid out as ``(N, *spatial, C_in)``, kept for the backward pass, and
        padded into ``(N, *padded, C_in)``; a group of ``m`` samples has its columns
        copied into an ``(m positions, k C_in + 1)`` matrix, one row per output position
        (each tap a run of ``C_in`` values, then a 1), and one product ``cols @ W^T``
        gives its outputs as ``(positions, C_out)``, copied into ``y`` with the channels
        moved back. That column of ones and a row holding the bias under ``W^T`` add the
        bias in the same product. Groups have about ``_LAST_POSITIONS`` positions, so the
        product has as many rows and its columns are likely still in the cache when it
        runs. (Unlike the stacked route's, this route's batch is not cut into parts on
        threads: its products are shaped well enough for OpenBLAS's own threads, and with
        two threads parts were slower, 12.0-12.5 ms against 7.9-8.3 ms for the 64 -> 64
        channel 7x7 layer of ``benchmarks/bench_conv.py``, median of 30 interleaved
        rounds.)
        """
        n, c_in = x.shape[:2]
        # The input channels last, kept for the weight gradient, and padded.
        x_last = self._work_array("x_last", (n, *x.shape[2:], c_in), x.dtype)
        np.copyto(x_last, np.moveaxis(x, 1, -1))
        padded = self._work_array("x_padded", (n, *(s + 2 * p for s, p in zip(
            x.shape[2:], self.padding, strict=True)), c_in), x.dtype, fill=0)
        padded[_inside(self.padding, x.shape[2:])] = x_last
        out = [s - d * (k - 1) for s, d, k in zip(padded.shape[1:-1], self.dilation,
                                                 self.kernel_size, strict=True)]
        positions = math.prod(out)
        y = np.empty((n, self.out_channels, *out), x.dtype)
        # Columns (tap, c), like the channels-last columns.
        w = self._weight_and_bias(np.moveaxis(self.weight, 1, -1).reshape(
            self.out_channels, -1))
        size = self._group_size(n, positions, _LAST_POSITIONS)
        rows = c_in * math.prod(self.kernel_size)
        cols = self._work_array("cols_last", (size * positions, rows + 1), x.dtype, fill=1)
        product = self._work_array("product_last", (size * positions, w.shape[0]), x.dtype)
        for first in range(0, n, size):
            m = min(size, n - first)
            group = cols[:m * positions, :w.shape[1]]
            self._last_columns(padded[first:first + m], group[:, :rows])
            result = product[:m * positions]
            np.matmul(group, w.T, out=result)
            np.copyto(y[first:first + m], np.moveaxis(np.reshape(
                result, (m, *out, w.shape[0]), copy=False), -1, 1))
        self.cols, self.x_shape, self._route = None, x.shape, "channels last"
        self.out_shape = y.shape
        return y

    def _backward_channels_last(self, dout):
        r"""The backward pass of :meth:`_forward_channels_last`, group by group, both
        gradients from one set of columns.

        As in :meth:`_backward_stride_one`, the input gradient is the correlation of
        :math:`\delta` padded by :math:`d(k - 1) - P` with the flipped kernel: the columns
        ``D`` of the padded :math:`\delta` (channels last again; one row per input
        position, columns ``(tap a', o)``) times ``W_flip`` (rows ``(a', o)``, one column
        per input channel). The same columns give the weight gradient: ``D^T X``, with
        ``X`` the input kept by the forward pass as ``(N positions, C_in)`` (rows in the
        order of ``D``'s: sample, then position), holds at row ``(a', o)`` the gradient of
        tap :math:`a = k - 1 - a'`. The bias gradient is ``dout`` summed over samples and
        positions (chapter 07's ``conv-bias-grad``).
        """
        n = dout.shape[0]
        c_in, c_out, kernel = self.in_channels, self.out_channels, self.kernel_size
        nd, dtype = self._nd, dout.dtype
        spatial, out = self.x_shape[2:], dout.shape[2:]
        pad_d = [d * (k - 1) - p for p, d, k in zip(self.padding, self.dilation, kernel,
                                                    strict=True)]
        positions, inputs = math.prod(out), math.prod(spatial)
        size = self._group_size(n, positions, _LAST_POSITIONS)
        x_last = np.reshape(self._work["x_last"], (n * inputs, c_in), copy=False)
        padded_d = self._work_array("dout_last", (size, *(o + 2 * p for o, p in zip(
            out, pad_d, strict=True)), c_out), dtype, fill=0)
        flipped = self.weight[(slice(None), slice(None)) + (slice(None, None, -1),) * nd]
        # (C_out, C_in, *k) to rows (tap, o) and one column per input channel.
        w_flip = np.moveaxis(flipped, (0, 1), (-2, -1)).reshape(-1, c_in)
        cols_d = self._work_array("cols_d_last", (size * inputs, w_flip.shape[0]), dtype)
        result = self._work_array("dx_last", (size * inputs, c_in), dtype)
        dx = np.empty(self.x_shape, dtype)
        grad_t = np.zeros(w_flip.shape, dtype)
        step = np.empty_like(grad_t)
        for first in range(0, n, size):
            m = min(size, n - first)
            padded_g = padded_d[:m]
            # The borders of padded_g stay 0.
            padded_g[_inside(pad_d, out)] = np.moveaxis(dout[first:first + m], 1, -1)
            group_d = cols_d[:m * inputs]
            self._last_columns(padded_g, group_d)
            np.matmul(group_d.T, x_last[first * inputs:(first + m) * inputs], out=step)
            grad_t += step
            dx_g = result[:m * inputs]
            np.matmul(group_d, w_flip, out=dx_g)
            np.copyto(dx[first:first + m], np.moveaxis(np.reshape(
                dx_g, (m, *spatial, c_in), copy=False), -1, 1))
        # Row (a', o) of grad_t is tap a = k - 1 - a' of output channel o.
        grad = grad_t.reshape(*kernel, c_out, c_in)[(slice(None, None, -1),) * nd]
        self.grads["weight"] += np.moveaxis(grad, (-2, -1), (0, 1))
        if self.bias is not None:
            self.grads["bias"] += dout.sum(axis=(0, *range(2, 2 + nd)))
        return dx

    def _last_columns(self, padded, dest):
        """Copy the columns of ``padded`` (m, *padded, C), channels last, into ``dest``
        (m positions, k C): row (sample, position), columns (tap, channel), stride 1."""
        nd = self._nd
        windows = sliding_windows(np.moveaxis(padded, -1, 1), self.kernel_size,
                                  (1,) * nd, self.dilation)  # (m, C, *out, *k), a view
        np.copyto(np.reshape(dest, (*windows.shape[:1], *windows.shape[2:], -1),
                             copy=False), np.moveaxis(windows, 1, -1))

    def _weight_and_bias(self, w=None):
        """``W_mat`` (C_out, C k) with the bias as one more column, the weights of the fast
        routes' product with columns that end in a row of ones (``W_mat`` alone without a
        bias); ``w``, if given, is ``W_mat`` with its columns in another order."""
        w = self.weight.reshape(self.out_channels, -1) if w is None else w
        if self.bias is None:
            return w
        return np.concatenate([w, self.bias[:, None]], axis=1)

    def _part_group_size(self, n, positions):
        """Samples per group in a part of the stride-1 route: ``_group_size``, or about
        ``_PART_COLUMNS`` columns when the batch runs in several parts."""
        if len(self._parts) > 1:
            return max(1, min(n, -(-_PART_COLUMNS // positions)))
        return self._group_size(n, positions)

    def _group_size(self, n, positions, columns=None):
        """Samples per group: enough for ``columns`` columns (``_GROUP_COLUMNS`` if not
        given), at most the batch."""
        columns = _GROUP_COLUMNS if columns is None else columns
        return max(1, min(n, -(-columns // positions)))

    def _forward_grouped(self, x):
        """The forward pass with the samples of each group side by side in the columns.

        The readable route multiplies ``W_mat`` with each sample's (C k, positions) columns;
        this one copies the windows of ``m`` samples into one (C k, m positions) matrix, so
        one product serves the group (a 7x7 map has only 49 positions per sample, too few
        for OpenBLAS to run near its full rate; see ``_GROUP_COLUMNS``). Below the
        rows of the windows sits a row of ones and beside ``W_mat`` a column holding the
        bias, so the same product adds the bias. The columns, and the padded input they are
        copied from, live in arrays reused from call to call (:meth:`_work_array`).
        """
        nd = self._nd
        n, c_in = x.shape[:2]
        c_out = self.out_channels
        if any(self.padding):
            spatial = x.shape[2:]
            padded = self._work_array(
                "padded", (n, c_in, *(s + 2 * p for s, p in zip(spatial, self.padding,
                                                                 strict=True))),
                x.dtype, fill=0)
            padded[(slice(None), slice(None)) + tuple(
                slice(p, p + s) for p, s in zip(self.padding, spatial, strict=True))] = x
        else:
            padded = x
        windows = sliding_windows(padded, self.kernel_size, self.stride, self.dilation)
        out = windows.shape[2:2 + nd]
        positions = math.prod(out)
        size = self._group_size(n, positions)
        rows = c_in * math.prod(self.kernel_size)
        bias = self.bias is not None
        store = self._work_array("cols", (-(-n // size), rows + 1, size * positions),
                                 x.dtype, fill=1)
        w = self._weight_and_bias()
        product = (self._work_array("product", (c_out, size * positions), x.dtype)
                   if size > 1 else None)
        # Window axes (N, C, *out, *k) to (C, *k, N, *out): rows (c, tap), columns
        # (sample, position).
        order = (1, *range(2 + nd, 2 + 2 * nd), 0, *range(2, 2 + nd))
        y = np.empty((n, c_out, positions), x.dtype)
        groups = []
        for group, first in enumerate(range(0, n, size)):
            m = min(size, n - first)
            cols = store[group, :rows + bias, :m * positions]
            np.copyto(np.reshape(cols[:rows], (c_in, *self.kernel_size, m, *out),
                                 copy=False),
                      windows[first:first + m].transpose(order))
            if m == 1:
                np.matmul(w, cols, out=y[first])
            else:
                part = product[:, :m * positions]
                np.matmul(w, cols, out=part)
                np.copyto(y[first:first + m],
                          part.reshape(c_out, m, positions).swapaxes(0, 1))
            groups.append(cols)
        self.cols, self.x_shape, self._route = groups, x.shape, "grouped"
        self.out_shape = (n, c_out, *out)
        return y.reshape(self.out_shape)

    def _backward_grouped(self, dout):
        """The backward pass of :meth:`_forward_grouped`, one group of samples at a time.

        Per group, with the upstream gradient arranged like the group's columns,
        ``(C_out, m positions)``: the weight gradient is accumulated as its transpose,
        ``cols @ delta^T`` (the product OpenBLAS runs faster in this shape; the row of ones
        gives the bias gradient in the same product), and the input gradient is
        ``W_mat^T delta`` folded back with :func:`scratchdl.functional.fold`.
        """
        c_in, c_out = self.in_channels, self.out_channels
        out = self.out_shape[2:]
        positions = math.prod(out)
        rows = c_in * math.prod(self.kernel_size)
        w = self.weight.reshape(c_out, rows)
        size = self.cols[0].shape[1] // positions  # the first group is the largest
        grad_t = np.zeros((self.cols[0].shape[0], c_out), dout.dtype)
        step = np.empty_like(grad_t)
        delta_store = (self._work_array("delta", (c_out, size * positions), dout.dtype)
                       if size > 1 else None)
        dx = np.empty(self.x_shape, dout.dtype)
        first = 0
        for cols in self.cols:
            m = cols.shape[1] // positions  # samples in this group, as forward made it
            part = dout[first:first + m].swapaxes(0, 1)  # (C_out, m, *out), a view
            if m == 1:
                delta = dout[first].reshape(c_out, positions)
            else:
                delta = delta_store[:, :m * positions]
                np.copyto(np.reshape(delta, part.shape, copy=False), part)
            np.matmul(cols, delta.T, out=step)
            grad_t += step
            by_tap = (w.T @ delta).reshape(c_in, -1, m, *out)
            dx[first:first + m] = fold(
                lambda tap, by_tap=by_tap: by_tap[:, tap].swapaxes(0, 1),
                (m, *self.x_shape[1:]), self.kernel_size, self.stride, self.padding,
                self.dilation, dout.dtype)
            first += m
        self.grads["weight"] += grad_t[:rows].T.reshape(self.weight.shape)
        if self.bias is not None:
            self.grads["bias"] += grad_t[rows]
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
