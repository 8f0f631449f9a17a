"""Claims of chapter 01, page 2 (training deep networks): every number its prose glues."""

from tests.claims import at_least, at_most, between

CLAIMS = {
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
    "batchnorm_gradcheck_max_error": at_most(1e-6),
    # Dropout / batch normalization ablation (3 seeds); differences in percentage points.
    "ablation_plain_accuracy": at_least(0.95),
    "ablation_plain_std": at_most(0.02),
    "ablation_dropout_accuracy": at_least(0.95),
    "ablation_dropout_std": at_most(0.02),
    "ablation_batchnorm_accuracy": at_least(0.95),
    "ablation_batchnorm_std": at_most(0.02),
    "ablation_both_accuracy": at_least(0.95),
    "ablation_both_std": at_most(0.02),
    # Better than plain; the prose says "about 1 percentage point" (the means differ by
    # 1.1 as printed to 0.1%, by 1.04 unrounded).
    "ablation_batchnorm_gain_pp": between(0.51, 1.49),
    "ablation_batchnorm_margin_pp": at_least(0.0),  # "the highest mean"
    "ablation_dropout_gain_pp": at_most(0.5),  # "did not help"
    "ablation_dropout_train_loss_ratio": at_least(2.0),
    "ablation_plain_val_loss_rise": at_most(1.3),
    "ablation_n_test": between(450, 450),
    "ablation_n_val": between(270, 270),
    "ablation_one_image_pp": between(0.222, 0.223),  # 100 / 450
    # Batch normalization: higher validation loss than plain, yet higher accuracy,
    # because it makes fewer but more confident mistakes.
    "ablation_plain_val_loss": at_most(0.07),
    "ablation_batchnorm_val_loss": between(0.07, 0.2),
    "ablation_plain_val_accuracy": at_most(0.98),
    "ablation_batchnorm_val_accuracy": at_least(0.98),
    "ablation_plain_n_wrong": at_least(5.5),
    "ablation_batchnorm_n_wrong": at_most(5.5),
    "ablation_plain_wrong_loss": at_most(3.0),
    "ablation_batchnorm_wrong_loss": at_least(3.0),
    "ablation_dropout_val_loss": at_most(0.2),
    "ablation_dropout_val_accuracy": at_least(0.95),
    "ablation_both_val_loss": at_most(0.2),
    "ablation_both_val_accuracy": at_least(0.95),
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
    # The next larger rate of the grid: far worse for SGD and momentum ("close to the
    # edge of stability"), about as good for Adam ("nearly as good").
    "opt_sgd_next_over_best": at_least(1.5),
    "opt_momentum_next_over_best": at_least(1.5),
    "opt_adam_next_over_best": between(1.0, 1.2),
    "opt_sgd_next_loss": at_least(0.3),
    "opt_momentum_next_loss": at_least(0.3),
    "opt_adam_next_loss": at_most(0.15),
    # What goes wrong: dead units.
    "dead_lr0_001_fraction": at_most(0.1),
    "dead_lr0_001_val_accuracy": at_least(0.93),
    "dead_lr0_01_fraction": between(0.0, 0.3),
    "dead_lr0_01_val_accuracy": between(0.8, 0.97),
    "dead_lr0_1_fraction": at_least(0.5),
    "dead_lr0_1_val_accuracy": at_most(0.6),
}
