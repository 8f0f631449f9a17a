"""Every Module and loss passes a float64 finite-difference check; gradcheck itself works.

These use the same ``scratchdl.gradcheck`` the chapters print, with the book's tolerance:
relative error below 1e-6 for every input and parameter.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from scratchdl.gradcheck import (
    TOLERANCE,
    GradcheckResult,
    gradcheck,
    loss_gradcheck,
    numerical_gradient,
    relative_error,
)
from scratchdl.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from scratchdl.nn import (
    GELU,
    BatchNorm1d,
    Dropout,
    Identity,
    LeakyReLU,
    Linear,
    Module,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)

SHAPES = [(1, 3), (4, 5), (7, 2)]


def inputs(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# name -> builder(n_features) of a float64 module. Built fresh for every test.
MODULES = {
    "Linear": lambda d: Linear(d, 4, rng=0),
    "Linear-no-bias": lambda d: Linear(d, 2, bias=False, rng=1),
    "ReLU": lambda d: ReLU(),
    "LeakyReLU": lambda d: LeakyReLU(0.1),
    "Sigmoid": lambda d: Sigmoid(),
    "Tanh": lambda d: Tanh(),
    "GELU": lambda d: GELU(),
    "GELU-tanh": lambda d: GELU("tanh"),
    "Identity": lambda d: Identity(),
    "Dropout": lambda d: Dropout(0.3, rng=0),
    "Dropout-eval": lambda d: Dropout(0.3, rng=0).eval(),
    "Sequential-MLP": lambda d: Sequential(Linear(d, 6, rng=0), Tanh(), Linear(6, 3, rng=1)),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", MODULES)
def test_module_gradients(name, shape):
    module = MODULES[name](shape[1])
    result = gradcheck(module, inputs(shape))
    assert result.passed(), result


BATCHNORMS = {
    "BatchNorm1d": lambda c: BatchNorm1d(c),
    "BatchNorm1d-no-affine": lambda c: BatchNorm1d(c, affine=False),
    "BatchNorm1d-no-running-stats": lambda c: BatchNorm1d(c, track_running_stats=False),
    "BatchNorm1d-momentum-None": lambda c: BatchNorm1d(c, momentum=None),
}


@pytest.mark.parametrize("shape", [(2, 3), (5, 4), (16, 2)], ids=str)
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("name", BATCHNORMS)
def test_batchnorm_gradients(name, mode, shape):
    bn = BATCHNORMS[name](shape[1])
    rng = np.random.default_rng(1)
    bn.load_state_dict({**bn.state_dict(), **{  # non-trivial parameters and statistics
        key: rng.uniform(0.5, 2.0, size=value.shape)
        for key, value in bn.state_dict().items() if key != "num_batches_tracked"}})
    bn.train(mode == "train")
    result = gradcheck(bn, inputs(shape) * 3 + 1)
    assert result.passed(), result


def test_deep_network_with_every_layer():
    model = Sequential(
        Linear(5, 8, rng=0), BatchNorm1d(8), ReLU(), Dropout(0.25, rng=1),
        Linear(8, 8, rng=2), GELU(), Linear(8, 6, rng=3), LeakyReLU(0.05), Sigmoid(),
        Linear(6, 4, rng=4), Tanh(), Identity(), Linear(4, 3, rng=5),
    )
    for mode in (True, False):
        result = gradcheck(model.train(mode), inputs((6, 5)))
        assert result.passed(), result


LOSSES = [
    (MSELoss(), lambda shape: inputs(shape, 5)),
    (MSELoss("sum"), lambda shape: inputs(shape, 6)),
    (CrossEntropyLoss(), lambda shape: np.arange(shape[0]) % shape[1]),
    (CrossEntropyLoss("sum"), lambda shape: (np.arange(shape[0]) + 1) % shape[1]),
    (BCEWithLogitsLoss(), lambda shape: np.random.default_rng(7).random(shape)),
    (BCEWithLogitsLoss("sum"), lambda shape: (inputs(shape, 8) > 0).astype(float)),
]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(("loss", "make_target"), LOSSES, ids=[repr(loss) for loss, _ in LOSSES])
def test_loss_gradients(loss, make_target, shape):
    result = loss_gradcheck(loss, inputs(shape) * 2, make_target(shape))
    assert result.passed(), result


# --- gradcheck itself ------------------------------------------------------------------


class ScaledBackward(Linear):
    """A Linear whose bias gradient is off by 0.1%: the check must notice."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["bias"] *= 1.001
        return dx


def test_detects_a_small_error_and_names_the_array():
    result = gradcheck(ScaledBackward(3, 2, rng=0), inputs((4, 3)))
    assert not result.passed()
    assert result.errors["bias"] == pytest.approx(1e-3, rel=1e-2)
    assert result.errors["weight"] < 1e-8 and result.errors["input"] < 1e-8
    assert "FAILED" in repr(result)


def test_detects_a_wrong_input_gradient():
    class Doubled(Tanh):
        def backward(self, dout):
            return 2 * super().backward(dout)

    result = gradcheck(Doubled(), inputs((3, 2)))
    assert result.errors["input"] == pytest.approx(0.5)


def test_zero_gradient_of_bias_before_batchnorm_passes():
    """The bias before a BatchNorm has gradient exactly 0: round-off must not fail it."""
    for seed in range(5):
        model = Sequential(Linear(4, 6, rng=seed), BatchNorm1d(6), Tanh(), Linear(6, 3, rng=seed))
        result = gradcheck(model, inputs((8, 4), seed), rng=seed)
        assert result.passed(), result


