r"""The deep belief network (chapter 09): RBMs stacked and trained greedily.

Hinton, Osindero and Teh (2006) train a stack of restricted Boltzmann machines one
layer at a time: the first RBM models the data, the second models the first one's hidden
activities, and so on. The result can be used two ways:

* as a generative model: Gibbs sampling in the top RBM, then one top-down pass through
  the lower RBMs' conditionals :math:`p(\mathbf{h}^{(l-1)} \mid \mathbf{h}^{(l)})`;
* as the initialization of a feed-forward network (``Linear`` + ``Sigmoid`` per layer,
  with each RBM's weights and hidden biases), fine-tuned by backpropagation.
"""

from __future__ import annotations

import numbers

from scratchdl import nn
from scratchdl._validation import check_number, check_rng
from scratchdl.functional import sigmoid
from scratchdl.models.base import BaseEstimator, Interval, check_is_fitted
from scratchdl.models.rbm import BernoulliRBM


class DBN(BaseEstimator):
    """A stack of :class:`~scratchdl.models.rbm.BernoulliRBM` trained greedily, layer by layer.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        Hidden units of each RBM, bottom to top (as scikit-learn's ``MLPClassifier``).
    learning_rate, batch_size, n_iter, k, persistent
        Passed to every RBM (see :class:`~scratchdl.models.rbm.BernoulliRBM`).
    random_state : int, np.random.Generator or None
        Seeds every RBM in turn and the samples.

    Attributes
    ----------
    rbms_ : list of BernoulliRBM
        The trained layers, bottom first; ``rbms_[l]`` models the activities of layer l.
    """

    _parameter_constraints = {
        "hidden_layer_sizes": [tuple, list],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "k": [Interval(numbers.Integral, 1, None, closed="left")],
        "persistent": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, hidden_layer_sizes=(100, 100), *, learning_rate=0.1, batch_size=10,
                 n_iter=10, k=1, persistent=True, random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.k = k
        self.persistent = persistent
        self.random_state = random_state

    def _check_sizes(self):
        sizes = self.hidden_layer_sizes
        good = len(sizes) > 0 and all(isinstance(s, numbers.Integral) and not isinstance(
            s, bool) and s >= 1 for s in sizes)
        if not good:
            raise ValueError(f"{type(self).__name__}: hidden_layer_sizes must be a non-empty "
                             f"tuple of positive integers, got {sizes!r}")
        return [int(s) for s in sizes]

    def fit(self, X, y=None):
        """Train the RBMs bottom-up: each on the hidden probabilities of the one below.

        Parameters
        ----------
        X : (N, D) array with values in [0, 1]
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        sizes = self._check_sizes()
        rng = check_rng(self.random_state, "random_state")
        first = BernoulliRBM(sizes[0])
        X = first._check_visible(X)
        rbms, data = [], X
        for size in sizes:
            rbm = BernoulliRBM(size, learning_rate=self.learning_rate,
                               batch_size=self.batch_size, n_iter=self.n_iter, k=self.k,
                               persistent=self.persistent, random_state=rng)
            data = rbm.fit(data).transform(data)
            rbms.append(rbm)
        self.rbms_ = rbms
        return self

    def transform(self, X):
        """Top-layer hidden probabilities: each RBM's ``transform`` in turn, bottom up.

        Returns
        -------
        (N, hidden_layer_sizes[-1]) array
        """
        check_is_fitted(self, "rbms_")
        for rbm in self.rbms_:
            X = rbm.transform(X)
        return X

    def to_network(self, n_outputs=None, *, rng=None):
        """The stack as a feed-forward network, to fine-tune by backpropagation.

        Each RBM becomes ``Linear(n_features, n_components)`` (weight ``components_``,
        bias ``intercept_hidden_``) followed by ``Sigmoid``, so the network's forward
        pass equals :meth:`DBN.transform`. With ``n_outputs``, a freshly initialized
        ``Linear`` output layer (for logits) is appended.

        Parameters
        ----------
        n_outputs : int, optional
        rng : np.random.Generator, int or None
            Initializes the output layer.

        Returns
        -------
        scratchdl.nn.Sequential
        """
        check_is_fitted(self, "rbms_")
        if n_outputs is not None:
            n_outputs = check_number(n_outputs, "n_outputs", low=1, integer=True,
                                     owner=type(self).__name__)
        rng = check_rng(rng)
        layers = []
        for rbm in self.rbms_:
            W, c, _ = rbm._check_weights()
            linear = nn.Linear(W.shape[1], W.shape[0], rng=rng, dtype=W.dtype)
            linear.weight[...] = W
            linear.bias[...] = c
            layers += [linear, nn.Sigmoid()]
        if n_outputs is not None:
            layers.append(nn.Linear(self.rbms_[-1].n_components, n_outputs, rng=rng,
                                    dtype=layers[0].weight.dtype))
        return nn.Sequential(*layers)

    def sample(self, n_samples, *, n_gibbs=200, random_state=None):
        """Draw visible vectors: Gibbs sampling in the top RBM, then one top-down pass.

        The top RBM's chains start from uniform random states of its visible layer and
        run ``n_gibbs`` steps; each lower layer is then sampled from
        p(h^(l-1) | h^(l)), and the bottom layer is returned as probabilities
        p(v = 1 | h^(1)) (the usual way to show samples as images).

        Returns
        -------
        (n_samples, n_features) array of probabilities
        """
        check_is_fitted(self, "rbms_")
        owner = type(self).__name__
        n_samples = check_number(n_samples, "n_samples", low=1, integer=True, owner=owner)
        n_gibbs = check_number(n_gibbs, "n_gibbs", low=1, integer=True, owner=owner)
        rng = check_rng(random_state, "random_state")
        top = self.rbms_[-1]
        W, c, b = top._check_weights()
        V = (rng.random((n_samples, W.shape[1])) < 0.5).astype(W.dtype)
        for _ in range(n_gibbs):
            Hs = (rng.random((n_samples, W.shape[0])) < sigmoid(V @ W.T + c)).astype(W.dtype)
            V = (rng.random(V.shape) < sigmoid(Hs @ W + b)).astype(W.dtype)
        for rbm in reversed(self.rbms_[:-1]):
            W, _, b = rbm._check_weights()
            P = sigmoid(V @ W + b)
            V = (rng.random(P.shape) < P).astype(W.dtype)
        return P if len(self.rbms_) > 1 else sigmoid(Hs @ W + b)


__all__ = ["DBN"]
