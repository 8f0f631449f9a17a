r"""The restricted Boltzmann machine with binary units (chapter 09).

An RBM with visible units :math:`\mathbf{v} \in \{0, 1\}^D` and hidden units
:math:`\mathbf{h} \in \{0, 1\}^H` assigns the energy

.. math::
    E(\mathbf{v}, \mathbf{h}) = -\mathbf{b}^\top \mathbf{v} - \mathbf{c}^\top \mathbf{h}
    - \mathbf{h}^\top \mathbf{W} \mathbf{v},

and the probability :math:`p(\mathbf{v}, \mathbf{h}) = e^{-E(\mathbf{v}, \mathbf{h})} / Z`.
The names follow scikit-learn's ``BernoulliRBM``: ``components_`` is
:math:`\mathbf{W}` of shape (H, D), ``intercept_visible_`` is :math:`\mathbf{b}`,
``intercept_hidden_`` is :math:`\mathbf{c}`.

Beyond scikit-learn, the model can compute its log partition function :math:`\log Z`
exactly (by summing over the smaller layer, when it has at most
:data:`MAX_EXACT_UNITS` units) or estimate it by annealed importance sampling (AIS), and
so give log-likelihoods, and it can compute the exact log-likelihood gradient on small
models, against which the contrastive-divergence estimate is measured.
"""

from __future__ import annotations

import numbers

import numpy as np

from scratchdl._validation import check_float_array, check_number, check_rng
from scratchdl.functional import logsumexp, sigmoid, softplus
from scratchdl.models.base import BaseEstimator, Interval, check_is_fitted

MAX_EXACT_UNITS = 20
"""The largest layer :meth:`BernoulliRBM.log_partition` sums over exactly (2**20 states)."""

_CHUNK = 4096  # states of the summed layer handled at once by the exact sums


def _all_states(n_units: int, dtype):
    """Every binary vector of length ``n_units``, in chunks of rows (binary counting)."""
    bits = 2 ** np.arange(n_units - 1, -1, -1)
    for start in range(0, 2**n_units, _CHUNK):
        codes = np.arange(start, min(start + _CHUNK, 2**n_units))
        yield ((codes[:, None] & bits) > 0).astype(dtype)


