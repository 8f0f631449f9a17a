"""scratchdl.train: fit, evaluate, predict and History.

The loop is tested with tiny stand-ins for a layer, a loss and an optimizer defined here,
so these tests depend only on the Module protocol and the contract in the API notes.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from scratchdl.data import make_blobs
from scratchdl.nn.container import Sequential
from scratchdl.nn.module import Module, unique_parameters
from scratchdl.train import History, evaluate, fit, predict


class Affine(Module):
    """y = x W^T + b, PyTorch layout."""

    def __init__(self, n_in, n_out, rng=0):
        super().__init__()
        rng = np.random.default_rng(rng)
        self.register_parameter("weight", rng.normal(0, 0.5, size=(n_out, n_in)))
        self.register_parameter("bias", np.zeros(n_out))

    def forward(self, x):
        self.x = x
        return x @ self.params["weight"].T + self.params["bias"]

    def backward(self, dout):
        self.grads["weight"] += dout.T @ self.x
        self.grads["bias"] += dout.sum(axis=0)
        return dout @ self.params["weight"]


class ModeSpy(Module):
    """Identity that records the training flag seen by each forward call."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append(self.training)
        return x

    def backward(self, dout):
        return dout


class CrossEntropy:
    """Mean softmax cross-entropy from logits (N, C) and integer labels (N,)."""

    def __call__(self, logits, labels):
        with np.errstate(invalid="ignore"):  # inf logits in the broken-validation test
            shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.probs, self.labels = np.exp(log_probs), labels
        return float(-log_probs[np.arange(len(labels)), labels].mean())

    def backward(self):
        grad = self.probs.copy()
        grad[np.arange(len(self.labels)), self.labels] -= 1
        return grad / len(self.labels)


class MSE:
    def __call__(self, pred, target):
        self.diff = pred - target
        with np.errstate(over="ignore", invalid="ignore"):  # the divergence test overflows
            return float(np.mean(self.diff**2))

    def backward(self):
        return 2 * self.diff / self.diff.size


class ZeroLoss:
    """Accepts any shapes: lets a test reach the metric with mismatched targets."""

    def __call__(self, pred, target):
        self.pred = pred
        return 0.0

    def backward(self):
        return np.zeros_like(self.pred)


class SGD:
    def __init__(self, module, lr):
        self.refs = unique_parameters(module, "SGD")
        self.lr = lr

    def zero_grad(self):
        for _, _, grad in self.refs:
            grad.fill(0)

    def step(self):
        for _, param, grad in self.refs:
            param -= self.lr * grad


class StateRecorder:
    """A 'scheduler' whose step() (called once per epoch) snapshots the model."""

    def __init__(self, model, optimizer=None, gamma=1.0):
        self.model, self.optimizer, self.gamma = model, optimizer, gamma
        self.states = []

    def step(self):
        self.states.append(self.model.state_dict())
        if self.optimizer is not None:
            self.optimizer.lr *= self.gamma


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(240, centers=3, cluster_std=1.5, rng=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X[:180], y[:180], X[180:], y[180:]


def model_and_optimizer(lr=0.5, seed=0):
    model = Sequential(Affine(2, 3, rng=seed))
    return model, SGD(model, lr)


def snapshot(model):
    return {name: value.copy() for name, value in model.params.items()}


# -- training ----------------------------------------------------------------------------------
def test_fit_learns_and_records_a_history(blobs):
    X, y, X_val, y_val = blobs
    model, optimizer = model_and_optimizer()
    history = fit(model, CrossEntropy(), optimizer, X, y, epochs=15, batch_size=16, rng=0,
                  validation_data=(X_val, y_val))
    assert isinstance(history, History) and history.epochs == 15
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(values) == 15 for values in history.values())
    assert all(isinstance(v, float) for v in history["loss"])
    assert history["loss"][-1] < history["loss"][0] / 2
    assert history["val_accuracy"][-1] > 0.9
    assert history.best_epoch == 1 + int(np.argmin(history["val_loss"]))
    assert history.stopped_epoch is None
    assert "epochs=15" in repr(history) and "val_accuracy=" in repr(history)
    # The recorded validation numbers are those of the final model.
    scores = evaluate(model, CrossEntropy(), X_val, y_val)
    assert scores["loss"] == pytest.approx(history["val_loss"][-1])
    assert scores["accuracy"] == pytest.approx(history["val_accuracy"][-1])


