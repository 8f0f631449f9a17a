"""Claims of chapter 05, recurrent networks: every number its prose glues."""

from tests.claims import at_least, at_most, between

CLAIMS = {
    # Noisy sine: the RNN beats "repeat the last value" and approaches the noise floor 0.01.
    "sine_rnn_mse": between(0.01, 0.03),
    "sine_persistence_mse": at_least(0.05),
    "gradcheck_max_error": at_most(1e-6),
    # Gradient norm against distance: the factor per step is at most rho for W_hh = rho Q
    # (|tanh'| <= 1), below 1 even for rho = 1, above 1 for rho = 1.5.
    "factor_rho0_5": between(0.3, 0.5),
    "factor_rho0_9": between(0.6, 0.9),
    "factor_rho1": between(0.7, 1.0),
    "factor_rho1_5": between(1.0, 1.5),
    # Default init: spectral radius ~ 1/sqrt(3), largest singular value ~ 2/sqrt(3).
    "default_spectral_radius": between(0.5, 0.66),
    "default_sigma_max": between(0.9, 1.25),
    "factor_default": between(0.3, 0.7),
    "default_norm_k50": at_most(1e-8),
    # The text and the character model.
    "n_chars": between(12529, 12529),
    "vocab_size": between(66, 66),
    "unigram_val_loss": between(2.9, 3.3),
    "char_rnn_params": between(28258, 28258),
    "char_rnn_train_loss": at_most(1.5),
    "char_rnn_best_val_loss": between(1.8, 2.4),  # well below the unigram baseline
    "char_rnn_best_epoch": between(5, 25),  # validation turns up before the end: overfitting
    "char_rnn_val_loss": between(2.3, 2.9),  # above the best: it rose again
    # Clipping at c = 1: the median update is not clipped, a few spikes are.
    "grad_norm_median": at_most(0.9),
    "grad_norm_max": at_least(1.0),
    "clip_fraction": between(0.001, 0.2),
}