def test_restores_everything():
    model = Sequential(Linear(3, 4, rng=0), BatchNorm1d(4), Dropout(0.5, rng=1))
    model(inputs((5, 3)))
    model.backward(inputs((5, 4), 1))
    state = model.state_dict()
    grads = {k: v.copy() for k, v in model.grads.items()}
    rng_state = model[2].rng.bit_generator.state
    x = inputs((5, 3), 2)
    x_before = x.copy()
    gradcheck(model, x)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[name], err_msg=name)
    for name, value in model.grads.items():
        np.testing.assert_array_equal(value, grads[name], err_msg=name)
    assert model[2].rng.bit_generator.state == rng_state
    np.testing.assert_array_equal(x, x_before)
    assert model.training


def test_loss_gradcheck_restores_the_cache():
    loss = CrossEntropyLoss()
    logits, labels = inputs((3, 4)), np.array([0, 3, 1])
    loss(logits, labels)
    grad = loss.backward()
    loss_gradcheck(loss, inputs((5, 2), 1), np.array([0, 1, 1, 0, 1]))
    np.testing.assert_array_equal(loss.backward(), grad)


def test_dropout_mask_is_rewound_for_every_evaluation():
    """Without the rewind each forward would draw a new mask and the check would fail."""
    dropout = Dropout(0.5, rng=0)
    x = inputs((6, 5))
    assert gradcheck(dropout, x).max_error < 1e-9

    class FreshMask(Module):  # the same layer, but its generator is hidden in a list
        def __init__(self):
            super().__init__()
            self.hidden = [np.random.default_rng(0)]
            self.mask = None

        def forward(self, x):
            self.mask = (self.hidden[0].random(x.shape) > 0.5) * 2.0
            return x * self.mask

        def backward(self, dout):
            return dout * self.mask

    assert gradcheck(FreshMask(), x).max_error > 1e-3


class Bilinear(Module):
    """y = (x1 * x2) @ W^T: a module with two inputs and one parameter."""

    def __init__(self):
        super().__init__()
        self.register_parameter("weight", inputs((2, 3), 9))

    def forward(self, x1, x2):
        self.x1, self.x2 = x1, x2
        return (x1 * x2) @ self.params["weight"].T

    def backward(self, dout):
        dprod = dout @ self.params["weight"]
        self.grads["weight"] += dout.T @ (self.x1 * self.x2)
        return dprod * self.x2, dprod * self.x1


class Lookup(Module):
    """An embedding: integer indices in, rows of a table out (integer inputs are constants)."""

    def __init__(self):
        super().__init__()
        self.register_parameter("weight", inputs((5, 2), 3))

    def forward(self, indices):
        self.indices = indices
        return self.params["weight"][indices]

    def backward(self, dout):
        np.add.at(self.grads["weight"], self.indices, dout)
        return None


def test_several_inputs_and_integer_inputs():
    result = gradcheck(Bilinear(), inputs((4, 3), 1), inputs((4, 3), 2))
    assert set(result.errors) == {"input0", "input1", "weight"} and result.passed()
    result = gradcheck(Lookup(), np.array([0, 3, 3, 1]))
    assert set(result.errors) == {"weight"} and result.passed()


def test_repr_is_a_table():
    result = gradcheck(Linear(3, 2, rng=0), inputs((4, 3)))
    lines = repr(result).splitlines()
    assert lines[0] == "gradcheck Linear(3, 2) in training mode, eps=1e-06"
    assert re.match(r"\s+array\s+shape\s+relative error$", lines[1])
    assert re.match(r"\s+input\s+\(4, 3\)\s+\d\.\de-\d\d$", lines[2])
    assert re.match(r"\s+weight\s+\(2, 3\)", lines[3])
    assert re.match(r"\s+max relative error .*: passed \(tolerance 1e-06\)$", lines[-1])
    assert str(result) == repr(result)
    assert result.max_error == max(result.errors.values())
    assert repr(gradcheck(BatchNorm1d(3).eval(), inputs((4, 3)))).startswith(
        "gradcheck BatchNorm1d(3) in eval mode")
    assert repr(loss_gradcheck(MSELoss(), inputs(3), inputs(3, 1))).startswith(
        "gradcheck MSELoss(), eps=1e-06")


def test_result_object():
    result = GradcheckResult("m", {"a": 1e-9, "b": 3e-7}, {"a": (2,), "b": (1,)}, 1e-6)
    assert result.max_error == 3e-7 and result.passed() and not result.passed(1e-7)
    assert TOLERANCE == 1e-6


def test_numerical_gradient_and_relative_error():
    x = np.array([1.0, -2.0, 0.5])
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-9)
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0, 0]), np.array([0, 1.0])) == pytest.approx(2**0.5)


def test_numerical_gradient_restores_on_error():
    x = np.array([1.0, 2.0])

    def fails():
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        numerical_gradient(fails, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: gradcheck(Linear(3, 2, dtype=np.float32), inputs((2, 3)).astype(np.float32)),
         TypeError, "gradcheck: input must be float64 .*, got float32"),
        (lambda: gradcheck(Linear(3, 2, dtype=np.float32), inputs((2, 3))), TypeError,
         "parameter 'weight' is float32; checks need float64"),
        (lambda: gradcheck(ReLU(), [1.0, 2.0]), TypeError, "input must be a numpy array"),
        (lambda: gradcheck(ReLU()), ValueError, "at least one input"),
        (lambda: gradcheck(lambda x: x, inputs(3)), TypeError, "module must be a Module"),
        (lambda: gradcheck(ReLU(), inputs(3), eps=0), ValueError, r"eps must be a number in"),
        (lambda: loss_gradcheck(MSELoss(), inputs(3).astype(np.float32), inputs(3)), TypeError,
         "loss_gradcheck: pred must be float64"),
        (lambda: loss_gradcheck(ReLU(), inputs(3), inputs(3)), TypeError,
         "must be a scratchdl Loss"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
