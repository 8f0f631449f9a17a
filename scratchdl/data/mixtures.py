"""The two-dimensional Gaussian mixtures of the mode-collapse benchmarks.

The ring of eight Gaussians and the grid of 25, with the sizes the VEEGAN (Srivastava et
al., 2017) and PacGAN (Lin et al., 2018) papers use: the ring's modes lie on a circle of
radius 2 with standard deviation 0.02, the grid's at {-4, -2, 0, 2, 4}^2 with standard
deviation 0.05. Each generator returns the samples and the modes' centres, which
:func:`scratchdl.models.gan.mode_statistics` needs to count modes and high-quality samples.
"""

from __future__ import annotations

import numpy as np

from scratchdl._validation import check_number, check_rng

__all__ = ["make_grid_of_gaussians", "make_ring_of_gaussians"]


def _mixture(n_samples, centres, std, rng):
    """``n_samples`` draws, each from a mode chosen uniformly at random."""
    modes = rng.integers(len(centres), size=n_samples)
    X = centres[modes] + std * rng.standard_normal((n_samples, centres.shape[1]))
    return X, modes


def make_ring_of_gaussians(n_samples=2500, *, n_modes=8, radius=2.0, std=0.02, rng=None):
    """Samples from ``n_modes`` equally weighted Gaussians evenly spaced on a circle.

    Parameters
    ----------
    n_samples : int >= 1
    n_modes : int >= 1
    radius : float > 0
        Radius of the circle the means lie on.
    std : float > 0
        Standard deviation of every mode (isotropic).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    X : (n_samples, 2) float64 array
    centres : (n_modes, 2) float64 array
        The modes' means; mode ``k`` is at angle ``2 pi k / n_modes``.
    """
    owner = "make_ring_of_gaussians"
    n_samples = check_number(n_samples, "n_samples", low=1, integer=True, owner=owner)
    n_modes = check_number(n_modes, "n_modes", low=1, high=10**6, integer=True, owner=owner)
    radius = check_number(radius, "radius", low=0, low_inclusive=False, owner=owner)
    std = check_number(std, "std", low=0, low_inclusive=False, owner=owner)
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    X, _ = _mixture(n_samples, centres, std, check_rng(rng))
    return X, centres


def make_grid_of_gaussians(n_samples=2500, *, size=5, spacing=2.0, std=0.05, rng=None):
    """Samples from ``size**2`` equally weighted Gaussians on a square grid centred at 0.

    Parameters
    ----------
    n_samples : int >= 1
    size : int >= 1
        Modes per side; the means are ``spacing * (i - (size - 1) / 2)`` on each axis.
    spacing : float > 0
    std : float > 0
    rng : numpy.random.Generator, int or None

    Returns
    -------
    X : (n_samples, 2) float64 array
    centres : (size**2, 2) float64 array
    """
    owner = "make_grid_of_gaussians"
    n_samples = check_number(n_samples, "n_samples", low=1, integer=True, owner=owner)
    size = check_number(size, "size", low=1, high=1000, integer=True, owner=owner)
    spacing = check_number(spacing, "spacing", low=0, low_inclusive=False, owner=owner)
    std = check_number(std, "std", low=0, low_inclusive=False, owner=owner)
    axis = spacing * (np.arange(size) - (size - 1) / 2)
    centres = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    X, _ = _mixture(n_samples, centres, std, check_rng(rng))
    return X, centres
