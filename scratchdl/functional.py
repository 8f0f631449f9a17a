"""Stateless math shared by layers and losses: softmax, sigmoid, GELU and friends.

Every function here is written to be numerically stable, because the naive formulas fail
on exactly the inputs a network produces when training goes well (confident logits) or
badly (exploding activations):

* ``exp`` overflows float64 above 709 and float32 above 88, so softmax and log-sum-exp
  subtract the maximum first, and the sigmoid only ever exponentiates ``-|x|``.
* ``log(1 + exp(x))`` is computed as ``max(x, 0) + log1p(exp(-|x|))``.

The functions take NumPy float arrays (float32 or float64) and return arrays of the same
dtype. They accept infinities where the math is defined, because attention masks use
``-inf`` logits; layers validate their inputs before calling them.
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

from scratchdl._validation import check_float_array

__all__ = [
    "logsumexp",
    "softmax",
    "log_softmax",
    "sigmoid",
    "softplus",
    "erf",
    "normal_cdf",
    "normal_pdf",
    "gelu",
    "gelu_grad",
    "gelu_tanh",
    "gelu_tanh_grad",
    "conv_output_size",
    "sliding_windows",
    "im2col",
    "col2im",
    "fold",
]


def _check(x, owner):
    # NaN and inf pass through, as in NumPy: these are the maths, the layers check inputs.
    return check_float_array(x, "x", allow_nonfinite=True, owner=owner)


def _check_axis(x, axis, owner):
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{owner}: axis must be an int, got {axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{owner}: axis {axis} is out of range for x of shape {x.shape}")


def _shift(x, axis):
    """The maximum along ``axis`` (kept), replaced by 0 where it is not finite.

    Subtracting the maximum makes the largest exponent e^0 = 1. A slice that is entirely
    -inf (a fully masked attention row) would give -inf - (-inf) = nan, so it is shifted by
    0 instead.
    """
    m = np.max(x, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0).astype(x.dtype)


def logsumexp(x, axis=-1, keepdims=False):
    r"""Stable :math:`\log \sum_j e^{x_j}` along ``axis``.

    Uses :math:`\log \sum_j e^{x_j} = m + \log \sum_j e^{x_j - m}` with :math:`m = \max_j x_j`,
    so the largest exponent is :math:`e^0 = 1` and nothing overflows.

    Parameters
    ----------
    x : (..., C, ...) float array
    axis : int
        The axis to reduce.
    keepdims : bool
        Keep the reduced axis with length 1 (handy for broadcasting back against ``x``).

    Returns
    -------
    array
        ``x``'s shape without ``axis`` (or with length 1 there if ``keepdims``).
    """
    x = _check(x, "logsumexp")
    _check_axis(x, axis, "logsumexp")
    m = _shift(x, axis)
    with np.errstate(divide="ignore"):  # an all -inf slice: log(0) = -inf is the answer
        out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(x, axis=-1):
    r"""Stable softmax :math:`e^{x_i - m} / \sum_j e^{x_j - m}` along ``axis``.

    Parameters
    ----------
    x : (..., C) float array
        Logits.
    axis : int
        The axis that sums to one.

    Returns
    -------
    (..., C) array of probabilities, same shape and dtype as ``x``. A slice whose logits
    are all ``-inf`` gives NaN, as in PyTorch.
    """
    x = _check(x, "softmax")
    _check_axis(x, axis, "softmax")
    e = np.exp(x - _shift(x, axis))
    with np.errstate(invalid="ignore"):  # an all -inf slice gives 0/0 = nan, as in PyTorch
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    r"""Stable :math:`\log \operatorname{softmax}(x)_i = (x_i - m) - \log \sum_j e^{x_j - m}`.

    :math:`m = \max_j x_j`.

    Computing ``np.log(softmax(x))`` instead would give ``log(0) = -inf`` as soon as one
    probability underflows; this form stays finite for logits as large as ``1e4``.

    Parameters
    ----------
    x : (..., C) float array
    axis : int

    Returns
    -------
    (..., C) array, same shape and dtype as ``x``.
    """
    x = _check(x, "log_softmax")
    _check_axis(x, axis, "log_softmax")
    # Subtract the maximum before anything else: (x - m) is exact for the largest logits,
    # whereas x - logsumexp(x) would round logsumexp to the spacing of floats near x.
    shifted = x - _shift(x, axis)
    with np.errstate(divide="ignore", invalid="ignore"):  # all -inf slice: nan, as in PyTorch
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def sigmoid(x):
    r"""Logistic function :math:`\sigma(x) = 1 / (1 + e^{-x})` without overflow.

    With :math:`z = e^{-|x|} \in (0, 1]`,

    .. math::
        \sigma(x) = \frac{1}{1 + z} \ (x \ge 0), \qquad
        \sigma(x) = \frac{z}{1 + z} \ (x < 0),

    so the exponential never overflows, and each branch is accurate to a rounding error
    (no cancellation), for any ``x``.

    Parameters
    ----------
    x : float array, any shape

    Returns
    -------
    array of values in [0, 1], same shape and dtype as ``x``.
    """
    x = _check(x, "sigmoid")
    # Both branches in one expression (np.where costs as much as the exponentials, and
    # the LSTM calls this at every step): the numerator e^{min(x, 0)} is 1 for x >= 0 and
    # z for x < 0, so the result is bitwise the two-branch formula above.
    return np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))


def softplus(x):
    r"""Stable :math:`\log(1 + e^{x}) = \max(x, 0) + \log(1 + e^{-|x|})`.

    Parameters
    ----------
    x : float array, any shape

    Returns
    -------
    array, same shape and dtype as ``x``.
    """
    x = _check(x, "softplus")
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


# NumPy has no erf. The standard library's math.erf and math.erfc are accurate to about
# one unit in the last place; frompyfunc applies them element by element. That is slower
# than a vectorized formula (about 0.1 s per million values), but exact, which is what a
# reference implementation needs.
_erf_elementwise = np.frompyfunc(math.erf, 1, 1)
_erfc_elementwise = np.frompyfunc(math.erfc, 1, 1)


def erf(x):
    r"""The error function :math:`\operatorname{erf}(x) = \frac{2}{\sqrt\pi}\int_0^x e^{-t^2}dt`.

    Parameters
    ----------
    x : float array, any shape

    Returns
    -------
    array, same shape and dtype as ``x``.
    """
    x = _check(x, "erf")
    return np.asarray(_erf_elementwise(x), dtype=x.dtype)


def normal_cdf(x):
    r"""Standard normal CDF :math:`\Phi(x) = \frac12\left(1 + \operatorname{erf}(x/\sqrt2)\right)`.

    Computed as :math:`\frac12 \operatorname{erfc}(-x/\sqrt2)`, which is the same function
    but keeps full relative accuracy in the left tail, where :math:`1 + \operatorname{erf}`
    would cancel to a few correct digits (at :math:`x = -8`, :math:`\Phi \approx 6 \cdot
    10^{-16}`).

    Parameters
    ----------
    x : float array, any shape

    Returns
    -------
    array of values in [0, 1], same shape and dtype as ``x``.
    """
    x = _check(x, "normal_cdf")
    return 0.5 * np.asarray(_erfc_elementwise(-x / math.sqrt(2)), dtype=x.dtype)


def normal_pdf(x):
    r"""Standard normal density :math:`\varphi(x) = e^{-x^2/2} / \sqrt{2\pi}`.

    Parameters
    ----------
    x : float array, any shape

    Returns
    -------
    array, same shape and dtype as ``x``.
    """
    x = _check(x, "normal_pdf")
    return np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)


def gelu(x):
    r"""Gaussian error linear unit :math:`x \Phi(x)`, exact (erf) form.

    :math:`\Phi` is the standard normal CDF, :func:`normal_cdf` (Hendrycks and Gimpel,
    2016). This is PyTorch's ``GELU(approximate='none')``.

    Parameters
    ----------
    x : float array, any shape

    Returns
    -------
    array, same shape and dtype as ``x``.
    """
    x = _check(x, "gelu")
    return x * normal_cdf(x)


def gelu_grad(x):
    r"""Derivative of :func:`gelu`: :math:`\Phi(x) + x \varphi(x)`.

    Parameters
    ----------
    x : float array, any shape

    Returns
    -------
    array, same shape and dtype as ``x``.
    """
    x = _check(x, "gelu_grad")
    return normal_cdf(x) + x * normal_pdf(x)


# The constants of the tanh approximation, as in the GELU paper and PyTorch.
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_KAPPA = 0.044715


def gelu_tanh(x):
    r"""GELU's tanh approximation :math:`\frac x2 \left(1 + \tanh u\right)`.

    with :math:`u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)`. This is PyTorch's
    ``GELU(approximate='tanh')`` (used by GPT-2).

    Parameters
    ----------
    x : float array, any shape

    Returns
    -------
    array, same shape and dtype as ``x``.
    """
    x = _check(x, "gelu_tanh")
    # x * x * x rather than x**3: NumPy's float32 power is about 10 times slower
    u = _SQRT_2_OVER_PI * (x + _KAPPA * (x * x * x))
    return 0.5 * x * (1 + np.tanh(u))


def gelu_tanh_grad(x):
    r"""Derivative of :func:`gelu_tanh`.

    .. math::
        \frac12 (1 + \tanh u)
        + \frac x2 (1 - \tanh^2 u)\, \sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\, x^2)

    Parameters
    ----------
    x : float array, any shape

    Returns
    -------
    array, same shape and dtype as ``x``.
    """
    x = _check(x, "gelu_tanh_grad")
    x2 = x * x  # products rather than powers: NumPy's float32 power is slow
    t = np.tanh(_SQRT_2_OVER_PI * (x + _KAPPA * x2 * x))
    du_dx = _SQRT_2_OVER_PI * (1 + 3 * _KAPPA * x2)
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du_dx


# -- sliding windows: the im2col trick behind convolution and pooling ---------------------
# These work for any number of spatial axes (1 for Conv1d, 2 for Conv2d): x is
# (N, C, *spatial) and every tuple argument has one entry per spatial axis.


def _check_window_ints(owner, **values):
    """Each value an int (not bool): ``kernel_size``, ``stride``, ``dilation`` >= 1, others >= 0."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{owner}: {name} must be an int, got {value!r}")
        low = 1 if name in ("kernel_size", "stride", "dilation") else 0
        if value < low:
            raise ValueError(f"{owner}: {name} must be >= {low}, got {value!r}")


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    r"""Length of a convolution's or pooling's output along one axis.

    .. math::
        W_{out} = \left\lfloor \frac{W + 2P - d(k - 1) - 1}{s} \right\rfloor + 1

    A dilated kernel spans :math:`d(k-1)+1` inputs; it fits
    :math:`\lfloor (W + 2P - \text{span}) / s \rfloor + 1` times. Inputs past the last
    full window are never read (the window does not have to tile the input). A kernel
    wider than the padded input fits nowhere: that raises ``ValueError`` rather than
    returning a size below 1.
    """
    _check_window_ints("conv_output_size", size=size, kernel_size=kernel_size,
                       stride=stride, padding=padding, dilation=dilation)
    span = dilation * (kernel_size - 1) + 1
    if span > size + 2 * padding:
        raise ValueError(
            f"conv_output_size: the kernel spans {span} inputs (kernel_size={kernel_size}, "
            f"dilation={dilation}) but the padded input has only {size + 2 * padding} "
            f"(size={size}, padding={padding}); no window fits"
        )
    return (size + 2 * padding - span) // stride + 1


