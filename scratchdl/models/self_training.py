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

import numbers

import numpy as np

from scratchdl import optim
from scratchdl._validation import check_rng
from scratchdl.functional import softmax
from scratchdl.losses import CrossEntropyLoss
from scratchdl.models.base import BaseEstimator, ClassifierMixin, Interval, check_is_fitted, check_X
from scratchdl.models.label_propagation import check_partial_labels
from scratchdl.train import fit, predict


class SelfTrainingClassifier(ClassifierMixin, BaseEstimator):
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

    _parameter_constraints = {
        "build_model": ["callable"],
        "threshold": [Interval(numbers.Real, 0, 1, closed="right")],
        "max_iter": [Interval(numbers.Integral, 0, None)],
        "epochs": [Interval(numbers.Integral, 1, None)],
        "batch_size": [Interval(numbers.Integral, 1, None)],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

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
        self._validate_params()
        owner = "SelfTrainingClassifier"
        X = check_X(X, "X", owner)
        y = check_partial_labels(y, X.shape[0], owner)
        rng = check_rng(self.random_state, "random_state")

        classes = np.unique(y[y >= 0])
        # The network predicts indices 0..C-1; transduction_ keeps the user's labels.
        target = np.where(y >= 0, np.searchsorted(classes, y), -1)
        labeled_iter = np.where(y >= 0, 0, -1)
        termination = "max_iter"
        for round_ in range(self.max_iter + 1):
            model = self._train(X, target, rng)
            if not np.any(target < 0):
                termination = "all_labeled"
                break
            if round_ == self.max_iter:
                break
            added = self._pseudo_label(model, X, target)
            if added.size == 0:
                termination = "no_change"
                break
            labeled_iter[added] = round_ + 1
        self.model_, self.classes_ = model, classes
        self.transduction_ = np.where(target >= 0, classes[np.maximum(target, 0)], -1)
        self.labeled_iter_ = labeled_iter
        self.n_iter_ = round_
        self.termination_condition_ = termination
        self.n_features_in_ = X.shape[1]
        return self

    def _pseudo_label(self, model, X, target):
        """One round: label the unlabeled points the network is sure of, in place.

        ``target`` holds class indices, -1 for unlabeled points; returns the indices of
        the points that received a pseudo-label.
        """
        unlabeled = np.flatnonzero(target < 0)
        proba = softmax(predict(model, X[unlabeled]), axis=1)
        confident = proba.max(axis=1) >= self.threshold
        target[unlabeled[confident]] = proba[confident].argmax(axis=1)
        return unlabeled[confident]

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