def test_training_loss_is_the_epoch_mean_over_samples(blobs):
    """With lr = 0 nothing changes, so the epoch loss equals the full-data loss."""
    X, y, _, _ = blobs
    model, optimizer = model_and_optimizer(lr=0.0)
    history = fit(model, CrossEntropy(), optimizer, X, y, epochs=2, batch_size=50, rng=0)
    full = evaluate(model, CrossEntropy(), X, y)
    assert history["loss"] == pytest.approx([full["loss"]] * 2, rel=1e-12)
    assert history["accuracy"] == pytest.approx([full["accuracy"]] * 2, rel=1e-12)
    assert "val_loss" not in history and history.best_epoch is None


def test_fit_is_deterministic_given_rng(blobs):
    X, y, X_val, y_val = blobs
    runs = []
    for seed in (7, 7, 8):
        model, optimizer = model_and_optimizer()
        history = fit(model, CrossEntropy(), optimizer, X, y, epochs=3, batch_size=16, rng=seed,
                      validation_data=(X_val, y_val))
        runs.append((dict(history), snapshot(model)))
    assert runs[0][0] == runs[1][0]
    for name in runs[0][1]:
        np.testing.assert_array_equal(runs[0][1][name], runs[1][1][name])
    assert runs[0][0]["loss"] != runs[2][0]["loss"], "another seed gives another order"


def test_scheduler_steps_once_per_epoch_and_lr_is_recorded(blobs):
    X, y, _, _ = blobs
    model, optimizer = model_and_optimizer(lr=0.4)
    scheduler = StateRecorder(model, optimizer, gamma=0.5)
    history = fit(model, CrossEntropy(), optimizer, X, y, epochs=4, rng=0, scheduler=scheduler)
    assert len(scheduler.states) == 4
    assert history["lr"] == pytest.approx([0.4, 0.2, 0.1, 0.05])
    assert optimizer.lr == pytest.approx(0.025)


# -- early stopping ------------------------------------------------------------------------------
def early_stopping_run(blobs, restore_best, patience=2):
    """Validation labels are permuted, so learning the training labels makes val_loss worse."""
    X, y, X_val, y_val = blobs
    model, optimizer = model_and_optimizer(lr=0.3)
    recorder = StateRecorder(model)
    history = fit(model, CrossEntropy(), optimizer, X, y, epochs=30, batch_size=16, rng=0,
                  validation_data=(X_val, (y_val + 1) % 3), scheduler=recorder,
                  early_stopping_patience=patience, restore_best=restore_best)
    return model, history, recorder


def test_early_stopping_stops_and_restores_the_best_weights(blobs):
    model, history, recorder = early_stopping_run(blobs, restore_best=True)
    best = history.best_epoch
    assert best == 1 + int(np.argmin(history["val_loss"]))
    assert history.stopped_epoch == best + 2 == history.epochs < 30
    assert all(v > history["val_loss"][best - 1] for v in history["val_loss"][best:])
    best_state = recorder.states[best - 1]
    for name, value in model.params.items():
        np.testing.assert_array_equal(value, best_state[name])
    assert not np.array_equal(model.params["0.weight"], recorder.states[-1]["0.weight"])
    _, _, X_val, y_val = blobs
    val_loss = evaluate(model, CrossEntropy(), X_val, (y_val + 1) % 3)["loss"]
    assert val_loss == pytest.approx(history["val_loss"][best - 1])


def test_without_restore_best_the_last_weights_stay(blobs):
    model, history, recorder = early_stopping_run(blobs, restore_best=False)
    assert history.stopped_epoch is not None
    for name, value in model.params.items():
        np.testing.assert_array_equal(value, recorder.states[-1][name])


