r"""Generative adversarial networks (Goodfellow et al., 2014): the game and its training.

A generator :math:`G` maps noise :math:`z \sim p_z` to samples; a discriminator :math:`D`
maps a sample to a *score* (a logit) :math:`s`, with :math:`D(x) = \sigma(s(x))` the
probability it gives to "real". They play

.. math::
    \min_G \max_D V(D, G) = \mathbb{E}_{x \sim p_{data}}[\log D(x)]
        + \mathbb{E}_{z \sim p_z}[\log(1 - D(G(z)))].

Everything is written from scores with :math:`\log \sigma(s) = -\operatorname{softplus}(-s)`
and :math:`\log(1 - \sigma(s)) = -\operatorname{softplus}(s)`, so no probability that has
rounded to 0 or 1 is ever logged. :class:`GAN` alternates ``d_steps`` discriminator updates
with one generator update; the generator's gradient reaches it *through* the
discriminator's backward pass (the discriminator's gradient with respect to its input).

Two remedies for mode collapse that need no second derivatives: :class:`Pack` (PacGAN,
Lin et al., 2018: the discriminator judges ``m`` samples at once) and
:class:`MinibatchStdDev` (Karras et al., 2018: the discriminator sees how varied the batch
is). :func:`mode_statistics` counts modes covered and high-quality samples, the metrics of
the ring and grid benchmarks (:func:`~scratchdl.data.mixtures.make_ring_of_gaussians`,
:func:`~scratchdl.data.mixtures.make_grid_of_gaussians`).
"""

from __future__ import annotations

import numbers

import numpy as np

from scratchdl import functional as F
from scratchdl._validation import check_float_array, check_number, check_rng
from scratchdl.nn._checks import check_dout, check_input, describe, spec
from scratchdl.nn.flatten import _Reshape
from scratchdl.nn.module import Module
from scratchdl.optim import Optimizer

__all__ = [
    "GAN",
    "GENERATOR_LOSSES",
    "MinibatchStdDev",
    "Pack",
    "discriminator_loss",
    "generator_loss",
    "mode_statistics",
]

GENERATOR_LOSSES = ("non_saturating", "saturating")


def _scores(scores, name: str, owner: str) -> np.ndarray:
    scores = check_float_array(scores, name, owner=owner)
    if scores.size == 0:
        raise ValueError(f"{owner}: {name} is empty")
    return scores


def discriminator_loss(real_scores, fake_scores):
    r"""Discriminator loss :math:`-\hat V` and its gradients with respect to the scores.

    .. math::
        L_D = \frac{1}{n_r}\sum \operatorname{softplus}(-s_{real})
            + \frac{1}{n_f}\sum \operatorname{softplus}(s_{fake}),
        \qquad
        \frac{\partial L_D}{\partial s_{real}} = \frac{-\sigma(-s_{real})}{n_r}, \quad
        \frac{\partial L_D}{\partial s_{fake}} = \frac{\sigma(s_{fake})}{n_f}.

    Parameters
    ----------
    real_scores, fake_scores : float arrays
        The discriminator's logits on real and on generated samples.

    Returns
    -------
    loss : float
    d_real, d_fake : arrays shaped like the scores
    """
    real = _scores(real_scores, "real_scores", "discriminator_loss")
    fake = _scores(fake_scores, "fake_scores", "discriminator_loss")
    loss = F.softplus(-real).mean() + F.softplus(fake).mean()
    return float(loss), -F.sigmoid(-real) / real.size, F.sigmoid(fake) / fake.size


def generator_loss(fake_scores, kind: str = "non_saturating"):
    r"""The generator's loss and its gradient with respect to the scores of its samples.

    * ``"saturating"``: minimise :math:`\log(1 - D(G(z))) = -\operatorname{softplus}(s)`,
      the game's own term; :math:`\partial/\partial s = -\sigma(s)`, which vanishes when
      the discriminator confidently rejects the samples (:math:`s \to -\infty`).
    * ``"non_saturating"``: minimise :math:`-\log D(G(z)) = \operatorname{softplus}(-s)`;
      :math:`\partial/\partial s = -\sigma(-s)`, which tends to :math:`-1` there instead.

    Both are averaged over the samples.

    Returns
    -------
    loss : float
    d_fake : array shaped like ``fake_scores``
    """
    fake = _scores(fake_scores, "fake_scores", "generator_loss")
    if kind == "saturating":
        return float(-F.softplus(fake).mean()), -F.sigmoid(fake) / fake.size
    if kind == "non_saturating":
        return float(F.softplus(-fake).mean()), -F.sigmoid(-fake) / fake.size
    raise ValueError(f"generator_loss: kind must be one of {GENERATOR_LOSSES}, got {kind!r}")