def sliding_windows(x, kernel_size, stride, dilation):
    """A read-only *view* of every window of an already padded ``x``, no copy.

    Parameters
    ----------
    x : (N, C, *spatial) array
    kernel_size, stride, dilation : tuple of int, one per spatial axis

    Returns
    -------
    (N, C, *out, *kernel_size) view: ``windows[n, c, i, j, a, b]`` is
    ``x[n, c, i*s + a*d, j*s + b*d]`` (for two spatial axes).
    """
    nd = len(kernel_size)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation, strict=True))
    axes = tuple(range(2, 2 + nd))
    windows = np.lib.stride_tricks.sliding_window_view(x, span, axis=axes)
    # Keep every s-th window start and every d-th element inside a window: strides only.
    starts = tuple(slice(None, None, s) for s in stride)
    taps = tuple(slice(None, None, d) for d in dilation)
    return windows[(slice(None), slice(None)) + starts + taps]


def im2col(x, kernel_size, stride, padding, dilation):
    r"""Unfold ``x`` into columns: a convolution becomes one matrix product per sample.

    Parameters
    ----------
    x : (N, C, *spatial) array
    kernel_size, stride, padding, dilation : tuple of int, one per spatial axis

    Returns
    -------
    (N, C * prod(kernel_size), prod(out)) array
        Column :math:`q` of sample :math:`n` holds the :math:`C k_h k_w` inputs the
        kernel sees at output position :math:`q`, ordered like a weight
        ``(C_out, C, k_h, k_w)`` flattened, so ``W.reshape(C_out, -1) @ cols`` is the
        whole batch's convolution, ``(N, C_out, prod(out))``.
    """
    nd = len(kernel_size)
    _check_windows_fit("im2col", x.shape, kernel_size, padding, dilation)
    x = pad_spatial(x, padding) if any(padding) else x
    windows = sliding_windows(x, kernel_size, stride, dilation)  # (N, C, *out, *k)
    n, c, out = x.shape[0], x.shape[1], windows.shape[2:2 + nd]
    # To (N, C, *k, *out): one copy, then rows (c, tap) and columns (positions) per
    # sample.
    order = (0, 1) + tuple(range(2 + nd, 2 + 2 * nd)) + tuple(range(2, 2 + nd))
    return windows.transpose(order).reshape(n, c * math.prod(kernel_size),
                                            math.prod(out))


