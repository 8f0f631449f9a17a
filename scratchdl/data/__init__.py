"""Data sets and the plumbing around them.

* generated in code: :func:`make_moons`, :func:`make_circles`, :func:`make_spirals`,
  :func:`make_blobs`, :func:`make_xor`
* bundled with the package: :func:`load_digits` (8x8 handwritten digits)
* preparing data: :func:`train_test_split`, :class:`StandardScaler`, :func:`one_hot`
* sequences: :func:`make_delayed_recall`, :func:`make_adding_problem`,
  :func:`make_noisy_sine`, :class:`CharVocabulary`, :func:`make_sorting` (digit sequences
  and their sorted order)
* text: :func:`load_tiny_shakespeare` (nanoGPT's character-level data, its split), the
  text of the character-level language models of chapters 05, 06 and 11
* mode-collapse benchmarks: :func:`make_ring_of_gaussians`, :func:`make_grid_of_gaussians`
* images and signals: :func:`make_mnist1d` (generated), :func:`load_mnist` (opt-in download)
* graphs: :func:`load_cora` (citation graph, Planetoid split), :func:`load_karate_club`
* batching: :func:`iterate_minibatches`
"""

from scratchdl.data.batching import iterate_minibatches
from scratchdl.data.digits import load_digits
from scratchdl.data.graphs import load_cora, load_karate_club
from scratchdl.data.mixtures import make_grid_of_gaussians, make_ring_of_gaussians
from scratchdl.data.mnist import load_mnist
from scratchdl.data.mnist1d import make_mnist1d
from scratchdl.data.preprocessing import StandardScaler, one_hot, train_test_split
from scratchdl.data.sequences import (
    CharVocabulary,
    make_adding_problem,
    make_delayed_recall,
    make_noisy_sine,
)
from scratchdl.data.sorting import make_sorting
from scratchdl.data.synthetic import make_blobs, make_circles, make_moons, make_spirals, make_xor
from scratchdl.data.text import load_tiny_shakespeare

__all__ = [
    "CharVocabulary",
    "make_adding_problem",
    "make_delayed_recall",
    "make_noisy_sine",
    "make_sorting",
    "StandardScaler",
    "iterate_minibatches",
    "load_digits",
    "load_tiny_shakespeare",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_xor",
    "one_hot",
    "train_test_split",
    "load_mnist",
    "load_cora",
    "load_karate_club",
    "make_mnist1d",
    "make_grid_of_gaussians",
    "make_ring_of_gaussians",
]
