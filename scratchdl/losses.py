"""Loss functions: a scalar measure of error, and its gradient to start backpropagation.

A loss is used in two calls::

    value = loss(pred, target)    # a Python float; the loss caches what backward needs
    dpred = loss.backward()       # dL/d(pred), an array shaped like pred

``reduction='mean'`` (the default) averages the per-element losses (per-sample for
cross-entropy, as in PyTorch) and ``'sum'`` adds them; the gradient is divided by the same
count. The losses that start from logits never form a probability and then take its
logarithm: they use log-sum-exp and softplus, so logits of size ``1e4`` still give a
finite loss and gradient.
"""

from __future__ import annotations

import numpy as np

from scratchdl import functional as F
from scratchdl._validation import check_float_array, check_int_labels

__all__ = ["Loss", "MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss", "SequenceCrossEntropyLoss"]


class Loss:
    """Base class: reduction, calling convention and the backward-before-forward check.

    Parameters
    ----------
    reduction : {'mean', 'sum'}
    """

    def __init__(self, reduction="mean"):
        if reduction not in ("mean", "sum"):
            raise ValueError(
                f"{type(self).__name__}: reduction must be 'mean' or 'sum', got {reduction!r}"
            )
        self.reduction = reduction
        self.divisor = None  # what the summed loss was divided by in the last forward

    def __call__(self, pred, target) -> float:
        return self.forward(pred, target)

    def forward(self, pred, target) -> float:
        raise NotImplementedError

    def backward(self):
        raise NotImplementedError

    def _reduce(self, losses) -> float:
        """Mean or sum of the per-element ``losses``; remembers the divisor for backward."""
        self.divisor = losses.size if self.reduction == "mean" else 1
        return float(losses.sum() / self.divisor)

    def _require_forward(self):
        if self.divisor is None:
            raise RuntimeError(
                f"{type(self).__name__}: backward() called before the loss was computed; "
                "call loss(pred, target) first"
            )

    def _check_pred_and_target(self, pred, target, pred_name):
        owner = type(self).__name__
        check_float_array(pred, pred_name, owner=owner)
        if pred.size == 0:
            raise ValueError(f"{owner}: {pred_name} is empty (shape {pred.shape})")
        check_float_array(target, "target", owner=owner)
        if target.shape != pred.shape:
            raise ValueError(
                f"{owner}: target must have the shape of {pred_name} {pred.shape}, "
                f"got {target.shape}"
            )
        if target.dtype != pred.dtype:
            raise TypeError(
                f"{owner}: target has dtype {target.dtype} but {pred_name} has {pred.dtype}; "
                f"cast it with .astype(np.{pred.dtype})"
            )

    def __repr__(self):
        extra = "" if self.reduction == "mean" else f"reduction={self.reduction!r}"
        return f"{type(self).__name__}({extra})"


class MSELoss(Loss):
    r"""Mean squared error :math:`L = \frac1n \sum_i (\hat y_i - y_i)^2`.

    Gradient: :math:`\partial L / \partial \hat y_i = 2 (\hat y_i - y_i) / n`
    (:math:`n = 1` with ``reduction='sum'``).

    Notes
    -----
    Shapes: ``pred`` and ``target`` are float arrays of the same shape and dtype.
    """

    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.diff = None

    def forward(self, pred, target) -> float:
        """Return the loss as a float and cache ``pred - target``."""
        self._check_pred_and_target(pred, target, "pred")
        self.diff = pred - target
        # A diverging model can make the square overflow. The loss is then inf, which the
        # caller reports (fit raises FloatingPointError naming the step); a RuntimeWarning
        # on top of that would only be noise.
        with np.errstate(over="ignore"):
            return self._reduce(self.diff**2)

    def backward(self):
        """Return dL/d(pred), shaped like ``pred``."""
        self._require_forward()
        return 2 * self.diff / self.divisor


class CrossEntropyLoss(Loss):
    r"""Softmax cross-entropy from logits and integer class labels.

    For a sample with logits :math:`z` and label :math:`k`,

    .. math::
        \ell = -\log \operatorname{softmax}(z)_k = \log \sum_j e^{z_j} - z_k,
        \qquad \frac{\partial \ell}{\partial z} = \operatorname{softmax}(z) - e_k,

    where :math:`e_k` is the one-hot vector of the label. ``'mean'`` averages over the
    :math:`N` samples.

    Notes
    -----
    Shapes: ``logits`` is an (N, C) float array, ``target`` an (N,) integer array with
    values in [0, C).
    """

    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.probs = None
        self.target = None

    def forward(self, logits, target) -> float:
        """Return the loss as a float and cache the softmax probabilities and labels."""
        self._check(logits, target)
        log_probs = F.log_softmax(logits, axis=1)
        self.probs = np.exp(log_probs)
        self.target = target
        n = logits.shape[0]
        return self._reduce(-log_probs[np.arange(n), target])

    def backward(self):
        """Return dL/d(logits) = (softmax(logits) - one_hot(target)) / N, shape (N, C)."""
        self._require_forward()
        n_classes = self.probs.shape[1]
        one_hot = np.eye(n_classes, dtype=self.probs.dtype)[self.target]
        return (self.probs - one_hot) / self.divisor

    def _check(self, logits, target):
        owner = type(self).__name__
        check_float_array(logits, "logits", ndim=2, owner=owner)
        n, n_classes = logits.shape
        if n == 0 or n_classes == 0:
            raise ValueError(f"{owner}: logits must have shape (N, C) with N, C >= 1, "
                             f"got {logits.shape}")
        check_int_labels(target, "target", n_classes=n_classes, length=n, owner=owner)


