"""Classification metrics computed from integer labels, and the Fréchet distance.

The classification metrics take labels, not scores: turn a model's logits of shape
(N, C) into labels with ``logits.argmax(axis=1)`` first. The conventions are
scikit-learn's. :func:`frechet_distance` compares two sets of feature vectors through
Gaussians fitted to each (the distance behind the FID of generative models).
"""

from __future__ import annotations

import numbers

import numpy as np

from scratchdl._validation import check_allocation, check_float_array


def _check_labels(y_true, y_pred, owner: str):
    """Check two 1-D integer (or boolean) label arrays of the same length."""
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if not isinstance(y, np.ndarray):
            raise TypeError(f"{owner}: {name} must be a numpy array, got {type(y).__name__}")
        if not (np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_):
            raise TypeError(f"{owner}: {name} must hold integer class labels, got dtype "
                            f"{y.dtype}; for scores of shape (N, C) use scores.argmax(axis=1)")
        if y.ndim != 1:
            raise ValueError(f"{owner}: {name} must be 1-D labels of shape (N,), got shape "
                             f"{y.shape}; for scores of shape (N, C) use scores.argmax(axis=1)")
    if len(y_true) != len(y_pred):
        raise ValueError(f"{owner}: y_true has {len(y_true)} labels but y_pred has "
                         f"{len(y_pred)}")
    if len(y_true) == 0:
        raise ValueError(f"{owner}: y_true and y_pred are empty")
    return y_true.astype(np.int64, copy=False), y_pred.astype(np.int64, copy=False)


