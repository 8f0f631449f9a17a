"""Input checks shared by the layers' forward and backward passes.

Each layer calls one of these on its first line, so the math that follows can assume a
well-formed array; messages start with the layer as written, e.g. ``Linear(64, 32): ...``.
They only read: a rejected input leaves every cache, parameter and buffer as it was.
"""

from __future__ import annotations

import numpy as np

from scratchdl._validation import FLOAT_DTYPES, check_float_array


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
