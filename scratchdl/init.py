"""Weight initialization, with ``torch.nn.init``'s names, fans and formulas.

Each function fills an array **in place** and returns it, so a layer's parameters keep
their identity (optimizers hold references to them). Randomness comes from ``rng``
(a ``np.random.Generator`` or a seed), never from global state.

The scale of the initial weights decides whether signals and gradients keep their size
through a deep network. For a weight of shape ``(out_features, in_features)``:

* Xavier/Glorot (2010) keeps the variance of activations *and* gradients when the
  activation is roughly linear near 0: :math:`\\operatorname{Var} w = 2 / (n_{in} + n_{out})`.
* Kaiming/He (2015) accounts for ReLU zeroing half its inputs:
  :math:`\\operatorname{Var} w = 2 / n_{in}`; in general ``gain**2 / fan``.

A uniform distribution :math:`U(-b, b)` has variance :math:`b^2/3`, hence the
:math:`\\sqrt 3` between the uniform bounds and the normal standard deviations below.
"""

from __future__ import annotations

import math

import numpy as np

from scratchdl._validation import check_float_array, check_number, check_rng, check_writeable

__all__ = [
    "calculate_gain",
    "calculate_fan_in_and_fan_out",
    "uniform_",
    "normal_",
    "zeros_",
    "ones_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "default_bound",
]

_LINEAR_LIKE = (
    "linear", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid",
)


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The factor by which to scale the weights' standard deviation for a nonlinearity.

    ============================  =================================
    nonlinearity                  gain
    ============================  =================================
    linear, conv*, sigmoid        1
    tanh                          5/3
    relu                          sqrt(2)
    leaky_relu                    sqrt(2 / (1 + negative_slope**2))
    selu                          3/4
    ============================  =================================

    Parameters
    ----------
    nonlinearity : str
        One of the names above (PyTorch's).
    param : float, optional
        The negative slope for ``"leaky_relu"`` (default 0.01).
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else check_number(param, "param (negative slope)",
                                                        owner="calculate_gain")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
        f"{', '.join(_LINEAR_LIKE + ('tanh', 'relu', 'leaky_relu', 'selu'))}"
    )


def default_bound(fan_in: int) -> float:
    r"""The bound :math:`b = 1/\sqrt{\text{fan\_in}}` of PyTorch's default initialization.

    ``torch.nn.Linear``, the convolutions and the recurrent layers draw their weights
    *and* biases from :math:`U(-b, b)`. For the weights PyTorch writes this as
    ``kaiming_uniform_(w, a=sqrt(5))``: the leaky-ReLU gain
    :math:`\sqrt{2 / (1 + a^2)} = \sqrt{1/3}` times :math:`\sqrt{3 / \text{fan\_in}}`
    is exactly :math:`1/\sqrt{\text{fan\_in}}`. The output's scale then does not grow
    with the number of inputs. Recurrent layers use ``fan_in = hidden_size``.

    Parameters
    ----------
    fan_in : int >= 1
        Inputs per output unit: ``in_features``, or ``in_channels * prod(kernel_size)``.
    """
    fan_in = check_number(fan_in, "fan_in", low=1, integer=True, owner="default_bound")
    return 1.0 / math.sqrt(fan_in)


def calculate_fan_in_and_fan_out(array) -> tuple[int, int]:
    """Fan-in and fan-out of a weight array, computed as PyTorch does.

    ``shape[1]`` is the number of inputs and ``shape[0]`` the number of outputs; further
    axes (a convolution's kernel) multiply both. So a Linear weight ``(out, in)`` has
    ``fan_in = in`` and a Conv2d weight ``(out, in, kh, kw)`` has ``fan_in = in * kh * kw``.

    Parameters
    ----------
    array : array with at least 2 dimensions

    Returns
    -------
    (fan_in, fan_out) : tuple of int
    """
    return _fans(array, "calculate_fan_in_and_fan_out")


