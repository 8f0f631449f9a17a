"""The base of the scikit-learn-style estimators: parameters, validation, scoring.

The models that are not trained by backpropagation (SOM, k-means, label propagation,
GRNN, RBM, ...) follow scikit-learn's conventions, and they share them through this
module rather than each writing its own:

* the constructor only stores its arguments, under the same names;
* :meth:`BaseEstimator.get_params`, :meth:`~BaseEstimator.set_params` and ``repr`` are
  derived from the constructor's signature;
* each class declares ``_parameter_constraints`` and ``fit`` calls
  ``_validate_params()`` before it writes anything, so a bad
  hyperparameter raises a clear error and leaves a fitted estimator as it was;
* ``score`` comes from :class:`ClassifierMixin` (accuracy) or :class:`RegressorMixin`
  (:math:`R^2`), computed by :mod:`scratchdl.metrics`;
* an estimator used before ``fit`` raises :class:`NotFittedError`.

A constraint is one of: a type (``str``, ``np.ndarray``), an :class:`Interval`, an
:class:`Options`, ``None`` (the value ``None`` is allowed), or one of the strings
``"boolean"``, ``"random_state"`` (``None``, an int seed or a ``np.random.Generator``) and
``"callable"``. A value is valid when it satisfies at least one constraint of its list.
"""

from __future__ import annotations

import inspect
import math
import numbers

import numpy as np

from scratchdl import metrics
from scratchdl._validation import check_float_array

__all__ = [
    "BaseEstimator",
    "ClassifierMixin",
    "Interval",
    "NotFittedError",
    "Options",
    "RegressorMixin",
    "check_X",
    "check_distance_range",
    "check_is_fitted",
    "check_n_rows",
    "squared_distances",
]


class NotFittedError(ValueError):
    """An estimator was used before ``fit`` (a ``ValueError``, as in scikit-learn)."""


class Interval:
    """Numbers of a kind (``numbers.Integral`` or ``numbers.Real``) in an interval.

    Parameters
    ----------
    kind : numbers.Integral or numbers.Real
    low, high : float or None
        The bounds; ``None`` is unbounded.
    closed : {"both", "left", "right", "neither"}
        Which bounds belong to the interval.
    """

    def __init__(self, kind, low, high, *, closed="both"):
        if kind not in (numbers.Integral, numbers.Real):
            raise TypeError(f"Interval: kind must be numbers.Integral or numbers.Real, "
                            f"got {kind!r}")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"Interval: closed must be 'both', 'left', 'right' or "
                             f"'neither', got {closed!r}")
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    def is_satisfied_by(self, value) -> bool:
        if isinstance(value, bool) or not isinstance(value, self.kind):
            return False
        if self.kind is numbers.Real and not math.isfinite(value):
            return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and (value < self.low if left else value <= self.low):
            return False
        return not (self.high is not None and (value > self.high if right else
                                               value >= self.high))

    def __str__(self) -> str:
        kind = "an integer" if self.kind is numbers.Integral else "a real number"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        low = "-inf" if self.low is None else self.low
        high = "inf" if self.high is None else self.high
        return f"{kind} in {left}{low}, {high}{right}"


class Options:
    """One of a fixed set of values (usually strings)."""

    def __init__(self, *values):
        self.values = tuple(values)

    def is_satisfied_by(self, value) -> bool:
        return any(type(value) is type(option) and value == option for option in self.values)

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


def _satisfies(value, constraint) -> bool:
    if constraint is None:
        return value is None
    if constraint == "boolean":
        return isinstance(value, (bool, np.bool_))
    if constraint == "random_state":
        return (value is None or isinstance(value, np.random.Generator)
                or (isinstance(value, numbers.Integral) and not isinstance(value, bool)
                    and value >= 0))
    if constraint == "callable":
        return callable(value)
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    return constraint.is_satisfied_by(value)


def _describe(constraint) -> str:
    if constraint is None:
        return "None"
    if constraint == "boolean":
        return "a bool"
    if constraint == "random_state":
        return "None, a non-negative int seed or a numpy.random.Generator"
    if constraint == "callable":
        return "a callable"
    if isinstance(constraint, type):
        return f"an instance of {constraint.__name__}"
    return str(constraint)


