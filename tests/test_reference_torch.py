"""Reference tests: scratchdl and PyTorch (CPU, float64) give the same numbers.

Weights go from torch to scratchdl through ``load_state_dict`` of torch's own
``state_dict`` converted to NumPy, exactly as a reader would copy them. Outputs, input
gradients, parameter gradients, running statistics, optimizer updates and learning-rate
schedules must agree to ``RTOL``/``ATOL``; the only differences allowed are rounding
(operations done in a different order).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchdl import init, losses, nn, optim
from tests.oracles import require

torch = require("torch")
pytestmark = pytest.mark.reference

RTOL = 1e-10  # relative tolerance for every float64 comparison with torch
ATOL = 1e-12  # absolute tolerance, for values that should be ~0


def close(ours, theirs, what=""):
    if isinstance(theirs, torch.Tensor):
        theirs = theirs.detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=what)


def numpy_state(module):
    return {name: value.detach().numpy() for name, value in module.state_dict().items()}


def data(shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def check_module(ours, theirs, x, seed=1):
    """Forward and backward through both, comparing outputs and all gradients."""
    xt = torch.tensor(x, requires_grad=True)
    theirs.zero_grad()
    yt = theirs(xt)
    y = ours(x)
    close(y, yt, "output")
    dout = data(y.shape, seed)
    yt.backward(torch.tensor(dout))
    ours.zero_grad()
    dx = ours.backward(dout)
    close(dx, xt.grad, "input gradient")
    for name, param in theirs.named_parameters():
        close(ours.grads[name], param.grad, f"gradient of {name}")
    return y


@pytest.mark.parametrize(("shape", "bias"), [((5, 4), True), ((1, 4), False), ((2, 3, 4), True)])
def test_linear(shape, bias):
    theirs = torch.nn.Linear(4, 3, bias=bias).double()
    ours = nn.Linear(4, 3, bias=bias, rng=0)
    ours.load_state_dict(numpy_state(theirs))
    check_module(ours, theirs, data(shape))


ACTIVATIONS = [
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
    (nn.LeakyReLU(), torch.nn.LeakyReLU()),
    (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.GELU(), torch.nn.GELU()),
    (nn.GELU("tanh"), torch.nn.GELU(approximate="tanh")),
    (nn.Identity(), torch.nn.Identity()),
]


@pytest.mark.parametrize(("ours", "theirs"), ACTIVATIONS,
                         ids=[repr(ours) for ours, _ in ACTIVATIONS])
def test_activations(ours, theirs):
    x = data((6, 5), scale=3.0)
    x[0] = [-40.0, -8.0, 0.0, 8.0, 40.0]  # saturated and tail regions
    check_module(ours, theirs, x)


def test_dropout_semantics_match():
    """Masks come from different generators; the scaling and the eval identity agree."""
    x = np.ones((50, 40))
    for p in (0.0, 0.3, 1.0):
        theirs = torch.nn.Dropout(p)(torch.tensor(x)).numpy()
        ours = nn.Dropout(p, rng=0)(x)
        assert set(np.unique(ours)) == set(np.unique(theirs))
    x = data((3, 4))
    close(nn.Dropout(0.5, rng=0).eval()(x), torch.nn.Dropout(0.5).eval()(torch.tensor(x)))


BATCHNORM_OPTIONS = [
    {},
    {"momentum": 0.3, "eps": 1e-3},
    {"momentum": None},
    {"affine": False},
    {"track_running_stats": False},
]


@pytest.mark.parametrize("options", BATCHNORM_OPTIONS, ids=str)
def test_batchnorm_over_several_steps_then_eval(options):
    theirs = torch.nn.BatchNorm1d(4, **options).double()
    with torch.no_grad():  # non-trivial affine parameters
        for param in theirs.parameters():
            param.uniform_(0.5, 1.5)
    ours = nn.BatchNorm1d(4, **options)
    ours.load_state_dict(numpy_state(theirs))
    for step in range(4):
        x = data((6 + step, 4), seed=step, scale=2.0) + step
        check_module(ours, theirs, x, seed=10 + step)
        for name, value in theirs.named_buffers():
            close(ours.buffers[name], value, name)
            assert ours.buffers[name].dtype == value.detach().numpy().dtype
    theirs.eval()
    ours.eval()
    check_module(ours, theirs, data((5, 4), seed=99), seed=100)
    if ours.track_running_stats:  # running statistics make a single sample fine
        check_module(ours, theirs, data((1, 4), seed=98), seed=101)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())


def test_batchnorm_single_sample_rejected_like_torch():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        torch.nn.BatchNorm1d(3).double()(torch.ones(1, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="more than 1 value per feature"):
        nn.BatchNorm1d(3)(np.ones((1, 3)))


LOSSES = [
    (losses.MSELoss(), torch.nn.MSELoss(), "float"),
    (losses.MSELoss("sum"), torch.nn.MSELoss(reduction="sum"), "float"),
    (losses.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), "labels"),
    (losses.CrossEntropyLoss("sum"), torch.nn.CrossEntropyLoss(reduction="sum"), "labels"),
    (losses.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(), "probabilities"),
    (losses.BCEWithLogitsLoss("sum"), torch.nn.BCEWithLogitsLoss(reduction="sum"), "binary"),
]


@pytest.mark.parametrize(("ours", "theirs", "kind"), LOSSES,
                         ids=[f"{ours!r}-{kind}" for ours, _, kind in LOSSES])
@pytest.mark.parametrize("scale", [1.0, 1e4], ids=["moderate", "extreme"])
def test_losses(ours, theirs, kind, scale):
    pred = data((6, 4), scale=scale)
    rng = np.random.default_rng(5)
    target = {
        "float": data((6, 4), seed=2),
        "labels": rng.integers(0, 4, size=6),
        "probabilities": rng.random((6, 4)),
        "binary": (rng.random((6, 4)) > 0.5).astype(float),
    }[kind]
    pred_t = torch.tensor(pred, requires_grad=True)
    value_t = theirs(pred_t, torch.tensor(target))
    value_t.backward()
    value = ours(pred, target)
    assert value == pytest.approx(value_t.item(), rel=RTOL, abs=ATOL)
    close(ours.backward(), pred_t.grad, "gradient")


def mlp_pair():
    theirs = torch.nn.Sequential(
        torch.nn.Linear(5, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
        torch.nn.Linear(16, 8), torch.nn.GELU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(8, 3),
    ).double()
    ours = nn.Sequential(
        nn.Linear(5, 16, rng=0), nn.BatchNorm1d(16), nn.ReLU(),
        nn.Linear(16, 8, rng=1), nn.GELU(), nn.Dropout(0.5, rng=2),
        nn.Linear(8, 3, rng=3),
    )
    ours.load_state_dict(numpy_state(theirs))
    return ours, theirs


def test_sequential_mlp_end_to_end():
    ours, theirs = mlp_pair()
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    ours.eval()  # Dropout masks cannot match; the rest of training mode is tested above
    theirs.eval()
    check_module(ours, theirs, data((7, 5)))
    x, y = data((7, 5), seed=3), np.array([0, 1, 2, 2, 1, 0, 1])
    logits_t = theirs(torch.tensor(x))
    loss_t = torch.nn.functional.cross_entropy(logits_t, torch.tensor(y))
    theirs.zero_grad()
    loss_t.backward()
    loss = losses.CrossEntropyLoss()
    ours.zero_grad()
    assert loss(ours(x), y) == pytest.approx(loss_t.item(), rel=RTOL)
    ours.backward(loss.backward())
    for name, param in theirs.named_parameters():
        close(ours.grads[name], param.grad, name)


def no_dropout_mlp_pair():
    # No bias before the BatchNorm: its gradient is 0 up to round-off, which differs between
    # the frameworks, and Adam's division by sqrt(v) would amplify that difference.
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8, bias=False), torch.nn.BatchNorm1d(8),
                                 torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    ours = nn.Sequential(nn.Linear(4, 8, bias=False, rng=0), nn.BatchNorm1d(8), nn.Tanh(),
                         nn.Linear(8, 3, rng=1))
    ours.load_state_dict(numpy_state(theirs))
    return ours, theirs


OPTIMIZERS = [
    (lambda m: optim.SGD(m, lr=0.1),
     lambda p: torch.optim.SGD(p, lr=0.1)),
    (lambda m: optim.SGD(m, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2),
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    (lambda m: optim.SGD(m, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=1e-3),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=1e-3)),
    (lambda m: optim.Adam(m, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
     lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    (lambda m: optim.Adam(m),
     lambda p: torch.optim.Adam(p)),
    (lambda m: optim.AdamW(m, lr=0.02, weight_decay=0.1),
     lambda p: torch.optim.AdamW(p, lr=0.02, weight_decay=0.1)),
]


@pytest.mark.parametrize(("make_ours", "make_theirs"), OPTIMIZERS,
                         ids=["sgd", "sgd-nesterov-wd", "sgd-dampening", "adam-wd", "adam",
                              "adamw"])
def test_optimizer_training_steps_match(make_ours, make_theirs):
    """Six steps of a full training loop (forward, loss, backward, step) agree."""
    ours, theirs = no_dropout_mlp_pair()
    opt, opt_t = make_ours(ours), make_theirs(theirs.parameters())
    loss, loss_t = losses.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for step in range(6):
        x, y = data((8, 4), seed=step), np.arange(8) % 3
        opt_t.zero_grad()
        loss_t(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        opt_t.step()
        opt.zero_grad()
        loss(ours(x), y)
        ours.backward(loss.backward())
        opt.step()
        for name, param in theirs.named_parameters():
            close(ours.params[name], param, f"step {step}: {name}")
        for name, value in theirs.named_buffers():
            close(ours.buffers[name], value, f"step {step}: {name}")


SCHEDULERS = [
    (lambda o: optim.StepLR(o, step_size=3, gamma=0.5),
     lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    (lambda o: optim.ExponentialLR(o, gamma=0.9),
     lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    (lambda o: optim.CosineAnnealingLR(o, T_max=6),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=6)),
    (lambda o: optim.CosineAnnealingLR(o, T_max=5, eta_min=0.01),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.01)),
]


@pytest.mark.parametrize(("make_ours", "make_theirs"), SCHEDULERS,
                         ids=["step", "exponential", "cosine", "cosine-eta-min"])
def test_scheduler_lr_sequences_match(make_ours, make_theirs):
    weight = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    opt_t = torch.optim.SGD([weight], lr=0.5)
    opt = optim.SGD(nn.Linear(2, 2, rng=0), lr=0.5)
    sched, sched_t = make_ours(opt), make_theirs(opt_t)
    ours, theirs = [sched.get_last_lr()], [sched_t.get_last_lr()[0]]
    for _ in range(20):  # well past T_max: the cosine goes back up in both
        opt_t.step()  # (no gradient: nothing moves; avoids torch's order warning)
        sched_t.step()
        sched.step()
        ours.append(sched.get_last_lr())
        theirs.append(sched_t.get_last_lr()[0])
        assert opt.lr == ours[-1] and opt_t.param_groups[0]["lr"] == theirs[-1]
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


NONLINEARITIES = [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                  ("leaky_relu", None), ("leaky_relu", 0.3), ("leaky_relu", math.sqrt(5)),
                  ("selu", None), ("conv2d", None)]


@pytest.mark.parametrize(("nonlinearity", "param"), NONLINEARITIES)
def test_calculate_gain(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


@pytest.mark.parametrize("shape", [(30, 20), (8, 4, 3, 3), (5, 7, 2)])
def test_fans(shape):
    assert init.calculate_fan_in_and_fan_out(np.empty(shape)) == (
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape)))


INIT_PAIRS = [
    ("xavier_uniform_", {}, {}),
    ("xavier_uniform_", {"gain": 2.0}, {"gain": 2.0}),
    ("xavier_normal_", {"gain": 0.5}, {"gain": 0.5}),
    ("kaiming_uniform_", {}, {}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"},
     {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {}, {}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "tanh"},
     {"mode": "fan_out", "nonlinearity": "tanh"}),
]


@pytest.mark.parametrize(("function", "kwargs", "torch_kwargs"), INIT_PAIRS,
                         ids=[f"{f}{k}" for f, k, _ in INIT_PAIRS])
@pytest.mark.parametrize("shape", [(400, 150), (64, 16, 3, 3)], ids=str)
def test_init_distributions_match(function, kwargs, torch_kwargs, shape):
    """Same bounds (uniform: the max reaches the bound) and same spread (2%)."""
    ours = getattr(init, function)(np.empty(shape), rng=0, **kwargs)
    torch.manual_seed(0)
    theirs = getattr(torch.nn.init, function)(torch.empty(shape, dtype=torch.float64),
                                              **torch_kwargs).numpy()
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)
    if function.endswith("uniform_"):
        assert np.abs(ours).max() == pytest.approx(np.abs(theirs).max(), rel=1e-3)


def test_linear_default_init_matches_torch():
    ours = nn.Linear(300, 200, rng=0)
    torch.manual_seed(0)
    theirs = torch.nn.Linear(300, 200).double()
    for name, param in theirs.named_parameters():
        assert np.abs(ours.params[name]).max() <= 1 / math.sqrt(300)
        assert np.abs(ours.params[name]).max() == pytest.approx(
            np.abs(param.detach().numpy()).max(), rel=0.02)
