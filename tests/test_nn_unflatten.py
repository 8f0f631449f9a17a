"""Unflatten: the inverse of Flatten, against torch.nn.Unflatten, and bad input."""

import numpy as np
import pytest

from scratchdl import nn
from scratchdl.gradcheck import gradcheck
from tests.oracles import require


def test_unflatten_inverts_flatten_and_passes_the_gradient_back():
    x = np.random.default_rng(0).standard_normal((5, 24))
    layer = nn.Unflatten(1, (2, 3, 4))
    y = layer(x)
    assert y.shape == (5, 2, 3, 4)
    np.testing.assert_array_equal(nn.Flatten()(y), x)
    dout = np.random.default_rng(1).standard_normal(y.shape)
    np.testing.assert_array_equal(layer.backward(dout), dout.reshape(5, 24))
    assert nn.Unflatten(-1, (6, 4))(x).shape == (5, 6, 4)
    assert nn.Unflatten(0, (5, 1))(x).shape == (5, 1, 24)
    net = nn.Sequential(nn.Linear(3, 12, rng=0), nn.Unflatten(1, (3, 4)), nn.Flatten(),
                        nn.Linear(12, 2, rng=1))
    assert gradcheck(net, np.random.default_rng(2).standard_normal((4, 3))).passed


def test_unflatten_matches_torch():
    torch = require("torch")
    x = np.random.default_rng(3).standard_normal((2, 12, 5))
    for dim, size in ((1, (3, 4)), (-1, (5, 1)), (0, (1, 2))):
        ours = nn.Unflatten(dim, size)(x)
        theirs = torch.nn.Unflatten(dim, size)(torch.from_numpy(x)).numpy()
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("make, x, error, words", [
    (lambda: nn.Unflatten(1, (2, 3)), np.ones((4, 5)), ValueError,
     r"^Unflatten\(1, \(2, 3\)\): axis 1 of x has size 5, not 6"),
    (lambda: nn.Unflatten(2, (2, 3)), np.ones((4, 6)), ValueError, r"no axis 2"),
    (lambda: nn.Unflatten(1, (2, 3)), np.ones((4, 6), dtype=int), TypeError, r"dtype"),
])
def test_unflatten_refuses_bad_input(make, x, error, words):
    with pytest.raises(error, match=words):
        make()(x)


@pytest.mark.parametrize("args, error, words", [
    ((1.0, (2, 3)), TypeError, "dim must be an int"),
    ((1, ()), ValueError, "unflattened_size"),
    ((1, (2, 0)), ValueError, "unflattened_size"),
    ((1, 6), ValueError, "unflattened_size"),
])
def test_unflatten_refuses_bad_hyperparameters(args, error, words):
    with pytest.raises(error, match=rf"^Unflatten: {words}"):
        nn.Unflatten(*args)
