"""MNIST-1D: a small, procedurally generated 1-D digits benchmark (Greydanus, 2020).

Each of the ten classes starts from a hand-made template of 12 points. Every example is
that template pushed through random transformations, which make the task easy for a
model with a spatial prior (a CNN) and hard for one without: pad with zeros, stretch to a
common length, scale, shift circularly, fill the padding with smooth (correlated) noise,
add a little white noise, shear (add a random linear slope), and resample to 40 points.
With the default arguments, :func:`make_mnist1d` gives the very arrays of the reference
``mnist1d`` package (version 0.0.2), which the tests check: same templates, same
transformations, same random draws in the same order.

Reference: S. Greydanus, "Scaling down deep learning", arXiv:2011.14439, 2020, and the
code at github.com/greydanus/mnist1d.
"""

from __future__ import annotations

import numpy as np

from scratchdl._validation import check_allocation, check_number

# The ten 12-point templates of the paper (its figure 1), before normalization.
_TEMPLATES = np.array([
    [5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5],
    [5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5],
    [5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5],
    [5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5],
    [5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5],
    [5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5],
    [5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5],
    [5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5],
    [5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5],
    [5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5],
])


def mnist1d_templates():
    """The ten templates, standardized, starting at 0 and divided by 6.

    Returns
    -------
    x : (10, 12) array
        Template ``k`` is digit ``k``.
    t : (12,) array
        Their positions, evenly spaced in [-5/6, 5/6] (used for plotting).
    """
    x = _TEMPLATES - _TEMPLATES.mean(axis=1, keepdims=True)
    x = x / x.std(axis=1, keepdims=True)
    x = x - x[:, :1]  # every signal starts (and, templates being closed, ends) at 0
    return x / 6.0, np.linspace(-5, 5, _TEMPLATES.shape[1]) / 6.0


def _resample(x, length):
    """Linear interpolation of ``x`` onto ``length`` evenly spaced points, same span."""
    return np.interp(np.linspace(0, 1, length), np.linspace(0, 1, len(x)), x)


def _smooth(noise, sigma=2.0, truncate=4.0):
    """Gaussian smoothing with mirrored ends (scipy.ndimage.gaussian_filter's defaults)."""
    radius = int(truncate * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * offsets**2 / sigma**2)
    kernel /= kernel.sum()
    padded = np.pad(noise, radius, mode="symmetric")  # d c b a | a b c d | d c b a
    return np.lib.stride_tricks.sliding_window_view(padded, len(kernel)) @ kernel


def _one_example(template, rs, padding, length, scale_coeff, max_translation,
                 corr_noise_scale, iid_noise_scale, shear_scale, final_length):
    """One random example of ``template``; ``rs`` draws in the reference's order."""
    low, high = padding
    # A tiny offset makes the template non-zero everywhere, so "== 0" marks the padding.
    pad = low + int(rs.rand() * (high - low + 1))
    x = np.concatenate([template + 1e-8, np.zeros(pad)])
    x = _resample(x, length)
    x = x * (1 + scale_coeff * (rs.rand() - 0.5))
    shift = rs.choice(max_translation)
    x = np.roll(x, shift)  # circular shift to the right
    background = _smooth(corr_noise_scale * rs.randn(length))
    x = np.where(x != 0, x, background)
    x = x + iid_noise_scale * rs.randn(length)
    x = x - shear_scale * (rs.rand() - 0.5) * np.linspace(-0.5, 0.5, length)
    return _resample(x, final_length)