def _fans(array, function):
    shape = np.shape(array)
    if len(shape) < 2:
        raise ValueError(
            f"{function}: fan in and fan out need an array with at least 2 dimensions, "
            f"e.g. a weight (out_features, in_features), got shape {shape}"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _check_target(array, function):
    # Non-finite values are fine: they are about to be overwritten.
    check_float_array(array, "array", allow_nonfinite=True, owner=function)
    check_writeable(array, "array", owner=function)
    return array


def _fan(array, mode, function):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{function}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(array, function)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(array, a=0.0, b=1.0, *, rng=None):
    """Fill ``array`` with samples from U(a, b), in place.

    Parameters
    ----------
    array : float array, any shape
    a, b : float
        Bounds, ``a <= b``.
    rng : numpy.random.Generator or int or None

    Returns
    -------
    array
        The same array, filled.
    """
    array = _check_target(array, "uniform_")
    a = check_number(a, "a", owner="uniform_")
    b = check_number(b, "b", low=a, owner="uniform_")
    if not math.isfinite(b - a):
        raise ValueError(f"uniform_: the width b - a overflows (a={a!r}, b={b!r})")
    rng = check_rng(rng)
    array[...] = rng.uniform(a, b, size=array.shape)
    return array


def normal_(array, mean=0.0, std=1.0, *, rng=None):
    """Fill ``array`` with samples from N(mean, std**2), in place.

    Parameters
    ----------
    array : float array, any shape
    mean : float
    std : float, >= 0
    rng : numpy.random.Generator or int or None

    Returns
    -------
    array
        The same array, filled.
    """
    array = _check_target(array, "normal_")
    mean = check_number(mean, "mean", owner="normal_")
    std = check_number(std, "std", low=0, owner="normal_")
    rng = check_rng(rng)
    array[...] = rng.normal(mean, std, size=array.shape)
    return array


def zeros_(array):
    """Fill ``array`` with zeros, in place, and return it."""
    array = _check_target(array, "zeros_")
    array.fill(0)
    return array


def ones_(array):
    """Fill ``array`` with ones, in place, and return it."""
    array = _check_target(array, "ones_")
    array.fill(1)
    return array


def _xavier_std(array, gain, function):
    _check_target(array, function)
    gain = check_number(gain, "gain", low=0, owner=function)
    fan_in, fan_out = _fans(array, function)
    return gain * math.sqrt(2.0 / max(fan_in + fan_out, 1))  # max: an empty array has fans 0


def xavier_uniform_(array, gain=1.0, *, rng=None):
    """Glorot/Xavier uniform: U(-b, b) with ``b = gain * sqrt(6 / (fan_in + fan_out))``.

    Parameters
    ----------
    array : float array with at least 2 dimensions, e.g. a ``(out, in)`` weight
    gain : float
        See :func:`calculate_gain`.
    rng : numpy.random.Generator or int or None

    Returns
    -------
    array
        The same array, filled.
    """
    bound = math.sqrt(3.0) * _xavier_std(array, gain, "xavier_uniform_")
    return uniform_(array, -bound, bound, rng=rng)


def xavier_normal_(array, gain=1.0, *, rng=None):
    """Glorot/Xavier normal: N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Parameters
    ----------
    array : float array with at least 2 dimensions
    gain : float
    rng : numpy.random.Generator or int or None

    Returns
    -------
    array
        The same array, filled.
    """
    return normal_(array, 0.0, _xavier_std(array, gain, "xavier_normal_"), rng=rng)


def _kaiming_std(array, a, mode, nonlinearity, function):
    a = check_number(a, "a", owner=function)
    fan = _fan(array, mode, function)
    # An empty array has fan 0; there is nothing to fill, so any finite std will do.
    return calculate_gain(nonlinearity, a) / math.sqrt(max(fan, 1))


def kaiming_uniform_(array, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *, rng=None):
    """He/Kaiming uniform: U(-b, b) with ``b = gain * sqrt(3 / fan)``.

    Parameters
    ----------
    array : float array with at least 2 dimensions
    a : float
        Negative slope of the leaky ReLU that follows (only used with
        ``nonlinearity='leaky_relu'``; ``a=0`` is a ReLU).
    mode : {'fan_in', 'fan_out'}
        ``'fan_in'`` preserves the variance of activations in the forward pass,
        ``'fan_out'`` that of gradients in the backward pass.
    nonlinearity : str
        See :func:`calculate_gain`.
    rng : numpy.random.Generator or int or None

    Returns
    -------
    array
        The same array, filled.

    Notes
    -----
    PyTorch's default Linear and Conv initialization is ``kaiming_uniform_(w, a=sqrt(5))``,
    which works out to ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.
    """
    array = _check_target(array, "kaiming_uniform_")
    std = _kaiming_std(array, a, mode, nonlinearity, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(array, -bound, bound, rng=rng)


def kaiming_normal_(array, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *, rng=None):
    """He/Kaiming normal: N(0, std**2) with ``std = gain / sqrt(fan)``.

    Parameters are those of :func:`kaiming_uniform_`.

    Returns
    -------
    array
        The same array, filled.
    """
    array = _check_target(array, "kaiming_normal_")
    std = _kaiming_std(array, a, mode, nonlinearity, "kaiming_normal_")
    return normal_(array, 0.0, std, rng=rng)
