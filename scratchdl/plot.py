"""The book's figures: one style and a few plots every chapter needs.

Call :func:`use_style` once at the top of a chapter (or use ``with book_style():``), then
draw with the helpers below. Each takes an optional matplotlib ``Axes`` to draw into and
returns what it drew on (``Axes`` or ``Figure``), so figures can be combined and
adjusted; none calls ``plt.show()``.

The style uses the Okabe-Ito palette, which stays distinguishable under the common
forms of colour blindness; curves that must be told apart also differ in line style.
Figures carry no timestamps (PNG output of the same figure is byte-identical run to run).
"""

from __future__ import annotations

import numbers

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion,
# reddish purple, sky blue, yellow, black. Yellow is hard to see on white, so it comes late.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000")

BOOK_STYLE = {
    "figure.figsize": (6.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.constrained_layout.use": True,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.8,
    "axes.prop_cycle": cycler(color=PALETTE),
    "lines.linewidth": 2.0,
    "image.cmap": "viridis",
    # SVG output names its elements from a hash; a fixed salt keeps the files identical.
    "svg.hashsalt": "scratchdl",
}


def use_style() -> None:
    """Apply the book's style to every figure created from now on."""
    mpl.rcParams.update(BOOK_STYLE)


def book_style():
    """The book's style inside a ``with`` block only: ``with book_style(): ...``."""
    return mpl.rc_context(BOOK_STYLE)


def class_colors(n_classes: int) -> list:
    """One colour per class: the palette, or evenly spaced viridis colours beyond 8."""
    if n_classes <= len(PALETTE):
        return list(PALETTE[:n_classes])
    return [mpl.colormaps["viridis"](i / (n_classes - 1)) for i in range(n_classes)]


def _check_axes(ax, owner: str) -> None:
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"{owner}: ax must be a matplotlib Axes or None, got {type(ax).__name__}")


def _axes(ax, owner: str) -> Axes:
    """The Axes to draw on: ``ax`` itself, or a new figure's when ``ax`` is None."""
    _check_axes(ax, owner)
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _check_numeric(array, name: str, owner: str, ndim) -> np.ndarray:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{owner}: {name} must be a numpy array, got {type(array).__name__}")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{owner}: {name} must be numeric, got dtype {array.dtype}")
    if array.ndim not in ndim:
        raise ValueError(f"{owner}: {name} must have {' or '.join(map(str, ndim))} "
                         f"dimensions, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{owner}: {name} contains NaN or infinite values")
    return array


def plot_history(history, keys=None, ax=None, *, logy=False):
    """Learning curves: one line per recorded quantity against the epoch.

    Parameters
    ----------
    history : History or dict of lists
        What :func:`scratchdl.train.fit` returned (or any mapping of per-epoch lists).
    keys : str or sequence of str, optional
        Quantities to plot; by default ``"loss"`` and ``"val_loss"``. A training curve
        and its ``val_`` twin share a colour; the validation curve is dashed.
    ax : Axes, optional
    logy : bool
        Logarithmic y axis (useful for losses spanning orders of magnitude).

    Returns
    -------
    Axes
        With a dotted vertical line at ``history.best_epoch`` when there is one.
    """
    owner = "plot_history"
    if not hasattr(history, "keys") or not hasattr(history, "__getitem__"):
        raise TypeError(f"{owner}: history must be a History or a dict of per-epoch lists, "
                        f"got {type(history).__name__}")
    if keys is None:
        keys = [key for key in ("loss", "val_loss") if key in history]
        if not keys:
            raise ValueError(f"{owner}: the history has no 'loss' or 'val_loss'; choose keys "
                             f"from {sorted(history.keys())}")
    keys = [keys] if isinstance(keys, str) else list(keys)
    missing = [key for key in keys if key not in history or len(history[key]) == 0]
    if not keys or missing:
        raise ValueError(f"{owner}: keys {missing or keys} are not in the history, which "
                         f"has {sorted(history.keys())}")
    ax = _axes(ax, owner)

    bases = list(dict.fromkeys(key.removeprefix("val_") for key in keys))
    colors = dict(zip(bases, class_colors(len(bases)), strict=True))
    for key in keys:
        values = np.asarray(history[key], dtype=float)
        validation = key.startswith("val_")
        ax.plot(np.arange(1, len(values) + 1), values, label=key,
                color=colors[key.removeprefix("val_")], linestyle="--" if validation else "-")
    best_epoch = getattr(history, "best_epoch", None)
    if best_epoch is not None:
        ax.axvline(best_epoch, color="0.4", linestyle=":", linewidth=1.2,
                   label=f"best epoch ({best_epoch})")
    if logy:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(bases[0] if len(bases) == 1 else "value")
    ax.legend()
    return ax


