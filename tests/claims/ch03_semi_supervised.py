"""Claims of chapter 03, semi-supervised learning: every number its prose glues."""

from tests.claims import at_least, at_most, between

CLAIMS = {
    # Two moons, one label per class.
    "moons_supervised_accuracy": between(0.6, 0.95),
    "moons_spreading_accuracy": between(1.0, 1.0),  # "all labeled correctly here"
    # Propagation over the 10-NN graph of the moons, step by step.
    "steps_reached_5": between(0.2, 0.6),
    "steps_reached_20": between(0.9, 0.999),        # "after 20 steps" (not yet all)
    "steps_reached_50": between(1.0, 1.0),          # every point after 50
    # The checks (typeset with display.sci): iteration reaches the closed form;
    # harmonic = neighbour average.
    "closed_vs_iterative_max_diff": at_most(1e-9),
    "harmonic_residual": at_most(1e-12),
    # One wrong label among five per class.
    "noisy_propagation_accuracy": between(0.95, 0.9999),
    "noisy_spreading_accuracy": at_least(0.999),
    "noisy_propagation_keeps_wrong": between(1, 1),
    "noisy_spreading_keeps_wrong": between(0, 0),
    # alpha -> 1: the rank-one limit (lambda_1 = 1, lambda_2 just below).
    "alpha_lambda1": between(1 - 1e-9, 1 + 1e-9),
    "alpha_lambda2": between(0.99, 0.9999),
    "alpha_gap_ratio": between(100, 1000),
    "alpha_acc_05": between(0.8, 0.97),             # "the given labels still weigh a lot"
    "alpha_acc_0999": at_least(0.99),
    "alpha_acc_09999": at_least(0.95),
    "alpha_acc_099999": at_most(0.55),              # one class for everything: chance
    "alpha_one_class_099999": at_least(0.99),
    # Exercise 4, executed: the grid value that first overrules the wrong label.
    "alpha_switch": between(0.1, 0.99),
    "alpha_switch_below": between(0.1, 0.95),
    # Digits: accuracy versus labels per class, means of three draws of the labels.
    "digits_mlp_k1": between(0.4, 0.7),
    "digits_mlp_k2": between(0.6, 0.85),
    "digits_mlp_k5": between(0.8, 0.9),
    "digits_mlp_k10": between(0.88, 0.97),
    "digits_spreading_k1": between(0.75, 0.9),     # "not far below" the MLP's 5-label score
    "digits_spreading_k1_minus_mlp_k2": at_least(0.0),  # "more than the MLP with two"
    "digits_spreading_k2": at_least(0.85),
    "digits_spreading_k5": at_least(0.88),
    "digits_spreading_k10": at_least(0.94),
    "digits_pseudo_k1": between(0.55, 0.8),
    # "well below label spreading" with one or two labels, in percentage points.
    "digits_spreading_minus_pseudo_k1": at_least(5.0),
    "digits_spreading_minus_pseudo_k2": at_least(5.0),
    "digits_pseudo_k2": between(0.65, 0.85),
    "digits_pseudo_k5": at_least(0.85),
    "digits_pseudo_k10": at_least(0.9),
    "digits_k10_spread": between(0.0, 5.0),         # "within ... percentage points"
    "digits_pseudo_gain_k1": at_least(0.0),        # "improves on the MLP at every k"
    "digits_pseudo_gain_k2": at_least(0.0),
    "digits_pseudo_gain_k5": at_least(0.0),
    "digits_pseudo_gain_k10": at_least(0.0),
    "digits_pseudo_label_accuracy_k1": between(0.5, 0.8),
    "digits_pseudo_label_accuracy_k2": at_least(0.7),
    "digits_pseudo_label_accuracy_k5": at_least(0.85),
    "digits_pseudo_label_accuracy_k10": at_least(0.95),
    # What goes wrong: the graph.
    "moons_knn7_accuracy": at_most(0.8),
    "moons_knn7_unlabeled": at_least(0.1),          # "receives no label at all"
    "rbf_worst_accuracy_k1": at_most(0.3),
    "rbf_best_accuracy_k1": at_least(0.9),
    # The kNN graph on the same draw, and "the best graph here beats our kNN graph".
    "knn_accuracy_k1_draw0": between(0.7, 0.95),
    "rbf_best_minus_knn_k1_draw0": at_least(0.0),
}