class Pack(_Reshape):
    r"""PacGAN's packing: ``m`` consecutive samples become one input of the discriminator.

    ``(N, D)`` becomes ``(N / m, m D)``: rows :math:`m k, \dots, m k + m - 1` are
    concatenated. A discriminator that sees several samples together can tell a batch of
    near-identical samples (a collapsed generator) from a varied one, which a
    one-sample discriminator cannot. Put it first in the discriminator; batches of real
    and of generated samples must each hold a multiple of ``m`` rows. Its backward pass
    (that of every reshape, :class:`~scratchdl.nn.flatten.Flatten`'s too) sends each gradient back
    to the sample it came from, (N / m, m D) -> (N, D).

    Parameters
    ----------
    m : int >= 1
        Samples per pack (PacGAN's degree of packing).
    """

    def __init__(self, m: int):
        super().__init__()
        self.m = check_number(m, "m", low=1, integer=True, owner=type(self).__name__)

    def forward(self, x):
        """(N, D) -> (N / m, m D)."""
        x = check_input(self, x, exact_ndim=None)
        if x.ndim != 2 or x.shape[0] % self.m:
            raise ValueError(f"{type(self).__name__}({self.m}): x must have shape (N, D) with "
                             f"N a multiple of {self.m}, got {x.shape}")
        return self._reshape(x, (x.shape[0] // self.m, self.m * x.shape[1]))

    def extra_repr(self):
        return f"{self.m}"


class MinibatchStdDev(Module):
    r"""Append the average standard deviation of the sample's group as one more feature.

    The batch is split into consecutive groups of ``group_size`` samples (Karras et al.,
    2018). With :math:`\sigma_{gj} = \sqrt{\operatorname{var}_{n \in g}(x_{nj}) + \epsilon}`
    the spread of feature :math:`j` over group :math:`g` and :math:`\bar\sigma_g =
    \frac1D \sum_j \sigma_{gj}`, each row :math:`x_n` of group :math:`g` becomes
    :math:`(x_n, \bar\sigma_g)`. A collapsed generator makes :math:`\bar\sigma_g` small,
    which the discriminator can see. Groups also keep samples apart that must not share a
    statistic: :class:`GAN` scores a real batch and a generated batch in one pass, and
    with both sizes multiples of ``group_size`` no group mixes them. The backward pass:
    :math:`\partial \bar\sigma_g / \partial x_{nj} = (x_{nj} - \mu_{gj}) /
    (D G \sigma_{gj})` for :math:`n` in group :math:`g` of :math:`G` samples, 0 otherwise.

    Parameters
    ----------
    group_size : int >= 2 or None
        Samples per group; the batch size must be a multiple of it. None: the whole
        batch is one group (then do not feed it real and generated samples together).
    eps : float > 0
        Keeps the square root differentiable when a feature is constant over a group.
    """

    def __init__(self, group_size=4, eps: float = 1e-8):
        super().__init__()
        owner = type(self).__name__
        if group_size is not None:
            group_size = check_number(group_size, "group_size", low=2, integer=True,
                                      owner=owner)
        self.group_size = group_size
        self.eps = check_number(eps, "eps", low=0, low_inclusive=False, owner=owner)
        self.centred = self.sigma = None

    def forward(self, x):
        """(N, D) -> (N, D + 1); N a multiple of ``group_size`` (N >= 2 without groups)."""
        x = check_input(self, x)
        size = x.shape[0] if self.group_size is None else self.group_size
        if x.ndim != 2 or x.shape[0] < 2 or x.shape[0] % size:
            raise ValueError(f"{describe(self)}: x must have shape (N, D) with N >= 2 and a "
                             f"multiple of group_size={self.group_size}, got {x.shape}")
        groups = x.reshape(-1, size, x.shape[1])  # (N / G, G, D)
        self.centred = groups - groups.mean(axis=1, keepdims=True)
        self.sigma = np.sqrt((self.centred ** 2).mean(axis=1) + self.eps)  # (N / G, D)
        feature = np.repeat(self.sigma.mean(axis=1), size).astype(x.dtype, copy=False)
        return np.concatenate([x, feature[:, None]], axis=1)

    def backward(self, dout):
        """dL/dx = dout[:, :D] + (sum over the group of dout[:, D]) (x - mu) / (D G sigma)."""
        shape, dtype = spec(self.centred)
        expected = None if shape is None else (shape[0] * shape[1], shape[2] + 1)
        check_dout(self, dout, expected, dtype)
        n_groups, size, d = self.centred.shape
        d_mean_sigma = dout[:, -1].reshape(n_groups, size).sum(axis=1)  # per group
        dx = self.centred * (d_mean_sigma[:, None, None]
                             / (d * size * self.sigma[:, None, :]))
        return dout[:, :-1] + dx.reshape(-1, d)

    def extra_repr(self):
        parts = [] if self.group_size == 4 else [f"group_size={self.group_size}"]
        if self.eps != 1e-8:
            parts.append(f"eps={self.eps}")
        return ", ".join(parts)


class GAN:
    r"""Adversarial training of a generator against a discriminator.

    Each :meth:`step` makes ``d_steps`` discriminator updates, each on a fresh real batch
    and fresh noise, then one generator update:

    1. :math:`s = D([x_{real}; G(z)])`, :math:`L_D` by :func:`discriminator_loss`,
       ``D.backward`` and the discriminator's optimizer (the generator is not updated);
    2. :math:`x = G(z)`, :math:`s = D(x)`, :math:`L_G` by :func:`generator_loss`;
       :math:`\partial L_G/\partial x` = ``D.backward(dL/ds)`` — the discriminator's
       gradient with respect to its *input* — then ``G.backward`` and the generator's
       optimizer (the discriminator's parameter gradients from this pass are discarded:
       they are zeroed before its next update).

    Parameters
    ----------
    generator, discriminator : Module
        ``generator.forward(z)`` maps (N, latent_dim) noise to samples;
        ``discriminator.forward(x)`` maps samples to (N', 1) scores (N' = N / m with
        :class:`Pack`).
    g_optimizer, d_optimizer : Optimizer
        Built on the generator's and on the discriminator's parameters.
    latent_dim : int
        Size of the noise :math:`z \sim \mathcal N(0, I)`.
    generator_loss : {"non_saturating", "saturating"}
    d_steps : int >= 1
        Discriminator updates per generator update (the *k* of Goodfellow et al.).
    rng : numpy.random.Generator or int
        Draws the noise and the real batches.

    Attributes
    ----------
    history : dict of lists
        One entry per :meth:`step`: ``d_loss``, ``g_loss``, ``d_real`` (mean
        :math:`D(x)` on the last real batch) and ``d_fake`` (mean :math:`D(G(z))` on the
        last generated batch, before the generator's update).
    pack : int
        Samples per discriminator input: the product of the ``m`` of its :class:`Pack`
        layers (1 without). Batch sizes must be multiples of it.
    """

    def __init__(self, generator, discriminator, g_optimizer, d_optimizer, *, latent_dim,
                 generator_loss="non_saturating", d_steps=1, rng=None):
        owner = type(self).__name__
        for name, value, kind in (("generator", generator, Module),
                                  ("discriminator", discriminator, Module),
                                  ("g_optimizer", g_optimizer, Optimizer),
                                  ("d_optimizer", d_optimizer, Optimizer)):
            if not isinstance(value, kind):
                got = f"the class {value.__name__}" if isinstance(value, type) else \
                    type(value).__name__
                raise TypeError(f"{owner}: {name} must be a {kind.__name__} instance, got {got}")
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"{owner}: generator_loss must be one of {GENERATOR_LOSSES}, got "
                             f"{generator_loss!r}")
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.latent_dim = check_number(latent_dim, "latent_dim", low=1, integer=True,
                                       owner=owner)
        self.generator_loss = generator_loss
        self.d_steps = check_number(d_steps, "d_steps", low=1, integer=True, owner=owner)
        self.rng = check_rng(rng)
        self.history = {"d_loss": [], "g_loss": [], "d_real": [], "d_fake": []}
        # Real and generated samples go through the discriminator in one batch; with
        # Pack(m) a batch size that m does not divide would pack real and generated
        # samples together, so it is refused before anything runs.
        self.pack = int(np.prod([module.m for _, module in discriminator.named_modules()
                                 if isinstance(module, Pack)]))

    def _check_batch_size(self, n: int):
        if n % self.pack:
            raise ValueError(f"{type(self).__name__}: the discriminator packs {self.pack} "
                             f"samples together, so the batch size must be a multiple of "
                             f"{self.pack}, got {n}")

    def noise(self, n: int) -> np.ndarray:
        """``n`` draws of :math:`z \\sim \\mathcal N(0, I)`, in the generator's dtype."""
        n = check_number(n, "n", low=1, integer=True, owner=type(self).__name__)
        dtype = self.generator.dtype or np.float64
        return self.rng.standard_normal((n, self.latent_dim)).astype(dtype)

    def sample(self, n: int) -> np.ndarray:
        """``n`` generated samples (the generator in evaluation mode)."""
        z = self.noise(n)
        training = self.generator.training
        self.generator.eval()
        try:
            return self.generator.forward(z)
        finally:
            self.generator.train(training)

    def discriminator_step(self, x_real):
        """One update of the discriminator on ``x_real`` and as many generated samples."""
        n = len(x_real)
        x_fake = self.generator.forward(self.noise(n))
        scores = self.discriminator.forward(np.concatenate([x_real, x_fake]))
        half = len(scores) // 2
        loss, d_real, d_fake = discriminator_loss(scores[:half], scores[half:])
        self.d_optimizer.zero_grad()
        self.discriminator.backward(np.concatenate([d_real, d_fake]))
        self.d_optimizer.step()
        return loss, float(F.sigmoid(scores[:half]).mean())

    def generator_step(self, n: int):
        """One update of the generator on ``n`` samples, through the discriminator."""
        x_fake = self.generator.forward(self.noise(n))
        scores = self.discriminator.forward(x_fake)
        loss, d_scores = generator_loss(scores, self.generator_loss)
        d_x = self.discriminator.backward(d_scores)  # dL_G/dx, D's input gradient
        self.g_optimizer.zero_grad()
        self.generator.backward(d_x)
        self.g_optimizer.step()
        return loss, float(F.sigmoid(scores).mean())

    def step(self, real_batches) -> dict:
        """``d_steps`` discriminator updates (one per real batch given), one generator update.

        Parameters
        ----------
        real_batches : list of ``d_steps`` arrays, each (n, ...) of real samples
        """
        if len(real_batches) != self.d_steps:
            raise ValueError(f"{type(self).__name__}: step needs d_steps = {self.d_steps} real "
                             f"batches, got {len(real_batches)}")
        for x_real in real_batches:
            self._check_batch_size(len(x_real))
        for x_real in real_batches:
            d_loss, d_real = self.discriminator_step(x_real)
        g_loss, d_fake = self.generator_step(len(real_batches[-1]))
        record = {"d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake}
        for key, value in record.items():
            if not np.isfinite(value):
                raise FloatingPointError(f"{type(self).__name__}: {key} became {value} at "
                                         f"step {len(self.history['d_loss']) + 1}")
            self.history[key].append(value)
        return record

    def fit(self, X, *, steps, batch_size):
        """Train for ``steps`` generator updates on batches drawn from ``X``; returns self.

        Every real batch is ``batch_size`` rows drawn without replacement from ``X`` (a new
        draw for each batch).
        """
        owner = type(self).__name__
        X = check_float_array(X, "X", dtype=self.generator.dtype, owner=owner)
        steps = check_number(steps, "steps", low=1, integer=True, owner=owner)
        batch_size = check_number(batch_size, "batch_size", low=2, high=len(X), integer=True,
                                  owner=owner)
        self._check_batch_size(batch_size)
        for _ in range(steps):
            batches = [X[self.rng.choice(len(X), batch_size, replace=False)]
                       for _ in range(self.d_steps)]
            self.step(batches)
        return self


def mode_statistics(samples, centres, std, *, n_std=3.0, min_count=1):
    r"""Modes covered and the fraction of high-quality samples (VEEGAN's and PacGAN's metrics).

    A generated sample is *high quality* when it lies within ``n_std`` standard deviations
    of its nearest mode's centre; a mode is *covered* when at least ``min_count``
    high-quality samples fall to it.

    Parameters
    ----------
    samples : (N, D) float array
    centres : (K, D) float array
        The modes' means.
    std : float > 0
        The modes' standard deviation.

    Returns
    -------
    modes_covered : int in [0, K]
    high_quality_fraction : float in [0, 1]
    """
    owner = "mode_statistics"
    samples = check_float_array(samples, "samples", ndim=2, owner=owner)
    centres = check_float_array(centres, "centres", ndim=2, owner=owner)
    if len(samples) == 0 or len(centres) == 0 or samples.shape[1] != centres.shape[1]:
        raise ValueError(f"{owner}: samples (N, D) and centres (K, D) must be non-empty with "
                         f"the same D, got {samples.shape} and {centres.shape}")
    std = check_number(std, "std", low=0, low_inclusive=False, owner=owner)
    n_std = check_number(n_std, "n_std", low=0, low_inclusive=False, owner=owner)
    if not isinstance(min_count, numbers.Integral) or min_count < 1:
        raise ValueError(f"{owner}: min_count must be an integer >= 1, got {min_count!r}")
    distances = np.sqrt(((samples[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= n_std * std
    counts = np.bincount(nearest[good], minlength=len(centres))
    return int((counts >= min_count).sum()), float(good.mean())

