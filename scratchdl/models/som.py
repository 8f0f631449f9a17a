"""The self-organizing map (Kohonen, 1982): competitive learning on a grid of units.

Each unit ``(r, c)`` of a ``grid_rows x grid_cols`` grid holds a weight vector in input
space. For every sample the closest unit wins (competition) and it and its grid
neighbours move towards the sample (cooperation); the neighbourhood radius ``sigma``
and the learning rate shrink as training goes on.

Parameter names follow MiniSom (``sigma``, ``learning_rate``, ``neighborhood_function``,
``topology``, ``activation_distance``, ``decay_function``, ``sigma_decay_function``) so
the two can be compared line by line; the estimator itself follows scikit-learn's
conventions. Where the definitions differ from MiniSom's, the docstrings say so.
"""

from __future__ import annotations

import numbers

import numpy as np

from scratchdl._validation import check_allocation, check_float_array, check_rng
from scratchdl.models.base import (
    BaseEstimator,
    Interval,
    Options,
    check_distance_range,
    check_is_fitted,
    squared_distances,
)

# On a hexagonal grid every other column is shifted by half a unit along the rows, so the
# columns must be sqrt(3)/2 apart for the six neighbours of a unit to lie at distance 1
# on the map plane (MiniSom's Y_HEX_CONV_FACTOR, applied to its second coordinate too).
HEX_COLUMN_SPACING = np.sqrt(3.0) / 2.0

TOPOLOGIES = ("rectangular", "hexagonal")
NEIGHBORHOODS = ("gaussian", "bubble", "mexican_hat")
DISTANCES = ("euclidean", "manhattan")
TRAININGS = ("online", "batch")
LR_DECAYS = ("asymptotic_decay", "inverse_decay_to_zero", "linear_decay_to_zero",
             "exponential_decay", "constant")
SIGMA_DECAYS = ("asymptotic_decay", "inverse_decay_to_one", "linear_decay_to_one",
                "exponential_decay", "constant")


def euclidean_distances(X, weights) -> np.ndarray:
    """Distances between rows of X (N, D) and of weights (U, D), shape (N, U).

    The square root of ``scratchdl.models.base.squared_distances``, which
    expands ``|x - w|^2 = |x|^2 - 2 x.w + |w|^2`` so that no (N, U, D) array is built
    (MiniSom does the same).
    """
    return np.sqrt(squared_distances(X, weights))


def decay(name: str, initial: float, t, n_iterations: int):
    """The value of a schedule at step ``t`` of ``n_iterations`` (MiniSom's formulas).

    =========================  ==========================================  ============
    name                       value at step t (T = n_iterations)          at t = T
    =========================  ==========================================  ============
    ``asymptotic_decay``       ``initial / (1 + t / (T / 2))``             initial / 3
    ``inverse_decay_to_zero``  ``initial * C / (C + t)``, ``C = T / 100``  initial / 101
    ``linear_decay_to_zero``   ``initial * (1 - t / T)``                   0
    ``inverse_decay_to_one``   ``initial / (1 + t * (initial - 1) / T)``   1
    ``linear_decay_to_one``    ``initial + t * (1 - initial) / T``         1
    ``exponential_decay``      ``initial * 0.01 ** (t / T)``               initial / 100
    ``constant``               ``initial``                                 initial
    =========================  ==========================================  ============

    ``exponential_decay`` and ``constant`` are this package's; MiniSom has the others.
    ``t`` may be an int or an array of steps.
    """
    t = np.asarray(t, dtype=np.float64)
    T = float(n_iterations)
    if name == "asymptotic_decay":
        return initial / (1 + t / (T / 2))
    if name == "inverse_decay_to_zero":
        C = T / 100.0
        return initial * C / (C + t)
    if name == "linear_decay_to_zero":
        return initial * (1 - t / T)
    if name == "inverse_decay_to_one":
        return initial / (1 + t * ((initial - 1) / T))
    if name == "linear_decay_to_one":
        return initial + t * (1 - initial) / T
    if name == "exponential_decay":
        return initial * 0.01 ** (t / T)
    if name == "constant":
        return initial + 0 * t
    raise ValueError(f"unknown schedule {name!r}; choose from "
                     f"{sorted(set(LR_DECAYS) | set(SIGMA_DECAYS))}")


