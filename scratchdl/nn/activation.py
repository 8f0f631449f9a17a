"""Elementwise activation functions as layers.

An activation :math:`y = f(x)` acts on each entry separately, so its Jacobian is diagonal
and the backward pass is a product entry by entry: :math:`dL/dx =
dL/dy \\odot f'(x)`. Each layer caches whichever of :math:`x` or
:math:`y` gives :math:`f'` most cheaply. They work on arrays of any shape and keep the
input's dtype.
"""

from __future__ import annotations

import numpy as np

from scratchdl import functional as F
from scratchdl._validation import check_number
from scratchdl.nn._checks import check_dout, check_input, spec
from scratchdl.nn.module import Module

__all__ = ["ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "GELU", "Identity"]


class ReLU(Module):
    r"""Rectified linear unit :math:`y = \max(x, 0)`.

    :math:`f'(x) = 1` for :math:`x > 0`, else 0 (PyTorch also takes 0 at :math:`x = 0`).
    """

    def __init__(self):
        super().__init__()
        self.x = None

    def forward(self, x):
        """x : array, any shape. Returns max(x, 0), same shape."""
        check_input(self, x)
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dout):
        """dout : array shaped like the output. Returns dL/dx = dout * [x > 0]."""
        check_dout(self, dout, *spec(self.x))
        return dout * (self.x > 0)


class LeakyReLU(Module):
    r"""Leaky ReLU :math:`y = x` for :math:`x > 0`, else :math:`\alpha x`.

    The small slope :math:`\alpha` for negative inputs keeps a gradient flowing through
    units that a ReLU would switch off for good ("dying ReLU").

    Parameters
    ----------
    negative_slope : float
        :math:`\alpha`, default 0.01 as in PyTorch.
    """

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = check_number(negative_slope, "negative_slope",
                                           owner=type(self).__name__)
        self.x = None

    def forward(self, x):
        """x : array, any shape. Returns x where x > 0, else negative_slope * x."""
        check_input(self, x)
        self.x = x
        return np.where(x > 0, x, self.negative_slope * x)

    def backward(self, dout):
        """dout : array shaped like the output. Returns dL/dx = dout * f'(x)."""
        check_dout(self, dout, *spec(self.x))
        return np.where(self.x > 0, dout, self.negative_slope * dout)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    r"""Exponential linear unit :math:`y = x` for :math:`x > 0`, else
    :math:`\alpha (e^x - 1)` (Clevert et al., 2016), as GAT uses between its layers.

    :math:`f'(x) = 1` for :math:`x > 0`, else :math:`\alpha e^x` (PyTorch's value at 0).
    ``expm1`` keeps small negative inputs accurate; the exponent is clipped at 0 so the
    unused branch of ``np.where`` cannot overflow.

    Parameters
    ----------
    alpha : float
        :math:`\alpha`, default 1.0 as in PyTorch.
    """

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = check_number(alpha, "alpha", owner=type(self).__name__)
        self.x = None

    def forward(self, x):
        """x : array, any shape. Returns x where x > 0, else alpha * (exp(x) - 1)."""
        check_input(self, x)
        self.x = x
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def backward(self, dout):
        """dout : array shaped like the output. Returns dL/dx = dout * f'(x)."""
        check_dout(self, dout, *spec(self.x))
        return np.where(self.x > 0, dout, dout * self.alpha * np.exp(np.minimum(self.x, 0)))

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Sigmoid(Module):
    r"""Logistic sigmoid :math:`y = \sigma(x) = 1 / (1 + e^{-x})`.

    Its derivative is :math:`\sigma'(x) = y (1 - y)`, which needs only the output: that is
    what the layer caches. Computed without overflow (:func:`scratchdl.functional.sigmoid`).
    """

    def __init__(self):
        super().__init__()
        self.y = None

    def forward(self, x):
        """x : array, any shape. Returns sigmoid(x) in [0, 1], same shape."""
        check_input(self, x)
        self.y = F.sigmoid(x)
        return self.y

    def backward(self, dout):
        """dout : array shaped like the output. Returns dL/dx = dout * y * (1 - y)."""
        check_dout(self, dout, *spec(self.y))
        return dout * self.y * (1 - self.y)


class Tanh(Module):
    r"""Hyperbolic tangent :math:`y = \tanh x`, with :math:`\tanh'(x) = 1 - y^2`."""

    def __init__(self):
        super().__init__()
        self.y = None

    def forward(self, x):
        """x : array, any shape. Returns tanh(x) in [-1, 1], same shape."""
        check_input(self, x)
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        """dout : array shaped like the output. Returns dL/dx = dout * (1 - y**2)."""
        check_dout(self, dout, *spec(self.y))
        return dout * (1 - self.y**2)


class GELU(Module):
    r"""Gaussian error linear unit :math:`y = x \Phi(x)`.

    :math:`\Phi` is the standard normal CDF. Unlike ReLU it is smooth, and slightly
    negative for negative inputs; Transformers (BERT, GPT) use it.

    Parameters
    ----------
    approximate : {'none', 'tanh'}
        ``'none'``: the exact erf form, :math:`f'(x) = \Phi(x) + x\varphi(x)`.
        ``'tanh'``: the tanh approximation of :func:`scratchdl.functional.gelu_tanh`.
    """

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate
        self.x = None

    def forward(self, x):
        """x : array, any shape. Returns x * Phi(x), same shape."""
        check_input(self, x)
        self.x = x
        return F.gelu(x) if self.approximate == "none" else F.gelu_tanh(x)

    def backward(self, dout):
        """dout : array shaped like the output. Returns dL/dx = dout * f'(x)."""
        check_dout(self, dout, *spec(self.x))
        if self.approximate == "none":
            return dout * F.gelu_grad(self.x)
        return dout * F.gelu_tanh_grad(self.x)

    def extra_repr(self):
        return "" if self.approximate == "none" else f"approximate={self.approximate!r}"


class Identity(Module):
    """Pass the input through unchanged: y = x, dL/dx = dL/dy.

    A placeholder where an architecture has an optional layer (e.g. no activation).
    """

    def __init__(self):
        super().__init__()
        self.x = None

    def forward(self, x):
        """x : array, any shape. Returns x."""
        check_input(self, x)
        self.x = x
        return x

    def backward(self, dout):
        """dout : array shaped like x. Returns dout."""
        check_dout(self, dout, *spec(self.x))
        return dout
