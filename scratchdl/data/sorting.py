"""Sorting short digit sequences: a sequence task with one exact answer (minGPT's sort demo).

A model reads ``length`` digits and must write them in ascending order. The whole space
has ``n_digits ** length`` sequences, so the split can be made at the level of sequences:
a held-out sequence was never seen in any form during training.
"""

from __future__ import annotations

import numpy as np

from scratchdl._validation import check_number, check_rng

IGNORE = -1  # target of the positions that are not scored (the input half)


def make_sorting(length=6, n_digits=3, *, test_fraction=0.2, rng=None):
    """Every sequence of ``length`` digits from ``0 .. n_digits - 1``, split train/test.

    A sequence ``s`` and its sorted version ``t`` form the model input
    ``x = s + t[:-1]`` (length ``2 * length - 1``) and the target ``y``, which is
    ``IGNORE`` (-1) at the first ``length - 1`` positions and ``t`` after them: position
    ``length - 1 + i`` (having seen all of ``s`` and ``t[:i]``) must predict ``t[i]``.

    Parameters
    ----------
    length : int >= 2
    n_digits : int >= 2
    test_fraction : float in (0, 1)
        Share of the distinct sequences held out.
    rng : numpy.random.Generator or int or None
        Chooses the held-out sequences.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : int64 arrays of shape (n, 2 * length - 1)
    """
    owner = "make_sorting"
    length = check_number(length, "length", low=2, high=12, integer=True, owner=owner)
    n_digits = check_number(n_digits, "n_digits", low=2, high=10, integer=True, owner=owner)
    test_fraction = check_number(test_fraction, "test_fraction", low=0, high=1,
                                 low_inclusive=False, high_inclusive=False, owner=owner)
    if n_digits ** length > 2_000_000:
        raise ValueError(f"{owner}: n_digits ** length = {n_digits ** length:,} sequences "
                         "is too many to enumerate; use fewer digits or a shorter length")
    rng = check_rng(rng)
    codes = np.arange(n_digits ** length)
    seqs = (codes[:, None] // n_digits ** np.arange(length - 1, -1, -1)) % n_digits
    sorted_seqs = np.sort(seqs, axis=1)
    x = np.concatenate([seqs, sorted_seqs[:, :-1]], axis=1).astype(np.int64)
    y = np.concatenate([np.full((len(seqs), length - 1), IGNORE), sorted_seqs],
                       axis=1).astype(np.int64)
    order = rng.permutation(len(seqs))
    n_test = max(1, int(round(test_fraction * len(seqs))))
    test, train = order[:n_test], order[n_test:]
    return (x[train], y[train]), (x[test], y[test])
