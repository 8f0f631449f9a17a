"""A small training loop: mini-batch gradient descent with a history and early stopping.

One training step is the same few lines for every model in the book, :func:`train_step`:
forward, loss, backward, update. :func:`fit` repeats that step over shuffled mini-batches
for some epochs and records, per epoch, the training loss and metrics and (given
``validation_data``) the validation loss and metrics. It stops with a
``FloatingPointError`` the moment the loss stops being a finite number, and it can stop
early when the validation loss no longer improves.

Before the first update :func:`fit` checks everything the run will use (every label of
every batch against the model's outputs and the loss, the validation data, the metrics,
the size of the last batch), so a call that raises a ``ValueError`` or ``TypeError`` has
changed nothing.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from scratchdl import metrics
from scratchdl._validation import NonFiniteError, check_instance, check_number, check_rng
from scratchdl.data.batching import iterate_minibatches
from scratchdl.losses import MSELoss
from scratchdl.nn.module import Module
from scratchdl.nn.normalization import BatchNorm1d, BatchNorm2d


class History(dict):
    """What :func:`fit` measured, one list entry per epoch.

    Keys: ``"loss"`` and one per metric (e.g. ``"accuracy"``) on the training data;
    ``"val_loss"``, ``"val_accuracy"``, ... on the validation data; ``"lr"``, the
    optimizer's learning rate during the epoch (when it has an ``lr`` attribute).

    Attributes
    ----------
    best_epoch : int or None
        The epoch (counting from 1) with the lowest validation loss; ``None`` without
        validation data.
    stopped_epoch : int or None
        The epoch after which early stopping ended training; ``None`` if every epoch ran.
    """

    def __init__(self):
        super().__init__()
        self.best_epoch = None
        self.stopped_epoch = None

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.get("loss", []))

    def append(self, record: dict) -> None:
        """Add one epoch's values."""
        for key, value in record.items():
            self.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        last = ", ".join(f"{key}={values[-1]:.4g}" for key, values in self.items() if values)
        return (f"History(epochs={self.epochs}, best_epoch={self.best_epoch}, "
                f"stopped_epoch={self.stopped_epoch}; last: {last})")


# -- metrics computed from raw model outputs ---------------------------------------------
def _accuracy(y_true, outputs) -> float:
    """Accuracy of raw outputs: the arg-max class, or the sign of a binary logit.

    * integer targets of shape (N, ...) and scores of shape (N, ..., C): the predicted
      class is the arg-max over the last axis (multi-class, from logits or probabilities);
    * float targets in {0, 1} with outputs of the same shape: the outputs are logits and
      the predicted class is ``logit > 0`` (binary, as with ``BCEWithLogitsLoss``).
    """
    if np.issubdtype(y_true.dtype, np.integer) and outputs.shape[:-1] == y_true.shape:
        return metrics.accuracy(y_true.ravel(), outputs.argmax(axis=-1).ravel())
    binary = np.issubdtype(y_true.dtype, np.floating) and np.all((y_true == 0) | (y_true == 1))
    if outputs.shape == y_true.shape and binary:
        return metrics.accuracy((y_true > 0.5).ravel(), (outputs > 0).ravel())
    raise ValueError(
        f"metric 'accuracy' needs integer labels of shape (N,) with scores of shape (N, C), "
        f"or binary 0/1 targets shaped like the logits; got targets {y_true.shape} "
        f"{y_true.dtype}{'' if binary else ' (not all 0 or 1)'} and outputs {outputs.shape}. "
        f"For regression pass metrics=()"
    )


METRICS = {"accuracy": _accuracy}


def _resolve_metrics(names, owner: str, loss=None) -> dict:
    """Map metric names (see ``METRICS``) or callables ``f(y_true, outputs)`` to functions."""
    if names is None:
        return {}
    if isinstance(names, str) or callable(names):
        names = (names,)
    resolved = {}
    for metric in names:
        if callable(metric):
            resolved[metric.__name__] = metric
        elif metric in METRICS:
            resolved[metric] = METRICS[metric]
        else:
            raise ValueError(f"{owner}: unknown metric {metric!r}; use one of "
                             f"{sorted(METRICS)} or a function f(y_true, outputs) -> float")
    if "accuracy" in resolved and isinstance(loss, MSELoss):
        raise ValueError(f"{owner}: metric 'accuracy' counts correct classes, but {loss!r} is "
                         f"a regression loss; pass metrics=() (or a regression metric)")
    return resolved


# -- argument checks -----------------------------------------------------------------------
def _check_model(model, owner: str) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"{owner}: model must be a scratchdl Module, got {type(model).__name__}")


