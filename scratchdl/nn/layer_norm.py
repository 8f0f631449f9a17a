"""Layer normalization (Ba, Kiros and Hinton, 2016): normalize each sample over its features.

It sits beside batch normalization (``scratchdl.nn.normalization``) in a module of its
own: it has no running statistics and no train/eval difference, because every statistic
is computed over one sample's features, never across the batch.
"""

from __future__ import annotations

import numbers

import numpy as np

from scratchdl._validation import check_number
from scratchdl.nn._checks import check_dout, check_dtype, check_input, describe
from scratchdl.nn.module import Module


class LayerNorm(Module):
    r"""Normalize over the last axes, then scale and shift: PyTorch's ``nn.LayerNorm``.

    For each sample, with :math:`x` its :math:`D` features (the entries of the last
    ``len(normalized_shape)`` axes),

    .. math::
        \mu = \frac1D \sum_i x_i, \quad \sigma^2 = \frac1D \sum_i (x_i - \mu)^2, \quad
        \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad
        y_i = \gamma_i \hat x_i + \beta_i .

    The variance is the biased one (divided by :math:`D`), as in PyTorch.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        Shape of the trailing axes normalized together (``d_model`` for a Transformer).
    eps : float > 0
        :math:`\epsilon`, added to the variance.
    elementwise_affine : bool
        Learn :math:`\gamma` (``weight``, starts at 1) and :math:`\beta` (``bias``, starts
        at 0). Without it ``weight`` and ``bias`` are None.
    bias : bool
        Learn :math:`\beta` (only with ``elementwise_affine``).
    dtype : float32 or float64

    Notes
    -----
    Shapes: ``x`` is ``(..., *normalized_shape)``; the output has the same shape.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, *,
                 dtype=np.float64):
        super().__init__()
        owner = type(self).__name__
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        try:
            normalized_shape = tuple(check_number(s, "normalized_shape", low=1, integer=True,
                                                  owner=owner) for s in normalized_shape)
        except TypeError:
            raise TypeError(f"{owner}: normalized_shape must be a positive int or a tuple of "
                            f"them, got {normalized_shape!r}") from None
        if not normalized_shape:
            raise ValueError(f"{owner}: normalized_shape must not be empty")
        self.normalized_shape = normalized_shape
        self.eps = check_number(eps, "eps", low=0, low_inclusive=False, owner=owner)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = check_dtype(dtype, owner)
        if self.elementwise_affine:
            self.register_parameter("weight", np.ones(normalized_shape, dtype=dtype))
            self.register_parameter("bias", np.zeros(normalized_shape, dtype=dtype) if bias
                                    else None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self._dtype = dtype
        self.x_hat = None  # the normalized input, cached for backward
        self.inv_std = None  # 1 / sqrt(sigma^2 + eps), one per sample

    def extra_repr(self):
        shape = self.normalized_shape
        text = f"{shape}, eps={self.eps}"
        return text + ("" if self.elementwise_affine else ", elementwise_affine=False")

    def _axes(self, x):
        k = len(self.normalized_shape)
        if x.ndim < k or x.shape[-k:] != self.normalized_shape:
            raise ValueError(f"{describe(self)}: x must have shape (..., "
                             f"{', '.join(map(str, self.normalized_shape))}), got {x.shape}")
        return tuple(range(x.ndim - k, x.ndim))

    def forward(self, x):
        r"""Return :math:`\gamma \odot \hat x + \beta`, same shape as ``x``."""
        check_input(self, x, dtype=self.weight.dtype if self.weight is not None
                    else self._dtype)
        axes = self._axes(x)
        mu = x.mean(axis=axes, keepdims=True)
        xc = x - mu
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.x_hat = xc * self.inv_std
        if self.weight is None:
            return self.x_hat.copy()
        y = self.x_hat * self.weight
        return y + self.bias if self.bias is not None else y

    def backward(self, dout):
        r"""Gradients of layer normalization.

        With :math:`g = \gamma \odot d\mathcal L/dy` and means
        :math:`\langle\cdot\rangle` over the :math:`D` normalized entries of one sample,

        .. math::
            \frac{d\mathcal L}{dx} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
            \left(g - \langle g \rangle - \hat x \, \langle g \odot \hat x \rangle\right),

            \frac{d\mathcal L}{d\gamma} = \sum_{\text{samples}}
            \frac{d\mathcal L}{dy} \odot \hat x, \quad
            \frac{d\mathcal L}{d\beta} = \sum_{\text{samples}} \frac{d\mathcal L}{dy}.

        The two subtracted means are the paths through :math:`\mu` and through
        :math:`\sigma`: shifting all :math:`x_i` equally, or scaling them about
        :math:`\mu`, leaves :math:`\hat x` unchanged, so :math:`d\mathcal L/dx` has no
        component along either direction.
        """
        x_hat = self.x_hat
        check_dout(self, dout, None if x_hat is None else x_hat.shape,
                   None if x_hat is None else x_hat.dtype)
        axes = tuple(range(x_hat.ndim - len(self.normalized_shape), x_hat.ndim))
        batch_axes = tuple(range(x_hat.ndim - len(self.normalized_shape)))
        if self.weight is not None:
            self.grads["weight"] += np.sum(dout * x_hat, axis=batch_axes)
            if self.bias is not None:
                self.grads["bias"] += np.sum(dout, axis=batch_axes)
            g = dout * self.weight
        else:
            g = dout
        mean_g = g.mean(axis=axes, keepdims=True)
        mean_gx = np.mean(g * x_hat, axis=axes, keepdims=True)
        return self.inv_std * (g - mean_g - x_hat * mean_gx)
