"""Input checks shared by the layers' forward and backward passes.

Each layer calls one of these on its first line, so the math that follows can assume a
well-formed array; messages start with the layer as written, e.g. ``Linear(64, 32): ...``.
They only read: a rejected input leaves every cache, parameter and buffer as it was.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from scratchdl._validation import (
    FLOAT_DTYPES,
    MAX_ELEMENTS,
    check_allocation,
    check_float_array,
)


def describe(module) -> str:
    """The layer as a constructor call, e.g. ``"Linear(64, 32)"``, used in messages."""
    return f"{type(module).__name__}({module.extra_repr()})"


def check_input(module, x, *, features=None, exact_ndim=None, dtype=None):
    """Check a forward input: float array, finite, the module's dtype and feature size.

    Parameters
    ----------
    module : Module
        The layer, named in messages.
    x : array
        The input.
    features : int, optional
        Required size of the last axis (``in_features``, ``num_features``).
    exact_ndim : {None, 2}
        2 requires exactly ``(N, features)``; otherwise any ``(N, ..., features)`` passes.
    dtype : numpy dtype, optional
        The parameters' dtype, which the input must share.
    """
    # The common case, a well-formed input, is decided without building any message.
    if (isinstance(x, np.ndarray) and x.dtype in FLOAT_DTYPES
            and (dtype is None or x.dtype == dtype)
            and ((x.ndim == 2 and x.shape[-1] == features) if exact_ndim == 2 else
                 (features is None or (x.ndim >= 2 and x.shape[-1] == features)))
            and np.isfinite(x).all()):
        return x
    owner = describe(module)
    check_float_array(x, "x", dtype=dtype, allow_nonfinite=True, owner=owner)
    if exact_ndim == 2:
        if x.ndim != 2 or x.shape[-1] != features:
            raise ValueError(f"{owner}: x must have shape (N, {features}), got {x.shape}")
    elif features is not None and (x.ndim < 2 or x.shape[-1] != features):
        raise ValueError(
            f"{owner}: x must have shape (N, {features}) or (N, ..., {features}), "
            f"got {x.shape}"
        )
    # Finiteness last: a wrong shape is the more useful message, and this scan the costliest.
    return check_float_array(x, "x", owner=owner)


def check_dout(module, dout, shape, dtype):
    """Check a backward input against the shape and dtype of the last forward output.

    Parameters
    ----------
    module : Module
        The layer, named in messages.
    dout : array
        Gradient of the loss with respect to the layer's output.
    shape : tuple of int or None
        Shape of the last forward output; ``None`` means forward has not run.
    dtype : numpy dtype or None
        dtype of the last forward output.
    """
    if (shape is not None and isinstance(dout, np.ndarray) and dout.dtype == dtype
            and dout.shape == tuple(shape) and np.isfinite(dout).all()):
        return dout  # the common case, decided without building any message
    owner = describe(module)
    if shape is None:
        raise RuntimeError(f"{owner}: backward() called before forward(); run forward first")
    check_float_array(dout, "dout", owner=owner)
    if dout.dtype != dtype:
        raise TypeError(
            f"{owner}: dout has dtype {dout.dtype} but the forward pass ran in {np.dtype(dtype)}"
        )
    if dout.shape != tuple(shape):
        raise ValueError(
            f"{owner}: dout must have the output's shape {tuple(shape)}, got {dout.shape}"
        )
    return dout


def spec(cached, features=None):
    """``(shape, dtype)`` of an array forward cached, for :func:`check_dout`.

    ``(None, None)`` before forward has run. With ``features`` the last axis is replaced
    (a Linear layer caches its input; its output has ``out_features`` last).
    """
    if cached is None:
        return None, None
    shape = cached.shape if features is None else (*cached.shape[:-1], features)
    return shape, cached.dtype


def check_dtype(dtype, owner: str):
    """Check a layer's ``dtype`` argument: float32 or float64."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{owner}: dtype must be float32 or float64, got {dtype!r}") from None
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"{owner}: dtype must be float32 or float64, got {dtype}")
    return dtype


# -- spatial layers: convolution, transposed convolution, pooling ---------------------------

def as_tuple(value, n, name, owner, low):
    """An int or a length-``n`` tuple of ints, each ``>= low``, as a tuple.

    For the constructor arguments of spatial layers (``kernel_size=3`` means ``(3, 3)`` in
    2-D); ``owner`` is the class name used in messages.
    """
    values = (value,) * n if isinstance(value, numbers.Integral) else value
    if (not isinstance(values, tuple | list) or len(values) != n
            or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                       for v in values)):
        raise TypeError(f"{owner}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < low for v in values):
        raise ValueError(f"{owner}: {name} must be >= {low}, got {value!r}")
    return tuple(int(v) for v in values)


def _spatial_allocation(shape, kernel_size, padding):
    """Elements of a padded input plus one copy per kernel tap: what im2col may allocate."""
    padded = math.prod(n + 2 * p for n, p in zip(shape[2:], padding, strict=True))
    return shape[0] * shape[1] * (1 + math.prod(kernel_size)) * padded


def check_spatial_input(module, x, channels, dtype, kernel_size, padding, dilation):
    """Check a ``(N, C, *spatial)`` input of a convolution or pooling layer.

    Rank, channels, "the (dilated) kernel fits into the padded input" and the size of
    what the layer is about to allocate (the padded input and, at most, one copy of it per
    kernel tap) are checked before finiteness, which is the costliest scan. Returns the
    kernel's span per axis.
    """
    nd = len(kernel_size)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation, strict=True))
    # The common case, a well-formed input, is decided without building any message.
    if (isinstance(x, np.ndarray) and x.dtype in FLOAT_DTYPES
            and (dtype is None or x.dtype == dtype) and x.ndim == nd + 2
            and (channels is None or x.shape[1] == channels)
            and all(s <= n + 2 * p for s, n, p in zip(span, x.shape[2:], padding, strict=True))
            and _spatial_allocation(x.shape, kernel_size, padding) <= MAX_ELEMENTS
            and np.isfinite(x).all()):
        return span
    owner = describe(module)
    check_float_array(x, "x", dtype=dtype, allow_nonfinite=True, owner=owner)
    layout = "(N, C, L)" if nd == 1 else "(N, C, H, W)"
    if x.ndim != nd + 2:
        raise ValueError(f"{owner}: x must have {nd + 2} dimensions {layout}, got shape {x.shape}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{owner}: x must have {channels} channels (axis 1), got shape {x.shape}")
    padded = tuple(size + 2 * p for size, p in zip(x.shape[2:], padding, strict=True))
    if any(s > p for s, p in zip(span, padded, strict=True)):
        raise ValueError(
            f"{owner}: the kernel spans {span} (dilation included) but the padded input is "
            f"only {padded} (x of shape {x.shape}); use a larger input or more padding"
        )
    if _spatial_allocation(x.shape, kernel_size, padding) > MAX_ELEMENTS:
        check_allocation((x.shape[0], x.shape[1] * (1 + math.prod(kernel_size)), *padded),
                         x.dtype, owner=owner, what="the padded input and its columns")
    check_float_array(x, "x", owner=owner)
    return span
