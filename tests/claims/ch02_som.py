"""Claims of chapter 02, self-organizing maps: every number its prose glues."""

from tests.claims import at_least, at_most, between

CLAIMS = {
    # Colours: random samples as prototypes fit well but have no order; training orders.
    "colour_qe_before": at_most(0.06),
    "colour_te_before": at_least(0.8),
    "colour_qe_after": between(0.08, 0.16),  # "rises" from below 0.06
    "colour_te_after": at_most(0.05),
    # The check of the update against the equations (typeset with display.sci).
    "som_equation_vs_package_max_diff": at_most(1e-12),
    # The map unfolding over the unit square: ordered and covering it.
    "unfold_te": at_most(0.02),  # typeset with display.sci: "exactly 0" when it is
    "unfold_qe": at_most(0.06),
    # Schedules: wide = ordered but blurred, none = fitted but unordered.
    "schedule_default_qe": between(0.1, 0.16),
    "schedule_default_te": at_most(0.025),
    "schedule_wide_qe": at_least(0.2),
    "schedule_wide_te": at_most(0.01),
    "schedule_wide_over_default_qe": at_least(2.0),
    "schedule_none_qe": at_most(0.05),
    "schedule_none_te": at_least(0.9),
    "schedule_exponential_qe": between(0.03, 0.095),  # closer fit than the default
    "schedule_exponential_te": between(0.025, 0.1),  # some order lost vs the default
    # Digits.
    "digits_test_accuracy": between(0.85, 0.95),
    "digits_qe": between(1.0, 1.6),
    "digits_te": at_most(0.08),
    "digits_empty_units": between(1, 15),
    # The k-means limit.
    "kmeans_vs_som_max_diff": at_most(0.0),  # "the same arithmetic": exactly 0
    "radius3_qe": at_least(1.5),
    "radius3_te": at_least(0.05),
    "radius1_qe": between(1.1, 1.5),
    "radius1_te": at_most(0.03),
    "radius_best_order_sigma": between(1.0, 1.0),  # "best ordered at sigma = 1"
    "radius0_qe": between(0.9, 1.1),
    "radius0_te": at_least(0.2),
    "kmeans_ordered_qe": between(0.9, 1.1),
    "radius0_minus_kmeans_qe": at_most(1e-9),
    # What goes wrong.
    "mexican_hat_batch_max_weight": at_least(5.0),
}
