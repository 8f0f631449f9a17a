"""Claims of chapter 04, the general regression neural network: every number it glues."""

from tests.claims import at_least, at_most, between

CLAIMS = {
    # The check: the package computes the Nadaraya-Watson formula; chunking changes nothing.
    "formula_max_diff": at_most(1e-12),              # typeset with display.sci
    "chunk_max_diff": at_most(1e-12),
    # Bias and variance over 200 training sets.
    "bv_best_sigma": between(0.15, 0.5),
    "bv_best_risk": at_most(0.02),
    "bv_small_sigma_variance": between(0.04, 0.09),   # "approaching the noise variance"
    "bv_large_sigma_bias2": between(0.2, 0.5),
    "mean_sin2": between(0.5, 0.6),
    # Leave-one-out choice on one data set ("close to the best width").
    "loo_sigma": between(0.15, 0.45),
    "loo_min_mse": between(0.07, 0.12),
    # Its exact split: noise of these samples + estimator error + cross term.
    "loo_noise_part": between(0.06, 0.12),            # expectation 0.09
    "loo_estimator_part": at_most(0.03),              # "of the same size as" the test MSE
    "loo_cross_part": between(-0.03, 0.03),           # expectation 0
    "loo_split_residual": at_most(1e-12),             # the three add up (typeset, sci)
    "loo_test_mse": at_most(0.02),                    # the estimator error alone
    "loo_estimator_over_test": between(0.5, 2.0),     # "the same size"
    # Exercise 3, executed: more neighbours for a wider sigma.
    "effective_neighbours": between(2.0, 30.0),
    "effective_neighbours_double": between(4.0, 60.0),
    # The 2-D surface.
    "surface_sigma": between(0.1, 0.6),
    "surface_r2": at_least(0.95),
    # The PNN on the moons.
    "pnn_accuracy": at_least(0.94),
}