def neighborhood(squared_distance, sigma, function="gaussian") -> np.ndarray:
    """How strongly a unit at grid distance ``d`` from the winner moves, given ``d**2``.

    Equation (som-neighbourhoods) of chapter 02, element-wise on an array of squared
    distances (the bubble on a rectangular grid is given the squared Chebyshev
    distance):

    * ``"gaussian"``: ``exp(-d**2 / (2 sigma**2))``
    * ``"bubble"``: ``1`` if ``d < sigma`` else ``0``
    * ``"mexican_hat"``: ``(1 - d**2 / sigma**2) * exp(-d**2 / (2 sigma**2))``

    A radius whose square underflows (``sigma = 1e-200``) still gives 1 at the winner
    and 0 elsewhere, not 0/0.
    """
    d2 = np.asarray(squared_distance, dtype=np.float64)
    if function == "bubble":
        return (np.sqrt(d2) < sigma).astype(np.float64)
    with np.errstate(over="ignore"):
        # d^2 / sigma^2; divided twice only when sigma^2 underflows to 0.
        ratio2 = d2 / (sigma * sigma) if sigma * sigma > 0 else d2 / sigma / sigma
    gaussian = np.exp(-ratio2 / 2)
    if function == "gaussian":
        return gaussian
    if function == "mexican_hat":
        with np.errstate(invalid="ignore"):           # 0 * inf far away: the limit is 0
            return np.where(np.isinf(ratio2), 0.0, gaussian * (1 - ratio2))
    raise ValueError(f"unknown neighbourhood function {function!r}; choose from "
                     f"{NEIGHBORHOODS}")


def grid_positions(grid_rows: int, grid_cols: int, topology: str) -> np.ndarray:
    """Where each unit sits on the map plane, shape (grid_rows * grid_cols, 2).

    Unit ``(r, c)`` (flat index ``r * grid_cols + c``) sits at ``(r, c)`` on a rectangular
    grid. On a hexagonal grid the columns are ``sqrt(3)/2`` apart and every other column
    is shifted by half a unit along ``r``, so each inner unit has six neighbours at
    distance 1. Which columns shift follows MiniSom (those with the parity of the last
    column), so both libraries build the same lattice, not its mirror image.
    """
    rows, cols = np.meshgrid(np.arange(grid_rows, dtype=np.float64),
                             np.arange(grid_cols, dtype=np.float64), indexing="ij")
    if topology == "hexagonal":
        shifted = (grid_cols - 1 - cols) % 2 == 0
        rows = rows - 0.5 * shifted
        cols = cols * HEX_COLUMN_SPACING
    return np.column_stack([rows.ravel(), cols.ravel()])