def accuracy(y_true, y_pred) -> float:
    """Fraction of predictions equal to the true label.

    Parameters
    ----------
    y_true : (N,) integer array
    y_pred : (N,) integer array

    Returns
    -------
    float in [0, 1]
    """
    y_true, y_pred = _check_labels(y_true, y_pred, "accuracy")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes=None):
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true : (N,) integer array
        Labels in ``[0, n_classes)``.
    y_pred : (N,) integer array
        Labels in ``[0, n_classes)``.
    n_classes : int, optional
        Size of the matrix; by default one more than the largest label in either array.

    Returns
    -------
    (n_classes, n_classes) int64 array
        Entry ``[i, j]`` counts the samples of true class ``i`` predicted as ``j``: rows are
        true classes, columns predictions (scikit-learn's layout), so the diagonal holds
        the correct predictions and each row sums to the size of that class.
    """
    y_true, y_pred = _check_labels(y_true, y_pred, "confusion_matrix")
    low = min(y_true.min(), y_pred.min())
    if low < 0:
        raise ValueError(f"confusion_matrix: labels must be non-negative, got {low}")
    high = max(y_true.max(), y_pred.max())
    if n_classes is None:
        n_classes = int(high) + 1
    else:
        if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral) or (
                n_classes < 1):
            raise ValueError(f"confusion_matrix: n_classes must be a positive integer, "
                             f"got {n_classes!r}")
        if high >= n_classes:
            raise ValueError(f"confusion_matrix: labels must lie in [0, {n_classes}), got "
                             f"a label {high}")
        n_classes = int(n_classes)
    check_allocation((n_classes, n_classes), np.int64, owner="confusion_matrix",
                     what="the matrix")
    # Each (true, predicted) pair gets its own bin: index = true * C + predicted.
    counts = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes).astype(np.int64)


def r2_score(y_true, y_pred) -> float:
    r"""Coefficient of determination :math:`R^2 = 1 - \sum (y - \hat y)^2 / \sum (y - \bar y)^2`.

    As scikit-learn's ``r2_score`` for one target; with several target columns (shape
    (N, K)) the :math:`R^2` of each column is averaged. 1 is a perfect fit, 0 is no better
    than predicting the mean, and it can be negative.

    Parameters
    ----------
    y_true : (N,) or (N, K) float array
    y_pred : array of the same shape

    Returns
    -------
    float
    """
    owner = "r2_score"
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.number):
            raise TypeError(f"{owner}: {name} must be a numeric numpy array, got "
                            f"{getattr(y, 'dtype', type(y).__name__)}")
        if y.ndim not in (1, 2) or not np.all(np.isfinite(y)):
            raise ValueError(f"{owner}: {name} must be a finite (N,) or (N, K) array, got "
                             f"shape {y.shape}")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{owner}: y_true has shape {y_true.shape} but y_pred has "
                         f"{y_pred.shape}")
    if len(y_true) < 2:
        raise ValueError(f"{owner}: R^2 needs at least 2 samples, got {len(y_true)}")
    y_true = y_true.reshape(len(y_true), -1).astype(np.float64)
    y_pred = y_pred.reshape(len(y_pred), -1).astype(np.float64)
    residual = ((y_true - y_pred) ** 2).sum(axis=0)
    total = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    if np.any(total == 0):
        raise ValueError(f"{owner}: y_true is constant, so R^2 is undefined")
    return float(np.mean(1.0 - residual / total))


def f1_score(y_true, y_pred, *, average="macro"):
    r"""F1 score, the harmonic mean of precision and recall, per class or macro-averaged.

    For class :math:`k` with :math:`\mathrm{TP}_k` true positives, :math:`\mathrm{FP}_k`
    false positives and :math:`\mathrm{FN}_k` false negatives,
    :math:`F_1 = 2\mathrm{TP}_k / (2\mathrm{TP}_k + \mathrm{FP}_k + \mathrm{FN}_k)`
    (0 when the class is never predicted correctly). As scikit-learn's ``f1_score``
    with ``zero_division=0``, over the labels that occur in either array.

    Parameters
    ----------
    y_true : (N,) integer array
    y_pred : (N,) integer array
    average : {"macro", None}
        ``"macro"``: the unweighted mean over classes; ``None``: one score per class, in
        the order of the sorted labels.

    Returns
    -------
    float, or (n_labels,) float array when ``average`` is None
    """
    y_true, y_pred = _check_labels(y_true, y_pred, "f1_score")
    if average not in ("macro", None):
        raise ValueError(f"f1_score: average must be 'macro' or None, got {average!r}")
    labels = np.union1d(y_true, y_pred)
    true_k = y_true[:, None] == labels
    pred_k = y_pred[:, None] == labels
    tp = (true_k & pred_k).sum(axis=0)
    scores = 2 * tp / (true_k.sum(axis=0) + pred_k.sum(axis=0))   # 2TP / (2TP + FP + FN)
    return float(scores.mean()) if average == "macro" else scores


def _sqrtm_psd(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix, by eigh.

    Eigenvalues that rounding made slightly negative are set to 0.
    """
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(X, Y) -> float:
    r"""Squared Fréchet (2-Wasserstein) distance between Gaussians fitted to two samples.

    With means :math:`\boldsymbol\mu_X, \boldsymbol\mu_Y` and covariances
    :math:`\boldsymbol\Sigma_X, \boldsymbol\Sigma_Y` (``ddof=1``) of the rows,

    .. math::
        d^2 = \lVert \boldsymbol\mu_X - \boldsymbol\mu_Y \rVert^2
            + \operatorname{tr}\bigl(\boldsymbol\Sigma_X + \boldsymbol\Sigma_Y
            - 2 (\boldsymbol\Sigma_X^{1/2} \boldsymbol\Sigma_Y
            \boldsymbol\Sigma_X^{1/2})^{1/2}\bigr).

    The trace term equals :math:`\operatorname{tr}((\boldsymbol\Sigma_X
    \boldsymbol\Sigma_Y)^{1/2})` of the usual formula (Dowson and Landau, 1982; Heusel
    et al., 2017, for the FID), but every square root here is of a symmetric positive
    semi-definite matrix and is taken by eigendecomposition, so no complex rounding
    residue appears. Computed in float64.

    Parameters
    ----------
    X : (N, D) float array, N >= 2
    Y : (M, D) float array, M >= 2

    Returns
    -------
    float >= 0
    """
    owner = "frechet_distance"
    X = check_float_array(X, "X", ndim=2, owner=owner).astype(np.float64)
    Y = check_float_array(Y, "Y", ndim=2, owner=owner).astype(np.float64)
    if len(X) < 2 or len(Y) < 2 or X.shape[1] != Y.shape[1] or X.shape[1] == 0:
        raise ValueError(f"{owner}: X (N, D) and Y (M, D) need N, M >= 2 rows and the same "
                         f"D >= 1 features, got shapes {X.shape} and {Y.shape}")
    mean_gap = X.mean(axis=0) - Y.mean(axis=0)
    cov_x = np.atleast_2d(np.cov(X, rowvar=False))
    cov_y = np.atleast_2d(np.cov(Y, rowvar=False))
    root_x = _sqrtm_psd(cov_x)
    cross = _sqrtm_psd(root_x @ cov_y @ root_x)
    distance = mean_gap @ mean_gap + np.trace(cov_x) + np.trace(cov_y) - 2 * np.trace(cross)
    return float(max(distance, 0.0))
