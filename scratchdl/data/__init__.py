"""Data sets and the plumbing around them.

* generated in code: :func:`make_moons`, :func:`make_circles`, :func:`make_spirals`,
  :func:`make_blobs`, :func:`make_xor`
* bundled with the package: :func:`load_digits` (8x8 handwritten digits)
* preparing data: :func:`train_test_split`, :class:`StandardScaler`, :func:`one_hot`
* batching: :func:`iterate_minibatches`
"""

from scratchdl.data.batching import iterate_minibatches
from scratchdl.data.digits import load_digits
from scratchdl.data.preprocessing import StandardScaler, one_hot, train_test_split
from scratchdl.data.synthetic import make_blobs, make_circles, make_moons, make_spirals, make_xor

__all__ = [
    "StandardScaler",
    "iterate_minibatches",
    "load_digits",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_xor",
    "one_hot",
    "train_test_split",
]
