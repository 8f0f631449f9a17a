"""Dropout: randomly zero activations during training (Srivastava et al., 2014)."""

from __future__ import annotations

import numpy as np

from scratchdl._validation import check_number, check_rng
from scratchdl.nn._checks import check_dout, check_input, spec
from scratchdl.nn.module import Module


class Dropout(Module):
    r"""Inverted dropout: keep each entry with probability :math:`1 - p`, scaled by :math:`1/(1-p)`.

    In training, :math:`y = x \odot m` with the mask
    :math:`m_i = \mathbb 1[u_i \ge p] / (1 - p)`, :math:`u_i \sim U(0, 1)`. Scaling the kept
    entries makes :math:`\mathbb E[y] = x`, so evaluation needs no correction: in ``eval()``
    mode the layer is the identity. The backward pass reuses the mask:
    :math:`dL/dx = dL/dy \odot m`.

    Parameters
    ----------
    p : float in [0, 1]
        Probability of zeroing an entry. ``p = 1`` zeroes everything, as in PyTorch.
    rng : numpy.random.Generator or int or None
        Source of the masks. Each training forward pass draws a new mask from it.

    Notes
    -----
    The randomness lives in the attribute ``rng``. :func:`scratchdl.gradcheck.gradcheck`
    saves the state of every generator it finds on a module and restores it before each
    evaluation, so all of a check's forward passes use the same mask and a Dropout layer
    in training mode can be gradient-checked like any other.
    """

    def __init__(self, p=0.5, *, rng=None):
        super().__init__()
        self.p = check_number(p, "p (dropout probability)", low=0, high=1,
                              owner=type(self).__name__)
        self.rng = check_rng(rng)
        self.mask = None

    def forward(self, x):
        """x : array, any shape. Returns x * mask in training, x in evaluation mode."""
        check_input(self, x)
        if self.training:
            keep = self.rng.random(x.shape) >= self.p
            scale = 1 / (1 - self.p) if self.p < 1 else 0.0
            self.mask = keep.astype(x.dtype) * scale
        else:
            self.mask = np.ones_like(x)
        return x * self.mask

    def backward(self, dout):
        """dout : array shaped like x. Returns dL/dx = dout * mask."""
        check_dout(self, dout, *spec(self.mask))
        return dout * self.mask

    def extra_repr(self):
        return f"p={self.p}"
