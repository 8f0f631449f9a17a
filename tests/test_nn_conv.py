"""Conv1d, Conv2d, pooling, Flatten and BatchNorm2d: values, gradient checks, bad input.

The comparisons with PyTorch are in tests/test_reference_torch_conv.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchdl.functional import col2im, conv_output_size, fold, im2col, sliding_windows
from scratchdl.gradcheck import TOLERANCE, gradcheck
from scratchdl.nn import (
    AvgPool1d,
    AvgPool2d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    Flatten,
    GlobalAvgPool1d,
    GlobalAvgPool2d,
    Linear,
    MaxPool1d,
    MaxPool2d,
    ReLU,
    Sequential,
)
from scratchdl.nn import conv as conv_module
from scratchdl.nn import conv_transpose as conv_transpose_module


def data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def routes_agree(layer, x, dout_seed):
    """Run ``layer`` forward and backward on its fast route, then on the readable one (the
    chapter's), and check both give the same output, input gradient and parameter
    gradients in float64, to 1e-13. Returns the fast route's output and input gradient;
    the layer is left on its fast route."""
    layer._fast = True
    layer.zero_grad()
    y = layer(x)
    if hasattr(layer, "_route"):  # a convolution records the route it took
        assert layer._route in ("grouped", "stride one", "channels last")
    dout = data(y.shape, dout_seed)
    dx = layer.backward(dout)
    grads = {name: g.copy() for name, g in layer.grads.items()}
    layer._fast = False
    layer.zero_grad()
    np.testing.assert_allclose(y, layer(x), rtol=0, atol=1e-13)
    if hasattr(layer, "_route"):
        assert layer._route == "readable"
    np.testing.assert_allclose(dx, layer.backward(dout), rtol=0, atol=1e-13)
    for name, grad in layer.grads.items():
        np.testing.assert_allclose(grads[name], grad, rtol=0, atol=1e-13)
    layer._fast = True
    return y, dx


def direct_conv2d(x, w, b, stride, padding, dilation):
    """The definition, one output element at a time (slow, obviously right)."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    ho = conv_output_size(h, kh, sh, ph, dh)
    wo = conv_output_size(wd, kw, sw, pw, dw)
    y = np.zeros((n, o, ho, wo))
    for i in range(ho):
        for j in range(wo):
            rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
            cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
            patch = xp[:, :, rows, cols]
            y[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return y


@pytest.mark.parametrize(("stride", "padding", "dilation"), [
    ((1, 1), (0, 0), (1, 1)), ((2, 1), (1, 2), (1, 2)), ((3, 2), (2, 0), (2, 1))])
def test_conv2d_matches_the_definition(stride, padding, dilation):
    layer = Conv2d(3, 4, (3, 2), stride, padding, dilation, rng=0)
    x = data((2, 3, 9, 8))
    expected = direct_conv2d(x, layer.weight, layer.bias, stride, padding, dilation)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-12, atol=1e-12)


def test_conv_init_follows_torch():
    layer = Conv2d(16, 32, 3, rng=0)
    assert layer.weight.shape == (32, 16, 3, 3) and layer.bias.shape == (32,)
    bound = 1 / math.sqrt(16 * 9)
    assert np.abs(layer.weight).max() <= bound
    assert layer.weight.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert repr(layer) == "Conv2d(16, 32, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(Conv1d(2, 3, 5, padding=2, bias=False)) == (
        "Conv1d(2, 3, kernel_size=5, stride=1, padding=2, bias=False)")
    assert Conv1d(2, 3, 5).weight.shape == (3, 2, 5)


def test_im2col_col2im_are_adjoint():
    # <im2col(x), c> == <x, col2im(c)>: col2im is the transpose of the linear map im2col.
    args = ((3, 2), (2, 1), (1, 2), (2, 1))
    x = data((2, 3, 7, 6))
    cols = im2col(x, *args)
    c = data(cols.shape, 1)
    assert np.vdot(cols, c) == pytest.approx(np.vdot(x, col2im(c, x.shape, *args)), rel=1e-12)


