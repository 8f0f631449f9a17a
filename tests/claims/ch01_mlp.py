"""Claims of chapter 01, the multi-layer perceptron: every number its prose glues."""

from tests.claims import at_least, at_most, between

CLAIMS = {
    # XOR: a line cannot, a hidden layer can.
    "xor_linear_accuracy": at_most(0.75),
    "xor_majority_fraction": between(0.45, 0.6),
    "xor_best_line_accuracy": between(0.6, 0.75),
    "xor_mlp_accuracy": at_least(0.95),
    # The checks.
    "gradcheck_max_error": at_most(1e-6),
    "equation_vs_package_max_diff": at_most(1e-12),
    "batchnorm_gradcheck_max_error": at_most(1e-6),
    # Spirals.
    "spiral_test_accuracy": at_least(0.95),
    "spiral_epochs": between(150, 150),
    "spiral_early_test_accuracy": at_most(0.8),
    # Digits (the chapter's headline number).
    "digits_epochs": between(1, 60),
    "digits_test_accuracy": at_least(0.97),
    "digits_test_errors": at_most(13),
    "digits_train_accuracy": at_least(0.99),
    "digits_n_test": between(450, 450),
    "digits_n_parameters": between(9610, 9610),  # 128 * 65 + 10 * 129
    # Activations: sigmoid stuck at chance; tanh fastest early; ReLU/GELU lowest late.
    "act_sigmoid_loss5": at_least(2.0),
    "act_sigmoid_loss20": at_least(2.0),
    "act_sigmoid_val_accuracy": at_most(0.2),
    "act_tanh_loss5": at_most(0.5),
    "act_tanh_loss20": at_most(0.05),
    "act_tanh_val_accuracy": at_least(0.93),
    "act_relu_loss5": between(0.2, 1.5),
    "act_relu_loss20": at_most(0.05),
    "act_relu_val_accuracy": at_least(0.93),
    "act_gelu_loss5": between(0.5, 2.2),
    "act_gelu_loss20": at_most(0.05),
    "act_gelu_val_accuracy": at_least(0.93),
    "sigmoid_max_slope": between(0.249, 0.25),
    "act_relu_over_tanh_loss5": at_least(1.0),
    "act_relu_over_tanh_loss20": at_most(1.0),
    "act_gelu_over_tanh_loss20": at_most(1.0),
    # Initialization: std ratios between hidden layers 9 and 1. Theory for ReLU:
    # (g^2 / 2)^4, i.e. 1/16, 1 and 16 for g = 1, sqrt(2), 2.
    "init_tanh_small_act_ratio": at_most(0.01),
    "init_tanh_small_grad_ratio": at_most(0.01),
    "init_tanh_glorot_act_ratio": between(0.2, 1.0),
    "init_tanh_glorot_grad_ratio": between(0.2, 1.0),
    "init_tanh_large_act_ratio": between(0.8, 1.2),
    "init_tanh_large_grad_ratio": at_least(1.5),
    "init_relu_small_act_ratio": between(1 / 32, 1 / 8),
    "init_relu_small_grad_ratio": between(1 / 32, 1 / 8),
    "init_relu_he_act_ratio": between(0.7, 1.4),
    "init_relu_he_grad_ratio": between(0.7, 1.4),
    "init_relu_large_act_ratio": between(8, 32),
    "init_relu_large_grad_ratio": between(8, 32),
    "he_relu_loss5": at_most(0.2),  # below act_relu_loss5's lower bound: He helps
    # Dropout / batch normalization ablation (3 seeds).
    "ablation_plain_accuracy": at_least(0.95),
    "ablation_plain_std": at_most(0.02),
    "ablation_dropout_accuracy": at_least(0.95),
    "ablation_dropout_std": at_most(0.02),
    "ablation_batchnorm_accuracy": at_least(0.95),
    "ablation_batchnorm_std": at_most(0.02),
    "ablation_both_accuracy": at_least(0.95),
    "ablation_both_std": at_most(0.02),
    "ablation_batchnorm_gain": between(0.0, 0.05),  # better than plain
    "ablation_batchnorm_margin": at_least(0.0),  # "the highest mean"
    "ablation_dropout_gain": at_most(0.005),  # "did not help"
    "ablation_dropout_train_loss_ratio": at_least(2.0),
    "ablation_plain_val_loss_rise": at_most(1.3),
    # Optimizers on spirals.
    "opt_sgd_best_lr": between(0.1, 1.0),
    "opt_sgd_best_loss": at_most(0.4),
    "opt_momentum_best_lr": between(0.01, 0.3),
    "opt_momentum_best_loss": at_most(0.3),
    "opt_adam_best_lr": between(0.003, 0.03),
    "opt_adam_best_loss": at_most(0.15),
    "opt_sgd_over_adam": at_least(1.2),
    "opt_momentum_over_adam": at_least(1.0),
    "opt_adam_epoch_to_sgd_final": between(1, 50),
    "opt_sgd1_over_momentum01": at_least(1.5),
    "opt_momentum_vs_sgd_ratio": between(0.8, 1.25),
    # What goes wrong: divergence and dead units.
    "diverge_lr0_1_loss": at_most(0.5),
    "diverge_lr1_loss": at_most(0.1),
    "diverge_lr3_loss": at_least(1e6),
    "dead_lr0_001_fraction": at_most(0.1),
    "dead_lr0_001_val_accuracy": at_least(0.93),
    "dead_lr0_01_fraction": between(0.0, 0.3),
    "dead_lr0_01_val_accuracy": between(0.8, 0.97),
    "dead_lr0_1_fraction": at_least(0.5),
    "dead_lr0_1_val_accuracy": at_most(0.6),
}
