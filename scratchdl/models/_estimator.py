"""Former home of the estimator checks, now in :mod:`scratchdl.models.base`.

Kept only while the estimators move to :class:`~scratchdl.models.base.BaseEstimator`.
"""

from scratchdl.models.base import (  # noqa: F401
    NotFittedError,
    check_is_fitted,
    check_n_rows,
    check_X,
    squared_distances,
)