@pytest.mark.parametrize(("c_in", "route"), [(2, "stride one"), (32, "channels last")])
def test_conv_keeps_float32(c_in, route):
    # In float32, on the stacked route and the channels-last one: float32 throughout, and
    # the numbers of the float64 readable route up to float32 rounding.
    layer = Conv2d(c_in, 3, 3, padding=1, rng=0, dtype=np.float32)
    x = data((2, c_in, 5, 5)).astype(np.float32)
    dout = data((2, 3, 5, 5), 1).astype(np.float32)
    y = layer(x)
    assert layer._route == route
    dx = layer.backward(dout)
    assert y.dtype == dx.dtype == layer.grads["weight"].dtype == np.float32
    exact = Conv2d(c_in, 3, 3, padding=1, rng=0)
    exact.load_state_dict({name: value.astype(np.float64)
                           for name, value in layer.state_dict().items()})
    exact._fast = False
    np.testing.assert_allclose(y, exact(x.astype(np.float64)), rtol=0, atol=1e-5)
    np.testing.assert_allclose(dx, exact.backward(dout.astype(np.float64)), rtol=0, atol=1e-5)
    for name, grad in layer.grads.items():
        np.testing.assert_allclose(grad, exact.grads[name], rtol=0, atol=1e-4)


def test_backward_accumulates():
    layer = Conv1d(2, 3, 3, rng=0)
    x = data((2, 2, 6))
    y = layer(x)
    layer.backward(np.ones_like(y))
    once = layer.grads["weight"].copy()
    layer.backward(np.ones_like(y))
    np.testing.assert_allclose(layer.grads["weight"], 2 * once)


MODULES = {
    "Conv2d": (lambda: Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2),
                              rng=0), (2, 2, 7, 6)),
    "Conv2d-nobias": (lambda: Conv2d(2, 3, 2, bias=False, rng=0), (1, 2, 4, 5)),
    "Conv1d": (lambda: Conv1d(2, 3, 3, stride=2, padding=1, dilation=2, rng=0), (3, 2, 11)),
    "MaxPool2d": (lambda: MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 6)),
    "MaxPool1d": (lambda: MaxPool1d(2), (2, 3, 9)),
    "AvgPool2d": (lambda: AvgPool2d((2, 3), stride=(1, 2), padding=1), (2, 2, 5, 7)),
    "AvgPool1d": (lambda: AvgPool1d(3, stride=2), (2, 2, 8)),
    "GlobalAvgPool2d": (lambda: GlobalAvgPool2d(), (2, 3, 4, 5)),
    "GlobalAvgPool1d": (lambda: GlobalAvgPool1d(), (2, 3, 4)),
    "Flatten": (lambda: Flatten(), (2, 3, 4, 5)),
    "BatchNorm2d": (lambda: BatchNorm2d(3), (4, 3, 3, 2)),
    "ConvTranspose2d": (lambda: ConvTranspose2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0),
                                                output_padding=(1, 0), rng=0), (2, 2, 3, 4)),
    "ConvTranspose2d-dilated": (lambda: ConvTranspose2d(2, 2, 3, padding=1, output_padding=1,
                                                        dilation=2, bias=False, rng=0),
                                (1, 2, 3, 3)),
    "CNN": (lambda: Sequential(Conv2d(1, 4, 3, padding=1, rng=0), BatchNorm2d(4), ReLU(),
                               MaxPool2d(2), Conv2d(4, 4, 3, rng=1), GlobalAvgPool2d(),
                               Flatten(), Linear(4, 3, rng=2)), (3, 1, 8, 8)),
}


@pytest.mark.parametrize("name", MODULES)
def test_gradients(name):
    make, shape = MODULES[name]
    result = gradcheck(make(), data(shape, 3))
    assert result.max_error < TOLERANCE, result


def test_batchnorm2d_eval_gradients():
    layer = BatchNorm2d(3)
    layer(data((4, 3, 2, 2)))
    layer.eval()
    result = gradcheck(layer, data((2, 3, 2, 2), 1))
    assert result.max_error < TOLERANCE, result


def test_maxpool_routes_gradient_to_the_maximum():
    x = np.array([[[[1.0, 5.0], [3.0, 2.0]]]])
    pool = MaxPool2d(2)
    assert pool(x).item() == 5.0
    np.testing.assert_array_equal(pool.backward(np.array([[[[7.0]]]])), [[[[0, 7], [0, 0]]]])


