"""Gradient-trained building blocks with explicit forward and backward passes.

Every layer follows the protocol of :class:`Module`: ``forward(x)`` caches what
``backward(dout)`` needs; ``backward`` returns dL/dx and adds the parameter gradients into
``grads``. Names, shapes and defaults follow ``torch.nn``.
"""

from scratchdl.nn.activation import GELU, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from scratchdl.nn.container import Sequential
from scratchdl.nn.dropout import Dropout
from scratchdl.nn.linear import Linear
from scratchdl.nn.module import Module
from scratchdl.nn.normalization import BatchNorm1d

__all__ = [
    "Module",
    "Sequential",
    "Linear",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "GELU",
    "Identity",
    "Dropout",
    "BatchNorm1d",
]