def _check_loss(loss, owner: str) -> None:
    check_instance(loss, "loss", needs=("__call__", "backward"), owner=owner)


def _check_data_fits(model, loss, metric_fns, X, y, batch_size, names, owner) -> None:
    """Run the checks the steps would run, on every batch's targets, before any update.

    One eval-mode forward pass of the first rows (eval mode changes no statistics and
    draws no dropout mask) gives the shape and dtype of the outputs; the loss and the
    metrics then see every batch of targets against outputs of that shape, so a bad label
    in the last batch raises before the first batch has changed a weight.
    """
    # Non-finite activations here are the divergence the first step reports, naming the
    # step, before it updates anything.
    with _mode(model, training=False), np.errstate(over="ignore", invalid="ignore"):
        try:
            first = model.forward(X[:2])
        except NonFiniteError:
            return
    if not isinstance(first, np.ndarray) or first.ndim == 0:
        raise TypeError(f"{owner}: model.forward must return one array with a batch axis, "
                        f"got {type(first).__name__}")
    for start in range(0, len(y), batch_size):
        y_batch = y[start:start + batch_size]
        outputs = np.zeros((len(y_batch), *first.shape[1:]), dtype=first.dtype)
        try:
            loss(outputs, y_batch)
            for fn in metric_fns.values():
                fn(y_batch, outputs)
        except (TypeError, ValueError) as error:
            raise type(error)(f"{owner}: {names} rows {start} to {start + len(y_batch) - 1} do "
                              f"not fit the model's outputs {first.shape[1:]} (per row): "
                              f"{error}") from error


def _check_last_batch(model, n_rows, batch_size, owner) -> None:
    """A final training batch of one row cannot give batch statistics: refuse it up front."""
    last = n_rows % batch_size or min(batch_size, n_rows)
    if last != 1:
        return
    for _, module in model.named_modules():
        if isinstance(module, BatchNorm1d) and not isinstance(module, BatchNorm2d):
            raise ValueError(
                f"{owner}: the last batch of every epoch would hold 1 row ({n_rows} rows, "
                f"batch_size={batch_size}), but {module!r} needs at least 2 in training "
                f"mode; choose a batch_size that leaves 0 or at least 2 rows, or drop a row"
            )


def _check_array(array, name: str, owner: str) -> np.ndarray:
    """Inputs and targets: non-empty arrays; floating ones must be finite.

    Integer inputs are allowed (token ids for an embedding layer).
    """
    if not isinstance(array, np.ndarray) or array.ndim == 0:
        raise TypeError(f"{owner}: {name} must be a numpy array with at least one dimension, "
                        f"got {type(array).__name__}")
    if len(array) == 0:
        raise ValueError(f"{owner}: {name} is empty")
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
        raise ValueError(f"{owner}: {name} contains NaN or infinite values")
    return array


def _check_pair(X, y, x_name: str, y_name: str, owner: str):
    X, y = _check_array(X, x_name, owner), _check_array(y, y_name, owner)
    if len(X) != len(y):
        raise ValueError(f"{owner}: {x_name} has {len(X)} rows but {y_name} has {len(y)}")
    return X, y


@contextmanager
def _mode(model: Module, training: bool):
    """Run a block in training or eval mode, then put every submodule back as it was."""
    previous = [(module, module.training) for _, module in model.named_modules()]
    model.train(training)
    try:
        yield
    finally:
        for module, mode in previous:
            module.training = mode


# -- the public functions ------------------------------------------------------------------
def predict(model, X, batch_size=256):
    """Outputs of ``model`` on ``X``, computed in eval mode batch by batch.

    Parameters
    ----------
    model : Module
    X : (N, ...) array
    batch_size : int
        Rows per forward pass (only memory use depends on it).

    Returns
    -------
    (N, ...) array
        The model's raw outputs (e.g. logits), concatenated along the first axis. The
        model's mode (train or eval) is restored afterwards.
    """
    _check_model(model, "predict")
    X = _check_array(X, "X", "predict")
    batch_size = check_number(batch_size, "batch_size", low=1, integer=True, owner="predict")
    with _mode(model, training=False):
        outputs = [model.forward(X_batch) for X_batch, _ in
                   iterate_minibatches(X, None, batch_size, shuffle=False)]
    return np.concatenate(outputs)


