"""The GRNN gives statsmodels' Nadaraya-Watson estimates (test-only oracle).

``KernelReg(reg_type="lc")`` with a Gaussian kernel of standard deviation ``bw`` per
input is the GRNN with ``sigma = bw``: predictions and the leave-one-out error agree to
1e-10.
"""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.models import GRNN, loo_mse
from tests.oracles import require

kernel_regression = require("statsmodels.nonparametric.kernel_regression")

RTOL, ATOL = 1e-10, 1e-12


def data(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, d))
    y = np.sin(2 * X).sum(axis=1) + 0.2 * rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("sigma", [0.15, 0.5, 2.0])
def test_predictions_match_kernelreg(d, sigma):
    X, y = data(70, d, seed=d)
    X_new = data(30, d, seed=10 + d)[0]
    ref = kernel_regression.KernelReg(y, X, var_type="c" * d, reg_type="lc", rng=0,
                                      bw=np.full(d, sigma))
    expected, _ = ref.fit(X_new)
    np.testing.assert_allclose(GRNN(sigma=sigma, chunk_size=8).fit(X, y).predict(X_new),
                               expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("sigma", [0.2, 0.6])
def test_leave_one_out_error_matches_kernelreg(sigma):
    X, y = data(50, 2, seed=5)
    ref = kernel_regression.KernelReg(y, X, var_type="cc", reg_type="lc", bw=[sigma, sigma],
                                      rng=0)
    # statsmodels' cv_loo returns the leave-one-out sum of squared errors over n.
    expected = ref.cv_loo(np.array([sigma, sigma]), ref._est_loc_constant)
    np.testing.assert_allclose(loo_mse(X, y, [sigma])[0], expected, rtol=RTOL, atol=ATOL)
