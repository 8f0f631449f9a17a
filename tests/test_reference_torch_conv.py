"""Reference tests: convolution, pooling and BatchNorm2d give PyTorch's numbers (float64).

Random configurations (shapes, strides, paddings, dilations, including sizes the windows
do not tile) go through both; outputs and every gradient must agree to the tolerance of
tests/test_reference_torch.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import nn
from tests.oracles import require
from tests.test_reference_torch import check_module, close, data, numpy_state

torch = require("torch")
F = torch.nn.functional
pytestmark = pytest.mark.reference


def random_configs(nd, count, seed):
    """Valid (shape, kernel, stride, padding, dilation) draws for ``nd`` spatial axes."""
    rng = np.random.default_rng(seed)
    configs = []
    while len(configs) < count:
        kernel = tuple(int(k) for k in rng.integers(1, 5, nd))
        stride = tuple(int(s) for s in rng.integers(1, 4, nd))
        dilation = tuple(int(d) for d in rng.integers(1, 3, nd))
        padding = tuple(int(p) for p in rng.integers(0, 3, nd))
        spatial = tuple(int(n) for n in rng.integers(1, 12, nd))
        if any(d * (k - 1) + 1 > n + 2 * p for n, k, p, d in
               zip(spatial, kernel, padding, dilation, strict=True)):
            continue  # no window fits: conv_output_size refuses it
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4)), *spatial)
        configs.append((shape, kernel, stride, padding, dilation))
    return configs


CONV2D = random_configs(2, 24, seed=7)
CONV1D = random_configs(1, 16, seed=8)


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding", "dilation"), CONV2D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(shape, kernel, stride, padding, dilation, bias):
    out_channels = 3
    theirs = torch.nn.Conv2d(shape[1], out_channels, kernel, stride, padding, dilation,
                             bias=bias).double()
    ours = nn.Conv2d(shape[1], out_channels, kernel, stride, padding, dilation, bias=bias,
                     rng=0)
    ours.load_state_dict(numpy_state(theirs))
    check_module(ours, theirs, data(shape))


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding", "dilation"), CONV1D)
def test_conv1d(shape, kernel, stride, padding, dilation):
    theirs = torch.nn.Conv1d(shape[1], 4, kernel[0], stride[0], padding[0], dilation[0]).double()
    ours = nn.Conv1d(shape[1], 4, kernel[0], stride[0], padding[0], dilation[0], rng=0)
    ours.load_state_dict(numpy_state(theirs))
    check_module(ours, theirs, data(shape))


def test_conv2d_functional_and_init_distribution():
    # torch.nn.functional.conv2d with our weights, and our initial weights' range.
    ours = nn.Conv2d(3, 5, 3, stride=2, padding=1, rng=1)
    x = data((2, 3, 9, 9))
    close(ours(x), F.conv2d(torch.tensor(x), torch.tensor(ours.weight),
                            torch.tensor(ours.bias), stride=2, padding=1))
    theirs = torch.nn.Conv2d(3, 5, 3)
    bound = 1 / np.sqrt(27)
    assert theirs.weight.abs().max() <= bound and np.abs(ours.weight).max() <= bound


def transposed_configs(count, seed):
    """(shape, kernel, stride, padding, output_padding, dilation) with a positive output."""
    rng = np.random.default_rng(seed)
    configs = []
    while len(configs) < count:
        kernel = tuple(int(k) for k in rng.integers(1, 5, 2))
        stride = tuple(int(s) for s in rng.integers(1, 4, 2))
        dilation = tuple(int(d) for d in rng.integers(1, 3, 2))
        padding = tuple(int(p) for p in rng.integers(0, 3, 2))
        # Any output_padding PyTorch allows: smaller than the stride or the dilation.
        output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in
                               zip(stride, dilation, strict=True))
        spatial = tuple(int(n) for n in rng.integers(1, 8, 2))
        out = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, k, s, p, op, d in
               zip(spatial, kernel, stride, padding, output_padding, dilation, strict=True)]
        if min(out) < 1:
            continue
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4)), *spatial)
        configs.append((shape, kernel, stride, padding, output_padding, dilation))
    return configs


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding", "output_padding",
                          "dilation"), transposed_configs(32, seed=11))
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose2d(shape, kernel, stride, padding, output_padding, dilation, bias):
    theirs = torch.nn.ConvTranspose2d(shape[1], 3, kernel, stride, padding, output_padding,
                                      bias=bias, dilation=dilation).double()
    ours = nn.ConvTranspose2d(shape[1], 3, kernel, stride, padding, output_padding, dilation,
                              bias=bias, rng=0)
    ours.load_state_dict(numpy_state(theirs))
    check_module(ours, theirs, data(shape))


def test_conv_transpose2d_covers_every_option():
    # The random draws include each case the adjoint has to get right.
    configs = transposed_configs(32, seed=11)
    assert any(s != (1, 1) for _, _, s, _, _, _ in configs)
    assert any(any(p) for _, _, _, p, _, _ in configs)
    assert any(any(op) for _, _, _, _, op, _ in configs)
    assert any(d != (1, 1) for *_, d in configs)
    # output_padding >= stride, allowed because it is smaller than the dilation.
    assert any(o >= s for _, _, st, _, op, _ in configs for o, s in zip(op, st, strict=True))


def test_conv_transpose2d_init_distribution():
    # PyTorch's fan-in for the transposed layer is weight.shape[1] * kh * kw = C_out k^2.
    ours = nn.ConvTranspose2d(3, 5, 3, rng=1)
    bound = 1 / np.sqrt(5 * 9)
    assert np.abs(ours.weight).max() <= bound and np.abs(ours.bias).max() <= bound
    assert np.abs(ours.weight).max() > 0.9 * bound


def pool_configs(nd, count, seed):
    """(shape, kernel, stride, padding) with padding <= kernel // 2, as PyTorch requires."""
    configs = []
    for shape, kernel, stride, _, _ in random_configs(nd, count * 3, seed):
        padding = tuple(int(min(k // 2, p)) for k, p in
                        zip(kernel, np.random.default_rng(len(configs)).integers(0, 2, nd),
                            strict=True))
        if all(n + 2 * p >= k for n, p, k in zip(shape[2:], padding, kernel, strict=True)):
            configs.append((shape, kernel, stride, padding))
    return configs[:count]


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding"), pool_configs(2, 16, 9))
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool2d(shape, kernel, stride, padding, kind):
    ours = (nn.MaxPool2d if kind == "max" else nn.AvgPool2d)(kernel, stride, padding)
    theirs = (torch.nn.MaxPool2d if kind == "max" else torch.nn.AvgPool2d)(kernel, stride,
                                                                           padding)
    check_module(ours, theirs, data(shape))


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding"), pool_configs(1, 12, 10))
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool1d(shape, kernel, stride, padding, kind):
    ours = (nn.MaxPool1d if kind == "max" else nn.AvgPool1d)(kernel[0], stride[0], padding[0])
    theirs = (torch.nn.MaxPool1d if kind == "max" else torch.nn.AvgPool1d)(
        kernel[0], stride[0], padding[0])
    check_module(ours, theirs, data(shape))


def test_pool_default_stride_and_functional():
    x = data((2, 3, 9, 7))
    close(nn.MaxPool2d(2)(x), F.max_pool2d(torch.tensor(x), 2))
    close(nn.AvgPool2d(3)(x), F.avg_pool2d(torch.tensor(x), 3))
    close(nn.MaxPool1d(3)(x[:, :, 0]), F.max_pool1d(torch.tensor(x[:, :, 0]), 3))


@pytest.mark.parametrize("shape", [(2, 3, 5, 4), (1, 2, 1, 1)])
def test_global_avg_pool(shape):
    check_module(nn.GlobalAvgPool2d(), torch.nn.AdaptiveAvgPool2d(1), data(shape))
    check_module(nn.GlobalAvgPool1d(), torch.nn.AdaptiveAvgPool1d(1), data(shape[:3]))


@pytest.mark.parametrize("shape", [(4, 3, 5, 6), (2, 2, 1, 3), (1, 3, 2, 2)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm2d(shape, momentum):
    theirs = torch.nn.BatchNorm2d(shape[1], momentum=momentum).double()
    ours = nn.BatchNorm2d(shape[1], momentum=momentum)
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
        theirs.bias.uniform_(-1, 1)
    ours.load_state_dict(numpy_state(theirs))
    for step in range(2):
        check_module(ours, theirs, data(shape, seed=step, scale=2.0) + 1)
        close(ours.running_mean, theirs.running_mean, "running_mean")
        close(ours.running_var, theirs.running_var, "running_var")
    ours.eval(), theirs.eval()
    check_module(ours, theirs, data(shape, seed=5))


def test_small_cnn_end_to_end():
    def build(lib, **kw):
        return lib.Sequential(lib.Conv2d(1, 4, 3, padding=1, **kw), lib.BatchNorm2d(4),
                              lib.ReLU(), lib.MaxPool2d(2), lib.Conv2d(4, 6, 3, stride=2, **kw),
                              lib.Flatten(), lib.Linear(6, 3, **kw))
    theirs = build(torch.nn).double()
    ours = build(nn, rng=0)
    ours.load_state_dict(numpy_state(theirs))
    check_module(ours, theirs, data((3, 1, 8, 8)))