def pad_spatial(x, padding, fill=0):
    """``x`` (N, C, *spatial) with ``padding[a]`` values ``fill`` on both sides of axis a.

    The same as ``np.pad(x, ..., constant_values=fill)`` on the spatial axes, written as
    one allocation and one copy because ``np.pad``'s generality costs more than the copy
    on the small arrays of a training step.
    """
    spatial = x.shape[2:]
    out = np.full((*x.shape[:2], *(n + 2 * p for n, p in zip(spatial, padding, strict=True))),
                  fill, dtype=x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in
                                           zip(padding, spatial, strict=True))] = x
    return out


def _check_windows_fit(owner, shape, kernel_size, padding, dilation):
    """Raise ``ValueError`` if the (dilated) kernel is larger than the padded input."""
    spatial = tuple(shape[2:])
    if len(spatial) != len(kernel_size):
        raise ValueError(f"{owner}: x must have {len(kernel_size) + 2} dimensions "
                         f"(N, C, *spatial) for a {len(kernel_size)}-D kernel, got shape {shape}")
    padded = tuple(n + 2 * p for n, p in zip(spatial, padding, strict=True))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation, strict=True))
    if any(s > n for s, n in zip(span, padded, strict=True)):
        raise ValueError(f"{owner}: the kernel spans {span} (dilation included) but the "
                         f"padded input is only {padded} (x of shape {shape}); no window fits")


