"""Claims of chapter 03, semi-supervised learning: every number its prose glues."""

from tests.claims import at_least, at_most, between

CLAIMS = {
    # Two moons, one label per class.
    "moons_supervised_accuracy": between(0.6, 0.95),
    "moons_spreading_accuracy": at_least(0.99),
    # The checks: iteration reaches the closed form; harmonic = neighbour average.
    "closed_vs_iterative_max_diff": at_most(1e-9),
    "harmonic_residual": at_most(1e-12),
    # One wrong label among five per class.
    "noisy_propagation_accuracy": between(0.95, 0.9999),
    "noisy_spreading_accuracy": at_least(0.999),
    "noisy_propagation_keeps_wrong": between(1, 1),
    "noisy_spreading_keeps_wrong": between(0, 0),
    # Digits: accuracy versus labels per class.
    "digits_mlp_k1": between(0.4, 0.7),
    "digits_mlp_k2": between(0.6, 0.85),
    "digits_mlp_k5": between(0.8, 0.9),
    "digits_mlp_k10": between(0.88, 0.97),
    "digits_spreading_k1": between(0.82, 0.92),   # "about what the MLP needs 5 labels for"
    "digits_spreading_k2": at_least(0.85),
    "digits_spreading_k5": at_least(0.88),
    "digits_spreading_k10": at_least(0.94),
    "digits_pseudo_k1": between(0.55, 0.8),       # "far below label spreading"
    "digits_pseudo_k2": between(0.65, 0.85),
    "digits_pseudo_k5": at_least(0.85),
    "digits_pseudo_k10": at_least(0.94),           # "closes most of the gap"
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
    "rbf_worst_accuracy_k1": at_most(0.3),
    "rbf_best_accuracy_k1": at_least(0.9),
}
