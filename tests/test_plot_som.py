"""Tests of plot_som_map, the chapter 02 figure helper."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from scratchdl.models.som import grid_positions  # noqa: E402
from scratchdl.plot import plot_som_map  # noqa: E402


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
def test_draws_one_cell_per_unit_scalar_and_rgb(topology):
    positions = grid_positions(3, 4, topology)
    fig, axes = plt.subplots(1, 2)
    ax = plot_som_map(positions, np.arange(12.0).reshape(3, 4), ax=axes[0], topology=topology,
                      labels=[str(k) for k in range(12)])
    assert ax is axes[0]
    assert len(ax.collections[0].get_paths()) == 12 and len(ax.texts) == 12
    plot_som_map(positions, np.random.default_rng(0).random((3, 4, 3)), ax=axes[1],
                 topology=topology)
    assert len(axes[1].collections[0].get_facecolors()) == 12
    plt.close(fig)


def test_bad_input():
    positions = grid_positions(2, 2, "rectangular")
    with pytest.raises(ValueError, match="one number or one RGB colour per unit"):
        plot_som_map(positions, np.zeros(5))
    with pytest.raises(ValueError, match="topology"):
        plot_som_map(positions, np.zeros(4), topology="toroidal")
    with pytest.raises(ValueError, match="NaN"):
        plot_som_map(positions, np.full(4, np.nan))
    with pytest.raises(ValueError, match="labels"):
        plot_som_map(positions, np.zeros(4), labels=["a"])
    with pytest.raises(TypeError, match="ax"):
        plot_som_map(positions, np.zeros(4), ax="axes")
    plt.close("all")