def test_patience_counts_epochs_without_improvement(blobs):
    _, history, _ = early_stopping_run(blobs, restore_best=True, patience=4)
    assert history.stopped_epoch == history.best_epoch + 4


# -- divergence ----------------------------------------------------------------------------------
def test_a_diverging_run_raises_immediately(blobs):
    X, y, _, _ = blobs
    targets = np.column_stack([y, -y]).astype(float)
    model = Sequential(Affine(2, 2), ModeSpy())
    optimizer = SGD(model, lr=1e6)
    with pytest.raises(FloatingPointError) as info:
        fit(model, MSE(), optimizer, X * 1e3, targets, epochs=50, batch_size=8, rng=0,
            metrics=())
    message = str(info.value)
    match = re.search(r"diverged at epoch (\d+), step (\d+) of 23: the loss became (nan|inf)",
                      message)
    assert match, message
    assert "lr=1e+06" in message
    epoch, step = int(match.group(1)), int(match.group(2))
    training_steps = sum(model[1].seen)  # the eval-mode forward that checks the data is False
    assert (epoch - 1) * 23 + step == training_steps, "it stops at the first bad step"
    assert model.training, "the mode is restored even after the error"


def test_a_non_finite_validation_loss_raises(blobs):
    X, y, X_val, y_val = blobs
    model, optimizer = model_and_optimizer()

    class BrokenInEval(ModeSpy):
        def forward(self, x):
            return x if self.training else x * np.inf

    model.append(BrokenInEval())
    with pytest.raises(FloatingPointError, match="validation loss became nan at epoch 1"):
        fit(model, CrossEntropy(), optimizer, X, y, epochs=3, rng=0,
            validation_data=(X_val, y_val))


# -- modes, evaluate, predict ---------------------------------------------------------------
def test_train_and_eval_modes_are_switched_and_restored(blobs):
    X, y, X_val, y_val = blobs
    spy = ModeSpy()
    model = Sequential(Affine(2, 3), spy)
    model.eval()
    fit(model, CrossEntropy(), SGD(model, 0.1), X, y, epochs=1, batch_size=60, rng=0,
        validation_data=(X_val, y_val))
    # the up-front data checks (eval mode, training then validation data), three training
    # batches in train mode, then one validation pass in eval mode
    assert spy.seen == [False, False, True, True, True, False]
    assert not model.training and not spy.training
    model.train()
    spy.seen.clear()
    predict(model, X_val, batch_size=25)
    evaluate(model, CrossEntropy(), X_val, y_val)
    assert spy.seen == [False] * 4
    assert model.training and spy.training


def test_predict_batches_give_the_full_forward_pass(blobs):
    X, _, _, _ = blobs
    model, _ = model_and_optimizer()
    expected = model.forward(X)
    np.testing.assert_allclose(predict(model, X, batch_size=7), expected, rtol=1e-15)


def test_binary_accuracy_from_logits_and_custom_metrics():
    X = np.array([[2.0], [-1.0], [0.5], [-3.0]])
    target = np.array([[1.0], [0.0], [0.0], [0.0]])
    model = Sequential(ModeSpy())

    def mean_output(y_true, outputs):
        return float(outputs.mean())

    scores = evaluate(model, MSE(), X, target, metrics=("accuracy", mean_output))
    assert scores["accuracy"] == 0.75
    assert scores["mean_output"] == pytest.approx(-0.375)
    assert set(evaluate(model, MSE(), X, target, metrics=())) == {"loss"}


def test_sequence_accuracy_uses_the_last_axis():
    logits = np.zeros((2, 3, 4))
    logits[..., 1] = 1.0
    labels = np.array([[1, 1, 0], [1, 2, 1]])
    scores = evaluate(Sequential(ModeSpy()), ZeroLoss(), logits, labels)
    assert scores["accuracy"] == pytest.approx(4 / 6)


