"""Pseudo-labeling (self-training): a network labels the unlabeled points it is sure of.

Round after round (Lee, 2013; scikit-learn's ``SelfTrainingClassifier`` for the names):

1. train a fresh network on the labeled points, given and pseudo;
2. predict the still-unlabeled points; those whose top softmax probability reaches
   ``threshold`` get their predicted class as a pseudo-label;
3. stop when no point was added, none is left, or after ``max_iter`` rounds.

The network is any :class:`~scratchdl.nn.module.Module` returning class logits (chapter 01's
MLP), built anew each round by ``build_model(rng)`` and trained with
:func:`scratchdl.train.fit` and Adam.
"""

from __future__ import annotations

import numpy as np

from scratchdl import optim
from scratchdl._validation import check_number, check_rng
from scratchdl.functional import softmax
from scratchdl.losses import CrossEntropyLoss
from scratchdl.models._estimator import check_is_fitted, check_n_rows, check_X
from scratchdl.train import fit, predict


class SelfTrainingClassifier:
    """Self-training of a neural-network classifier with a confidence threshold.

    Parameters
    ----------
    build_model : callable
        ``build_model(rng) -> Module`` mapping (N, D) inputs to (N, C) logits, where C
        is the number of classes; called once per round with a generator.
    threshold : float in (0, 1]
        Smallest softmax probability for a prediction to become a pseudo-label.
    max_iter : int
        Most rounds of pseudo-labeling (training runs up to ``max_iter + 1`` times).
    epochs, batch_size, lr : training settings passed to ``fit`` and ``optim.Adam``.
    random_state : int, Generator or None
        Seeds the networks' weights and the batch order.

    Attributes
    ----------
    model_ : Module
        The network of the last round.
    classes_ : (C,) int array
        The labels the network's outputs stand for (output j is ``classes_[j]``).
    transduction_ : (N,) int array
        Given and pseudo-labels of the training points, -1 where none was assigned.
    labeled_iter_ : (N,) int array
        Round in which each point got its label: 0 for given labels, -1 for never.
    n_iter_ : int
        Rounds of pseudo-labeling performed.
    termination_condition_ : {"max_iter", "no_change", "all_labeled"}
    """

    def __init__(self, build_model, *, threshold=0.75, max_iter=10, epochs=100,
                 batch_size=32, lr=1e-2, random_state=None):
        self.build_model = build_model
        self.threshold = threshold
        self.max_iter = max_iter
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.random_state = random_state

    def fit(self, X, y):
        """Train on the labeled rows of ``(X, y)`` and pseudo-label the rows with ``y == -1``.

        Parameters
        ----------
        X : (N, D) float array
        y : (N,) int array, -1 for unlabeled points

        Returns
        -------
        self
        """
        owner = "SelfTrainingClassifier"
        X = check_X(X, "X", owner)
        if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer) \
                or y.ndim != 1:
            raise TypeError(f"{owner}: y must be an (N,) integer numpy array with -1 for "
                            f"unlabeled points, got {getattr(y, 'dtype', type(y).__name__)}")
        check_n_rows(y, X.shape[0], "y", owner)
        if y.min() < -1 or not np.any(y >= 0):
            raise ValueError(f"{owner}: y must hold labels >= 0 for some points and -1 for "
                             f"unlabeled ones; got values from {y.min()} to {y.max()}")
        if not callable(self.build_model):
            raise TypeError(f"{owner}: build_model must be a callable rng -> Module")
        threshold = check_number(self.threshold, "threshold", low=0, high=1,
                                 low_inclusive=False, owner=owner)
        max_iter = check_number(self.max_iter, "max_iter", low=0, integer=True, owner=owner)
        rng = check_rng(self.random_state, "random_state")

        classes = np.unique(y[y >= 0])
        # The network predicts indices 0..C-1; transduction_ keeps the user's labels.
        target = np.where(y >= 0, np.searchsorted(classes, y), -1)
        labeled_iter = np.where(y >= 0, 0, -1)
        self.termination_condition_ = "max_iter"
        for round_ in range(max_iter + 1):
            model = self._train(X, target, rng)
            self.n_iter_ = round_
            unlabeled = np.flatnonzero(target < 0)
            if unlabeled.size == 0:
                self.termination_condition_ = "all_labeled"
                break
            if round_ == max_iter:
                break
            proba = softmax(predict(model, X[unlabeled]), axis=1)
            confident = proba.max(axis=1) >= threshold
            if not confident.any():
                self.termination_condition_ = "no_change"
                break
            target[unlabeled[confident]] = proba[confident].argmax(axis=1)
            labeled_iter[unlabeled[confident]] = round_ + 1
        self.model_, self.classes_ = model, classes
        self.transduction_ = np.where(target >= 0, classes[np.maximum(target, 0)], -1)
        self.labeled_iter_ = labeled_iter
        self.n_features_in_ = X.shape[1]
        return self

    def _train(self, X, target, rng):
        """A fresh network trained on every point that has a (given or pseudo) label."""
        model = self.build_model(rng)
        rows = target >= 0
        fit(model, CrossEntropyLoss(), optim.Adam(model, lr=self.lr), X[rows], target[rows],
            epochs=self.epochs, batch_size=self.batch_size, rng=rng, metrics=())
        return model

    def predict_proba(self, X):
        """Softmax of the last network's logits, (M, C)."""
        check_is_fitted(self, "model_")
        X = check_X(X, "X", "SelfTrainingClassifier", n_features=self.n_features_in_)
        return softmax(predict(self.model_, X), axis=1)

    def predict(self, X):
        """Most probable class of each row, (M,)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y):
        """Accuracy of :meth:`predict` on ``(X, y)``."""
        predictions = self.predict(X)
        if not isinstance(y, np.ndarray) or y.shape != predictions.shape:
            raise ValueError(f"SelfTrainingClassifier.score: y must have shape "
                             f"{predictions.shape}, got {getattr(y, 'shape', None)}")
        return float(np.mean(predictions == y))
