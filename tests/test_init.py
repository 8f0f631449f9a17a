"""scratchdl.init: torch.nn.init's gains, fans, bounds and standard deviations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchdl import init


@pytest.mark.parametrize(
    ("nonlinearity", "param", "gain"),
    [
        ("linear", None, 1.0),
        ("conv2d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5 / 3),
        ("relu", None, math.sqrt(2)),
        ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
        ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
        ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-15)


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'softsign'"):
        init.calculate_gain("softsign")
    with pytest.raises(TypeError, match="negative slope"):
        init.calculate_gain("leaky_relu", "0.1")


@pytest.mark.parametrize(
    ("shape", "fans"),
    [((4, 3), (3, 4)), ((8, 3, 5, 5), (75, 200)), ((2, 6, 7), (42, 14))],
)
def test_fans_like_torch(shape, fans):
    assert init.calculate_fan_in_and_fan_out(np.empty(shape)) == fans


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match=r"^calculate_fan_in_and_fan_out: .*at least 2 "
                                         r"dimensions.*got shape \(5,\)"):
        init.calculate_fan_in_and_fan_out(np.empty(5))
    with pytest.raises(ValueError, match="^xavier_uniform_: .*at least 2 dimensions"):
        init.xavier_uniform_(np.empty(5), rng=0)


FILLERS = [
    lambda a, rng: init.uniform_(a, -2, 3, rng=rng),
    lambda a, rng: init.normal_(a, 1.0, 0.5, rng=rng),
    lambda a, rng: init.xavier_uniform_(a, rng=rng),
    lambda a, rng: init.xavier_normal_(a, gain=2.0, rng=rng),
    lambda a, rng: init.kaiming_uniform_(a, rng=rng),
    lambda a, rng: init.kaiming_normal_(a, mode="fan_out", nonlinearity="relu", rng=rng),
]


@pytest.mark.parametrize("fill", FILLERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_in_place_reproducible_dtype_kept(fill, dtype):
    array = np.zeros((30, 20), dtype=dtype)
    out = fill(array, 7)
    assert out is array and array.dtype == dtype
    np.testing.assert_array_equal(fill(np.zeros((30, 20), dtype=dtype), 7), array)
    assert not np.array_equal(fill(np.zeros((30, 20), dtype=dtype), 8), array)
    # A Generator is consumed, so two calls differ.
    rng = np.random.default_rng(0)
    assert not np.array_equal(fill(np.zeros((30, 20)), rng), fill(np.zeros((30, 20)), rng))


def test_zeros_ones():
    a = np.full((3, 2), np.nan)
    assert init.zeros_(a) is a and np.all(a == 0)
    assert init.ones_(a) is a and np.all(a == 1)


SHAPE = (300, 200)  # fan_in 200, fan_out 300


@pytest.mark.parametrize(
    ("fill", "bound"),
    [
        (lambda a: init.xavier_uniform_(a, rng=0), math.sqrt(6 / 500)),
        (lambda a: init.xavier_uniform_(a, gain=5 / 3, rng=0), 5 / 3 * math.sqrt(6 / 500)),
        # a=0 with leaky_relu is a ReLU: gain sqrt(2), as in torch.
        (lambda a: init.kaiming_uniform_(a, rng=0), math.sqrt(6 / 200)),
        (lambda a: init.kaiming_uniform_(a, a=math.sqrt(5), rng=0), 1 / math.sqrt(200)),
        (lambda a: init.kaiming_uniform_(a, mode="fan_out", nonlinearity="relu", rng=0),
         math.sqrt(6 / 300)),
        (lambda a: init.uniform_(a, -0.3, 0.3, rng=0), 0.3),
    ],
)
def test_uniform_bounds(fill, bound):
    a = fill(np.empty(SHAPE))
    assert np.abs(a).max() <= bound
    assert np.abs(a).max() > 0.999 * bound  # 60,000 draws reach the bound
    assert a.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


@pytest.mark.parametrize(
    ("fill", "std"),
    [
        (lambda a: init.xavier_normal_(a, rng=0), math.sqrt(2 / 500)),
        (lambda a: init.kaiming_normal_(a, rng=0), math.sqrt(2 / 200)),
        (lambda a: init.kaiming_normal_(a, mode="fan_out", nonlinearity="relu", rng=0),
         math.sqrt(2 / 300)),
        (lambda a: init.kaiming_normal_(a, nonlinearity="tanh", rng=0), 5 / 3 / math.sqrt(200)),
        (lambda a: init.normal_(a, 0.0, 0.02, rng=0), 0.02),
    ],
)
def test_normal_std(fill, std):
    a = fill(np.empty(SHAPE))
    assert a.std() == pytest.approx(std, rel=0.02)
    assert abs(a.mean()) < 4 * std / math.sqrt(a.size)


def test_conv_shaped_weight_uses_receptive_field():
    a = init.kaiming_uniform_(np.empty((16, 8, 3, 3)), a=math.sqrt(5), rng=0)
    assert np.abs(a).max() <= 1 / math.sqrt(8 * 9)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda a: init.uniform_(a, 1.0, 0.0), ValueError, "uniform_: b must be in \\[1.0, inf\\]"),
        (lambda a: init.normal_(a, 0.0, -1.0), ValueError, "normal_: std must be in"),
        (lambda a: init.kaiming_uniform_(a, mode="fan_avg"), ValueError, "mode must be"),
        (lambda a: init.kaiming_normal_(a, nonlinearity="swish"), ValueError, "unsupported"),
        (lambda a: init.kaiming_normal_(a, a="0"), TypeError, "a must be a real number"),
        (lambda a: init.xavier_uniform_(a, gain=-1.0), ValueError, "gain must be in"),
        (lambda a: init.uniform_(a, rng="seed"), TypeError, "rng must be"),
    ],
)
def test_bad_arguments_leave_array_unchanged(call, error, match):
    a = np.arange(6.0).reshape(2, 3)
    with pytest.raises(error, match=match):
        call(a)
    np.testing.assert_array_equal(a, np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("bad", [[[1.0, 2.0]], np.zeros((2, 2), dtype=int)])
def test_rejects_non_float_arrays(bad):
    with pytest.raises(TypeError, match="array must"):
        init.xavier_uniform_(bad, rng=0)


def test_empty_array_is_a_no_op():
    a = np.empty((0, 3))
    assert init.kaiming_uniform_(a, rng=0) is a
    assert init.xavier_normal_(a, rng=0) is a