def test_pool_defaults_and_odd_sizes():
    pool = MaxPool2d(2)
    assert pool.stride == (2, 2) and pool(data((1, 1, 7, 5))).shape == (1, 1, 3, 2)
    assert repr(pool) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2))"
    assert Flatten()(data((2, 3, 4))).shape == (2, 12)
    assert Flatten(0, 1)(data((2, 3, 4))).shape == (6, 4)


def unchanged(layer):
    """Snapshot of everything a rejected call must leave alone."""
    return {k: v.copy() for k, v in {**layer.params, **layer.buffers}.items()}


BAD = [
    (lambda: Conv2d(3, 4, 3, rng=0), data((2, 2, 5, 5)), ValueError,
     r"Conv2d\(3, 4.*3 channels.*\(2, 2, 5, 5\)"),
    (lambda: Conv2d(3, 4, 3, rng=0), data((3, 5, 5)), ValueError,
     r"Conv2d\(3, 4.*4 dimensions \(N, C, H, W\), got shape \(3, 5, 5\)"),
    (lambda: Conv2d(3, 4, 5, padding=1, rng=0), data((1, 3, 2, 6)), ValueError,
     r"Conv2d\(3, 4, kernel_size=\(5, 5\).*spans \(5, 5\).*padded input is only \(4, 8\)"),
    (lambda: Conv1d(2, 4, 3, dilation=3, rng=0), data((1, 2, 6)), ValueError,
     r"Conv1d\(2, 4.*spans \(7,\).*\(6,\)"),
    (lambda: Conv1d(2, 4, 3, rng=0), data((1, 2, 6)).astype(np.float32), TypeError,
     r"Conv1d.*float32"),
    (lambda: Conv2d(1, 1, 1, rng=0), np.full((1, 1, 2, 2), np.nan), ValueError, r"NaN"),
    (lambda: MaxPool2d(3), data((1, 2, 2, 5)), ValueError, r"MaxPool2d.*spans \(3, 3\)"),
    (lambda: MaxPool1d(2), data((2, 4)), ValueError, r"MaxPool1d.*3 dimensions \(N, C, L\)"),
    (lambda: AvgPool2d(2), data((2, 4, 4)), ValueError, r"AvgPool2d.*4 dimensions"),
    (lambda: BatchNorm2d(3), data((2, 4, 2, 2)), ValueError,
     r"BatchNorm2d\(3\).*\(N, 3, H, W\), got \(2, 4, 2, 2\)"),
    (lambda: BatchNorm2d(3), data((1, 3, 1, 1)), ValueError, r"more than 1 value"),
    (lambda: GlobalAvgPool2d(), data((2, 3)), ValueError, r"GlobalAvgPool2d.*4 dimensions"),
    (lambda: Flatten(2), data((2, 3)), ValueError, r"Flatten.*axes 2..-1"),
    (lambda: ConvTranspose2d(3, 4, 3, rng=0), data((2, 2, 5, 5)), ValueError,
     r"ConvTranspose2d\(3, 4.*3 channels.*\(2, 2, 5, 5\)"),
    (lambda: ConvTranspose2d(3, 4, 1, padding=1, rng=0), data((1, 3, 2, 2)), ValueError,
     r"ConvTranspose2d\(3, 4.*output of size \(0, 0\)"),
    (lambda: ConvTranspose2d(3, 4, 3, rng=0), data((1, 3, 2, 2)).astype(np.float32),
     TypeError, r"ConvTranspose2d.*float32"),
    # Sizes that imply tens of GiB are refused before anything is allocated.
    (lambda: Conv1d(1, 1, 1, padding=10**9, rng=0), data((1, 1, 3)), ValueError,
     r"Conv1d\(1, 1, .*padding=1000000000\): the padded input and its columns .* elements"),
    (lambda: ConvTranspose2d(1, 1, 1, stride=10**5, rng=0), data((1, 1, 900, 900)), ValueError,
     r"ConvTranspose2d\(1, 1, .*: the output and its columns .* elements"),
]


