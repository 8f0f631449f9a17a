"""Claims of chapter 06, LSTM and GRU: every number its prose glues."""

from tests.claims import at_least, at_most, between

CLAIMS = {
    # Recall a bit across 70 steps, 100 updates, 3 seeds: the gated layers with their
    # additive path open succeed; the RNN and the gated layers with default biases stay at
    # chance (0.5).
    "recall_lag": between(70, 70),
    "recall_steps": between(100, 100),
    "recall_lstm_accuracy": at_least(0.95),
    "recall_lstm_min_accuracy": at_least(0.9),
    "recall_rnn_accuracy": at_most(0.6),
    "recall_rnn_min_accuracy": at_most(0.6),
    "recall_lstm_default_accuracy": at_most(0.6),
    "recall_gru_default_accuracy": at_most(0.6),
    "recall_gru_open_accuracy": at_least(0.95),
    "recall_gru_open_min_accuracy": at_least(0.9),
    "gradcheck_max_error": at_most(1e-6),
    # Gradient reaching back k steps at initialization (relative to what entered).
    "reach_rnn_k70": at_most(1e-12),
    "reach_lstm_default_k70": at_most(1e-8),
    "reach_gru_default_k70": at_most(1e-6),
    "reach_lstm_open_k70": between(0.05, 1.0),
    "reach_lstm_open_k100": between(0.05, 1.0),
    "reach_gru_open_k70": between(0.05, 1.0),
    # Factor per step, k = 1..30: default LSTM decays more slowly than the RNN, but below 1
    # (the two ranges do not overlap, so "slower" is checked).
    "factor_rnn": between(0.3, 0.55),
    "factor_lstm_default": between(0.55, 0.8),
    "factor_gru_default": between(0.3, 0.9),
    # Tiny Shakespeare, one recipe (SHAKESPEARE_LSTM's budget), similar parameter counts.
    "lm_steps": between(300, 300),
    "lm_batch": between(32, 32),
    "lm_context": between(64, 64),
    "char_rnn_params": between(93025, 93025),
    "char_lstm_params": between(93409, 93409),
    "char_lstm_params_formula": between(93409, 93409),
    "char_rnn_val_loss": between(1.7, 2.2),
    "char_lstm_val_loss": between(1.7, 2.2),
    "char_rnn_val_bits": between(1.7 / 0.6931, 2.2 / 0.6931),
    "char_lstm_val_bits": between(1.7 / 0.6931, 2.2 / 0.6931),
    # One run each: the prose reads the difference as small, not as a ranking.
    "char_lstm_rnn_difference": between(-0.2, 0.2),
}
