"""scratchdl.optim: update rules by hand, validation, safety checks and schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchdl.nn import Linear, ReLU, Sequential
from scratchdl.optim import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    ExponentialLR,
    StepLR,
)


def model_with_grads(seed=0, dtype=np.float64):
    model = Sequential(Linear(3, 2, rng=seed, dtype=dtype), ReLU(),
                       Linear(2, 1, rng=seed + 1, dtype=dtype))
    for grad in model.grads.values():
        grad[...] = np.random.default_rng(seed).standard_normal(grad.shape)
    return model


def test_plain_sgd():
    model = model_with_grads()
    before = {k: v.copy() for k, v in model.params.items()}
    SGD(model, lr=0.1).step()
    for name, param in model.params.items():
        np.testing.assert_allclose(param, before[name] - 0.1 * model.grads[name], rtol=1e-15)


def test_sgd_momentum_weight_decay_by_hand():
    model = model_with_grads()
    p0 = model.params["0.weight"].copy()
    g = model.grads["0.weight"].copy()
    opt = SGD(model, lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01)
    opt.step()
    d1 = g + 0.01 * p0  # first step: the buffer is the gradient itself
    p1 = p0 - 0.1 * d1
    np.testing.assert_allclose(model.params["0.weight"], p1, rtol=1e-15)
    opt.step()
    d2 = g + 0.01 * p1
    buf = 0.9 * d1 + 0.8 * d2
    np.testing.assert_allclose(model.params["0.weight"], p1 - 0.1 * buf, rtol=1e-14)


def test_nesterov_by_hand():
    model = model_with_grads()
    p0, g = model.params["2.bias"].copy(), model.grads["2.bias"].copy()
    opt = SGD(model, lr=0.5, momentum=0.5, nesterov=True)
    opt.step()
    p1 = p0 - 0.5 * (g + 0.5 * g)
    opt.step()
    buf = 0.5 * g + g
    np.testing.assert_allclose(model.params["2.bias"], p1 - 0.5 * (g + 0.5 * buf), rtol=1e-15)


def test_adam_first_step_is_lr_times_sign():
    """After one step m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps)."""
    model = model_with_grads()
    before = {k: v.copy() for k, v in model.params.items()}
    Adam(model, lr=0.01, eps=0.0).step()
    for name, param in model.params.items():
        np.testing.assert_allclose(param, before[name] - 0.01 * np.sign(model.grads[name]),
                                   rtol=1e-14)


def test_adamw_decouples_decay():
    """With zero gradients Adam does nothing; AdamW still shrinks the weights."""
    model = model_with_grads()
    model.zero_grad()
    before = {k: v.copy() for k, v in model.params.items()}
    Adam(model, lr=0.1, weight_decay=0.5).step()  # coupled: g = 0.5 p, a full Adam step
    changed = model.params["0.weight"] - before["0.weight"]
    np.testing.assert_allclose(np.abs(changed), 0.1, rtol=1e-6)
    model = model_with_grads()
    model.zero_grad()
    before = {k: v.copy() for k, v in model.params.items()}
    AdamW(model, lr=0.1, weight_decay=0.5).step()
    for name, param in model.params.items():
        np.testing.assert_allclose(param, before[name] * (1 - 0.05), rtol=1e-15)


@pytest.mark.parametrize("make", [lambda m: SGD(m, lr=0.1, momentum=0.9),
                                  lambda m: Adam(m), lambda m: AdamW(m)])
def test_float32_parameters_stay_float32(make):
    model = model_with_grads(dtype=np.float32)
    opt = make(model)
    opt.step()
    opt.step()
    assert all(p.dtype == np.float32 for p in model.params.values())
    assert all(v.dtype == np.float32 for s in opt.state.values() for v in s.values()
               if isinstance(v, np.ndarray))


def test_parameters_updated_in_place():
    model = model_with_grads()
    ids = {name: id(p) for name, p in model.params.items()}
    Adam(model).step()
    assert {name: id(p) for name, p in model.params.items()} == ids


def test_zero_grad():
    model = model_with_grads()
    SGD(model, lr=0.1).zero_grad()
    assert not any(g.any() for g in model.grads.values())


@pytest.mark.parametrize("make", [lambda m: SGD(m, lr=0.1, momentum=0.9),
                                  lambda m: Adam(m, weight_decay=0.1), lambda m: AdamW(m)])
def test_nan_gradient_names_parameter_and_updates_nothing(make):
    model = model_with_grads()
    opt = make(model)
    opt.step()  # so there is optimizer state to protect too
    params = {k: v.copy() for k, v in model.params.items()}
    state = {name: {k: np.copy(v) for k, v in s.items()} for name, s in opt.state.items()}
    model.grads["2.weight"][0, 1] = np.nan
    with pytest.raises(ValueError, match=f"{type(opt).__name__}: the gradient of '2.weight' "
                                         "contains 1 NaN or infinite value\\(s\\); no parameter"):
        opt.step()
    for name, value in model.params.items():
        np.testing.assert_array_equal(value, params[name])
    for name, s in opt.state.items():
        for key, value in s.items():
            np.testing.assert_array_equal(value, state[name][key])


def test_replaced_parameter_is_an_error():
    model = model_with_grads()
    opt = SGD(model, lr=0.1)
    model.to(np.float32)
    with pytest.raises(RuntimeError, match="parameter '0.weight' was replaced after the "
                                           "optimizer was created"):
        opt.step()


def test_module_without_parameters():
    with pytest.raises(ValueError, match="SGD: the module has no parameters to optimize"):
        SGD(ReLU(), lr=0.1)
    with pytest.raises(ValueError, match="Adam: the module has no parameters"):
        Adam(Sequential(ReLU()))


def test_several_modules_and_shared_parameters():
    a, b = Linear(2, 2, rng=0), Linear(2, 2, rng=1)
    b.tie_parameter("weight", a, "weight")
    opt = SGD([a, b], lr=0.1)
    assert [name for name, _, _ in opt.parameters] == ["0.weight", "0.bias", "1.bias"]
    with pytest.raises(TypeError, match="module must be a Module or an iterable of Modules"):
        SGD(3, lr=0.1)
    with pytest.raises(TypeError, match="got an item of type str"):
        SGD([a, "b"], lr=0.1)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda m: SGD(m, lr=-0.1), ValueError, r"SGD: lr must be in \[0, inf\]"),
        (lambda m: SGD(m, lr="0.1"), TypeError, "lr must be a real number"),
        (lambda m: SGD(m, lr=0.1, momentum=-0.5), ValueError, "momentum must be in"),
        (lambda m: SGD(m, lr=0.1, weight_decay=-1e-4), ValueError, "weight_decay must be in"),
        (lambda m: SGD(m, lr=0.1, dampening=1.5), ValueError, r"dampening must be in \[0, 1\]"),
        (lambda m: SGD(m, lr=0.1, nesterov=True), ValueError,
         "nesterov=True requires momentum > 0 and dampening = 0"),
        (lambda m: SGD(m, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
         "requires momentum > 0 and dampening = 0"),
        (lambda m: Adam(m, lr=float("nan")), ValueError, "lr must be finite"),
        (lambda m: Adam(m, betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be in \[0, 1\)"),
        (lambda m: Adam(m, betas=(-0.1, 0.9)), ValueError, r"betas\[0\] must be in"),
        (lambda m: Adam(m, betas=0.9), ValueError, r"betas must be a pair"),
        (lambda m: AdamW(m, eps=-1e-8), ValueError, "AdamW: eps must be in"),
        (lambda m: AdamW(m, weight_decay=-0.1), ValueError, "AdamW: weight_decay must be in"),
    ],
)
def test_bad_hyperparameters(make, error, match):
    with pytest.raises(error, match=match):
        make(model_with_grads())


def test_lr_attribute_is_validated():
    opt = SGD(model_with_grads(), lr=0.1)
    opt.lr = 0.05
    assert opt.lr == 0.05
    with pytest.raises(ValueError, match="lr must be in"):
        opt.lr = -1.0
    assert opt.lr == 0.05


def test_repr():
    assert repr(SGD(model_with_grads(), lr=0.1, momentum=0.9)) == (
        "SGD(lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0)")
    assert repr(Adam(model_with_grads())).startswith("Adam(lr=0.001, betas=(0.9, 0.999)")


def lrs(scheduler, epochs):
    out = [scheduler.get_last_lr()]
    for _ in range(epochs):
        scheduler.step()
        out.append(scheduler.get_last_lr())
    return out


def test_step_lr():
    opt = SGD(model_with_grads(), lr=1.0)
    np.testing.assert_allclose(lrs(StepLR(opt, step_size=3, gamma=0.5), 7),
                               [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25], rtol=1e-15)
    assert opt.lr == 0.25


def test_exponential_lr():
    opt = SGD(model_with_grads(), lr=0.2)
    np.testing.assert_allclose(lrs(ExponentialLR(opt, gamma=0.9), 4),
                               [0.2 * 0.9**k for k in range(5)], rtol=1e-15)


def test_cosine_annealing_lr():
    opt = SGD(model_with_grads(), lr=1.0)
    got = lrs(CosineAnnealingLR(opt, T_max=4, eta_min=0.1), 8)
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(9)]
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    assert got[4] == pytest.approx(0.1) and got[8] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda o: StepLR(o, step_size=0), ValueError, r"StepLR: step_size must be in \[1, inf\]"),
        (lambda o: StepLR(o, step_size=2.5), TypeError, "step_size must be an integer"),
        (lambda o: StepLR(o, step_size=2, gamma=0.0), ValueError, r"gamma must be in \(0, inf\]"),
        (lambda o: ExponentialLR(o, gamma=-1.0), ValueError, "ExponentialLR: gamma must be in"),
        (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be in"),
        (lambda o: CosineAnnealingLR(o, T_max=5, eta_min=-1.0), ValueError, "eta_min must be"),
        (lambda o: StepLR("opt", step_size=2), TypeError,
         "optimizer must be a scratchdl Optimizer"),
    ],
)
def test_bad_scheduler_arguments_leave_lr_unchanged(make, error, match):
    opt = SGD(model_with_grads(), lr=0.3)
    with pytest.raises(error, match=match):
        make(opt)
    assert opt.lr == 0.3