@pytest.mark.parametrize(("make", "x", "error", "match"), BAD)
def test_bad_input_is_named_and_changes_nothing(make, x, error, match):
    layer = make()
    before = unchanged(layer)
    with pytest.raises(error, match=match):
        layer(x)
    for name, value in unchanged(layer).items():
        np.testing.assert_array_equal(value, before[name])


@pytest.mark.parametrize(("make", "shape"), [
    (lambda: Conv2d(3, 4, (3, 2), padding=(1, 2), dilation=(2, 1), rng=0), (2, 3, 9, 7)),
    (lambda: Conv2d(3, 2, 5, rng=0), (2, 3, 5, 6)),
    (lambda: Conv2d(2, 3, 3, padding=1, bias=False, rng=0), (3, 2, 8, 8)),
    (lambda: Conv1d(2, 3, 3, padding=3, dilation=2, rng=0), (2, 2, 11)),
    (lambda: Conv2d(4, 3, 3, padding=1, rng=0), (5, 4, 6, 5)),
    (lambda: Conv2d(3, 3, (3, 2), padding=(2, 1), dilation=2, rng=0), (2, 3, 7, 6)),
    (lambda: Conv1d(3, 2, 3, padding=3, rng=0), (2, 3, 9)),
    (lambda: Conv1d(4, 4, 5, padding=2, bias=False, rng=0), (3, 4, 12)),
    # Few input channels (C_out >= 4 C_in): the stride-1 route's narrow backward pass.
    (lambda: Conv2d(1, 4, 3, padding=1, rng=0), (3, 1, 6, 5)),
    (lambda: Conv2d(2, 8, (3, 2), padding=(2, 1), dilation=(2, 1), rng=0), (2, 2, 7, 6)),
    (lambda: Conv1d(1, 5, 4, padding=1, bias=False, rng=0), (3, 1, 11)),
    (lambda: Conv1d(1, 4, 3, rng=0), (2, 1, 8)),
    # Small maps with 32 or more input channels (64 in 1-D): the channels-last route
    # ("same" padding, none, wider than "same", dilated, no bias, one spatial axis, many
    # output channels).
    (lambda: Conv2d(32, 4, 3, padding=1, rng=0), (3, 32, 5, 4)),
    (lambda: Conv2d(32, 5, 3, rng=0), (3, 32, 5, 6)),
    (lambda: Conv2d(33, 3, (3, 2), padding=(2, 1), dilation=(2, 1), bias=False, rng=0),
     (2, 33, 4, 3)),
    (lambda: Conv1d(64, 3, 5, padding=2, rng=0), (3, 64, 4)),
    (lambda: Conv2d(32, 130, 3, padding=1, rng=0), (2, 32, 4, 4)),
    # Strides other than 1: the grouped route folds with functional.fold.
    (lambda: Conv2d(3, 4, 3, stride=2, padding=1, rng=0), (5, 3, 9, 8)),
    (lambda: Conv2d(2, 3, (3, 2), stride=(2, 3), padding=(0, 1), dilation=(1, 2), rng=0),
     (3, 2, 10, 11)),
    (lambda: Conv1d(2, 3, 4, stride=3, padding=2, bias=False, rng=0), (4, 2, 13)),
])
@pytest.mark.parametrize("group_columns", [None, 1, 30, 10**6])
@pytest.mark.parametrize("threads", [None, 2, 3])
def test_fast_routes_equal_readable_route(make, shape, group_columns, threads, monkeypatch):
    # The package's routes (for stride 1 with padding up to the kernel's span minus one:
    # the batch stacked into one tall map, or on small maps with 32 or more input
    # channels the channels laid out last, the input gradient as a correlation with the
    # flipped kernel; otherwise samples side by side in groups and a fold; "same" padding
    # and other paddings both occur below) and the readable route
    # the chapter shows: the same output, input gradient and parameter gradients, with the
    # default group size (None), one sample per group (1), groups that leave a smaller
    # last group (30 columns), and the whole batch in one group (10**6); with the
    # stride-1 route's batch cut into parts on 2 or 3 threads (None: as many as NumPy's
    # BLAS has, 1 in the tests) when each part gets at least that many columns.
    if group_columns is not None:
        monkeypatch.setattr(conv_module, "_GROUP_COLUMNS", group_columns)
        monkeypatch.setattr(conv_module, "_PART_COLUMNS", group_columns)
        monkeypatch.setattr(conv_module, "_PART_WORK", group_columns)
        monkeypatch.setattr(conv_module, "_LAST_POSITIONS", group_columns)
    layer = make()
    layer._threads = threads
    routes_agree(layer, data(shape), 1)
    layer(data(shape))  # the fast route again, to see which one it is
    if layer.in_channels >= (64 if len(shape) == 3 else 32):  # the small maps above
        assert layer._route == "channels last"
    stacked = layer._route == "stride one"
    if threads and group_columns == 1 and stacked:
        assert len(layer._parts) == min(threads, shape[0])  # the batch did run in parts
    # The narrow backward pass ran exactly when the stacked layout has few input channels.
    narrow = stacked and 4 * layer.in_channels <= layer.out_channels
    assert ("dflat0" in layer._work) == narrow