def fold(piece, shape, kernel_size, stride, padding, dilation, dtype):
    """Send every window's values back to the inputs they came from, *adding* overlaps.

    The adjoint of reading windows (:func:`sliding_windows` after padding): input
    element ``u`` receives the sum, over the windows ``q`` that contain it, of what
    ``q`` sends back from the kernel tap that read ``u``. The loop runs over the
    kernel taps (9 for a 3x3 kernel), never over samples or positions: tap ``offset``
    of window ``q`` read padded position ``q * s + offset * d``, so all windows'
    values for that tap are added onto one strided slice at once. Shared by
    :func:`col2im` and the pooling layers.

    Parameters
    ----------
    piece : callable
        ``piece(tap)`` returns an ``(A, B, *out)`` array: what every window sends back
        from kernel tap number ``tap`` (taps counted in row-major order, like a
        flattened kernel).
    shape : tuple
        ``(A, B, *spatial)``, the shape of the unpadded result.
    kernel_size, stride, padding, dilation : tuple of int, one per spatial axis
    dtype : numpy dtype of the result

    Returns
    -------
    (A, B, *spatial) array
    """
    spatial = shape[2:]
    padded = [size + 2 * p for size, p in zip(spatial, padding, strict=True)]
    result = np.zeros((*shape[:2], *padded), dtype=dtype)
    for tap, offset in enumerate(itertools.product(*(range(k) for k in kernel_size))):
        values = piece(tap)
        target = tuple(slice(o * d, o * d + s * (m - 1) + 1, s) for o, d, s, m in
                       zip(offset, dilation, stride, values.shape[2:], strict=True))
        result[(slice(None), slice(None)) + target] += values
    crop = tuple(slice(p, p + size) for p, size in zip(padding, spatial, strict=True))
    return result[(slice(None), slice(None)) + crop]


def col2im(cols, x_shape, kernel_size, stride, padding, dilation):
    """Fold columns back, *adding* overlapping entries: the adjoint of :func:`im2col`.

    Every input element receives the sum of the column entries that copied it, which is
    exactly the chain rule for the gradient with respect to the input.
    :func:`~scratchdl.functional.fold` does the adding, one kernel tap at a time.

    Parameters
    ----------
    cols : (N, C * prod(kernel_size), prod(out)) array
    x_shape : tuple
        ``(N, C, *spatial)``, the shape of the unpadded input.
    kernel_size, stride, padding, dilation : tuple of int, one per spatial axis

    Returns
    -------
    (N, C, *spatial) array
    """
    n, c, *spatial = x_shape
    out = [conv_output_size(size, k, s, p, d) for size, k, s, p, d in
           zip(spatial, kernel_size, stride, padding, dilation, strict=True)]
    # Row (c, tap) of sample n's columns, column q: what tap `tap` of window q read.
    by_tap = cols.reshape(n, c, math.prod(kernel_size), *out)
    dx = fold(lambda tap: by_tap[:, :, tap], x_shape, kernel_size, stride, padding,
              dilation, cols.dtype)
    return np.ascontiguousarray(dx)