class SOM(BaseEstimator):
    """A self-organizing map with scikit-learn's estimator conventions.

    Parameters
    ----------
    grid_rows, grid_cols : int
        Size of the grid (MiniSom's ``x`` and ``y``); at least 1 each.
    sigma : float
        Initial neighbourhood radius, in grid units (> 0).
    learning_rate : float
        Initial learning rate (> 0). Batch training uses it as the step towards the
        neighbourhood-weighted means (1 = replace the weights by them).
    neighborhood_function : {"gaussian", "bubble", "mexican_hat"}
        How strongly unit ``j`` moves when unit ``b`` wins, with ``d`` the distance
        between them on the map plane: ``exp(-d**2 / (2 sigma**2))``; ``1[d < sigma]``
        (bubble); ``exp(-d**2 / (2 sigma**2)) * (1 - d**2 / sigma**2)`` (Mexican hat).
        On a rectangular grid the bubble uses the Chebyshev distance of the grid
        indices, a square of side ``2 ceil(sigma) - 1`` exactly as MiniSom; on a
        hexagonal grid it uses the plane distance (a disc), where MiniSom keeps the
        square of grid indices.
    topology : {"rectangular", "hexagonal"}
    activation_distance : {"euclidean", "manhattan"}
        Distance that picks the best-matching unit. The error measures always use the
        Euclidean distance (as MiniSom).
    decay_function : str
        Schedule of the learning rate, see :func:`decay`.
    sigma_decay_function : str
        Schedule of the radius, see :func:`decay`.
    training : {"online", "batch"}
        ``"online"``: one sample per step, ``n_iterations`` steps (MiniSom's ``train``).
        ``"batch"``: every step looks at all samples and moves each unit towards the
        neighbourhood-weighted mean of the data (MiniSom's ``train_batch_offline``,
        Kohonen 2013).
    n_iterations : int
        Number of steps (samples for online training, passes for batch training).
    random_order : bool
        Online training: visit the samples in a random order (drawn from
        ``random_state``) instead of cycling through them as given. The random orders
        of the two libraries differ; with ``False`` both visit ``0, 1, ..., N-1, 0, ...``.
    initialization : {"random", "pca"} or (grid_rows, grid_cols, n_features) array
        ``"random"``: randomly chosen samples (MiniSom's ``random_weights_init``).
        ``"pca"``: ``mean + a * pc1 + b * pc2`` with ``a`` and ``b`` evenly spaced in
        [-1, 1] along the rows and columns, unit-length principal axes, as MiniSom's
        ``pca_weights_init`` (so standardize the data first). An array is copied.
    random_state : None, int or numpy.random.Generator

    Attributes
    ----------
    weights_ : (grid_rows, grid_cols, n_features) array
        The codebook: one weight vector per unit.
    initial_weights_ : (grid_rows, grid_cols, n_features) array
        The weights before training.
    positions_ : (grid_rows * grid_cols, 2) array
        Where each unit sits on the map plane (:func:`grid_positions`).
    n_features_in_ : int
    sigma_history_, learning_rate_history_ : (n_iterations,) arrays
        The radius and learning rate used at each step.
    """

    def __init__(self, grid_rows=10, grid_cols=10, *, sigma=1.0, learning_rate=0.5,
                 neighborhood_function="gaussian", topology="rectangular",
                 activation_distance="euclidean", decay_function="asymptotic_decay",
                 sigma_decay_function="asymptotic_decay", training="online",
                 n_iterations=1000, random_order=True, initialization="random",
                 random_state=None):
        self.grid_rows = grid_rows
        self.grid_cols = grid_cols
        self.sigma = sigma
        self.learning_rate = learning_rate
        self.neighborhood_function = neighborhood_function
        self.topology = topology
        self.activation_distance = activation_distance
        self.decay_function = decay_function
        self.sigma_decay_function = sigma_decay_function
        self.training = training
        self.n_iterations = n_iterations
        self.random_order = random_order
        self.initialization = initialization
        self.random_state = random_state

    _parameter_constraints = {
        "grid_rows": [Interval(numbers.Integral, 1, None)],
        "grid_cols": [Interval(numbers.Integral, 1, None)],
        "sigma": [Interval(numbers.Real, 0, None, closed="neither")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "neighborhood_function": [Options(*NEIGHBORHOODS)],
        "topology": [Options(*TOPOLOGIES)],
        "activation_distance": [Options(*DISTANCES)],
        "decay_function": [Options(*LR_DECAYS)],
        "sigma_decay_function": [Options(*SIGMA_DECAYS)],
        "training": [Options(*TRAININGS)],
        "n_iterations": [Interval(numbers.Integral, 1, None)],
        "random_order": ["boolean"],
        "initialization": [np.ndarray, Options("random", "pca")],
        "random_state": ["random_state"],
    }

    # ------------------------------------------------------------------ validation
    def _check_X(self, X, name="X", fitted_features=True) -> np.ndarray:
        X = check_float_array(X, name, ndim=2, owner="SOM")
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"SOM: {name} must have at least one sample and one feature, "
                             f"got shape {X.shape}")
        if fitted_features and X.shape[1] != self.n_features_in_:
            raise ValueError(f"SOM: {name} has {X.shape[1]} features, but the map was fitted "
                             f"with {self.n_features_in_}")
        return check_distance_range(X, name, "SOM")

    def _check_fitted(self) -> None:
        check_is_fitted(self, "weights_")

    # ------------------------------------------------------------------ the model
    def _initial_weights(self, X, rng) -> np.ndarray:
        shape = (self.grid_rows, self.grid_cols, X.shape[1])
        init = self.initialization
        if isinstance(init, np.ndarray):
            init = check_float_array(init, "initialization", ndim=3, owner="SOM")
            if init.shape != shape:
                raise ValueError(f"SOM: initialization must have shape {shape} "
                                 f"(grid_rows, grid_cols, n_features), got {init.shape}")
            return init.astype(np.float64, copy=True)
        if isinstance(init, str) and init == "random":
            return X[rng.integers(len(X), size=shape[:2])].astype(np.float64)
        if isinstance(init, str) and init == "pca":
            if X.shape[1] < 2 or X.shape[0] < 2:
                raise ValueError(f"SOM: initialization='pca' needs at least 2 samples and 2 "
                                 f"features, got X of shape {X.shape}")
            eigenvalues, eigenvectors = np.linalg.eigh(np.cov(X, rowvar=False))
            order = np.argsort(eigenvalues)[::-1]
            pc1, pc2 = eigenvectors[:, order[0]], eigenvectors[:, order[1]]
            a = np.linspace(-1, 1, self.grid_rows)[:, None, None]
            b = np.linspace(-1, 1, self.grid_cols)[None, :, None]
            return X.mean(axis=0) + a * pc1 + b * pc2
        raise ValueError(f"SOM: initialization must be 'random', 'pca' or an array of shape "
                         f"{shape}, got {init!r}")

    def _neighborhood(self, positions, winners, sigma) -> np.ndarray:
        """h[k, i]: how much unit i moves for winner winners[k], shape (K, n_units)."""
        offsets = positions[None, :, :] - positions[winners][:, None, :]
        if self.neighborhood_function == "bubble" and self.topology == "rectangular":
            squared = np.abs(offsets).max(axis=2) ** 2    # a square, as MiniSom's bubble
        else:
            squared = (offsets ** 2).sum(axis=2)
        return neighborhood(squared, sigma, self.neighborhood_function)

    def _distances(self, X, weights) -> np.ndarray:
        """Activation distances between samples and units, shape (N, n_units)."""
        if self.activation_distance == "manhattan":
            return np.abs(X[:, None, :] - weights[None, :, :]).sum(axis=2)
        if len(X) == 1:  # online training: the direct difference, as MiniSom's winner()
            return np.sqrt(((X - weights) ** 2).sum(axis=1))[None]
        return euclidean_distances(X, weights)

    def fit(self, X, y=None):
        """Train the map on ``X`` (N, n_features); ``y`` is ignored. Returns ``self``.

        Every argument is checked before anything is stored, and the learned attributes
        are written only once training has succeeded: a call that raises leaves a fitted
        map as it was. A learning rate so large that the weights overflow raises
        ``FloatingPointError``.
        """
        self._validate_params()
        X = self._check_X(X, fitted_features=False)  # a refit may change the features
        n_units = self.grid_rows * self.grid_cols
        check_allocation((n_units, X.shape[1]), owner=repr(self), what="the weights")
        check_allocation((n_units, n_units), owner=repr(self), what="the unit distances")
        if self.training == "batch":
            check_allocation((len(X), n_units), owner=repr(self),
                             what="the neighbourhood weights of batch training")
        rng = check_rng(self.random_state, "random_state")
        weights = self._initial_weights(X, rng)
        initial_weights = weights.copy()
        positions = grid_positions(self.grid_rows, self.grid_cols, self.topology)
        steps = np.arange(self.n_iterations)
        sigmas = decay(self.sigma_decay_function, float(self.sigma), steps,
                       self.n_iterations)
        rates = decay(self.decay_function, float(self.learning_rate), steps,
                      self.n_iterations)
        flat = weights.reshape(-1, X.shape[1])  # a view: updating it updates weights
        schedule = (positions, sigmas, rates)
        with np.errstate(over="ignore", invalid="ignore"):
            if self.training == "online":
                order = steps % len(X)
                if self.random_order:
                    order = rng.permutation(order)
                self._train_online(X, flat, order, *schedule)
            else:
                self._train_batch(X, flat, *schedule)
        if not np.all(np.isfinite(weights)):
            hint = (" or use the Gaussian neighbourhood for batch training"
                    if self.neighborhood_function == "mexican_hat" else "")
            raise FloatingPointError(f"{self!r}: training made the weights non-finite "
                                     f"(overflow); lower learning_rate{hint}")
        self.initial_weights_, self.weights_ = initial_weights, weights
        self.positions_, self.sigma_history_, self.learning_rate_history_ = schedule
        self.n_features_in_ = X.shape[1]
        return self

    def _train_online(self, X, weights, order, positions, sigmas, rates) -> None:
        """One sample per step: the winner and its neighbours move towards it."""
        for t, index in enumerate(order):
            x = X[index]
            winner = self._distances(x[None], weights)[0].argmin()               # (1)
            h = self._neighborhood(positions, [winner], sigmas[t])[0]             # (2)
            weights += (rates[t] * h)[:, None] * (x - weights)                    # (3)

    def _train_batch(self, X, weights, positions, sigmas, rates) -> None:
        """Every step: each unit moves towards the h-weighted mean of all the samples."""
        for t in range(len(sigmas)):
            winners = self._distances(X, weights).argmin(axis=1)
            h = self._neighborhood(positions, winners, sigmas[t])     # (N, n_units)
            numerator, denominator = h.T @ X, h.sum(axis=0)
            touched = denominator > 0  # units no sample reaches keep their weights
            means = numerator[touched] / denominator[touched, None]
            weights[touched] = (1 - rates[t]) * weights[touched] + rates[t] * means

    # ------------------------------------------------------------------ using the map
    def predict(self, X) -> np.ndarray:
        """Flat index ``r * grid_cols + c`` of each sample's best-matching unit, (N,)."""
        self._check_fitted()
        X = self._check_X(X)
        flat = self.weights_.reshape(-1, self.n_features_in_)
        return self._distances(X, flat).argmin(axis=1)

    def transform(self, X) -> np.ndarray:
        """Grid coordinates ``(r, c)`` of each sample's best-matching unit, (N, 2) ints."""
        return np.column_stack(np.unravel_index(self.predict(X), self.weights_.shape[:2]))

    def fit_transform(self, X, y=None) -> np.ndarray:
        """``fit(X).transform(X)``."""
        return self.fit(X).transform(X)

    def quantization_error(self, X) -> float:
        """Mean Euclidean distance from each sample to its best-matching unit's weights."""
        self._check_fitted()
        X = self._check_X(X)
        flat = self.weights_.reshape(-1, self.n_features_in_)
        # The best-matching unit by Euclidean distance, whatever activation_distance is.
        codebook = flat[euclidean_distances(X, flat).argmin(axis=1)]
        return float(np.sqrt(((X - codebook) ** 2).sum(axis=1)).mean())

    def _adjacent(self, a, b) -> np.ndarray:
        """Whether units a and b (flat indices) are neighbours on the grid."""
        offset = self.positions_[a] - self.positions_[b]
        if self.topology == "rectangular":  # the 8 surrounding units
            return np.abs(offset).max(axis=-1) <= 1
        return np.isclose(np.sqrt((offset ** 2).sum(axis=-1)), 1.0)  # the 6 around

    def topographic_error(self, X) -> float:
        """Fraction of samples whose best and second-best units are not grid neighbours.

        Best and second best are ranked by Euclidean distance. On a rectangular grid the
        neighbours are the 8 surrounding units, on a hexagonal one the 6 (as MiniSom).
        A 1 x 1 map has no second unit: the error is NaN there.
        """
        self._check_fitted()
        X = self._check_X(X)
        if self.grid_rows * self.grid_cols == 1:
            return float("nan")
        flat = self.weights_.reshape(-1, self.n_features_in_)
        best_two = np.argsort(euclidean_distances(X, flat), axis=1)[:, :2]
        return float((~self._adjacent(best_two[:, 0], best_two[:, 1])).mean())

    def hit_map(self, X) -> np.ndarray:
        """How many samples each unit wins, (grid_rows, grid_cols) ints."""
        counts = np.bincount(self.predict(X), minlength=self.grid_rows * self.grid_cols)
        return counts.reshape(self.grid_rows, self.grid_cols)

    def u_matrix(self, scaling="sum") -> np.ndarray:
        """The unified distance matrix: how far each unit is from its grid neighbours.

        Each entry is the sum (``scaling="sum"``, MiniSom's default) or mean of the
        Euclidean distances between a unit's weights and those of its neighbours (8 on
        a rectangular grid, 6 on a hexagonal one), divided by the largest entry. High
        values are walls between clusters. Shape (grid_rows, grid_cols).
        """
        self._check_fitted()
        if scaling not in ("sum", "mean"):
            raise ValueError(f"SOM.u_matrix: scaling must be 'sum' or 'mean', got {scaling!r}")
        n_units = self.grid_rows * self.grid_cols
        units = np.arange(n_units)
        neighbours = self._adjacent(units[:, None], units[None, :]) & (
            units[:, None] != units[None, :])
        flat = self.weights_.reshape(n_units, -1)
        distances = np.sqrt(((flat[:, None, :] - flat[None, :, :]) ** 2).sum(axis=2))
        values = (distances * neighbours).sum(axis=1)
        if scaling == "mean":
            values = values / np.maximum(neighbours.sum(axis=1), 1)
        largest = values.max()
        if largest > 0:
            values = values / largest
        return values.reshape(self.grid_rows, self.grid_cols)