def plot_decision_regions(predict_fn, X, y, ax=None, resolution=200, padding=0.1, *,
                          alpha=0.3, class_names=None):
    """Colour the plane by the class a model predicts there, and scatter the data on top.

    Parameters
    ----------
    predict_fn : callable
        Takes a (M, 2) array of points (``X``'s dtype) and returns integer labels of
        shape (M,) or class scores of shape (M, C), of which the arg-max is taken.
        For a binary logit model: ``lambda P: (predict(model, P)[:, 0] > 0).astype(int)``.
    X : (N, 2) array
    y : (N,) integer array
        Class labels from 0.
    ax : Axes, optional
    resolution : int
        Grid points along each axis (at least 2).
    padding : float
        Margin around the data, as a fraction of its range along each axis.
    alpha : float
        Opacity of the coloured regions.
    class_names : sequence of str, optional
        Legend entries; by default "class 0", "class 1", ...

    Returns
    -------
    Axes
    """
    owner = "plot_decision_regions"
    _check_axes(ax, owner)
    if not callable(predict_fn):
        raise TypeError(f"{owner}: predict_fn must be callable, got {type(predict_fn).__name__}")
    X = _check_numeric(X, "X", owner, ndim=(2,))
    if X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"{owner}: X must have shape (N, 2) with N > 0, got {X.shape}")
    y = _check_numeric(y, "y", owner, ndim=(1,))
    if not np.issubdtype(y.dtype, np.integer) or len(y) != len(X) or y.min() < 0:
        raise ValueError(f"{owner}: y must be non-negative integer labels of shape "
                         f"({len(X)},), got {y.dtype} of shape {y.shape}")
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral) or (
            resolution < 2):
        raise ValueError(f"{owner}: resolution must be an integer >= 2, got {resolution!r}")
    if not isinstance(padding, numbers.Real) or not 0 <= padding < np.inf:
        raise ValueError(f"{owner}: padding must be a non-negative number, got {padding!r}")

    low, high = X.min(axis=0), X.max(axis=0)
    # A degenerate range (all points on a line) still gets a visible margin.
    margin = padding * np.where(high > low, high - low, 1.0)
    xs = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    ys = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()]).astype(
        X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64)
    regions = _predicted_labels(predict_fn(points), len(points), owner)

    n_classes = int(max(y.max(), regions.max())) + 1
    names = class_names if class_names is not None else [f"class {k}" for k in range(n_classes)]
    if len(names) < n_classes:
        raise ValueError(f"{owner}: class_names has {len(names)} entries for {n_classes} "
                         f"classes")

    ax = _axes(ax, owner)
    colors = class_colors(n_classes)
    ax.contourf(grid_x, grid_y, regions.reshape(grid_x.shape),
                levels=np.arange(n_classes + 1) - 0.5, colors=colors, alpha=alpha)
    for k in np.unique(y):
        ax.scatter(X[y == k, 0], X[y == k, 1], s=18, color=colors[k], edgecolors="white",
                   linewidths=0.5, label=names[k])
    ax.set(xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]), xlabel="$x_1$", ylabel="$x_2$")
    ax.grid(False)
    ax.legend(loc="best")
    return ax


def _predicted_labels(output, n_points: int, owner: str) -> np.ndarray:
    output = np.asarray(output)
    if output.ndim == 2 and output.shape[0] == n_points and output.shape[1] >= 2:
        return output.argmax(axis=1)
    if output.shape == (n_points,) and (np.issubdtype(output.dtype, np.integer)
                                        or output.dtype == np.bool_):
        if output.size and output.min() < 0:
            raise ValueError(f"{owner}: predict_fn returned negative labels")
        return output.astype(np.int64)
    raise ValueError(f"{owner}: predict_fn must return integer labels of shape ({n_points},) "
                     f"or class scores of shape ({n_points}, C); got {output.dtype} of shape "
                     f"{output.shape}")