def evaluate(model, loss, X, y, batch_size=256, *, metrics=("accuracy",)):
    """Loss and metrics of ``model`` on ``(X, y)`` in eval mode.

    Parameters
    ----------
    model : Module
    loss : loss object, called as ``loss(outputs, y)``
    X : (N, ...) array
    y : (N, ...) array
    batch_size : int
    metrics : sequence of str or callables
        Names from ``METRICS`` (``"accuracy"``) or functions ``f(y_true, outputs)``.

    Returns
    -------
    dict
        ``{"loss": ..., "accuracy": ...}``: the loss over all N samples at once and
        each metric, as Python floats.
    """
    _check_model(model, "evaluate")
    _check_loss(loss, "evaluate")
    X, y = _check_pair(X, y, "X", "y", "evaluate")
    return _evaluate(model, loss, X, y, batch_size, _resolve_metrics(metrics, "evaluate", loss))


def _evaluate(model, loss, X, y, batch_size, metric_fns) -> dict:
    outputs = predict(model, X, batch_size)
    scores = {"loss": float(loss(outputs, y))}
    scores.update({name: float(fn(y, outputs)) for name, fn in metric_fns.items()})
    return scores


def fit(model, loss, optimizer, X, y, *, epochs, batch_size=32, rng=None, validation_data=None,
        metrics=("accuracy",), scheduler=None, early_stopping_patience=None, restore_best=True,
        verbose=False):
    """Train ``model`` with mini-batch gradient descent and return its :class:`History`.

    Parameters
    ----------
    model : Module
        Its ``forward`` takes a batch of ``X`` and returns one array of outputs.
    loss : loss object
        ``loss(outputs, y_batch)`` returns a float; ``loss.backward()`` returns
        dL/d(outputs).
    optimizer : optimizer with ``zero_grad()`` and ``step()``
    X : (N, ...) array
        Training inputs.
    y : (N, ...) array
        Training targets.
    epochs : int
        Passes over the training data (at least 1).
    batch_size : int
    rng : np.random.Generator, int or None
        Shuffles the rows every epoch; a seed makes the whole run reproducible.
    validation_data : (X_val, y_val), optional
        Evaluated in eval mode after every epoch.
    metrics : sequence of str or callables
        Recorded for training (averaged over the epoch's batches, computed on the
        training-mode outputs before each update, as Keras does) and validation.
        Pass ``()`` for regression.
    scheduler : learning-rate scheduler, optional
        Its ``step()`` is called once at the end of every epoch.
    early_stopping_patience : int, optional
        Stop when the validation loss has not improved for this many epochs in a row
        (needs ``validation_data``).
    restore_best : bool
        With early stopping, reload the weights (and buffers) of the epoch with the
        lowest validation loss at the end, whether training stopped early or not.
    verbose : bool or int
        Print one line every epoch (``True``) or every ``verbose`` epochs.

    Returns
    -------
    History
        ``history["loss"]`` is the mean training loss per epoch (batch losses weighted
        by batch size), ``history["val_loss"]`` the validation loss, and so on.

    Raises
    ------
    FloatingPointError
        As soon as the training or validation loss is NaN or infinite, naming the epoch
        and step.

    Notes
    -----
    The model is put in training mode for the updates and in eval mode for validation;
    afterwards every submodule is back in the mode it was in before the call.
    """
    X_val, y_val, metric_fns, patience, print_every, rng = _check_fit_arguments(
        model, loss, optimizer, X, y, epochs, batch_size, rng, validation_data, metrics,
        scheduler, early_stopping_patience, verbose)

    history = History()
    best_loss, best_state, epochs_without_improvement = np.inf, None, 0
    with _mode(model, training=True):
        for epoch in range(1, epochs + 1):
            record = _train_one_epoch(model, loss, optimizer, X, y, batch_size, rng,
                                      metric_fns, epoch)
            if X_val is not None:
                scores = _evaluate(model, loss, X_val, y_val, batch_size, metric_fns)
                if not np.isfinite(scores["loss"]):
                    raise FloatingPointError(
                        f"validation loss became {scores['loss']} at epoch {epoch}")
                record.update({f"val_{name}": value for name, value in scores.items()})
            if hasattr(optimizer, "lr"):
                record["lr"] = float(optimizer.lr)
            history.append(record)
            if print_every and (epoch % print_every == 0 or epoch == epochs):
                print(_progress_line(epoch, epochs, record))
            if scheduler is not None:
                scheduler.step()

            if X_val is None:
                continue
            if record["val_loss"] < best_loss:
                best_loss, history.best_epoch = record["val_loss"], epoch
                epochs_without_improvement = 0
                if patience is not None and restore_best:
                    best_state = model.state_dict()
            else:
                epochs_without_improvement += 1
            if patience is not None and epochs_without_improvement >= patience:
                history.stopped_epoch = epoch
                break
        if best_state is not None and history.best_epoch != history.epochs:
            model.load_state_dict(best_state)
    return history