class BernoulliRBM(BaseEstimator):
    """Restricted Boltzmann machine with binary visible and hidden units.

    Parameters
    ----------
    n_components : int
        Number of hidden units H.
    learning_rate : float
        Step size of the gradient ascent on the log-likelihood (per mini-batch, on the
        mean gradient over the batch, as scikit-learn).
    batch_size : int
        Rows per mini-batch; also the number of persistent chains.
    n_iter : int
        Passes over the training data in :meth:`BernoulliRBM.fit`.
    verbose : int
        Print the mean pseudo-likelihood after every pass when positive.
    random_state : int, np.random.Generator or None
        Seeds the initial weights and every sample.
    k : int
        Gibbs steps per update (CD-k, or k steps of the persistent chains).
    persistent : bool
        True (the default, what scikit-learn's ``BernoulliRBM`` does: it calls it
        stochastic maximum likelihood) runs the negative phase on persistent chains
        (PCD); False restarts the chains at the mini-batch (CD-k).

    Attributes
    ----------
    components_ : (n_components, n_features) array
        The weights W.
    intercept_hidden_ : (n_components,) array
        The hidden biases c.
    intercept_visible_ : (n_features,) array
        The visible biases b.
    h_samples_ : (batch_size, n_components) array
        The hidden states of the persistent chains (PCD only).

    Notes
    -----
    As in scikit-learn, the weights may be set by hand (assign the three attributes);
    every method checks that they are consistent before using them.
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "verbose": [Interval(numbers.Integral, 0, None, closed="left"), "boolean"],
        "random_state": ["random_state"],
        "k": [Interval(numbers.Integral, 1, None, closed="left")],
        "persistent": ["boolean"],
    }

    def __init__(self, n_components=256, *, learning_rate=0.1, batch_size=10, n_iter=10,
                 verbose=0, random_state=None, k=1, persistent=True):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.verbose = verbose
        self.random_state = random_state
        self.k = k
        self.persistent = persistent

    # ----------------------------------------------------------------- checks
    def _check_weights(self):
        """The three learned arrays, checked for shapes, dtype and finiteness."""
        check_is_fitted(self, "components_")
        name = type(self).__name__
        for attribute in ("intercept_hidden_", "intercept_visible_"):
            if not hasattr(self, attribute):
                raise ValueError(f"{name}: components_ is set but {attribute} is not; set "
                                 f"all three of components_, intercept_hidden_, "
                                 f"intercept_visible_")
        W = check_float_array(self.components_, "components_", ndim=2, owner=name)
        c = check_float_array(self.intercept_hidden_, "intercept_hidden_", ndim=1, owner=name)
        b = check_float_array(self.intercept_visible_, "intercept_visible_", ndim=1, owner=name)
        if c.shape != (W.shape[0],) or b.shape != (W.shape[1],):
            raise ValueError(f"{name}: components_ has shape {W.shape}, so intercept_hidden_ "
                             f"must have shape ({W.shape[0]},) and intercept_visible_ shape "
                             f"({W.shape[1]},); got {c.shape} and {b.shape}")
        return W, c, b

    def _check_visible(self, X, name="X", n_features=None):
        """A finite (N, D) float array with values in [0, 1]."""
        owner = type(self).__name__
        X = check_float_array(X, name, ndim=2, owner=owner)
        if X.shape[0] == 0:
            raise ValueError(f"{owner}: {name} must have at least one row, got shape {X.shape}")
        if n_features is not None and X.shape[1] != n_features:
            raise ValueError(f"{owner}: {name} must have shape (N, {n_features}) "
                             f"(n_features = {n_features}), got {X.shape}")
        if X.min() < 0 or X.max() > 1:
            raise ValueError(f"{owner}: {name} must hold values in [0, 1] (binary data or "
                             f"probabilities), got values from {X.min():g} to {X.max():g}")
        return X

    def _checked(self, X, name="X"):
        W, c, b = self._check_weights()
        return self._check_visible(X, name, n_features=W.shape[1]), W, c, b

    def _rng(self):
        if not hasattr(self, "random_state_"):
            self.random_state_ = check_rng(self.random_state, "random_state")
        return self.random_state_

    # ------------------------------------------------------- the conditionals
    def _mean_hiddens(self, V):
        """p(h_j = 1 | v) = sigmoid(c_j + W_j v) for each row of ``V``."""
        return sigmoid(V @ self.components_.T + self.intercept_hidden_)

    def _mean_visibles(self, Hs):
        """p(v_i = 1 | h) = sigmoid(b_i + W_:i^T h) for each row of ``Hs``."""
        return sigmoid(Hs @ self.components_ + self.intercept_visible_)

    @staticmethod
    def _sample(P, rng):
        """Binary samples with P(1) = P, same dtype."""
        return (rng.random(P.shape) < P).astype(P.dtype)

    def transform(self, X):
        """Hidden-unit probabilities p(h = 1 | v) for each row of ``X``.

        Parameters
        ----------
        X : (N, D) array with values in [0, 1]

        Returns
        -------
        (N, n_components) array
        """
        X, *_ = self._checked(X)
        return self._mean_hiddens(X)

    def fit_transform(self, X, y=None):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def gibbs(self, V):
        """One Gibbs step from ``V``: sample h ~ p(h | v), then v ~ p(v | h).

        Parameters
        ----------
        V : (N, D) array with values in [0, 1]

        Returns
        -------
        (N, D) array of 0s and 1s
        """
        V, *_ = self._checked(V, "V")
        rng = self._rng()
        return self._sample(self._mean_visibles(self._sample(self._mean_hiddens(V), rng)), rng)

    # ------------------------------------------------------------ energies
    def free_energy(self, V):
        r"""Free energy :math:`F(\mathbf{v}) = -\mathbf{b}^\top\mathbf{v} - \sum_j
        \operatorname{softplus}(c_j + \mathbf{W}_j \mathbf{v})`, so that
        :math:`p(\mathbf{v}) = e^{-F(\mathbf{v})} / Z`.

        Parameters
        ----------
        V : (N, D) array with values in [0, 1]

        Returns
        -------
        (N,) array
        """
        V, W, c, b = self._checked(V, "V")
        return self._free_energy(V, W, c, b)

    @staticmethod
    def _free_energy(V, W, c, b):
        return -V @ b - softplus(V @ W.T + c).sum(axis=1)

    def score_samples(self, X):
        """Pseudo-log-likelihood of each row, as scikit-learn defines it.

        One randomly chosen unit of each row is flipped (``random_state`` seeds the
        choice afresh on every call, as in scikit-learn) and the score is
        ``D * log sigmoid(F(v_flipped) - F(v))``.

        Parameters
        ----------
        X : (N, D) array with values in [0, 1]

        Returns
        -------
        (N,) array
        """
        X, W, c, b = self._checked(X)
        rng = check_rng(self.random_state, "random_state")
        flipped = X.copy()
        rows = np.arange(X.shape[0])
        cols = rng.integers(0, X.shape[1], X.shape[0])
        flipped[rows, cols] = 1 - flipped[rows, cols]
        gap = self._free_energy(flipped, W, c, b) - self._free_energy(X, W, c, b)
        return -X.shape[1] * softplus(-gap)

    # ---------------------------------------------------- the partition function
    def log_partition(self, method="auto", *, n_chains=100, n_betas=10_000,
                      base_rate=None, random_state=None):
        r"""Log partition function :math:`\log Z`, exactly or by AIS.

        Parameters
        ----------
        method : {"auto", "exact", "ais"}
            ``"exact"`` sums over every state of the smaller layer (at most
            :data:`MAX_EXACT_UNITS` units); ``"ais"`` uses annealed importance sampling;
            ``"auto"`` is exact when possible and AIS otherwise.
        n_chains : int
            AIS: number of independent annealing runs.
        n_betas : int
            AIS: number of inverse temperatures from 0 to 1 (intermediate
            distributions plus the two ends), spaced in the proportions of Salakhutdinov
            and Murray (2008): 1/29 of them up to 0.5, 8/29 up to 0.9, the rest up to 1.
        base_rate : (D,) array of probabilities in (0, 1), optional
            AIS: the visible marginals of the starting distribution, usually the
            training data's pixel means; uniform (0.5) by default.
        random_state : int, np.random.Generator or None
            AIS: seeds the chains.

        Returns
        -------
        float
        """
        W, c, b = self._check_weights()
        owner = type(self).__name__
        if method not in ("auto", "exact", "ais"):
            raise ValueError(f"{owner}: method must be 'auto', 'exact' or 'ais', got "
                             f"{method!r}")
        smallest = min(W.shape)
        if method == "exact" and smallest > MAX_EXACT_UNITS:
            raise ValueError(f"{owner}: method='exact' sums over 2**{smallest} states; it is "
                             f"limited to layers of at most {MAX_EXACT_UNITS} units: use "
                             f"method='ais'")
        if method == "exact" or (method == "auto" and smallest <= MAX_EXACT_UNITS):
            return self._log_partition_exact(W, c, b)
        n_chains = check_number(n_chains, "n_chains", low=1, integer=True, owner=owner)
        n_betas = check_number(n_betas, "n_betas", low=2, integer=True, owner=owner)
        if base_rate is None:
            base_bias = np.zeros_like(b)
        else:
            base_rate = check_float_array(base_rate, "base_rate", ndim=1, owner=owner)
            if base_rate.shape != b.shape or base_rate.min() <= 0 or base_rate.max() >= 1:
                raise ValueError(f"{owner}: base_rate must have shape {b.shape} with values "
                                 f"strictly inside (0, 1), got shape {base_rate.shape}")
            base_bias = np.log(base_rate) - np.log1p(-base_rate)
        rng = check_rng(random_state, "random_state")
        return self._ais(W, c, b, base_bias, ais_betas(n_betas), n_chains, rng)[0]

    @staticmethod
    def _log_partition_exact(W, c, b):
        r"""Sum out the larger layer analytically, enumerate the smaller one.

        Over the hidden states: :math:`\log Z = \operatorname{logsumexp}_{\mathbf{h}}
        [\mathbf{c}^\top\mathbf{h} + \sum_i \operatorname{softplus}(b_i +
        \mathbf{W}_{:i}^\top \mathbf{h})]`; over the visible states, :math:`-F(\mathbf{v})`.
        """
        H, D = W.shape
        parts = []
        if H <= D:
            for Hs in _all_states(H, W.dtype):
                parts.append(logsumexp(Hs @ c + softplus(Hs @ W + b).sum(axis=1), axis=0))
        else:
            for V in _all_states(D, W.dtype):
                parts.append(logsumexp(V @ b + softplus(V @ W.T + c).sum(axis=1), axis=0))
        return float(logsumexp(np.array(parts), axis=0))

    @staticmethod
    def _ais(W, c, b, base_bias, betas, n_chains, rng):
        r"""AIS from the base-rate model (W = 0, c = 0, visible biases ``base_bias``).

        The intermediate distributions have unnormalized log-probabilities

        .. math::
            \log p_k^*(\mathbf{v}) = (1 - \beta_k)\mathbf{b}_A^\top\mathbf{v}
            + \beta_k \mathbf{b}^\top\mathbf{v}
            + \sum_j \operatorname{softplus}(\beta_k(c_j + \mathbf{W}_j\mathbf{v})),

        each chain's log-weight adds :math:`\log p_k^* - \log p_{k-1}^*` at its current
        state, then takes one Gibbs step that leaves :math:`p_k` invariant. Returns the
        estimate of :math:`\log Z` and the chains' log-weights.
        """
        H, D = W.shape
        log_z_base = float(softplus(base_bias).sum()) + H * np.log(2.0)

        def log_p_star(V, beta):
            return ((1 - beta) * V @ base_bias + beta * V @ b
                    + softplus(beta * (V @ W.T + c)).sum(axis=1))

        V = (rng.random((n_chains, D)) < sigmoid(base_bias)).astype(W.dtype)
        log_w = np.zeros(n_chains)
        for beta_prev, beta in zip(betas[:-1], betas[1:], strict=True):
            log_w += log_p_star(V, beta) - log_p_star(V, beta_prev)
            if beta < 1:
                Hs = (rng.random((n_chains, H)) < sigmoid(beta * (V @ W.T + c))).astype(W.dtype)
                P = sigmoid((1 - beta) * base_bias + beta * (Hs @ W + b))
                V = (rng.random(P.shape) < P).astype(W.dtype)
        log_mean_w = float(logsumexp(log_w, axis=0) - np.log(n_chains))
        return log_z_base + log_mean_w, log_w

    def log_likelihood(self, X, method="auto", **ais_options):
        r"""Log-likelihood :math:`\log p(\mathbf{v}) = -F(\mathbf{v}) - \log Z` of each row.

        Parameters
        ----------
        X : (N, D) array with values in [0, 1]
        method, **ais_options
            Passed to :meth:`BernoulliRBM.log_partition`.

        Returns
        -------
        (N,) array
        """
        X, W, c, b = self._checked(X)
        return -self._free_energy(X, W, c, b) - self.log_partition(method, **ais_options)

    # ------------------------------------------------------------ gradients
    def exact_gradient(self, X):
        r"""The gradient of the mean log-likelihood of ``X``, by enumeration.

        Data term minus model term: for the weights,
        :math:`\langle \mathbf{h}\mathbf{v}^\top\rangle_{\text{data}} -
        \langle \mathbf{h}\mathbf{v}^\top\rangle_{\text{model}}`. The model expectation
        is a sum over every state of the smaller layer (at most :data:`MAX_EXACT_UNITS`
        units), each weighted by its marginal probability, with the other layer's
        conditional mean: :math:`\sum_{\mathbf{v}} p(\mathbf{v})\,
        \mathbb{E}[\mathbf{h} \mid \mathbf{v}]\,\mathbf{v}^\top` or
        :math:`\sum_{\mathbf{h}} p(\mathbf{h})\,\mathbf{h}\,
        \mathbb{E}[\mathbf{v} \mid \mathbf{h}]^\top`.

        Returns
        -------
        dict with keys ``"components_"``, ``"intercept_hidden_"``, ``"intercept_visible_"``
        """
        X, W, c, b = self._checked(X)
        H, D = W.shape
        if min(H, D) > MAX_EXACT_UNITS:
            raise ValueError(f"{type(self).__name__}: exact_gradient enumerates the states "
                             f"of the smaller layer; it needs at most {MAX_EXACT_UNITS} "
                             f"features or hidden units, got {D} and {H}")
        log_z = self._log_partition_exact(W, c, b)
        model_hv, model_h, model_v = np.zeros_like(W), np.zeros_like(c), np.zeros_like(b)
        if D <= H:
            for V in _all_states(D, W.dtype):
                p = np.exp(-self._free_energy(V, W, c, b) - log_z)      # p(v)
                Ph = sigmoid(V @ W.T + c)                                # E[h | v]
                model_hv += (Ph * p[:, None]).T @ V
                model_h += p @ Ph
                model_v += p @ V
        else:
            for Hs in _all_states(H, W.dtype):
                p = np.exp(Hs @ c + softplus(Hs @ W + b).sum(axis=1) - log_z)   # p(h)
                Pv = sigmoid(Hs @ W + b)                                 # E[v | h]
                model_hv += (Hs * p[:, None]).T @ Pv
                model_h += p @ Hs
                model_v += p @ Pv
        Ph_data = sigmoid(X @ W.T + c)
        n = X.shape[0]
        return {"components_": Ph_data.T @ X / n - model_hv,
                "intercept_hidden_": Ph_data.mean(axis=0) - model_h,
                "intercept_visible_": X.mean(axis=0) - model_v}

    def estimate_gradient(self, X):
        """The contrastive-divergence estimate of :meth:`BernoulliRBM.exact_gradient` on a batch.

        The positive (data) term uses p(h | v) on ``X``; the negative (model) term runs
        ``k`` Gibbs steps, from the batch (CD-k) or from the persistent chains (PCD,
        whose state it advances). Used by :meth:`BernoulliRBM.partial_fit`; the chapter compares it
        with the exact gradient.

        Returns
        -------
        dict with keys ``"components_"``, ``"intercept_hidden_"``, ``"intercept_visible_"``
        """
        X, *_ = self._checked(X)
        if self.persistent and not hasattr(self, "h_samples_"):
            self.h_samples_ = np.zeros((self.batch_size, self.n_components), dtype=X.dtype)
        return self._gradient_estimate(X, self._rng())

    def _gradient_estimate(self, v_pos, rng):
        h_pos = self._mean_hiddens(v_pos)
        h = self.h_samples_ if self.persistent else self._sample(h_pos, rng)
        for _ in range(self.k):
            v_neg = self._sample(self._mean_visibles(h), rng)
            h_neg = self._mean_hiddens(v_neg)
            h = self._sample(h_neg, rng)
        if self.persistent:
            self.h_samples_ = h
        return {"components_": h_pos.T @ v_pos / len(v_pos) - h_neg.T @ v_neg / len(v_neg),
                "intercept_hidden_": h_pos.mean(axis=0) - h_neg.mean(axis=0),
                "intercept_visible_": v_pos.mean(axis=0) - v_neg.mean(axis=0)}

    # ------------------------------------------------------------- training
    def _initialize(self, n_features, dtype, rng):
        self.components_ = rng.normal(0, 0.01, (self.n_components, n_features)).astype(dtype)
        self.intercept_hidden_ = np.zeros(self.n_components, dtype=dtype)
        self.intercept_visible_ = np.zeros(n_features, dtype=dtype)
        if self.persistent:
            self.h_samples_ = np.zeros((self.batch_size, self.n_components), dtype=dtype)

    def _step(self, v_pos, rng):
        """One gradient-ascent step; raises (changing nothing) if it would overflow."""
        chains = getattr(self, "h_samples_", None)
        gradient = self._gradient_estimate(v_pos, rng)
        updated = {name: getattr(self, name) + self.learning_rate * g
                   for name, g in gradient.items()}
        for name, value in updated.items():
            if not np.all(np.isfinite(value)):
                if chains is not None:
                    self.h_samples_ = chains
                raise FloatingPointError(f"{type(self).__name__}: the update made "
                                         f"{name} non-finite; lower learning_rate "
                                         f"(now {self.learning_rate})")
        for name, value in updated.items():
            getattr(self, name)[...] = value

    def fit(self, X, y=None):
        """Train by CD-k or PCD on ``X`` for ``n_iter`` passes of mini-batches.

        As scikit-learn, the mini-batches are the same consecutive slices of ``X`` in
        every pass (shuffle ``X`` first if it is sorted).

        Parameters
        ----------
        X : (N, D) array with values in [0, 1]
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        X = self._check_visible(X)
        rng = check_rng(self.random_state, "random_state")
        self.random_state_ = rng
        self._initialize(X.shape[1], X.dtype, rng)
        starts = range(0, X.shape[0], self.batch_size)
        for iteration in range(1, self.n_iter + 1):
            for start in starts:
                self._step(X[start:start + self.batch_size], rng)
            if self.verbose:
                print(f"[{type(self).__name__}] Iteration {iteration}, "
                      f"pseudo-likelihood = {self.score_samples(X).mean():.2f}")
        return self

    def partial_fit(self, X, y=None):
        """One gradient step on the batch ``X`` (initializing the weights if needed).

        Returns
        -------
        self
        """
        self._validate_params()
        if hasattr(self, "components_"):
            X, *_ = self._checked(X)
        else:
            X = self._check_visible(X)
            self._initialize(X.shape[1], X.dtype, self._rng())
        if self.persistent and not hasattr(self, "h_samples_"):
            self.h_samples_ = np.zeros((self.batch_size, self.n_components), dtype=X.dtype)
        self._step(X, self._rng())
        return self


def ais_betas(n_betas: int) -> np.ndarray:
    """Inverse temperatures 0 = beta_1 < ... < beta_K = 1 for AIS, K = ``n_betas``.

    Salakhutdinov and Murray (2008) used 500 steps up to 0.5, 4,000 up to 0.9 and
    10,000 up to 1: denser where the distributions change fastest. The same proportions
    for any ``n_betas`` >= 2.
    """
    n_betas = check_number(n_betas, "n_betas", low=2, integer=True, owner="ais_betas")
    if n_betas < 20:
        return np.linspace(0.0, 1.0, n_betas)
    n1, n2 = n_betas // 29, (8 * n_betas) // 29
    n3 = n_betas - n1 - n2
    return np.concatenate([np.linspace(0.0, 0.5, n1, endpoint=False),
                           np.linspace(0.5, 0.9, n2, endpoint=False),
                           np.linspace(0.9, 1.0, n3)])


__all__ = ["BernoulliRBM", "MAX_EXACT_UNITS", "ais_betas"]