def plot_confusion_matrix(cm, labels=None, ax=None, *, normalize=False, cmap="Blues"):
    """Show a confusion matrix as an annotated heat map (rows true, columns predicted).

    Parameters
    ----------
    cm : (C, C) array
        Counts, as returned by :func:`scratchdl.metrics.confusion_matrix`.
    labels : sequence of str, optional
        Class names for the ticks; by default 0, 1, ..., C - 1.
    ax : Axes, optional
    normalize : bool
        Show each row as fractions of its true class (recall on the diagonal).
    cmap : str
        A sequential colour map; light means few.

    Returns
    -------
    Axes
    """
    owner = "plot_confusion_matrix"
    cm = _check_numeric(cm, "cm", owner, ndim=(2,))
    if cm.shape[0] != cm.shape[1] or cm.size == 0 or cm.min() < 0:
        raise ValueError(f"{owner}: cm must be a square matrix of non-negative counts, "
                         f"got shape {cm.shape}")
    n_classes = cm.shape[0]
    if labels is None:
        labels = [str(k) for k in range(n_classes)]
    elif len(labels) != n_classes:
        raise ValueError(f"{owner}: labels has {len(labels)} entries for {n_classes} classes")
    ax = _axes(ax, owner)

    values = cm.astype(np.float64)
    if normalize:
        totals = values.sum(axis=1, keepdims=True)
        values = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    image = ax.imshow(values, cmap=cmap, vmin=0)
    threshold = values.max() / 2
    for (i, j), value in np.ndenumerate(values):
        text = f"{value:.2f}" if normalize else f"{cm[i, j]:g}"
        # Dark cells get white text so every number stays readable.
        ax.text(j, i, text, ha="center", va="center", fontsize=9,
                color="white" if value > threshold else "black")
    ax.set_xticks(range(n_classes), labels=labels)
    ax.set_yticks(range(n_classes), labels=labels)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_images(images, labels=None, *, predictions=None, ncols=10, cmap="gray_r",
                image_size=0.9):
    """A grid of small grey-scale images, e.g. 8x8 digits, with optional titles.

    Parameters
    ----------
    images : (N, H, W) array or (N, D) array with D a perfect square
        Flat rows such as the digits' (N, 64) are reshaped to square images. All images
        share one colour scale, so their intensities can be compared.
    labels : sequence, optional
        Shown above each image.
    predictions : sequence, optional
        Predicted labels (needs ``labels``): the title shows the prediction, in the
        palette's vermillion with the true label in brackets when it is wrong.
    ncols : int
        Images per row.
    cmap : str
        ``"gray_r"`` draws ink dark on white paper.
    image_size : float
        Width of each image in inches.

    Returns
    -------
    Figure
    """
    owner = "plot_images"
    images = _check_numeric(images, "images", owner, ndim=(2, 3))
    n_images = len(images)
    if n_images == 0:
        raise ValueError(f"{owner}: images is empty")
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"{owner}: flat images need a square number of pixels, "
                             f"got {images.shape[1]}; pass (N, H, W) instead")
        images = images.reshape(n_images, side, side)
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != n_images:
            raise ValueError(f"{owner}: {name} has {len(values)} entries for {n_images} images")
    if predictions is not None and labels is None:
        raise ValueError(f"{owner}: predictions need labels to compare with")
    if isinstance(ncols, bool) or not isinstance(ncols, numbers.Integral) or ncols < 1:
        raise ValueError(f"{owner}: ncols must be a positive integer, got {ncols!r}")

    ncols = min(int(ncols), n_images)
    nrows = -(-n_images // ncols)
    title_room = 0.25 if labels is not None else 0.0
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(ncols * image_size, nrows * (image_size + title_room)))
    low, high = images.min(), images.max()
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index >= n_images:
            continue
        ax.imshow(images[index], cmap=cmap, vmin=low, vmax=high, interpolation="nearest")
        if predictions is not None:
            right = predictions[index] == labels[index]
            title = f"{predictions[index]}" if right else (
                f"{predictions[index]} ({labels[index]})")
            ax.set_title(title, fontsize=9, color="black" if right else PALETTE[3])
        elif labels is not None:
            ax.set_title(f"{labels[index]}", fontsize=9)
    return fig


