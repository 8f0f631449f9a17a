"""Batch normalization (Ioffe and Szegedy, 2015)."""

from __future__ import annotations

import numpy as np

from scratchdl._validation import check_allocation, check_float_array, check_number
from scratchdl.nn._checks import check_dout, check_dtype, check_input, describe, spec
from scratchdl.nn.module import Module


class BatchNorm1d(Module):
    r"""Normalize each feature over the batch, then scale and shift.

    .. math::
        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta

    In training, :math:`\mu` and :math:`\sigma^2` are the mean and (biased) variance of
    each feature over the batch, and the running estimates are updated:
    ``running = (1 - momentum) * running + momentum * batch_statistic``, using the
    *unbiased* batch variance :math:`\sigma^2 N / (N - 1)` for ``running_var``. In
    evaluation the running estimates are used instead, so a prediction does not depend on
    the other samples in its batch. All of this is exactly PyTorch's ``BatchNorm1d``.

    Parameters
    ----------
    num_features : int
        :math:`C`, the number of features.
    eps : float > 0
        Added to the variance so a constant feature does not divide by zero.
    momentum : float in [0, 1] or None
        Weight of the newest batch in the running estimates. ``None`` gives the
        cumulative average of all batches so far (weight ``1 / num_batches_tracked``).
    affine : bool
        Learn :math:`\gamma` (``weight``, initialized to 1) and :math:`\beta` (``bias``,
        initialized to 0).
    track_running_stats : bool
        Keep running estimates. If False there are none and batch statistics are used in
        evaluation mode too.
    dtype : numpy dtype

    Attributes
    ----------
    weight, bias : (C,) arrays or None
        :math:`\gamma`, :math:`\beta` (parameters, if ``affine``).
    running_mean, running_var : (C,) arrays or None
        Buffers, initialized to 0 and 1 (if ``track_running_stats``).
    num_batches_tracked : () int64 array or None
        Number of training batches seen.

    Notes
    -----
    Shapes: ``x`` and the output are (N, C). Batch statistics need N > 1.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, *, dtype=np.float64):
        super().__init__()
        owner = type(self).__name__
        self.num_features = check_number(num_features, "num_features", low=1, integer=True,
                                         owner=owner)
        self.eps = check_number(eps, "eps", low=0, low_inclusive=False, owner=owner)
        if momentum is not None:
            momentum = check_number(momentum, "momentum", low=0, high=1, owner=owner)
        self.momentum = momentum
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        dtype = check_dtype(dtype, owner)
        check_allocation((self.num_features,), dtype, what="weight", owner=owner)
        if self.affine:
            self.register_parameter("weight", np.ones(self.num_features, dtype=dtype))
            self.register_parameter("bias", np.zeros(self.num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        # Cached by forward for backward.
        self.x_hat = None
        self.std = None
        self.batch_stats = None  # whether forward normalized with the batch's statistics






    def forward(self, x):
        r"""Normalize ``x`` with batch (training) or running (evaluation) statistics.

        Parameters
        ----------
        x : (N, C) array

        Returns
        -------
        (N, C) array :math:`\gamma \hat x + \beta`
        """
        self._check(x)
        self.batch_stats = self.training or not self.track_running_stats
        if self.batch_stats:
            mean, var = x.mean(axis=0), x.var(axis=0)
        else:
            mean, var = self.running_mean, self.running_var
        self.std = np.sqrt(var + self.eps)
        self.x_hat = (x - mean) / self.std
        if self.training and self.track_running_stats:
            self._update_running_stats(mean, var, n=x.shape[0])
        if not self.affine:
            return self.x_hat
        return self.weight * self.x_hat + self.bias

    def backward(self, dout):
        r"""Backpropagate through the normalization.

        With batch statistics, :math:`\mu` and :math:`\sigma^2` depend on every sample, so
        (with :math:`g = dL/d\hat x = \gamma\, dL/dy` and
        means over the batch)

        .. math::
            \frac{dL}{dx} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
            \left(g - \overline{g} - \hat x\, \overline{g \hat x}\right).

        With running statistics they are constants and
        :math:`dL/dx = g / \sqrt{\sigma^2 + \epsilon}`. Also
        :math:`dL/d\gamma = \sum_n dL/dy_n \odot \hat x_n`
        and :math:`dL/d\beta = \sum_n dL/dy_n`.

        Parameters
        ----------
        dout : (N, C) array

        Returns
        -------
        (N, C) array
        """
        check_dout(self, dout, *spec(self.x_hat))
        if self.affine:
            self.grads["weight"] += (dout * self.x_hat).sum(axis=0)
            self.grads["bias"] += dout.sum(axis=0)
            dx_hat = dout * self.weight
        else:
            dx_hat = dout
        if not self.batch_stats:
            return dx_hat / self.std
        mean_dx_hat = dx_hat.mean(axis=0)
        mean_dx_hat_x_hat = (dx_hat * self.x_hat).mean(axis=0)
        return (dx_hat - mean_dx_hat - self.x_hat * mean_dx_hat_x_hat) / self.std

    def _update_running_stats(self, mean, var, n):
        self.num_batches_tracked[...] += 1
        if self.momentum is None:  # cumulative moving average of all batches so far
            factor = 1.0 / float(self.num_batches_tracked)
        else:
            factor = self.momentum
        unbiased_var = var * (n / (n - 1))
        # In place: the buffers are the arrays state_dict and optimizers refer to.
        self.running_mean[...] = (1 - factor) * self.running_mean + factor * mean
        self.running_var[...] = (1 - factor) * self.running_var + factor * unbiased_var

    def _check(self, x):
        dtype = self.weight.dtype if self.affine else None
        if dtype is None and self.track_running_stats:
            dtype = self.running_mean.dtype
        check_input(self, x, features=self.num_features, exact_ndim=2, dtype=dtype)
        if x.shape[0] < 2 and (self.training or not self.track_running_stats):
            raise ValueError(
                f"{describe(self)}: batch statistics need more than 1 value per feature, got "
                f"x of shape {x.shape}; use a batch of 2 or more samples, or eval() mode"
            )

    def extra_repr(self):
        arguments = [str(self.num_features)]
        defaults = {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True}
        for name, default in defaults.items():
            value = getattr(self, name)
            if value != default:
                arguments.append(f"{name}={value}")
        return ", ".join(arguments)


class BatchNorm2d(BatchNorm1d):
    r"""Batch normalization of images, one mean and variance per channel (``nn.BatchNorm2d``).

    The statistics of channel :math:`c` are taken over the batch *and* every position,
    :math:`N H W` values, because a convolution applies the same kernel everywhere: all
    positions of a feature map are samples of the same feature. Everything else
    (parameters, running estimates with the unbiased variance, ``momentum``, ``eval()``)
    is :class:`BatchNorm1d`'s, applied to the input seen as :math:`N H W` samples of
    :math:`C` features.

    Parameters
    ----------
    num_features : int
        :math:`C`, the number of channels.
    eps, momentum, affine, track_running_stats, dtype
        As in :class:`BatchNorm1d`.

    Notes
    -----
    Shapes: ``x`` and the output are (N, C, H, W).
    """

    out_spec = (None, None)  # (shape, dtype) of the last output, set by forward

    def forward(self, x):
        """Normalize each channel of ``x``; (N, C, H, W) in and out."""
        self._check4d(x)
        self.shape_nhwc = (x.shape[0], x.shape[2], x.shape[3], x.shape[1])
        rows = np.moveaxis(x, 1, -1).reshape(-1, self.num_features)  # (N H W, C)
        y = super().forward(rows)
        self.out_spec = (x.shape, x.dtype)
        return np.ascontiguousarray(np.moveaxis(y.reshape(self.shape_nhwc), -1, 1))

    def backward(self, dout):
        """Backward of :class:`BatchNorm1d` on the (N H W, C) view; (N, C, H, W) in and out."""
        check_dout(self, dout, *self.out_spec)
        rows = np.moveaxis(dout, 1, -1).reshape(-1, self.num_features)
        dx = super().backward(rows)
        return np.ascontiguousarray(np.moveaxis(dx.reshape(self.shape_nhwc), -1, 1))

    def _check4d(self, x):
        dtype = self.weight.dtype if self.affine else None
        if dtype is None and self.track_running_stats:
            dtype = self.running_mean.dtype
        owner = describe(self)
        check_float_array(x, "x", dtype=dtype, allow_nonfinite=True, owner=owner)
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"{owner}: x must have shape (N, {self.num_features}, H, W), got "
                             f"{x.shape}")
        if x.shape[0] * x.shape[2] * x.shape[3] < 2 and (
                self.training or not self.track_running_stats):
            raise ValueError(
                f"{describe(self)}: batch statistics need more than 1 value per channel, got "
                f"x of shape {x.shape}; use more samples or positions, or eval() mode"
            )
        check_float_array(x, "x", owner=owner)
