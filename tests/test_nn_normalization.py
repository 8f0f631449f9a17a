"""scratchdl.nn.BatchNorm1d: batch vs running statistics, momentum, options, validation."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.nn import BatchNorm1d


def batch(seed=0, n=8, c=3):
    rng = np.random.default_rng(seed)
    return rng.normal(2.0, 3.0, size=(n, c))


def test_training_normalizes_with_batch_statistics():
    bn = BatchNorm1d(3)
    y = bn(batch())
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-15)
    np.testing.assert_allclose(y.var(axis=0), 1, rtol=1e-5)  # eps=1e-5 in the denominator


def test_affine_parameters_scale_and_shift():
    bn = BatchNorm1d(3)
    bn.weight[...] = [1.0, 2.0, 3.0]
    bn.bias[...] = [0.0, -1.0, 5.0]
    y = bn(batch())
    np.testing.assert_allclose(y.mean(axis=0), [0.0, -1.0, 5.0], atol=1e-14)
    np.testing.assert_allclose(y.std(axis=0), [1.0, 2.0, 3.0], rtol=1e-5)


def test_running_statistics_use_unbiased_variance():
    bn = BatchNorm1d(3, momentum=0.1)
    x = batch()
    bn(x)
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-15)
    assert bn.num_batches_tracked == 1 and bn.num_batches_tracked.dtype == np.int64


def test_momentum_none_is_cumulative_average():
    bn = BatchNorm1d(3, momentum=None)
    batches = [batch(seed) for seed in range(4)]
    for x in batches:
        bn(x)
    np.testing.assert_allclose(bn.running_mean, np.mean([x.mean(0) for x in batches], axis=0),
                               rtol=1e-14)
    np.testing.assert_allclose(bn.running_var,
                               np.mean([x.var(0, ddof=1) for x in batches], axis=0), rtol=1e-14)
    assert bn.num_batches_tracked == 4


def test_eval_uses_running_statistics_and_does_not_update_them():
    bn = BatchNorm1d(3)
    for seed in range(3):
        bn(batch(seed))
    bn.eval()
    mean, var = bn.running_mean.copy(), bn.running_var.copy()
    x = batch(10, n=1)  # a single sample is fine in evaluation
    y = bn(x)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-14)
    np.testing.assert_array_equal(bn.running_mean, mean)
    assert bn.num_batches_tracked == 3
    dx = bn.backward(np.ones((1, 3)))
    np.testing.assert_allclose(dx, np.ones((1, 3)) / np.sqrt(var + 1e-5), rtol=1e-14)


def test_no_affine_no_running_stats():
    bn = BatchNorm1d(3, affine=False, track_running_stats=False)
    assert bn.params == {} and bn.buffers == {} and bn.state_dict() == {}
    assert bn.weight is None and bn.running_mean is None
    bn.eval()  # without running statistics, evaluation also uses the batch's
    y = bn(batch())
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-15)
    with pytest.raises(ValueError, match="more than 1 value per feature"):
        bn(batch(n=1))


def test_state_dict_names_match_torch():
    assert sorted(BatchNorm1d(4).state_dict()) == [
        "bias", "num_batches_tracked", "running_mean", "running_var", "weight"]


def test_float32():
    bn = BatchNorm1d(3, dtype=np.float32)
    x = batch().astype(np.float32)
    y = bn(x)
    assert y.dtype == np.float32 and bn.running_var.dtype == np.float32
    assert bn.backward(np.ones_like(x)).dtype == np.float32
    assert bn.grads["weight"].dtype == np.float32
    with pytest.raises(TypeError, match="x has dtype float64 but the parameters are float32"):
        bn(batch())


def test_single_sample_in_training_is_an_error_and_changes_nothing():
    bn = BatchNorm1d(3)
    bn(batch())
    before = bn.state_dict()
    x_hat = bn.x_hat
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): batch statistics need more than 1 "
                                         r"value per feature, got x of shape \(1, 3\)"):
        bn(batch(n=1))
    for name, value in bn.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    assert bn.x_hat is x_hat


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (np.ones((4, 5)), ValueError,
         r"BatchNorm1d\(3\): x must have shape \(N, 3\), got \(4, 5\)"),
        (np.ones((4, 3, 2)), ValueError, r"x must have shape \(N, 3\), got \(4, 3, 2\)"),
        (np.ones(3), ValueError, r"x must have shape \(N, 3\), got \(3,\)"),
        (np.array([[1.0, 2.0, np.nan]] * 4), ValueError, "x contains 4 NaN"),
    ],
)
def test_bad_input_changes_nothing(x, error, match):
    bn = BatchNorm1d(3)
    before = bn.state_dict()
    with pytest.raises(error, match=match):
        bn(x)
    for name, value in bn.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    assert bn.x_hat is None


def test_backward_errors():
    bn = BatchNorm1d(3)
    with pytest.raises(RuntimeError, match="backward\\(\\) called before forward"):
        bn.backward(np.ones((4, 3)))
    bn(batch())
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(8, 3\)"):
        bn.backward(np.ones((4, 3)))
    assert not bn.grads["weight"].any()


def test_backward_bias_gradient_and_zero_input_gradient_for_constant_dout():
    """A constant upstream gradient moves every output equally: x gets no gradient."""
    bn = BatchNorm1d(3)
    bn(batch())
    dx = bn.backward(np.ones((8, 3)))
    np.testing.assert_allclose(dx, 0, atol=1e-15)
    np.testing.assert_allclose(bn.grads["bias"], 8)
    np.testing.assert_allclose(bn.grads["weight"], 0, atol=1e-14)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"num_features": 0}, ValueError, "num_features must be in"),
        ({"num_features": 3, "eps": 0.0}, ValueError, r"eps must be in \(0, inf\]"),
        ({"num_features": 3, "momentum": 1.5}, ValueError, r"momentum must be in \[0, 1\]"),
        ({"num_features": 3, "momentum": "0.1"}, TypeError, "momentum must be a real number"),
        ({"num_features": 3, "dtype": np.int32}, TypeError, "dtype must be float32 or float64"),
    ],
)
def test_bad_hyperparameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        BatchNorm1d(**kwargs)


def test_repr():
    assert repr(BatchNorm1d(4)) == "BatchNorm1d(4)"
    assert repr(BatchNorm1d(4, momentum=None, affine=False)) == (
        "BatchNorm1d(4, momentum=None, affine=False)")