@pytest.mark.parametrize(("make", "shape", "route"), [
    (lambda: Conv2d(32, 4, 3, padding=1, rng=0), (2, 32, 7, 7), "channels last"),
    (lambda: Conv2d(31, 4, 3, padding=1, rng=0), (2, 31, 7, 7), "stride one"),  # few C_in
    (lambda: Conv2d(32, 4, 3, padding=1, rng=0), (2, 32, 12, 12), "channels last"),  # 144
    (lambda: Conv2d(32, 4, 3, padding=1, rng=0), (2, 32, 13, 12), "stride one"),  # 156
    (lambda: Conv2d(32, 4, 3, rng=0), (2, 32, 14, 14), "channels last"),  # 12x12 outputs
    (lambda: Conv1d(64, 4, 9, padding=4, rng=0), (2, 64, 49), "channels last"),
    (lambda: Conv1d(63, 4, 9, padding=4, rng=0), (2, 63, 49), "stride one"),  # few C_in
    (lambda: Conv1d(64, 4, 9, padding=4, rng=0), (2, 64, 196), "stride one"),
    (lambda: Conv2d(32, 4, 3, stride=2, padding=1, rng=0), (2, 32, 7, 7), "grouped"),
])
def test_convolution_route_follows_the_shape(make, shape, route):
    # For stride 1, small maps (at most 144 output positions per sample) with at least 32
    # input channels (64 in 1-D) take the channels-last route, the others the stacked map
    # (conv._LAST_MAP, conv._LAST_CHANNELS, conv._LAST_CHANNELS_1D); other strides the
    # grouped route.
    layer = make()
    layer(data(shape))
    assert layer._route == route


@pytest.mark.parametrize(("make", "shape", "tiles"), [
    (lambda: MaxPool2d(2), (3, 2, 8, 8), True),
    (lambda: MaxPool2d(2), (2, 3, 7, 9), True),  # the last row and column in no window
    (lambda: MaxPool2d((2, 3)), (2, 2, 6, 8), True),
    (lambda: MaxPool1d(3), (2, 3, 10), True),
    (lambda: AvgPool2d(2), (2, 3, 7, 6), True),
    (lambda: AvgPool1d(4), (3, 2, 9), True),
    (lambda: MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 7), False),  # overlapping: fold
    (lambda: MaxPool2d(2, padding=1), (2, 2, 6, 6), False),
    (lambda: AvgPool1d(3, stride=2), (2, 2, 8), False),
])
@pytest.mark.parametrize("ties", [False, True])
def test_pooling_routes_equal_readable_route(make, shape, tiles, ties, monkeypatch):
    # Windows that tile the input (no padding, stride = kernel) get their backward pass
    # written without a fold (_PoolNd._spread); the readable fold gives the same output and
    # input gradient. With ties (integer inputs) the first maximum still wins in both.
    spread = []
    original = type(make())._spread
    monkeypatch.setattr(type(make()), "_spread", lambda self, write: (
        spread.append(1), original(self, write))[1])
    x = data(shape)
    if ties:
        x = np.round(x)
    routes_agree(make(), x, 1)
    assert bool(spread) == tiles  # the package took the route it should