def test_verbose_prints_progress(blobs, capsys):
    X, y, X_val, y_val = blobs
    model, optimizer = model_and_optimizer()
    fit(model, CrossEntropy(), optimizer, X, y, epochs=5, rng=0,
        validation_data=(X_val, y_val), verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["2/5", "4/5", "5/5"]
    assert "val_accuracy" in lines[0]


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change, error, message",
    [
        (dict(y=np.zeros(10, dtype=int)), ValueError, "X has 180 rows but y has 10"),
        (dict(X=[[0.0, 1.0]]), TypeError, "X must be a numpy array"),
        (dict(X=np.full((180, 2), np.nan)), ValueError, "X contains NaN"),
        (dict(epochs=0), ValueError, "epochs"),
        (dict(epochs=2.5), TypeError, "epochs"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(validation_data=np.zeros(3)), TypeError, "validation_data"),
        (dict(validation_data=(np.zeros((5, 2)), np.zeros(4, dtype=int))), ValueError,
         r"validation_data\[0\] has 5 rows"),
        (dict(early_stopping_patience=3), ValueError, "validation_data"),
        (dict(early_stopping_patience=0, validation_data="V"), ValueError,
         "early_stopping_patience"),
        (dict(metrics=("f1",)), ValueError, "unknown metric 'f1'"),
        (dict(scheduler=object()), TypeError, "scheduler"),
        (dict(rng="seed"), TypeError, "rng"),
        (dict(verbose=-1), ValueError, "verbose"),
        (dict(model=object()), TypeError, "model must be a scratchdl Module"),
        (dict(loss=lambda p, t: 0.0), TypeError, "loss"),
        (dict(optimizer=object()), TypeError, "optimizer"),
    ],
)
def test_fit_rejects_bad_arguments_and_changes_nothing(blobs, change, error, message):
    X, y, X_val, y_val = blobs
    model, optimizer = model_and_optimizer()
    before = snapshot(model)
    model.eval()
    args = dict(model=model, loss=CrossEntropy(), optimizer=optimizer, X=X, y=y, epochs=2)
    if isinstance(change.get("validation_data"), str):
        change = {**change, "validation_data": (X_val, y_val)}
    args.update(change)
    with pytest.raises(error, match=message):
        fit(args.pop("model"), args.pop("loss"), args.pop("optimizer"), args.pop("X"),
            args.pop("y"), **args)
    for name, value in model.params.items():
        np.testing.assert_array_equal(value, before[name])
    assert not model.training


def test_a_metric_that_does_not_fit_the_task_fails_before_any_update(blobs):
    X, _, _, _ = blobs
    model, optimizer = model_and_optimizer()
    before = snapshot(model)
    for targets in (np.zeros((len(X), 2)), np.zeros((len(X), 3, 1), dtype=int)):
        with pytest.raises(ValueError, match=r"metric 'accuracy'.*pass metrics=\(\)"):
            fit(model, ZeroLoss(), optimizer, X, targets, epochs=1, rng=0)
    for name, value in model.params.items():
        np.testing.assert_array_equal(value, before[name])


def test_evaluate_and_predict_reject_bad_arguments(blobs):
    X, y, _, _ = blobs
    model, _ = model_and_optimizer()
    with pytest.raises(ValueError, match="X has 180 rows but y has 179"):
        evaluate(model, CrossEntropy(), X, y[:-1])
    with pytest.raises(ValueError, match="batch_size"):
        predict(model, X, batch_size=0)
    with pytest.raises(ValueError, match="X is empty"):
        predict(model, X[:0])
    with pytest.raises(TypeError, match="model"):
        predict(lambda x: x, X)


# -- with the real layers, losses and optimizers ---------------------------------------------
def mlp(n_in, n_hidden, n_out, *extra):
    from scratchdl.nn import Linear, ReLU

    return Sequential(Linear(n_in, n_hidden, rng=0), ReLU(), *extra,
                      Linear(n_hidden, n_out, rng=1))