def _check_fit_arguments(model, loss, optimizer, X, y, epochs, batch_size, rng, validation_data,
                         metrics, scheduler, early_stopping_patience, verbose):
    """Check everything before training starts, so a bad argument changes nothing."""
    owner = "fit"
    _check_model(model, owner)
    _check_loss(loss, owner)
    check_instance(optimizer, "optimizer", needs=("zero_grad", "step"), owner=owner)
    _check_pair(X, y, "X", "y", owner)
    check_number(epochs, "epochs", low=1, integer=True, owner=owner)
    batch_size = check_number(batch_size, "batch_size", low=1, integer=True, owner=owner)
    X_val = y_val = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError(f"{owner}: validation_data must be a pair (X_val, y_val), "
                            f"got {type(validation_data).__name__}")
        X_val, y_val = _check_pair(*validation_data, "validation_data[0]",
                                   "validation_data[1]", owner)
    metric_fns = _resolve_metrics(metrics, owner, loss)
    if scheduler is not None:
        check_instance(scheduler, "scheduler", needs=("step",), owner=owner)
    patience = None
    if early_stopping_patience is not None:
        patience = check_number(early_stopping_patience, "early_stopping_patience", low=1,
                                integer=True, owner=owner)
        if validation_data is None:
            raise ValueError(f"{owner}: early_stopping_patience watches the validation loss; "
                             f"pass validation_data=(X_val, y_val)")
    # verbose=True prints every epoch; an int k prints every k-th epoch.
    print_every = int(verbose) if isinstance(verbose, bool) else check_number(
        verbose, "verbose", low=0, integer=True, owner=owner)
    rng = check_rng(rng)
    # Last, the checks that run the model: every label of every batch, the validation data
    # and the size of the last batch, so that no step can fail on data after an update.
    _check_last_batch(model, len(X), batch_size, owner)
    _check_data_fits(model, loss, metric_fns, X, y, batch_size, "y", owner)
    if X_val is not None:
        _check_data_fits(model, loss, metric_fns, X_val, y_val, batch_size,
                         "validation_data[1]", owner)
    return X_val, y_val, metric_fns, patience, print_every, rng


def train_step(model, loss_fn, optimizer, x, y):
    """One step of gradient descent on one mini-batch: forward, loss, backward, update.

    Returns the loss (a float) and the model's outputs, computed before the update.
    Raises ``NonFiniteError`` (a ``ValueError``) if the loss is NaN or infinite,
    before any gradient reaches the parameters.
    """
    optimizer.zero_grad()                  # gradients accumulate: clear them first
    outputs = model.forward(x)
    loss = loss_fn(outputs, y)             # the loss caches what its backward needs
    if not np.isfinite(loss):
        raise NonFiniteError(f"the loss became {loss}")
    model.backward(loss_fn.backward())     # dL/d(outputs), back through every layer
    optimizer.step()                       # move each parameter against its gradient
    return loss, outputs


def _train_one_epoch(model, loss, optimizer, X, y, batch_size, rng, metric_fns, epoch) -> dict:
    """One pass over shuffled mini-batches; returns the epoch's mean loss and metrics."""
    n_steps = -(-len(X) // batch_size)
    totals = dict.fromkeys(["loss", *metric_fns], 0.0)
    for step, (X_batch, y_batch) in enumerate(
            iterate_minibatches(X, y, batch_size, shuffle=True, rng=rng), start=1):
        # X is finite (checked before training), so a NaN or inf anywhere in this step means
        # the network diverged. Overflow warnings from the arithmetic would only repeat that;
        # the FloatingPointError raised below says where it happened.
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                value, outputs = train_step(model, loss, optimizer, X_batch, y_batch)
            except NonFiniteError as error:
                raise _diverged(epoch, step, n_steps, optimizer, str(error)) from error
        weight = len(X_batch)
        totals["loss"] += float(value) * weight
        for name, fn in metric_fns.items():
            totals[name] += float(fn(y_batch, outputs)) * weight
    return {name: total / len(X) for name, total in totals.items()}


def _diverged(epoch, step, n_steps, optimizer, what) -> FloatingPointError:
    lr = f" (lr={optimizer.lr:g})" if hasattr(optimizer, "lr") else ""
    return FloatingPointError(
        f"training diverged at epoch {epoch}, step {step} of {n_steps}: {what}; "
        f"try a smaller learning rate{lr} or standardized inputs")


def _progress_line(epoch: int, epochs: int, record: dict) -> str:
    width = len(str(epochs))
    values = "  ".join(f"{key} {value:.4f}" for key, value in record.items() if key != "lr")
    return f"epoch {epoch:>{width}}/{epochs}  {values}"
