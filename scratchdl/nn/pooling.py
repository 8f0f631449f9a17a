"""Pooling layers: max and average over sliding windows, and global average pooling.

The windows are a strided view of the input (:func:`scratchdl.functional.sliding_windows`),
so the forward pass is one reduction. The backward pass sends each output's gradient back
to the inputs of its window (all of them for the average, the arg-max for the maximum),
looping over the few kernel offsets, never over pixels or samples.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from scratchdl.functional import fold, pad_spatial, sliding_windows
from scratchdl.nn._checks import as_tuple, check_dout, check_spatial_input
from scratchdl.nn.module import Module


class _PoolNd(Module):
    """Shared machinery of the pooling layers; ``_nd`` is the number of spatial axes."""

    _nd = 0

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        owner = type(self).__name__
        nd = self._nd
        self.kernel_size = as_tuple(kernel_size, nd, "kernel_size", owner, 1)
        # PyTorch's default stride is the kernel size: windows side by side.
        self.stride = self.kernel_size if stride is None else as_tuple(
            stride, nd, "stride", owner, 1)
        self.padding = as_tuple(padding, nd, "padding", owner, 0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size, strict=True)):
            raise ValueError(f"{owner}: padding should be at most half of kernel_size, got "
                             f"padding={padding!r} and kernel_size={kernel_size!r}")
        self.x_shape = self.out_shape = self.dtype_ = None
        # The package writes the backward pass without a fold when the windows tile the
        # input (``_spread``); tests check both give the same numbers.
        self._fast = True

    def _windows(self, x, fill):
        """Check ``x``, pad it with ``fill`` and return its (N, C, *out, *k) windows."""
        check_spatial_input(self, x, None, None, self.kernel_size, self.padding,
                            (1,) * self._nd)
        padded = pad_spatial(x, self.padding, fill) if any(self.padding) else x
        windows = sliding_windows(padded, self.kernel_size, self.stride, (1,) * self._nd)
        self.x_shape, self.dtype_ = x.shape, x.dtype
        self.out_shape = windows.shape[:2 + self._nd]
        return windows

    def _fold(self, piece):
        """Add ``piece(tap)`` (an (N, C, *out) array per kernel tap) back onto the input."""
        return fold(piece, self.x_shape, self.kernel_size, self.stride, self.padding,
                    (1,) * self._nd, self.dtype_)

    def _tiles(self):
        """Whether the windows tile the input: no padding and a stride equal to the kernel
        (PyTorch's default), so every input element lies in at most one window."""
        return not any(self.padding) and self.stride == self.kernel_size

    def _spread(self, write):
        """The backward pass's fold for windows that tile the input (:meth:`_tiles`).

        An input element then receives from one window at most, so nothing needs adding:
        the result is viewed as (N, C, out_1, k_1, out_2, k_2, ...) and ``write(tap,
        target)`` fills ``target``, the (N, C, *out) slice that kernel tap ``tap`` read,
        straight from what the windows send back. Elements past the last window (when a
        size is not a multiple of the kernel) get zero. For 2x2 max pooling of
        ``benchmarks/bench_conv.py``'s (64, 32, 28, 28) input, 1.5 ms against 7 ms for the
        fold, which fills zeros and adds a freshly allocated array per tap.
        """
        n, c, *spatial = self.x_shape
        out = self.out_shape[2:]
        dx = np.empty(self.x_shape, self.dtype_)
        for axis, (size, o, k) in enumerate(zip(spatial, out, self.kernel_size,
                                                strict=True)):
            if o * k < size:  # inputs no window reads
                dx[(slice(None),) * (2 + axis) + (slice(o * k, None),)] = 0
        covered = dx[(slice(None), slice(None)) + tuple(
            slice(0, o * k) for o, k in zip(out, self.kernel_size, strict=True))]
        blocks = np.reshape(covered, (n, c, *itertools.chain.from_iterable(
            zip(out, self.kernel_size, strict=True))), copy=False)
        for tap, offset in enumerate(itertools.product(*(range(k) for k in self.kernel_size))):
            write(tap, blocks[(slice(None), slice(None)) + tuple(itertools.chain.from_iterable(
                (slice(None), a) for a in offset))])
        return dx

    def extra_repr(self):
        def show(t):
            return str(t[0]) if self._nd == 1 else str(t)
        text = f"kernel_size={show(self.kernel_size)}, stride={show(self.stride)}"
        return text + (f", padding={show(self.padding)}" if any(self.padding) else "")


class _MaxPoolNd(_PoolNd):
    def forward(self, x):
        """Maximum of each window.

        Parameters
        ----------
        x : (N, C, *spatial) array

        Returns
        -------
        (N, C, *out) array
        """
        windows = self._windows(x, fill=-np.inf)  # padding never wins the maximum
        # One pass per kernel tap over all windows at once (a strided slice each), keeping
        # the largest value so far and the tap that held it. A strictly larger value
        # replaces it, so the first maximum in scan order wins, as in PyTorch. Taps come
        # in increasing order, so the tap holding the maximum is the last one that was
        # strictly larger: the largest of tap * larger (a maximum, much faster than a
        # masked copy).
        offsets = list(itertools.product(*(range(k) for k in self.kernel_size)))
        best = windows[(Ellipsis, *offsets[0])].copy()
        index = np.min_scalar_type(len(offsets) - 1).type
        self.argmax = np.zeros(best.shape, dtype=index)
        larger = np.empty(best.shape, dtype=bool)
        for tap, offset in enumerate(offsets[1:], start=1):
            candidate = windows[(Ellipsis, *offset)]
            np.greater(candidate, best, out=larger)
            np.maximum(best, candidate, out=best)
            np.maximum(self.argmax, larger * index(tap), out=self.argmax)
        return best

    def backward(self, dout):
        r"""Route each gradient to its window's maximum: :math:`d\mathcal{L}/dx_r =
        \sum_{q:\, r = \arg\max \mathcal{W}_q} \delta_q`.

        Parameters
        ----------
        dout : (N, C, *out) array

        Returns
        -------
        (N, C, *spatial) array
        """
        check_dout(self, dout, self.out_shape, self.dtype_)
        if self._fast and self._tiles():  # the same numbers, written without a fold
            return self._backward_tiles(dout)
        # Forward stored, per window, which tap held the maximum (taps counted like a
        # flattened kernel); tap `tap` of each window passes dout back where it won.
        return self._fold(lambda tap: np.where(self.argmax == tap, dout, 0))

    def _backward_tiles(self, dout):
        """:meth:`backward` for windows that tile the input (``_spread``): each tap's
        slice of the result is ``dout`` times "this tap won", two passes and no
        allocation per tap (``dout`` is finite, so a loser's product is zero)."""
        won = np.empty(dout.shape, dtype=bool)

        def write(tap, target):
            np.equal(self.argmax, tap, out=won)
            np.multiply(dout, won, out=target)

        return self._spread(write)


class _AvgPoolNd(_PoolNd):
    def forward(self, x):
        """Mean of each window (zero padding counted, as PyTorch's default).

        Parameters
        ----------
        x : (N, C, *spatial) array

        Returns
        -------
        (N, C, *out) array
        """
        windows = self._windows(x, fill=0)
        # Summed one kernel tap at a time (a strided slice each), then divided once.
        offsets = itertools.product(*(range(k) for k in self.kernel_size))
        total = windows[(Ellipsis, *next(offsets))].copy()
        for offset in offsets:
            total += windows[(Ellipsis, *offset)]
        total /= math.prod(self.kernel_size)
        return total

    def backward(self, dout):
        r"""Every input of a window gets :math:`1/|W|` of its gradient.

        Parameters
        ----------
        dout : (N, C, *out) array

        Returns
        -------
        (N, C, *spatial) array
        """
        check_dout(self, dout, self.out_shape, self.dtype_)
        share = dout / math.prod(self.kernel_size)
        if self._fast and self._tiles():  # the same numbers, written without a fold
            return self._spread(lambda tap, target: np.copyto(target, share))
        return self._fold(lambda tap: share)


class MaxPool1d(_MaxPoolNd):
    r"""Maximum over windows of a sequence, as ``torch.nn.MaxPool1d``.

    Parameters
    ----------
    kernel_size : int
    stride : int or None
        Defaults to ``kernel_size``.
    padding : int
        Implicit :math:`-\infty` added at both ends, at most ``kernel_size // 2``.

    Notes
    -----
    Shapes: (N, C, W) to (N, C, W_out) for a signal of length W, with
    :math:`W_{out} = \lfloor (W + 2P - k)/s \rfloor + 1` (P the padding); inputs past the
    last full window are dropped (PyTorch's ``ceil_mode=False``).
    """

    _nd = 1


class MaxPool2d(_MaxPoolNd):
    r"""Maximum over windows of an image, as ``torch.nn.MaxPool2d``.

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int or (int, int) or None
        Defaults to ``kernel_size``.
    padding : int or (int, int)
        Implicit :math:`-\infty` on every side, at most half the kernel.

    Notes
    -----
    Shapes: (N, C, H, W) to (N, C, H_out, W_out), each by
    :func:`scratchdl.functional.conv_output_size` (``ceil_mode=False``).

    Examples
    --------
    >>> import numpy as np
    >>> MaxPool2d(2)(np.ones((1, 3, 7, 7))).shape
    (1, 3, 3, 3)
    """

    _nd = 2


class AvgPool1d(_AvgPoolNd):
    r"""Mean over windows of a sequence, as ``torch.nn.AvgPool1d`` (defaults).

    Parameters are those of :class:`MaxPool1d`; zero padding counts in the mean
    (PyTorch's ``count_include_pad=True``).
    """

    _nd = 1


class AvgPool2d(_AvgPoolNd):
    r"""Mean over windows of an image, as ``torch.nn.AvgPool2d`` (defaults).

    Parameters are those of :class:`MaxPool2d`; zero padding counts in the mean
    (PyTorch's ``count_include_pad=True``).
    """

    _nd = 2


class _GlobalAvgPoolNd(Module):
    _nd = 0

    def __init__(self):
        super().__init__()
        self.x_shape = self.dtype_ = None

    def forward(self, x):
        """Mean over all spatial positions of each channel.

        Parameters
        ----------
        x : (N, C, *spatial) array

        Returns
        -------
        (N, C, 1, ...) array, one singleton axis per spatial axis.
        """
        check_spatial_input(self, x, None, None, (1,) * self._nd, (0,) * self._nd,
                            (1,) * self._nd)
        self.x_shape, self.dtype_ = x.shape, x.dtype
        return x.mean(axis=tuple(range(2, 2 + self._nd)), keepdims=True)

    def backward(self, dout):
        r""":math:`dL/dx_{n,c,i} = dL/dy_{n,c} / P` for :math:`P` positions.

        Parameters
        ----------
        dout : (N, C, 1, ...) array

        Returns
        -------
        (N, C, *spatial) array
        """
        out = None if self.x_shape is None else (*self.x_shape[:2], *(1,) * self._nd)
        check_dout(self, dout, out, self.dtype_)
        positions = math.prod(self.x_shape[2:])
        return np.broadcast_to(dout / positions, self.x_shape).copy()


class GlobalAvgPool1d(_GlobalAvgPoolNd):
    """Average each channel over the whole sequence: (N, C, W) to (N, C, 1).

    The same as ``torch.nn.AdaptiveAvgPool1d(1)``; follow it with
    :class:`~scratchdl.nn.flatten.Flatten` to get (N, C) features whose size does not
    depend on the input length.
    """

    _nd = 1


class GlobalAvgPool2d(_GlobalAvgPoolNd):
    """Average each channel over the whole image: (N, C, H, W) to (N, C, 1, 1).

    The same as ``torch.nn.AdaptiveAvgPool2d(1)`` (or ``(1, 1)``); follow it with
    :class:`~scratchdl.nn.flatten.Flatten` to get (N, C) features.
    """

    _nd = 2
