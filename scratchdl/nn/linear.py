"""Linear (fully connected) layer: y = x W^T + b."""

from __future__ import annotations

import numpy as np

from scratchdl import init
from scratchdl._validation import check_allocation, check_number, check_rng
from scratchdl.nn._checks import check_dout, check_dtype, check_input, spec
from scratchdl.nn.module import Module


def register_default_parameters(module, weight_shape, fan_in, n_bias, bias, dtype, rng):
    r"""Register ``weight`` and ``bias`` (or ``bias = None``) on ``module``, as PyTorch draws them.

    Both come from :math:`U(-b, b)` with :math:`b = 1/\sqrt{\text{fan\_in}}`
    (:func:`scratchdl.init.default_bound`), the weight first and then the ``n_bias`` bias
    values, from one ``rng``; the weight's size is checked before anything is allocated.
    Shared by Linear, Conv1d/Conv2d and ConvTranspose2d.
    """
    owner = type(module).__name__
    check_allocation(weight_shape, dtype, owner=owner, what="weight")
    rng = check_rng(rng)
    bound = init.default_bound(fan_in)
    weight = init.uniform_(np.empty(weight_shape, dtype), -bound, bound, rng=rng)
    module.register_parameter("weight", weight)
    if bias:
        values = init.uniform_(np.empty(n_bias, dtype), -bound, bound, rng=rng)
        module.register_parameter("bias", values)
    else:
        module.register_parameter("bias", None)


class Linear(Module):
    r"""Affine map :math:`y = x W^\top + b`, with PyTorch's layout and initialization.

    Parameters
    ----------
    in_features : int
        Size of each input sample, :math:`D_{in}`.
    out_features : int
        Size of each output sample, :math:`D_{out}`.
    bias : bool
        Whether to add a learned bias :math:`b`.
    rng : numpy.random.Generator or int or None
        Randomness for the initial weights.
    dtype : numpy dtype
        float64 (default, for checks) or float32 (for speed).

    Attributes
    ----------
    weight : (out_features, in_features) array
        :math:`W`, initialized from :math:`U(-1/\sqrt{D_{in}}, 1/\sqrt{D_{in}})` as in PyTorch.
    bias : (out_features,) array or None
        :math:`b`, same initial distribution.

    Notes
    -----
    Shapes: ``x`` is (N, in_features), or (N, ..., in_features) where leading axes (e.g.
    time steps) are treated as more samples. The output has ``out_features`` last.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Linear(3, 2, rng=0)
    >>> layer(np.ones((4, 3))).shape
    (4, 2)
    """

    def __init__(self, in_features, out_features, bias=True, *, rng=None, dtype=np.float64):
        super().__init__()
        self.in_features = check_number(in_features, "in_features", low=1, integer=True,
                                        owner=type(self).__name__)
        self.out_features = check_number(out_features, "out_features", low=1, integer=True,
                                         owner=type(self).__name__)
        dtype = check_dtype(dtype, type(self).__name__)
        register_default_parameters(self, (self.out_features, self.in_features),
                                    self.in_features, self.out_features, bias, dtype, rng)
        self.x = None  # the input, cached by forward for the weight gradient



    def forward(self, x):
        r"""Compute :math:`y = x W^\top + b`.

        Parameters
        ----------
        x : (N, in_features) array

        Returns
        -------
        (N, out_features) array
        """
        check_input(self, x, features=self.in_features, dtype=self.weight.dtype)
        self.x = x
        y = x @ self.weight.T
        if self.bias is not None:
            y = y + self.bias
        return y

    def backward(self, dout):
        r"""Gradients of :math:`y = x W^\top + b`.

        .. math::
            \frac{dL}{dW} = \delta^\top x, \quad
            \frac{dL}{db} = \textstyle\sum_n \delta_n, \quad
            \frac{dL}{dx} = \delta W,

        with :math:`\delta = dL/dy`. Parameter gradients are added to
        ``grads``.

        Parameters
        ----------
        dout : (N, out_features) array
            :math:`\delta`.

        Returns
        -------
        (N, in_features) array
            :math:`dL/dx`.
        """
        check_dout(self, dout, *spec(self.x, features=self.out_features))
        # Leading axes (batch, time, ...) all index samples: sum over every one of them.
        x = self.x.reshape(-1, self.in_features)
        delta = dout.reshape(-1, self.out_features)
        self.grads["weight"] += delta.T @ x
        if self.bias is not None:
            self.grads["bias"] += delta.sum(axis=0)
        return dout @ self.weight

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}" + (
            "" if self.bias is not None else ", bias=False")