def test_an_mlp_learns_the_digits():
    from scratchdl.data import StandardScaler, load_digits, train_test_split
    from scratchdl.losses import CrossEntropyLoss
    from scratchdl.optim import Adam, StepLR

    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, rng=0, stratify=y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    model = mlp(64, 32, 10)
    optimizer = Adam(model, lr=0.01)
    history = fit(model, CrossEntropyLoss(), optimizer, X_train, y_train, epochs=6,
                  batch_size=64, rng=0, validation_data=(X_test, y_test),
                  scheduler=StepLR(optimizer, step_size=3, gamma=0.5))
    assert history["lr"] == pytest.approx([0.01] * 3 + [0.005] * 3)
    assert history["val_accuracy"][-1] > 0.93
    assert evaluate(model, CrossEntropyLoss(), X_test, y_test)["accuracy"] == pytest.approx(
        history["val_accuracy"][-1])


def test_early_stopping_restores_batchnorm_buffers_too():
    from scratchdl.losses import CrossEntropyLoss
    from scratchdl.nn import BatchNorm1d, Dropout
    from scratchdl.optim import SGD as RealSGD

    X, y = make_blobs(200, centers=3, cluster_std=2.0, rng=1)
    X_val, y_val = X[150:], (y[150:] + 1) % 3  # val labels disagree with training labels
    model = mlp(2, 16, 3, BatchNorm1d(16), Dropout(0.2, rng=0))
    optimizer = RealSGD(model, lr=0.1, momentum=0.9)
    recorder = StateRecorder(model)
    history = fit(model, CrossEntropyLoss(), optimizer, X[:150], y[:150], epochs=40,
                  batch_size=16, rng=0, validation_data=(X_val, y_val), scheduler=recorder,
                  early_stopping_patience=3)
    assert history.stopped_epoch == history.best_epoch + 3
    best_state = recorder.states[history.best_epoch - 1]
    state = model.state_dict()
    assert "2.running_mean" in state
    for name in state:
        np.testing.assert_array_equal(state[name], best_state[name])


def test_binary_classification_with_bce_from_logits():
    from scratchdl.data import make_moons
    from scratchdl.losses import BCEWithLogitsLoss
    from scratchdl.optim import Adam

    X, y = make_moons(200, noise=0.1, rng=0)
    targets = y[:, None].astype(np.float64)
    model = mlp(2, 16, 1)
    history = fit(model, BCEWithLogitsLoss(), Adam(model, lr=0.02), X, targets, epochs=40,
                  batch_size=32, rng=0)
    assert history["accuracy"][-1] > 0.95
    predicted = (predict(model, X)[:, 0] > 0).astype(int)
    assert np.mean(predicted == y) == pytest.approx(
        evaluate(model, BCEWithLogitsLoss(), X, targets)["accuracy"])


# No warning filter: the overflowing square inside MSELoss must not warn (pyproject turns
# scratchdl's RuntimeWarnings into errors); the reader gets the FloatingPointError alone.
def test_a_huge_learning_rate_stops_with_a_clear_error():
    from scratchdl.losses import MSELoss
    from scratchdl.optim import SGD as RealSGD

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4))
    targets = X @ rng.normal(size=(4, 1))
    model = mlp(4, 8, 1)
    with pytest.raises(FloatingPointError, match=r"diverged at epoch \d+, step \d+ of \d+: "):
        fit(model, MSELoss(), RealSGD(model, lr=10.0), X, targets, epochs=100, batch_size=8,
            rng=0, metrics=())


def test_overflowing_activations_stop_with_the_step_named():
    # Finite inputs and weights whose product overflows: the NaN/inf appears inside the
    # network, and the layer that meets it reports it; fit turns that into a divergence.
    import warnings

    from scratchdl.losses import CrossEntropyLoss
    from scratchdl.nn import Linear, ReLU
    from scratchdl.optim import SGD as RealSGD

    model = Sequential(Linear(2, 4, rng=0), ReLU(), Linear(4, 2, rng=1))
    model.params["0.weight"][...] = 1e300
    X, y = np.full((8, 2), 1e10), np.zeros(8, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no RuntimeWarning on the way
        with pytest.raises(FloatingPointError,
                           match=r"diverged at epoch 1, step 1 of 1: ReLU\(\): x contains"):
            fit(model, CrossEntropyLoss(), RealSGD(model, lr=0.1), X, y, epochs=1, batch_size=8,
                metrics=())
