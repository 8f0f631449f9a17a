"""Flatten merges a range of axes, e.g. (N, C, H, W) to (N, C*H*W) before a Linear layer;
Unflatten splits one axis, its inverse. Both are reshapes, and so is chapter 10's
:class:`scratchdl.models.gan.Pack`: they share the private ``_Reshape``'s bookkeeping and
backward pass."""

from __future__ import annotations

import math
import numbers

from scratchdl._validation import check_float_array
from scratchdl.nn._checks import check_dout, describe
from scratchdl.nn.module import Module


class _Reshape(Module):
    """A layer whose forward pass is a reshape: it moves no number, only relabels them.

    A subclass checks its input, computes the output's shape and returns
    ``self._reshape(x, shape)``, which records what :meth:`backward` needs: the input's
    shape and the output's (shape, dtype). The backward pass gives the gradient the
    input's shape back.
    """

    def __init__(self):
        super().__init__()
        self.x_shape = None
        self.out_spec = (None, None)  # (shape, dtype) of the last output, for backward

    def _reshape(self, x, shape):
        self.x_shape = x.shape
        y = x.reshape(shape)
        self.out_spec = (y.shape, y.dtype)
        return y

    def backward(self, dout):
        """Give ``dout`` the input's shape back.

        Parameters
        ----------
        dout : array of the output's shape

        Returns
        -------
        array of the input's shape
        """
        check_dout(self, dout, *self.out_spec)
        return dout.reshape(self.x_shape)


class Flatten(_Reshape):
    """Merge axes ``start_dim`` to ``end_dim`` into one, as ``torch.nn.Flatten``.

    Parameters
    ----------
    start_dim, end_dim : int
        First and last axis merged (negative counts from the end). The defaults keep the
        batch axis and merge all the others.

    Notes
    -----
    Shapes: (N, C, H, W) to (N, C*H*W) with the defaults. The backward pass reshapes
    the gradient back: flattening moves no number, it only relabels them.

    Examples
    --------
    >>> import numpy as np
    >>> Flatten()(np.ones((2, 3, 4, 5))).shape
    (2, 60)
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        for name, value in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"Flatten: {name} must be an int, got {value!r}")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x):
        """Reshape ``x`` with axes ``start_dim..end_dim`` merged.

        Parameters
        ----------
        x : (N, ...) array

        Returns
        -------
        array with ``x``'s axes before ``start_dim``, their product, then those after
        ``end_dim``.
        """
        owner = describe(self)
        check_float_array(x, "x", owner=owner)
        start = self.start_dim % x.ndim if -x.ndim <= self.start_dim < x.ndim else None
        end = self.end_dim % x.ndim if -x.ndim <= self.end_dim < x.ndim else None
        if start is None or end is None or start > end:
            raise ValueError(f"{owner}: cannot merge axes {self.start_dim}..{self.end_dim} "
                             f"of x with shape {x.shape}")
        return self._reshape(x, (*x.shape[:start], -1, *x.shape[end + 1:]))

    def extra_repr(self):
        if (self.start_dim, self.end_dim) == (1, -1):
            return ""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(_Reshape):
    """Split axis ``dim`` into ``unflattened_size``, as ``torch.nn.Unflatten``.

    The inverse of :class:`Flatten`: (N, C*H*W) to (N, C, H, W) with ``dim=1`` and
    ``unflattened_size=(C, H, W)``, e.g. after the first ``Linear`` layer of a generator
    whose later layers are (transposed) convolutions.

    Parameters
    ----------
    dim : int
        The axis split (negative counts from the end).
    unflattened_size : tuple of int >= 1
        The new axes; their product must equal the size of axis ``dim``.

    Examples
    --------
    >>> import numpy as np
    >>> Unflatten(1, (2, 3, 4))(np.ones((5, 24))).shape
    (5, 2, 3, 4)
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        owner = type(self).__name__
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"{owner}: dim must be an int, got {dim!r}")
        if (not isinstance(unflattened_size, (tuple, list)) or not unflattened_size
                or any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1
                       for s in unflattened_size)):
            raise ValueError(f"{owner}: unflattened_size must be a non-empty tuple of "
                             f"integers >= 1, got {unflattened_size!r}")
        self.dim, self.unflattened_size = int(dim), tuple(int(s) for s in unflattened_size)

    def forward(self, x):
        """Reshape ``x`` with axis ``dim`` split into ``unflattened_size``."""
        owner = describe(self)
        check_float_array(x, "x", owner=owner)
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"{owner}: x with shape {x.shape} has no axis {self.dim}")
        dim = self.dim % x.ndim
        if x.shape[dim] != math.prod(self.unflattened_size):
            raise ValueError(f"{owner}: axis {self.dim} of x has size {x.shape[dim]}, not "
                             f"{math.prod(self.unflattened_size)} = the product of "
                             f"{self.unflattened_size}; x has shape {x.shape}")
        return self._reshape(x, (*x.shape[:dim], *self.unflattened_size, *x.shape[dim + 1:]))

    def extra_repr(self):
        return f"{self.dim}, {self.unflattened_size}"