@pytest.mark.parametrize(("make", "shape"), [
    (lambda: Conv2d(3, 4, 3, padding=1, rng=0), (4, 3, 6, 5)),  # the stride-1 route
    (lambda: Conv1d(2, 3, 5, padding=2, rng=0), (4, 2, 9)),
    (lambda: Conv2d(3, 4, 3, stride=2, padding=1, rng=0), (4, 3, 7, 6)),  # grouped route
    (lambda: Conv2d(32, 4, 3, padding=1, rng=0), (4, 32, 5, 4)),  # channels last
    (lambda: ConvTranspose2d(3, 2, 4, stride=2, padding=1, rng=0), (4, 3, 5, 4)),
])
@pytest.mark.parametrize("threads", [None, 2])
def test_work_arrays_stay_inside_the_layer(make, shape, threads, monkeypatch):
    # The fast routes keep their intermediate arrays from call to call (Module._work_array).
    # What a layer returns must still be the caller's own: later calls, with another batch
    # size and then the first one again, leave earlier outputs and input gradients
    # unchanged, and every call gives the readable route's numbers. The work arrays are
    # not parameters: they stay out of the state dict. With threads=2 the stride-1 route
    # cuts every batch of 2 or more samples into two parts, each with its own arrays.
    if threads:
        monkeypatch.setattr(conv_module, "_GROUP_COLUMNS", 1)
        monkeypatch.setattr(conv_module, "_PART_WORK", 1)
    layer = make()
    layer._threads = threads
    kept = []
    for n, seed in ((shape[0], 0), (shape[0] + 3, 2), (1, 4), (shape[0], 6)):
        y, dx = routes_agree(layer, data((n, *shape[1:]), seed), seed + 1)
        kept.append((y, dx, y.copy(), dx.copy()))
    for y, dx, y_copy, dx_copy in kept:
        np.testing.assert_array_equal(y, y_copy)
        np.testing.assert_array_equal(dx, dx_copy)
    assert layer._work  # the fast route did keep work arrays
    assert set(layer.state_dict()) == {"weight", "bias"}


@pytest.mark.parametrize("make", [
    lambda: ConvTranspose2d(3, 2, 4, stride=2, padding=1, rng=0),
    lambda: ConvTranspose2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0), rng=0),
    lambda: ConvTranspose2d(2, 2, 3, stride=(3, 2), padding=(2, 1), output_padding=(2, 1),
                            rng=0),
    lambda: ConvTranspose2d(2, 2, 3, padding=1, output_padding=1, dilation=2, bias=False,
                            rng=0),
    lambda: ConvTranspose2d(2, 3, 2, stride=3, dilation=(1, 2), rng=0),  # phases no tap writes
])
@pytest.mark.parametrize("chunk_bytes", [None, 1])
def test_conv_transpose_phase_routes_equal_readable_route(make, chunk_bytes, monkeypatch):
    # The package's passes (on the output's phase grids, in chunks of samples: the
    # forward's one product per chunk, the backward's columns copied from the grids) and
    # the readable ones (the plain fold of W^T x; im2col of dout): the same output, input
    # gradient and parameter gradients; also with one chunk per sample (chunk_bytes=1).
    if chunk_bytes is not None:
        monkeypatch.setattr(conv_transpose_module, "_CHUNK_BYTES", chunk_bytes)
    layer = make()
    routes_agree(layer, data((3, layer.in_channels, 5, 4)), 1)


@pytest.mark.parametrize("make", [
    lambda: ConvTranspose2d(3, 2, 4, stride=2, padding=1, rng=0),
    lambda: ConvTranspose2d(2, 2, 3, padding=1, output_padding=1, dilation=2, rng=0),
])
def test_conv_transpose_backward_in_chunks_equals_one_chunk(make, monkeypatch):
    # The backward pass by chunks of one sample gives what the whole batch at once gives
    # (that one is checked against PyTorch in test_reference_torch_conv.py).
    layer = make()
    x = data((3, layer.in_channels, 5, 4))
    dout = data(layer(x).shape, 1)
    whole = layer.backward(dout), {k: g.copy() for k, g in layer.grads.items()}
    layer.zero_grad()
    monkeypatch.setattr(conv_transpose_module, "_CHUNK_BYTES", 1)
    by_sample = layer.backward(dout)
    np.testing.assert_allclose(by_sample, whole[0], rtol=0, atol=1e-13)
    for name, grad in layer.grads.items():
        np.testing.assert_allclose(grad, whole[1][name], rtol=0, atol=1e-13)