class BCEWithLogitsLoss(Loss):
    r"""Binary cross-entropy from logits, :math:`\ell = -y \log\sigma(z) - (1-y)\log(1-\sigma(z))`.

    Written with :math:`\operatorname{softplus}(z) = \log(1 + e^z)` this is
    :math:`\ell = \operatorname{softplus}(z) - y z`, which never takes the log of a
    probability that has rounded to 0 or 1. Its gradient is
    :math:`\partial \ell / \partial z = \sigma(z) - y`.

    Notes
    -----
    Shapes: ``logits`` is a float array of any shape, ``target`` a float array of the same
    shape and dtype with values in [0, 1] (probabilities or 0/1 labels).
    """

    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.logits = None
        self.target = None

    def forward(self, logits, target) -> float:
        """Return the loss as a float and cache the logits and targets."""
        self._check_pred_and_target(logits, target, "logits")
        if target.min() < 0 or target.max() > 1:
            raise ValueError(f"BCEWithLogitsLoss: target must lie in [0, 1], got values "
                             f"from {target.min()} to {target.max()}")
        self.logits, self.target = logits, target
        return self._reduce(F.softplus(logits) - target * logits)

    def backward(self):
        """Return dL/d(logits) = (sigmoid(logits) - target) / n, shaped like ``logits``."""
        self._require_forward()
        return (F.sigmoid(self.logits) - self.target) / self.divisor


class SequenceCrossEntropyLoss(Loss):
    r"""Softmax cross-entropy over the time steps of a batch of sequences, with a padding mask.

    For logits :math:`z_{n,t}` and labels :math:`k_{n,t}`, with mask :math:`m_{n,t} \in
    \{0, 1\}` (1 = a real token, 0 = padding),

    .. math::
        L = \frac{1}{\sum_{n,t} m_{n,t}} \sum_{n,t} m_{n,t}
        \left(\log \sum_j e^{z_{n,t,j}} - z_{n,t,k_{n,t}}\right),

    so padded positions neither count in the mean nor receive gradient; ``'sum'`` drops the
    division. This equals ``torch.nn.CrossEntropyLoss(ignore_index=...)`` applied to the
    flattened sequences.

    Parameters
    ----------
    reduction : {'mean', 'sum'}
    ignore_index : int or None
        Labels equal to it are masked out too (PyTorch's ``ignore_index``).

    Notes
    -----
    Shapes: ``loss(logits, target, mask=None)`` with ``logits`` (N, T, C) float, ``target``
    (N, T) integers in [0, C) (or ``ignore_index``) and ``mask`` (N, T) bool or None (all
    real). ``backward()`` returns dL/d(logits), (N, T, C).
    """

    def __init__(self, reduction="mean", ignore_index=None):
        super().__init__(reduction)
        self.ignore_index = ignore_index
        self.probs = None
        self.target = None
        self.mask = None

    def __call__(self, logits, target, mask=None) -> float:
        return self.forward(logits, target, mask)

    def forward(self, logits, target, mask=None) -> float:
        """Return the loss as a float; cache probabilities, labels and mask."""
        owner = type(self).__name__
        check_float_array(logits, "logits", ndim=3, owner=owner)
        n, steps, n_classes = logits.shape
        if 0 in logits.shape:
            raise ValueError(f"{owner}: logits must have shape (N, T, C) with N, T, C >= 1, "
                             f"got {logits.shape}")
        if not isinstance(target, np.ndarray) or not np.issubdtype(target.dtype, np.integer):
            raise TypeError(f"{owner}: target must be an integer array, got "
                            f"{getattr(target, 'dtype', type(target).__name__)}")
        if target.shape != (n, steps):
            raise ValueError(f"{owner}: target must have shape (N, T) = {(n, steps)}, "
                             f"got {target.shape}")
        keep = np.ones((n, steps), dtype=bool)
        if mask is not None:
            if not isinstance(mask, np.ndarray) or mask.dtype != bool or mask.shape != (n, steps):
                raise ValueError(f"{owner}: mask must be a bool array of shape (N, T) = "
                                 f"{(n, steps)}, got {getattr(mask, 'dtype', type(mask))} "
                                 f"{getattr(mask, 'shape', '')}")
            keep &= mask
        if self.ignore_index is not None:
            keep &= target != self.ignore_index
        labels = np.where(keep, target, 0)
        check_int_labels(labels.reshape(-1), "target", n_classes=n_classes, owner=owner)
        if not keep.any():
            raise ValueError(f"{owner}: every position is masked; nothing to average")
        log_probs = F.log_softmax(logits, axis=2)
        picked = np.take_along_axis(log_probs, labels[..., None], axis=2)[..., 0]
        self.probs, self.target, self.mask = np.exp(log_probs), labels, keep
        self.divisor = int(keep.sum()) if self.reduction == "mean" else 1
        return float(-(picked * keep).sum() / self.divisor)

    def backward(self):
        """Return dL/d(logits) = m (softmax - one_hot) / count, shape (N, T, C)."""
        self._require_forward()
        grad = self.probs.copy()
        np.put_along_axis(grad, self.target[..., None],
                          np.take_along_axis(grad, self.target[..., None], axis=2) - 1, axis=2)
        grad *= self.mask[..., None]
        return grad / self.divisor
