"""Claims of chapter 01, page 1 (the MLP and backpropagation): every number its prose glues.

Numbers typeset with ``scratchdl.display.sci`` are read back as the number the reader
sees ("exactly 0" is 0).
"""

from tests.claims import at_least, at_most, between

CLAIMS = {
    # XOR: a line cannot, a hidden layer can; the linear model ends at the majority class.
    "xor_linear_accuracy": between(0.54, 0.56),
    "xor_majority_fraction": between(0.54, 0.56),
    "xor_best_line_accuracy": between(0.6, 0.75),
    "xor_mlp_accuracy": at_least(0.95),
    # Facts quoted in the model section: exp overflows above log(max float64) = 709.78;
    # GELU's derivative ranges over about [-0.129, 1.129].
    "float64_exp_overflow": between(709, 710),
    "gelu_slope_min": between(-0.14, -0.12),
    "gelu_slope_max": between(1.12, 1.14),
    # The checks.
    "gradcheck_max_error": at_most(1e-6),
    "equation_vs_package_max_diff": at_most(1e-14),  # "the last bits of float64"
    # Spirals.
    "spiral_test_accuracy": at_least(0.95),
    "spiral_epochs": between(150, 150),
    "spiral_early_test_accuracy": at_most(0.8),
    "spiral_val_below_train_fraction": between(0.5, 1.0),  # below in most epochs: "a surprise"
    # Held-out loss below training loss, with the final weights ...
    "spiral_final_train_loss": between(0.072, 0.2),
    "spiral_final_test_loss": at_most(0.0719),
    "spiral_test_over_train_loss": at_most(0.99),
    # ... because a few hard points dominate the mean, and the split decides the order.
    "spiral_worst5_share": between(0.15, 0.6),
    "spiral_median_point_loss": at_most(0.01),
    "spiral_worst5_max_radius": at_most(0.2),  # "where the three arms meet"
    "spiral_median_radius": between(0.4, 0.6),
    "spiral_worst5_wrong": between(3, 5),
    "spiral_other_splits_held_out_lower": at_most(3),  # not "below on every split"
    "spiral_n_train": between(450, 450),
    "spiral_n_test": between(150, 150),
    # Digits, early stopping: stops well before the budget of 100 epochs.
    "digits_n_parameters": between(9610, 9610),  # 128 * 65 + 10 * 129
    "digits_epochs": between(5, 70),
    "digits_epochs_run": at_most(80),
    "digits_final_train_loss": at_most(0.01),
    "digits_test_accuracy": at_least(0.97),
    "digits_test_errors": at_most(13),
    "digits_train_accuracy": at_least(0.99),
    "digits_n_test": between(450, 450),
    "digits_n_images": between(1797, 1797),
    "digits_max_intensity": between(16, 16),  # "intensities from 0 to 16"
    # What goes wrong: divergence.
    "diverge_lr0_1_loss": at_most(0.5),
    "diverge_lr1_loss": at_most(0.1),
    "diverge_lr3_loss": at_least(1e6),
    "diverge_lr3_min_growth": at_least(100),  # "by orders of magnitude every epoch"
    "diverge_lr30_stopped": between(1, 1),  # fit raised FloatingPointError
    # Exercise 3: symmetric initialization stays symmetric, no better than linear.
    "symmetric_row_spread": at_most(1e-12),
    "symmetric_accuracy": at_most(0.56),
}
