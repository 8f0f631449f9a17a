"""Bad input outside the layers' forward and backward passes, grouped by the four kinds of
issue 9 (see CONTRIBUTING.md, "Bad input"):

* a call that raises has changed nothing (parameters, buffers, optimizer state, epochs);
* sizes that no machine can hold are refused before anything is allocated;
* nothing returns a silently wrong result (NaN weights, a misleading metric, a wrapped id);
* every error names the function or class, the argument, what was expected and what came.

Each case asserts the message, and where there is state, that it is unchanged.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchdl import functional as F
from scratchdl import init, nn, optim
from scratchdl._validation import MAX_ELEMENTS, NonFiniteError, check_allocation
from scratchdl.data import make_blobs, make_mnist1d, make_moons, one_hot, train_test_split
from scratchdl.data.sequences import CharVocabulary, make_adding_problem
from scratchdl.gradcheck import numerical_gradient, relative_error
from scratchdl.losses import CrossEntropyLoss, MSELoss
from scratchdl.metrics import confusion_matrix
from scratchdl.train import evaluate, fit

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))
Y = RNG.integers(0, 2, 20)


def mlp(batch_norm=False):
    layers = [nn.Linear(3, 4, rng=0)]
    if batch_norm:
        layers.append(nn.BatchNorm1d(4))
    return nn.Sequential(*layers, nn.ReLU(), nn.Linear(4, 2, rng=1))


def snapshot(model, optimizer=None):
    """Everything a call could change: parameters, buffers, modes, optimizer state."""
    state = {name: np.array(value, copy=True) for name, value in model.state_dict().items()}
    modes = [module.training for _, module in model.named_modules()]
    extra = None
    if optimizer is not None:
        extra = (optimizer.lr, repr({name: {key: np.asarray(value).tolist()
                                            for key, value in entry.items()}
                                     for name, entry in optimizer.state.items()}))
    return state, modes, extra


def assert_unchanged(before, after):
    (state, modes, extra), (state2, modes2, extra2) = before, after
    assert state.keys() == state2.keys()
    for name in state:
        np.testing.assert_array_equal(state[name], state2[name], err_msg=name)
    assert modes == modes2 and extra == extra2


# == 1. A call that raises has changed nothing ================================================
def test_sequential_restores_running_statistics_when_a_later_layer_rejects_the_input():
    model = nn.Sequential(nn.BatchNorm1d(3), nn.Linear(4, 2, rng=0))
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"^Linear\(4, 2\): x must have shape"):
        model.forward(X)
    assert_unchanged(before, snapshot(model))


def bad_label_late():
    y = Y.copy()
    y[-1] = 7
    return dict(y=y)


@pytest.mark.parametrize("change, match", [
    (bad_label_late(), r"^fit: y rows 16 to 19 do not fit .*CrossEntropyLoss: target must lie "
                       r"in \[0, 2\)"),
    (dict(y=Y.astype(float)), r"^fit: y rows 0 to 7 .*CrossEntropyLoss"),
    (dict(validation_data=(X[:5], np.array([0, 1, 9, 0, 1]))),
     r"^fit: validation_data\[1\] rows 0 to 4 .*target must lie in \[0, 2\)"),
    (dict(validation_data=(X[:5, :2], Y[:5])), r"^Linear\(3, 4\): x must have shape"),
    (dict(X=X[:, :2]), r"^Linear\(3, 4\): x must have shape"),
    (dict(batch_norm=True, X=X[:17], y=Y[:17]),
     r"^fit: the last batch of every epoch would hold 1 row \(17 rows, batch_size=8\), but "
     r"BatchNorm1d\(4\) needs at least 2"),
])
def test_fit_checks_every_batch_before_the_first_update(change, match):
    change = dict(change)
    model = mlp(batch_norm=change.pop("batch_norm", False))
    model.eval()
    optimizer = optim.Adam(model, lr=0.1)
    args = {"X": X, "y": Y, "epochs": 2, "batch_size": 8, "rng": 0}
    args.update(change)
    before = snapshot(model, optimizer)
    with pytest.raises((ValueError, TypeError), match=match):
        fit(model, CrossEntropyLoss(), optimizer, args.pop("X"), args.pop("y"), **args)
    assert_unchanged(before, snapshot(model, optimizer))


@pytest.mark.parametrize("value, error, match", [
    (np.array(["a", "b"], dtype=object), TypeError, r"'2\.bias' must hold real numbers, got "
                                                    r"dtype object"),
    (np.array([1 + 1j, 2]), TypeError, r"'2\.bias' must hold real numbers, got dtype "
                                       r"complex128"),
    (np.array([np.nan, 1.0], dtype=object), TypeError, r"'2\.bias' must hold real numbers"),
    (np.array([np.nan, 1.0]), ValueError, "'2.bias' contains NaN or inf"),
    (np.zeros(3), ValueError, r"'2\.bias' has shape \(3,\), expected \(2,\)"),
    ("abc", TypeError, r"'2\.bias' must hold real numbers, got dtype <U3"),
])
def test_load_state_dict_checks_every_entry_before_writing(value, error, match):
    model = mlp()
    state = model.state_dict()
    for name in state:
        state[name] = state[name] + 1  # every entry would change
    state["2.bias"] = value  # the last one is bad
    before = snapshot(model)
    with pytest.raises(error, match=r"^Sequential\(\)\.load_state_dict: " + match):
        model.load_state_dict(state)
    assert_unchanged(before, snapshot(model))


@pytest.mark.parametrize("make, name", [
    (lambda o: optim.ExponentialLR(o, gamma=1e300), "ExponentialLR"),
    (lambda o: optim.StepLR(o, 1, gamma=1e200), "StepLR"),
])
def test_a_scheduler_step_that_overflows_changes_neither_epoch_nor_rate(make, name):
    optimizer = optim.SGD(mlp(), lr=1.0)
    scheduler = make(optimizer)
    scheduler.step()  # epoch 1: a huge but finite rate
    lr, epoch = optimizer.lr, scheduler.last_epoch
    with pytest.raises(ValueError, match=rf"^{name}: the learning rate at epoch 2 overflows"):
        scheduler.step()
    assert (optimizer.lr, scheduler.last_epoch) == (lr, epoch)


@pytest.mark.parametrize("make, warm, grad, match", [
    # the first step with zero gradients: m = v = 0 and the update is 0 / (0 + eps)
    (lambda m: optim.Adam(m, eps=0.0), False, 0.0,
     r"^Adam\(lr=0\.001, .*eps=0\.0.*\): this step would make parameter '0\.weight' or its "
     r"state NaN or infinite \(invalid value encountered in divide\); no parameter was updated"),
    (lambda m: optim.SGD(m, lr=1e308), True, 1e10,
     r"^SGD\(lr=1e\+308.*would make parameter '0\.weight' or its state NaN or infinite "
     r"\(overflow"),
    # the decay factor 1 - lr * weight_decay overflows before any array is touched
    (lambda m: optim.AdamW(m, lr=1e300, weight_decay=1e300), False, 1.0,
     r"^AdamW\(.*would make parameter '0\.weight' or its state NaN or infinite "
     r"\(overflow encountered in scalar multiply\)"),
    # the squared gradient overflows the second-moment state before the weight moves
    (lambda m: optim.Adam(m, lr=1e-3), True, 1e200,
     r"would make parameter '0\.weight' or its state NaN or infinite \(overflow encountered "
     r"in square\)"),
])
def test_an_optimizer_step_that_would_break_a_weight_raises_and_writes_nothing(make, warm, grad,
                                                                               match):
    model = mlp()
    optimizer = make(model)
    if warm:  # one good step first, so that the state exists and must be kept too
        for g in model.grads.values():
            g[...] = 1.0
        optimizer.step()
    for g in model.grads.values():
        g[...] = grad
    before = snapshot(model, optimizer)
    with pytest.raises(NonFiniteError, match=match):
        optimizer.step()
    assert_unchanged(before, snapshot(model, optimizer))


# == 2. Unbounded sizes are refused before allocating ========================================
@pytest.mark.parametrize("call, owner", [
    (lambda: nn.Linear(10**6, 10**6), r"Linear: weight of shape \(1000000, 1000000\)"),
    (lambda: nn.Embedding(10**12, 10), "Embedding: weight"),
    (lambda: nn.BatchNorm1d(10**12), "BatchNorm1d: weight"),
    (lambda: nn.Conv2d(10**4, 10**4, 1000), "Conv2d: weight"),
    (lambda: nn.ConvTranspose2d(10**4, 10**4, 1000), "ConvTranspose2d: weight"),
    (lambda: nn.RNN(10**6, 10**6), r"RNN: weight_ih_l0 of shape \(1000000, 1000000\)"),
    (lambda: nn.LSTM(10**6, 10**6), r"LSTM: weight_ih_l0 of shape \(4000000, 1000000\)"),
    (lambda: nn.Conv1d(1, 1, 1, padding=10**9).forward(np.zeros((1, 1, 4))), "Conv1d"),
    (lambda: one_hot(np.array([10**12])), "one_hot: the encoding"),
    (lambda: make_blobs(10**12, rng=0), "make_blobs: X"),
    (lambda: make_moons(10**12, rng=0), "make_moons: X"),
    (lambda: make_mnist1d(10**12), "make_mnist1d: the signals"),
    (lambda: make_adding_problem(10**6, 10**6, rng=0), "make_adding_problem: X"),
    (lambda: confusion_matrix(np.array([10**9]), np.array([0])), "confusion_matrix: the matrix"),
])
def test_sizes_no_machine_holds_are_refused_before_allocating(call, owner):
    with pytest.raises(ValueError, match=rf"^{owner}.*more than the {MAX_ELEMENTS:,}"):
        call()


def test_check_allocation_states_the_size_and_accepts_what_fits():
    check_allocation((2**15, 2**15), owner="f")  # exactly 2**30 elements: allowed
    with pytest.raises(ValueError, match=r"^f: w of shape \(32769, 32768\) would hold "
                                         r"1,073,774,592 elements \(8 GiB\)"):
        check_allocation((2**15 + 1, 2**15), owner="f", what="w")


# == 3. Nothing is silently wrong ===========================================================
@pytest.mark.parametrize("target, value, match", [
    ("2.bias", np.array([1e300, 1.0]), r"'2\.bias' does not fit the target dtype float32"),
    ("1.num_batches_tracked", np.array(2.5), "does not fit the target dtype int64"),
])
def test_load_state_dict_refuses_values_the_dtype_cannot_hold(target, value, match):
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.Linear(4, 2, rng=1))
    if target == "2.bias":
        model.to(np.float32)
    state = model.state_dict()
    state[target] = value
    before = snapshot(model)
    with pytest.raises(ValueError, match=match):
        model.load_state_dict(state)
    assert_unchanged(before, snapshot(model))


@pytest.mark.parametrize("mode", ["no", None, 0, 1.0])
def test_train_takes_only_a_bool(mode):
    model = mlp().eval()
    with pytest.raises(ValueError, match=r"^Sequential\(\)\.train: mode must be True or False"):
        model.train(mode)
    assert not any(module.training for _, module in model.named_modules())


def test_clip_grad_norm_refuses_nan_gradients_and_clips_nothing():
    model = mlp()
    for g in model.grads.values():
        g[...] = 3.0
    model.grads["2.bias"][0] = np.nan
    before = {name: g.copy() for name, g in model.grads.items()}
    with pytest.raises(ValueError, match=r"^clip_grad_norm_: the gradient of '2\.bias' "
                                         r"contains NaN"):
        nn.clip_grad_norm_(model, 1.0)
    for name, g in model.grads.items():
        np.testing.assert_array_equal(g, before[name])


def test_accuracy_is_refused_for_regression():
    targets = RNG.normal(size=(20, 2))
    model = mlp()
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"^fit: metric 'accuracy' counts correct classes, but "
                                         r"MSELoss\(\) is a regression loss; pass metrics=\(\)"):
        fit(model, MSELoss(), optim.SGD(model, lr=0.1), X, targets, epochs=1)
    with pytest.raises(ValueError, match="^evaluate: metric 'accuracy'"):
        evaluate(model, MSELoss(), X, targets)
    assert_unchanged(before, snapshot(model))
    # A custom loss with real-valued targets: accuracy is refused too, not made up.
    class Custom:
        def __call__(self, outputs, y):
            return 0.0

        def backward(self):
            return None

    with pytest.raises(ValueError, match=r"binary 0/1 targets .*\(not all 0 or 1\)"):
        evaluate(model, Custom(), X, targets)
    assert set(fit(model, MSELoss(), optim.SGD(model, lr=0.01), X, targets, epochs=1,
                   metrics=())) == {"loss", "lr"}


@pytest.mark.parametrize("ids, match", [
    ([-1], r"ids must lie in \[0, 3\), got -1"),
    ([99], r"ids must lie in \[0, 3\), got 99"),
    ([1.7], "ids must be integers, got 1.7"),
    ([True], "ids must be integers, got True"),
])
def test_decode_refuses_ids_that_are_not_in_the_vocabulary(ids, match):
    with pytest.raises(ValueError, match=r"^CharVocabulary\.decode: " + match):
        CharVocabulary("abc").decode(ids)


@pytest.mark.parametrize("call, match", [
    (lambda: make_blobs(2, centers=5, rng=0), "n_samples=2 cannot give each of the 5 clusters"),
    (lambda: make_mnist1d(100, template_len=0), "template_len must be in"),
    (lambda: make_mnist1d(100, final_seq_length=1), "final_seq_length must be in"),
    (lambda: make_mnist1d(100, scale_coeff=-1), "scale_coeff must be in"),
    (lambda: make_mnist1d(100, scale_coeff=2.0), "scale_coeff must be in"),
    (lambda: make_mnist1d(100, corr_noise_scale=np.nan), "corr_noise_scale must be finite"),
    (lambda: make_mnist1d(100, iid_noise_scale=-1), "iid_noise_scale must be in"),
    (lambda: make_mnist1d(100, shear_scale=np.inf), "shear_scale must be finite"),
    (lambda: make_mnist1d(100, max_translation=0), "max_translation must be in"),
    (lambda: make_mnist1d(19, train_split=0.01), "leaves the training or the test set empty"),
])
def test_generators_refuse_degenerate_or_non_finite_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_gradient_check_helpers_refuse_what_would_give_a_wrong_answer():
    with pytest.raises(TypeError, match=r"^numerical_gradient: array must have dtype float32 "
                                        r"or float64, got int64"):
        numerical_gradient(lambda: 0.0, np.arange(3))
    with pytest.raises(ValueError, match=r"^relative_error: analytic has shape \(3,\) but "
                                         r"numeric has \(3, 3\)"):
        relative_error(np.ones(3), np.ones((3, 3)))
    with pytest.raises(ValueError, match="^relative_error: analytic contains 1 NaN"):
        relative_error(np.array([np.nan]), np.ones(1))
    with pytest.raises(ValueError, match="^conv_output_size: stride must be >= 1"):
        F.conv_output_size(5, 3, stride=0)


# == 4. Every error is clear ==================================================================
@pytest.mark.parametrize("fill", [init.uniform_, init.normal_, init.zeros_, init.ones_,
                                  init.xavier_uniform_, init.xavier_normal_,
                                  init.kaiming_uniform_, init.kaiming_normal_])
def test_init_refuses_a_read_only_array_by_name(fill):
    array = np.zeros((3, 4))
    array.flags.writeable = False
    with pytest.raises(ValueError, match=rf"^{fill.__name__}: array is read-only"):
        fill(array)


@pytest.mark.parametrize("call, error, match", [
    (lambda: init.xavier_uniform_(np.zeros(3)), ValueError, "^xavier_uniform_: fan in and fan out"),
    (lambda: init.kaiming_normal_(np.zeros(3)), ValueError, "^kaiming_normal_: fan in and fan out"),
    (lambda: init.calculate_gain("leaky_relu", np.nan), ValueError, "^calculate_gain: param"),
    (lambda: init.kaiming_uniform_(np.zeros((3, 4)), a=np.nan), ValueError,
     "^kaiming_uniform_: a must be finite"),
    (lambda: init.uniform_(np.zeros(3), -1e308, 1e308), ValueError,
     "^uniform_: the width b - a overflows"),
    (lambda: init.default_bound(0), ValueError, r"^default_bound: fan_in must be in \[1, inf\]"),
])
def test_init_errors_name_the_function(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_init_default_bound_is_torchs_kaiming_uniform_with_a_sqrt5():
    fan_in = 12
    gain = init.calculate_gain("leaky_relu", math.sqrt(5))
    assert init.default_bound(fan_in) == pytest.approx(gain * math.sqrt(3 / fan_in), rel=1e-15)


@pytest.mark.parametrize("change, match", [
    (dict(loss=CrossEntropyLoss), r"^fit: loss must be an instance, got the class "
                                  r"CrossEntropyLoss; call it first"),
    (dict(optimizer=optim.SGD), r"^fit: optimizer must be an instance, got the class SGD"),
    (dict(scheduler=optim.StepLR), r"^fit: scheduler must be an instance, got the class StepLR"),
    (dict(loss=object()), r"^fit: loss must have a __call__\(\) method"),
])
def test_a_class_where_an_instance_belongs_is_named(change, match):
    model = mlp()
    args = {"loss": CrossEntropyLoss(), "optimizer": optim.SGD(model, lr=0.1)}
    args.update(change)
    with pytest.raises(TypeError, match=match):
        fit(model, args.pop("loss"), args.pop("optimizer"), X, Y, epochs=1, **args)
    with pytest.raises(TypeError, match=r"^evaluate: loss must be an instance"):
        evaluate(model, CrossEntropyLoss, X, Y)


@pytest.mark.parametrize("change, error, match", [
    ({"0.weight": None}, ValueError, r"missing keys \['0\.weight'\], unexpected keys \[\]"),
    ({"extra": np.zeros(1)}, ValueError, r"missing keys \[\], unexpected keys \['extra'\]"),
])
def test_load_state_dict_key_errors_are_value_errors(change, error, match):
    model = mlp()
    state = model.state_dict()
    for key, value in change.items():
        if value is None:
            del state[key]
        else:
            state[key] = value
    with pytest.raises(error, match=r"^Sequential\(\)\.load_state_dict: " + match):
        model.load_state_dict(state)
    with pytest.raises(TypeError, match="state must be a mapping"):
        model.load_state_dict([1, 2])


@pytest.mark.parametrize("call, error, match", [
    (lambda: make_blobs(center_box=5, rng=0), TypeError,
     r"^make_blobs: center_box must be a pair \(low, high\), got 5"),
    (lambda: make_blobs(center_box=(0, 1, 2), rng=0), TypeError, "^make_blobs: center_box"),
    (lambda: make_blobs(cluster_std="a", rng=0), TypeError,
     "^make_blobs: cluster_std must be a number or one number per centre"),
    (lambda: make_mnist1d(padding=5), TypeError, r"^make_mnist1d: padding must be a pair"),
    (lambda: make_mnist1d(padding=(1.5, 3)), TypeError, "^make_mnist1d: padding must be an int"),
    (lambda: CharVocabulary(3), TypeError, "^CharVocabulary: text must be a str, got int"),
    (lambda: CharVocabulary("abc").encode(3), TypeError, "^CharVocabulary.encode: text must be"),
    (lambda: CharVocabulary("abc").decode(3), TypeError, "^CharVocabulary.decode: ids must be"),
    (lambda: numerical_gradient(3, np.zeros(3)), TypeError, "^numerical_gradient: f must be"),
    (lambda: numerical_gradient(lambda: 0.0, np.zeros(3), eps=0), ValueError,
     r"^numerical_gradient: eps must be a number in \(0, 1\)"),
    (lambda: nn.truncated_bptt(3, np.zeros((1, 4, 1)), None, 2), TypeError,
     "^truncated_bptt: step must be a function"),
    (lambda: F.softmax(np.zeros((2, 3)), axis=5), ValueError,
     r"^softmax: axis 5 is out of range for x of shape \(2, 3\)"),
    (lambda: F.log_softmax(np.zeros((2, 3)), axis=1.5), TypeError, "^log_softmax: axis must"),
    (lambda: F.sigmoid([1.0]), TypeError, "^sigmoid: x must be a numpy array, got list"),
    (lambda: F.gelu(np.arange(3)), TypeError, "^gelu: x must have dtype float32 or float64"),
    (lambda: nn.Sequential(3), TypeError, "^Sequential: every child must be a Module, got int"),
    (lambda: nn.Linear(2, 2).to("bad"), TypeError,
     r"^Linear\(2, 2\)\.to: dtype must be float32 or float64, got 'bad'"),
    (lambda: nn.Linear(2, 2).register_parameter("w", np.zeros(2, dtype=int)), TypeError,
     r"^Linear\.register_parameter: parameter 'w' must be a float32 or float64"),
    (lambda: train_test_split(), TypeError, "^train_test_split: pass at least one array"),
])
def test_errors_name_the_function_the_argument_and_what_came(call, error, match):
    with pytest.raises(error, match=match):
        call()