def make_mnist1d(num_samples=5000, *, train_split=0.8, template_len=12, padding=(36, 60),
                 scale_coeff=0.4, max_translation=48, corr_noise_scale=0.25,
                 iid_noise_scale=2e-2, shear_scale=0.75, shuffle_seq=False,
                 final_seq_length=40, seed=42):
    """Generate MNIST-1D: 40-point signals of the digits 0 to 9.

    Parameters
    ----------
    num_samples : int
        Total number of examples, ``num_samples // 10`` per class.
    train_split : float in (0, 1)
        Fraction that goes to the training set (the first ones after shuffling).
    template_len : int
        Length of the templates; every example is stretched to ``template_len + padding[1]``
        points before shifting.
    padding : (int, int)
        Range of the number of zeros appended to a template (drawn uniformly).
    scale_coeff : float
        Amplitude scaled by a factor uniform in ``[1 - c/2, 1 + c/2]``.
    max_translation : int
        Circular shift uniform in ``{0, ..., max_translation - 1}`` points.
    corr_noise_scale, iid_noise_scale : float
        Standard deviations of the smoothed background noise and of the white noise.
    shear_scale : float
        Slope added across the signal, uniform in ``[-s/2, s/2]``.
    shuffle_seq : bool
        Apply one fixed random permutation to the 40 positions of every signal, which
        destroys locality while keeping all information (the chapter's spatial-prior test).
    final_seq_length : int
        Number of points of each signal.
    seed : int
        Seed of a legacy ``np.random.RandomState`` (Mersenne Twister). The legacy generator
        is used, locally and never globally, because the published data set was drawn from
        it: it is what makes the default arrays equal the reference package's.

    Returns
    -------
    X_train : (n_train, final_seq_length) float64 array
    X_test : (n_test, final_seq_length) float64 array
        Standardized with the mean and standard deviation of all signals together.
    y_train, y_test : int64 arrays
        The digits. With the defaults: 4,000 training and 1,000 test examples.
    """
    owner = "make_mnist1d"
    num_samples = check_number(num_samples, "num_samples", low=10, integer=True, owner=owner)
    check_number(train_split, "train_split", low=0, high=1, low_inclusive=False,
                 high_inclusive=False, owner=owner)
    check_number(seed, "seed", low=0, integer=True, owner=owner)
    if not isinstance(padding, (tuple, list)) or len(padding) != 2:
        raise TypeError(f"{owner}: padding must be a pair (low, high), got {padding!r}")
    for value in padding:
        check_number(value, "padding", low=0, integer=True, owner=owner)
    if not padding[0] <= padding[1]:
        raise ValueError(f"{owner}: padding must be (low, high) with 0 <= low <= high, "
                         f"got {padding!r}")
    template_len = check_number(template_len, "template_len", low=1, integer=True, owner=owner)
    final_seq_length = check_number(final_seq_length, "final_seq_length", low=2, integer=True,
                                    owner=owner)
    max_translation = check_number(max_translation, "max_translation", low=1, integer=True,
                                   owner=owner)
    # 1 + c (u - 1/2) scales the amplitude; c >= 2 could flip or zero the signal.
    scale_coeff = check_number(scale_coeff, "scale_coeff", low=0, high=2, high_inclusive=False,
                               owner=owner)
    for name, value in (("corr_noise_scale", corr_noise_scale),
                        ("iid_noise_scale", iid_noise_scale), ("shear_scale", shear_scale)):
        check_number(value, name, low=0, owner=owner)
    split = int((num_samples // 10) * 10 * train_split)
    if not 0 < split < (num_samples // 10) * 10:
        raise ValueError(f"{owner}: train_split={train_split} leaves the training or the test "
                         f"set empty with num_samples={num_samples}")
    check_allocation((num_samples, template_len + padding[1]), owner=owner, what="the signals")
    rs = np.random.RandomState(seed)
    templates, _ = mnist1d_templates()
    per_class = num_samples // len(templates)
    xs, ys = [], []
    for label, template in enumerate(templates):
        for _ in range(per_class):
            xs.append(_one_example(template, rs, padding, template_len + padding[1],
                                   scale_coeff, max_translation, corr_noise_scale,
                                   iid_noise_scale, shear_scale, final_seq_length))
            ys.append(label)
    order = rs.permutation(len(ys))
    X, y = np.stack(xs)[order], np.array(ys, dtype=np.int64)[order]
    if shuffle_seq:
        X = X[:, rs.permutation(final_seq_length)]
    X = (X - X.mean()) / X.std()
    split = int(len(y) * train_split)
    return X[:split], X[split:], y[:split], y[split:]
