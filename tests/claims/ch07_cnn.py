"""Claims of chapter 07, convolutional networks: every number its prose glues."""

from tests.claims import at_least, at_most, between

CLAIMS = {
    # Receptive field of the digits CNN: 1 + 2 + 1 + 2*2 + 1*4 = 10 (equation receptive-field).
    "rf_digits": between(10, 10),
    # The derivation checked numerically (float64 rounding only).
    "conv_forward_gap": at_most(1e-12),
    "conv_input_grad_gap": at_most(1e-12),
    "conv_weight_grad_gap": at_most(1e-12),
    "cnn_gradcheck_max_error": at_most(1e-6),
    # Digits: the CNN beats chapter 01's MLP with fewer parameters (issue 4: >= 98.5%).
    "digits_cnn_test_accuracy": at_least(0.985),
    "digits_cnn_errors": at_most(6),
    "digits_mlp_test_accuracy": between(0.95, 0.985),
    "digits_mlp_errors": between(7, 23),
    "digits_cnn_n_parameters": between(6186, 6186),  # 160+32 + 4640+64 + 1290
    "digits_mlp_n_parameters": between(9610, 9610),
    "digits_n_test": between(450, 450),
    # MNIST-1D, the published table: logistic 32%, MLP 68%, CNN 94% (Greydanus 2020).
    "m1d_logistic_accuracy": between(0.28, 0.37),
    "m1d_mlp_accuracy": between(0.55, 0.75),
    "m1d_cnn_accuracy": at_least(0.94),
    # Shuffled positions: the MLP does not care, the CNN loses its advantage.
    "m1d_mlp_shuffled_accuracy": between(0.55, 0.75),
    "m1d_cnn_shuffled_accuracy": at_most(0.75),
}
