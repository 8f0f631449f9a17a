"""Claims of chapter 06, LSTM: every number its prose glues."""

from tests.claims import at_least, at_most, between

CLAIMS = {
    # Recall a bit across 70 steps, 100 updates, 3 seeds: LSTM succeeds, RNN at chance.
    "recall_lag": between(70, 70),
    "recall_steps": between(100, 100),
    "recall_lstm_accuracy": at_least(0.95),
    "recall_lstm_min_accuracy": at_least(0.9),
    "recall_rnn_accuracy": at_most(0.6),
    "recall_rnn_min_accuracy": at_most(0.6),
    "recall_lstm_default_accuracy": at_most(0.6),  # without the open forget gate: chance
    "gradcheck_max_error": at_most(1e-6),
    # Gradient reaching back k steps at initialization (relative to what entered).
    "reach_rnn_k70": at_most(1e-12),
    "reach_lstm_default_k70": at_most(1e-8),
    "reach_lstm_open_k70": between(0.05, 1.0),
    "reach_lstm_open_k100": between(0.05, 1.0),
    # Character models at similar parameter counts: the LSTM generalizes better.
    "char_rnn_params": between(28258, 28258),
    "char_lstm_params": between(29002, 29002),
    "char_rnn_train_loss": at_most(1.5),
    "char_lstm_train_loss": between(1.5, 2.0),  # fits the training text less closely
    "char_rnn_best_val_loss": between(2.15, 2.4),
    "char_lstm_best_val_loss": between(1.8, 2.15),  # below the RNN's best
    "char_rnn_val_loss": between(2.3, 2.9),
    "char_lstm_val_loss": between(1.8, 2.2),
}