class BaseEstimator:
    """Parameters from the constructor's signature, declared constraints, and ``repr``.

    Subclasses store every constructor argument under its own name and nothing else in
    ``__init__``, declare ``_parameter_constraints = {name: [constraint, ...]}`` and call
    ``self._validate_params()`` first in ``fit``.
    """

    _parameter_constraints: dict = {}

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's arguments, by name, as currently set.

        ``deep`` is accepted for scikit-learn compatibility; an estimator that holds
        another (``SelfTrainingClassifier``'s ``estimator``) also reports its parameters
        as ``estimator__name`` when ``deep`` is true.
        """
        params = {name: getattr(self, name) for name in self._param_names()}
        if deep:
            for name, value in list(params.items()):
                if isinstance(value, BaseEstimator):
                    for key, inner in value.get_params(deep=True).items():
                        params[f"{name}__{key}"] = inner
        return params

    def set_params(self, **params):
        """Set constructor arguments by name (checked when ``fit`` runs); returns ``self``."""
        valid = self._param_names()
        for name in params:
            head = name.split("__", 1)[0]
            if head not in valid:
                raise ValueError(f"{type(self).__name__}.set_params: unknown parameter "
                                 f"{name!r}; valid parameters are {valid}")
        for name, value in params.items():
            head, _, rest = name.partition("__")
            if rest:
                getattr(self, head).set_params(**{rest: value})
            else:
                setattr(self, name, value)
        return self

    def _validate_params(self) -> None:
        """Check every declared constraint; raise before ``fit`` writes anything."""
        owner = type(self).__name__
        for name, constraints in self._parameter_constraints.items():
            value = getattr(self, name)
            if any(_satisfies(value, c) for c in constraints):
                continue
            wanted = " or ".join(_describe(c) for c in constraints)
            numeric = isinstance(value, numbers.Number) and not isinstance(value, bool)
            error = ValueError if numeric or isinstance(value, str) else TypeError
            raise error(f"{owner}: {name} must be {wanted}, got {value!r}")

    def __repr__(self) -> str:
        signature = inspect.signature(type(self).__init__)
        shown = []
        for name in self._param_names():
            value = getattr(self, name)
            default = signature.parameters[name].default
            same = default is not inspect.Parameter.empty and (
                value is default or (type(value) is type(default) and _equal(value, default)))
            if not same:
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


def _equal(a, b) -> bool:
    try:
        return bool(a == b)
    except (ValueError, TypeError):  # arrays and the like: show them
        return False


class ClassifierMixin:
    """``score(X, y)``: the accuracy of ``predict(X)`` (:func:`scratchdl.metrics.accuracy`)."""

    def score(self, X, y) -> float:
        """Fraction of the samples of ``X`` whose predicted class equals ``y``."""
        return metrics.accuracy(y, self.predict(X))


class RegressorMixin:
    """``score(X, y)``: the :math:`R^2` of ``predict(X)`` (:func:`scratchdl.metrics.r2_score`)."""

    def score(self, X, y) -> float:
        """Coefficient of determination :math:`R^2` of the predictions, as scikit-learn's."""
        return metrics.r2_score(y, self.predict(X))


def check_is_fitted(estimator, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has ``attribute`` (set by fit)."""
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise NotFittedError(f"{name} is not fitted yet: call {name}.fit before using it")


def check_X(X, name: str, owner: str, n_features=None) -> np.ndarray:
    """A finite float array of shape (N, D), N >= 1, with D == n_features if given."""
    X = check_float_array(X, name, ndim=2, allow_nonfinite=True, owner=owner)
    if X.shape[0] == 0:
        raise ValueError(f"{owner}: {name} must have at least one row, got shape {X.shape}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{owner}: {name} must have shape (N, {n_features}) like the "
                         f"training data, got {X.shape}")
    return check_float_array(X, name, owner=owner)


def check_n_rows(y, n: int, name: str, owner: str) -> None:
    """``y`` must have as many rows as ``X``."""
    if y.shape[0] != n:
        raise ValueError(f"{owner}: {name} has {y.shape[0]} rows but X has {n}")


def check_distance_range(X: np.ndarray, name: str, owner: str) -> np.ndarray:
    """Refuse values so large that :func:`squared_distances` between rows would overflow.

    ``|a|^2 + |b|^2 + 2 |a.b|`` is at most ``4 D m^2`` for entries up to ``m`` in size, so
    entries up to ``sqrt(max_float / (8 D))`` are safe. Returns ``X``.
    """
    limit = float(np.sqrt(np.finfo(np.float64).max / (8 * max(X.shape[-1], 1))))
    largest = float(np.abs(X).max()) if X.size else 0.0
    if largest > limit:
        raise ValueError(f"{owner}: {name} has entries up to {largest:.3g} in size; squared "
                         f"distances between its rows would overflow (entries must stay "
                         f"below {limit:.3g}): scale the data first")
    return X


def squared_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances ``||a_i - b_j||^2`` as an (len(A), len(B)) array.

    Expanded as ``|a|^2 - 2 a.b + |b|^2`` (one matrix product, no (len(A), len(B), D)
    array); rounding can make that slightly negative for coincident points, so it is
    clipped at zero.
    """
    d2 = (A * A).sum(axis=1)[:, None] - 2.0 * (A @ B.T) + (B * B).sum(axis=1)[None, :]
    return np.maximum(d2, 0.0)
