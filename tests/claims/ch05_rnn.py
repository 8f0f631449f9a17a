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
    "factor_rho1_5": between(1.0, 1.2),  # "far less than rho"
    # Default init: spectral radius ~ 1/sqrt(3), largest singular value ~ 2/sqrt(3).
    "default_spectral_radius": between(0.5, 0.66),
    "default_sigma_max": between(0.9, 1.25),
    "factor_default": between(0.3, 0.7),
    "default_norm_k50": at_most(1e-8),
    # Clipping in the exploding regime: without it the run diverges (stopped early), with
    # it the run completes all 160 updates and learns (well below the variance 0.5).
    "clip_demo_unclipped_diverged": between(1, 1),
    "clip_demo_unclipped_updates": between(1, 159),
    "clip_demo_clipped_updates": between(160, 160),
    "clip_demo_clipped_loss": at_most(0.1),
    "clip_demo_clipped_fraction": between(0.01, 1.0),
    "clip_demo_max_norm": at_least(1.0),
    # Tiny Shakespeare, nanoGPT's split.
    "n_train_chars": between(1003854, 1003854),
    "n_val_chars": between(111540, 111540),
    "vocab_size": between(65, 65),
    "unigram_val_loss": between(3.2, 3.4),
    "unigram_val_bits": between(3.2 / 0.6931, 3.4 / 0.6931),
    "char_rnn_params": between(93025, 93025),
    "char_rnn_updates": between(300, 300),
    # 300 updates x 32 streams x 64 characters = 614,400 of 1,003,854 training characters.
    "char_rnn_pass_fraction": between(0.61, 0.62),
    # Far below the unigram baseline; train and validation close (no overfitting).
    "char_rnn_train_loss": between(1.6, 2.2),
    "char_rnn_val_loss": between(1.7, 2.2),
    "char_rnn_val_bits": between(1.7 / 0.6931, 2.2 / 0.6931),
    # Same measure on training text: lower (fitted); carried state: lower than windows.
    "char_rnn_train_window_loss": between(1.6, 2.1),
    "char_rnn_val_carried_loss": between(1.6, 2.1),
    "char_rnn_gap_train_val": between(0.0, 0.2),  # "a small gap"
    "char_rnn_gain_carried": between(0.0, 0.5),
    # Clipping at c = 1 acts on some updates, not all.
    "grad_norm_median": at_most(5.0),
    "grad_norm_max": at_least(1.0),
    "clip_fraction": between(0.001, 0.99),
}