def test_conv_transpose_is_the_adjoint_of_conv():
    # <conv(x), y> == <x, conv_transpose(y)> with one shared weight and no bias.
    conv = Conv2d(2, 3, 3, stride=2, padding=1, dilation=2, bias=False, rng=0)
    up = ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=(0, 1), dilation=2,
                         bias=False, rng=1)
    up.load_state_dict({"weight": conv.weight.copy()})
    x = data((2, 2, 9, 8))
    y = data(conv(x).shape, 1)
    assert up(y).shape == x.shape
    assert np.vdot(conv(x), y) == pytest.approx(np.vdot(x, up(y)), rel=1e-12)


def test_conv_transpose_shapes_and_float32():
    up = ConvTranspose2d(8, 4, 4, stride=2, padding=1, rng=0, dtype=np.float32)
    y = up(data((2, 8, 7, 7)).astype(np.float32))
    assert y.shape == (2, 4, 14, 14) and y.dtype == np.float32
    assert up.backward(np.ones_like(y)).dtype == np.float32
    assert repr(up) == ("ConvTranspose2d(8, 4, kernel_size=(4, 4), stride=(2, 2), "
                        "padding=(1, 1))")


def test_fold_is_the_adjoint_of_sliding_windows():
    x = data((2, 3, 7, 6))
    args = ((3, 2), (2, 1), (1, 0), (1, 2))
    windows = sliding_windows(np.pad(x, [(0, 0), (0, 0), (1, 1), (0, 0)]), args[0], args[1],
                              args[3])
    c = data(windows.shape, 1)  # (N, C, *out, *k)
    taps = c.reshape(*c.shape[:4], -1)
    folded = fold(lambda tap: taps[..., tap], x.shape, *args, np.float64)
    assert np.vdot(windows, c) == pytest.approx(np.vdot(x, folded), rel=1e-12)


def test_bad_dout_and_backward_before_forward():
    layer = Conv2d(1, 2, 3, rng=0)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((1, 2, 2, 2)))
    layer(data((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"Conv2d.*\(1, 2, 2, 2\)"):
        layer.backward(np.ones((1, 2, 3, 3)))
    pool = MaxPool2d(2)
    with pytest.raises(RuntimeError, match="before forward"):
        pool.backward(np.ones((1, 1, 1, 1)))


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: Conv2d(3, 4, 0), ValueError, r"Conv2d: kernel_size must be >= 1"),
    (lambda: Conv2d(3, 4, (3, 3, 3)), TypeError, r"Conv2d: kernel_size must be an int or a tuple"),
    (lambda: Conv1d(3, 4, 3, stride=0), ValueError, r"Conv1d: stride"),
    (lambda: Conv2d(3, 4, 3, padding=-1), ValueError, r"padding must be >= 0"),
    (lambda: Conv2d(0, 4, 3), ValueError, r"in_channels"),
    (lambda: MaxPool2d(2, padding=2), ValueError, r"at most half"),
    (lambda: Flatten(1.5), TypeError, r"start_dim"),
    (lambda: ConvTranspose2d(3, 4, 3, stride=2, output_padding=2), ValueError,
     r"ConvTranspose2d: output_padding must be smaller than the stride or the dilation"),
    (lambda: ConvTranspose2d(3, 4, 3, output_padding=(0, 1)), ValueError,
     r"ConvTranspose2d: output_padding"),
    (lambda: ConvTranspose2d(3, 0, 3), ValueError, r"ConvTranspose2d: out_channels"),
    (lambda: conv_output_size(5, 3, stride=0), ValueError,
     r"conv_output_size: stride must be >= 1, got 0"),
    (lambda: conv_output_size(2, 3), ValueError,
     r"conv_output_size: the kernel spans 3 inputs .* padded input has only 2"),
    (lambda: conv_output_size(2.5, 1), TypeError, r"conv_output_size: size must be an int"),
    (lambda: im2col(data((1, 1, 2, 2)), (3, 3), (1, 1), (0, 0), (1, 1)), ValueError,
     r"im2col: the kernel spans \(3, 3\).*padded input is only \(2, 2\)"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