def plot_som_map(positions, values, ax=None, *, topology="rectangular", cmap="viridis",
                 colorbar=True, labels=None, label_colors=None, vmin=None, vmax=None):
    """Draw one value per unit of a self-organizing map, as squares or hexagons.

    Parameters
    ----------
    positions : (U, 2) array
        Each unit's ``(row, column)`` position on the map plane, as in
        ``SOM.positions_``. Row 0 is drawn at the top, like an image.
    values : (U,) array, (rows, cols) array, or (U, 3) / (rows, cols, 3) RGB in [0, 1]
        A scalar per unit (U-matrix, hit map, component plane) coloured by ``cmap``, or
        a colour per unit.
    ax : Axes, optional
    topology : {"rectangular", "hexagonal"}
        Cell shape: squares, or hexagons that tile the hexagonal lattice.
    cmap : str
    colorbar : bool
        Add a colour bar (scalar values only).
    labels : sequence of str, optional
        Text written on each unit ("" for none), e.g. the majority class.
    label_colors : sequence of colours, optional
        One colour per label (default black).
    vmin, vmax : float, optional
        Limits of the colour scale.

    Returns
    -------
    Axes
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import RegularPolygon

    owner = "plot_som_map"
    _check_axes(ax, owner)
    positions = _check_numeric(positions, "positions", owner, ndim=(2,))
    n_units = len(positions)
    if positions.shape[1] != 2 or n_units == 0:
        raise ValueError(f"{owner}: positions must have shape (U, 2), got {positions.shape}")
    values = _check_numeric(values, "values", owner, ndim=(1, 2, 3))
    rgb = values.shape[-1] == 3 and values.ndim in (2, 3) and values.size == 3 * n_units
    flat = values.reshape(n_units, 3) if rgb else values.reshape(-1)
    if not rgb and flat.size != n_units:
        raise ValueError(f"{owner}: values must hold one number or one RGB colour per unit "
                         f"({n_units} units), got shape {values.shape}")
    if topology not in ("rectangular", "hexagonal"):
        raise ValueError(f"{owner}: topology must be 'rectangular' or 'hexagonal', "
                         f"got {topology!r}")
    if labels is not None and len(labels) != n_units:
        raise ValueError(f"{owner}: labels has {len(labels)} entries for {n_units} units")
    ax = _axes(ax, owner)

    # Draw column positions along x and rows downwards; a hexagon with flat top and
    # bottom has neighbours above and below at distance 1 (circumradius 1/sqrt(3)).
    centres = np.column_stack([positions[:, 1], -positions[:, 0]])
    if topology == "hexagonal":
        shape = dict(numVertices=6, radius=1 / np.sqrt(3), orientation=np.pi / 6)
    else:
        shape = dict(numVertices=4, radius=np.sqrt(0.5), orientation=np.pi / 4)
    patches = [RegularPolygon(tuple(centre), **shape) for centre in centres]
    if rgb:
        collection = PatchCollection(patches, facecolors=np.clip(flat, 0, 1),
                                     edgecolors="none")
    else:
        collection = PatchCollection(patches, cmap=cmap, edgecolors="none")
        collection.set_array(flat.astype(np.float64))
        collection.set_clim(vmin, vmax)
    ax.add_collection(collection)
    if labels is not None:
        colors = label_colors if label_colors is not None else ["black"] * n_units
        for (x, y), text, color in zip(centres, labels, colors, strict=True):
            if text != "":
                ax.text(x, y, str(text), ha="center", va="center", fontsize=7, color=color)
    ax.set_xlim(centres[:, 0].min() - 0.7, centres[:, 0].max() + 0.7)
    ax.set_ylim(centres[:, 1].min() - 0.7, centres[:, 1].max() + 0.7)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if colorbar and not rgb:
        ax.figure.colorbar(collection, ax=ax, fraction=0.046, pad=0.04)
    return ax
