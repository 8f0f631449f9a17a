"""Schematic diagrams drawn by code: graphs, cells, grids and arrows in the book's style.

Every chapter draws its pictures of the computation (a computational graph, an unrolled
network, a cell, a sliding window, a graph being propagated, an attention pattern) with
these few primitives, so the whole book shares one look and every diagram lives in the
repository as code. Matplotlib only; text may contain mathtext (``"$W^{(l)}$"``).

The one convention for arrows, used in every chapter:

- ``kind="forward"``: a solid dark arrow, the flow of values in the forward pass;
- ``kind="backward"``: a dashed vermillion arrow, the flow of gradients;
- ``kind="plain"``: a thin grey line with no head, for structure (edges of a graph,
  connections drawn for orientation only).

Coordinates are data units on a canvas with no axes: a canvas of width 6 and height 3
shows ``x`` from 0 to 6 and ``y`` from 0 to 3, with equal scales, origin at the bottom
left. Each function returns what it drew, so a diagram can be adjusted afterwards.

Examples
--------
>>> from scratchdl import diagrams as dg
>>> ax = dg.canvas(6, 2)
>>> x = dg.node(ax, (1, 1), "$x$", shape="circle")
>>> h = dg.node(ax, (3, 1), "Linear")
>>> y = dg.node(ax, (5, 1), "$L$", shape="circle")
>>> _ = dg.arrow(ax, x, h); _ = dg.arrow(ax, h, y)
>>> _ = dg.arrow(ax, y, h, kind="backward", curve=0.4, label=r"$\\partial L/\\partial h$")
"""

from __future__ import annotations

import numbers

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Patch, Rectangle

from scratchdl.plot import PALETTE

INK = "#222222"
"""Colour of outlines, text and forward arrows."""
GRADIENT = PALETTE[3]
"""Colour of gradient (backward) arrows, Okabe-Ito vermillion."""
FILL = "#F2F2F2"
"""Default fill of boxes and nodes."""
SHAPES = ("rect", "round", "circle")
ARROW_KINDS = ("forward", "backward", "plain")

ARROW_STYLES = {
    "forward": {"color": INK, "linestyle": "-", "linewidth": 1.6, "arrowstyle": "-|>"},
    "backward": {"color": GRADIENT, "linestyle": (0, (4, 2.5)), "linewidth": 1.6,
                 "arrowstyle": "-|>"},
    "plain": {"color": "#888888", "linestyle": "-", "linewidth": 1.2, "arrowstyle": "-"},
}
"""Line properties of each arrow kind, the book's convention (see the module docstring)."""


class Node:
    """A drawn box or circle: its centre, size and patch, the ends of arrows.

    Attributes
    ----------
    xy : (float, float)
        Centre in data units.
    width, height : float
        Size in data units (a circle's are both its diameter).
    patch : matplotlib.patches.Patch
        The drawn shape; arrows stop at its edge.
    text : matplotlib.text.Text or None
        The label.
    """

    def __init__(self, xy, width, height, patch, text):
        self.xy = xy
        self.width = width
        self.height = height
        self.patch = patch
        self.text = text

    def side(self, where: str):
        """The point in the middle of one side: ``"left"``, ``"right"``, ``"top"`` or
        ``"bottom"``."""
        x, y = self.xy
        offsets = {"left": (-self.width / 2, 0), "right": (self.width / 2, 0),
                   "top": (0, self.height / 2), "bottom": (0, -self.height / 2)}
        if where not in offsets:
            raise ValueError(f"Node.side: where must be one of {sorted(offsets)}, "
                             f"got {where!r}")
        dx, dy = offsets[where]
        return (x + dx, y + dy)

    def __repr__(self):
        label = self.text.get_text() if self.text is not None else ""
        return f"Node(xy={self.xy}, label={label!r})"


class Grid:
    """A drawn grid of cells (a matrix, an image, a sequence).

    Attributes
    ----------
    xy : (float, float)
        Bottom-left corner in data units.
    shape : (int, int)
        Rows and columns; row 0 is drawn at the top, as a matrix is written.
    cell : float
        Side of one cell in data units.
    patches : list
        ``patches[i][j]`` is the matplotlib rectangle of cell ``(i, j)``.
    texts : list of Text
        The cell labels drawn (empty when none).
    """

    def __init__(self, xy, shape, cell, patches, texts):
        self.xy = xy
        self.shape = shape
        self.cell = cell
        self.patches = patches
        self.texts = texts

    @property
    def width(self) -> float:
        return self.shape[1] * self.cell

    @property
    def height(self) -> float:
        return self.shape[0] * self.cell

    def center(self, i: int, j: int):
        """Centre of cell ``(i, j)`` (row ``i`` from the top, column ``j``)."""
        rows, cols = self.shape
        for name, value, size in (("i", i, rows), ("j", j, cols)):
            if (not isinstance(value, numbers.Integral) or isinstance(value, bool)
                    or not 0 <= value < size):
                raise ValueError(f"Grid.center: {name} must be an integer in [0, {size}), "
                                 f"got {value!r}")
        x0, y0 = self.xy
        return (x0 + (j + 0.5) * self.cell, y0 + (rows - i - 0.5) * self.cell)

    def region(self, rows, cols):
        """``(x, y, width, height)`` of the block of cells ``rows`` × ``cols``, each a
        ``(start, stop)`` pair with ``stop`` exclusive, as in slicing."""
        n_rows, n_cols = self.shape
        for name, pair, size in (("rows", rows, n_rows), ("cols", cols, n_cols)):
            if (not isinstance(pair, (tuple, list)) or len(pair) != 2
                    or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                               for v in pair)
                    or not 0 <= pair[0] < pair[1] <= size):
                raise ValueError(f"Grid.region: {name} must be a (start, stop) pair with "
                                 f"0 <= start < stop <= {size}, got {pair!r}")
        x0, y0 = self.xy
        x = x0 + cols[0] * self.cell
        y = y0 + (n_rows - rows[1]) * self.cell
        return (x, y, (cols[1] - cols[0]) * self.cell, (rows[1] - rows[0]) * self.cell)


# --- validation -------------------------------------------------------------------------

def _check_ax(ax, owner):
    if not isinstance(ax, Axes):
        raise TypeError(f"{owner}: ax must be a matplotlib Axes (from canvas()), "
                        f"got {type(ax).__name__}")


def _check_point(xy, name, owner):
    if isinstance(xy, Node):
        return xy.xy
    if (not isinstance(xy, (tuple, list, np.ndarray)) or len(xy) != 2
            or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in xy)):
        raise TypeError(f"{owner}: {name} must be an (x, y) pair of numbers, got {xy!r}")
    if not all(np.isfinite(float(v)) for v in xy):
        raise ValueError(f"{owner}: {name} must be finite, got {tuple(xy)!r}")
    return (float(xy[0]), float(xy[1]))


def _check_positive(value, name, owner, *, allow_none=False):
    if value is None and allow_none:
        return None
    if (not isinstance(value, numbers.Real) or isinstance(value, bool)
            or not np.isfinite(value) or value <= 0):
        raise ValueError(f"{owner}: {name} must be a positive finite number, got {value!r}")
    return float(value)


def _check_choice(value, name, choices, owner):
    if value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {', '.join(map(repr, choices))}, "
                         f"got {value!r}")


# --- primitives -------------------------------------------------------------------------

def canvas(width, height, *, scale=1.0, ax=None) -> Axes:
    """An empty drawing area in data units, without axes, ticks or grid.

    Parameters
    ----------
    width, height : float
        Extent in data units; ``x`` runs from 0 to ``width``, ``y`` from 0 to ``height``.
    scale : float
        Inches per data unit of the new figure (ignored when ``ax`` is given).
    ax : Axes, optional
        Draw into this Axes (e.g. one panel of a larger figure) instead of a new figure.

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = canvas(8, 3)            # an 8 x 3 inch figure
    >>> tuple(float(v) for v in ax.get_xlim())
    (0.0, 8.0)
    """
    owner = "canvas"
    width = _check_positive(width, "width", owner)
    height = _check_positive(height, "height", owner)
    scale = _check_positive(scale, "scale", owner)
    if ax is None:
        _, ax = plt.subplots(figsize=(width * scale, height * scale),
                             layout="constrained")
    else:
        _check_ax(ax, owner)
    ax.set_xlim(0.0, width)
    ax.set_ylim(0.0, height)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def node(ax, xy, text="", *, shape="rect", width=1.2, height=0.6, color=INK, fill=FILL,
         fontsize=11, linestyle="-") -> Node:
    """A labelled box or circle centred at ``xy``.

    Parameters
    ----------
    ax : Axes
        From :func:`canvas`.
    xy : (float, float)
        Centre in data units.
    text : str
        Label; mathtext allowed (``"$h^{(1)}$"``), ``"\\n"`` for several lines.
    shape : {"rect", "round", "circle"}
        A rectangle (an operation, a layer), a rounded box, or a circle (a value, a
        unit, a graph node). A circle's diameter is ``width``.
    width, height : float
        Size in data units.
    color, fill : colour
        Outline (and text) colour, and face colour (``"none"`` for a transparent node).
    fontsize : float
    linestyle : str
        Outline style; ``"--"`` marks something optional or dropped.

    Returns
    -------
    Node

    Examples
    --------
    >>> ax = canvas(4, 2)
    >>> n = node(ax, (2, 1), "$\\\\sigma$", shape="circle", width=0.8)
    >>> n.side("right")
    (2.4, 1.0)
    """
    owner = "node"
    _check_ax(ax, owner)
    x, y = _check_point(xy, "xy", owner)
    _check_choice(shape, "shape", SHAPES, owner)
    if not isinstance(text, str):
        raise TypeError(f"{owner}: text must be a str, got {type(text).__name__}")
    width = _check_positive(width, "width", owner)
    height = _check_positive(height, "height", owner)
    fontsize = _check_positive(fontsize, "fontsize", owner)
    style = {"edgecolor": color, "facecolor": fill, "linewidth": 1.4,
             "linestyle": linestyle, "zorder": 2}
    if shape == "circle":
        height = width
        patch = Circle((x, y), width / 2, **style)
    elif shape == "round":
        pad = 0.12 * min(width, height)
        patch = FancyBboxPatch((x - width / 2 + pad, y - height / 2 + pad),
                               width - 2 * pad, height - 2 * pad,
                               boxstyle=f"round,pad={pad}", **style)
    else:
        patch = Rectangle((x - width / 2, y - height / 2), width, height, **style)
    ax.add_patch(patch)
    label = None
    if text:
        label = ax.text(x, y, text, ha="center", va="center", fontsize=fontsize,
                        color=color, zorder=3)
    return Node((x, y), width, height, patch, label)


def arrow(ax, start, end, *, kind="forward", label=None, curve=0.0, label_pos=0.5,
          color=None, fontsize=10):
    """An arrow from ``start`` to ``end``, each a :class:`Node` or an ``(x, y)`` point.

    Between nodes the arrow stops at their edges. The ``kind`` sets the book's
    convention: ``"forward"`` values (solid, dark), ``"backward"`` gradients (dashed,
    vermillion), ``"plain"`` structure (grey, no head).

    Parameters
    ----------
    ax : Axes
    start, end : Node or (float, float)
    kind : {"forward", "backward", "plain"}
    label : str, optional
        Text placed beside the arrow (mathtext allowed), on its left as one walks from
        start to end.
    curve : float
        0 for a straight arrow; positive bends it to the left of its direction, negative
        to the right (minus the ``rad`` of matplotlib's ``arc3`` connection).
    label_pos : float
        Where along the arrow the label sits, from 0 (start) to 1 (end).
    color : colour, optional
        Overrides the kind's colour (e.g. to pick out one path); keep the kind's meaning.
    fontsize : float

    Returns
    -------
    FancyArrowPatch

    Examples
    --------
    >>> ax = canvas(4, 2)
    >>> a, b = node(ax, (1, 1), "a"), node(ax, (3, 1), "b")
    >>> _ = arrow(ax, a, b, label="$x$")
    >>> _ = arrow(ax, b, a, kind="backward", curve=0.5, label="$\\\\delta$")
    """
    owner = "arrow"
    _check_ax(ax, owner)
    p0 = _check_point(start, "start", owner)
    p1 = _check_point(end, "end", owner)
    _check_choice(kind, "kind", ARROW_KINDS, owner)
    if not isinstance(curve, numbers.Real) or isinstance(curve, bool) or not np.isfinite(curve):
        raise ValueError(f"{owner}: curve must be a finite number, got {curve!r}")
    if (not isinstance(label_pos, numbers.Real) or isinstance(label_pos, bool)
            or not 0 <= label_pos <= 1):
        raise ValueError(f"{owner}: label_pos must be a number in [0, 1], got {label_pos!r}")
    if label is not None and not isinstance(label, str):
        raise TypeError(f"{owner}: label must be a str or None, got {type(label).__name__}")
    if p0 == p1:
        raise ValueError(f"{owner}: start and end are the same point {p0}")
    style = dict(ARROW_STYLES[kind])
    if color is not None:
        style["color"] = color
    arrowstyle = style.pop("arrowstyle")
    patch = FancyArrowPatch(
        p0, p1, arrowstyle=arrowstyle, mutation_scale=12,
        # matplotlib's arc3 bends a positive rad to the right of the direction; we
        # bend a positive curve to the left, so gradients drawn back along a forward
        # arrow with the same sign of curve fall on opposite sides.
        connectionstyle=f"arc3,rad={-float(curve)}",
        patchA=start.patch if isinstance(start, Node) else None,
        patchB=end.patch if isinstance(end, Node) else None,
        shrinkA=2, shrinkB=2, zorder=1, **style)
    ax.add_patch(patch)
    if label:
        # Place the label on the arc3 curve (a quadratic Bezier through a control point
        # offset by curve * length perpendicular to the chord), nudged to its left side.
        (x0, y0), (x1, y1) = p0, p1
        dx, dy = x1 - x0, y1 - y0
        length = float(np.hypot(dx, dy))
        normal = np.array([-dy, dx]) / length
        mid = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        control = mid + float(curve) * length * normal
        t = float(label_pos)
        point = ((1 - t) ** 2 * np.array(p0) + 2 * (1 - t) * t * control
                 + t ** 2 * np.array(p1))
        offset = 0.18 * normal * (1 if curve >= 0 else -1)
        x, y = point + offset
        ax.text(x, y, label, ha="center", va="center", fontsize=fontsize,
                color=style["color"], zorder=3,
                bbox={"boxstyle": "round,pad=0.1", "facecolor": "white",
                      "edgecolor": "none", "alpha": 0.85})
    return patch


def grid(ax, xy, values=None, *, shape=None, cell=0.5, fmt="{:g}", cmap=None,
         color=INK, fill="white", fontsize=9) -> Grid:
    """A grid of square cells with its bottom-left corner at ``xy`` (row 0 on top).

    Parameters
    ----------
    ax : Axes
    xy : (float, float)
        Bottom-left corner in data units.
    values : 2-D array-like, optional
        Numbers or strings to write in the cells (and to colour them with ``cmap``).
        Give either ``values`` or ``shape``.
    shape : (int, int), optional
        Rows and columns of an empty grid.
    cell : float
        Side of a cell in data units.
    fmt : str
        Format of numeric cell labels; ``None`` writes no labels.
    cmap : str, optional
        Colour the cells by value with this colormap (numeric ``values`` only).
    color, fill : colour
        Line and face colour (``fill`` is unused with ``cmap``).
    fontsize : float

    Returns
    -------
    Grid

    Examples
    --------
    >>> ax = canvas(4, 3)
    >>> g = grid(ax, (0.5, 0.5), [[1, 2, 3], [4, 5, 6]], cell=0.8)
    >>> g.center(0, 0)
    (0.9, 1.7000000000000002)
    """
    owner = "grid"
    _check_ax(ax, owner)
    x0, y0 = _check_point(xy, "xy", owner)
    cell = _check_positive(cell, "cell", owner)
    fontsize = _check_positive(fontsize, "fontsize", owner)
    if (values is None) == (shape is None):
        raise ValueError(f"{owner}: give exactly one of values and shape, got "
                         f"{'both' if values is not None else 'neither'}")
    numeric = None
    if values is not None:
        array = np.asarray(values, dtype=object)
        if array.ndim != 2 or 0 in array.shape:
            raise ValueError(f"{owner}: values must be a non-empty 2-D array-like, got "
                             f"shape {array.shape}")
        rows, cols = array.shape
        if all(isinstance(v, numbers.Real) and not isinstance(v, bool)
               for v in array.flat):
            numeric = array.astype(float)
            if not np.all(np.isfinite(numeric)):
                raise ValueError(f"{owner}: values contain NaN or infinite entries")
        elif not all(isinstance(v, str) for v in array.flat):
            raise TypeError(f"{owner}: values must be all numbers or all strings")
    else:
        if (not isinstance(shape, (tuple, list)) or len(shape) != 2
                or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                           and v > 0 for v in shape)):
            raise ValueError(f"{owner}: shape must be a pair of positive integers, "
                             f"got {shape!r}")
        rows, cols = int(shape[0]), int(shape[1])
        array = None
    if cmap is not None and numeric is None:
        raise ValueError(f"{owner}: cmap needs numeric values, got "
                         f"{'strings' if array is not None else 'no values'}")
    if fmt is not None and not isinstance(fmt, str):
        raise TypeError(f"{owner}: fmt must be a format string or None, got {fmt!r}")
    colormap = plt.get_cmap(cmap) if cmap is not None else None
    if colormap is not None:
        low, high = float(numeric.min()), float(numeric.max())
        span = high - low if high > low else 1.0
    patches, texts = [], []
    for i in range(rows):
        row = []
        for j in range(cols):
            face = fill
            if colormap is not None:
                face = colormap((numeric[i, j] - low) / span)
            rect = Rectangle((x0 + j * cell, y0 + (rows - 1 - i) * cell), cell, cell,
                             facecolor=face, edgecolor=color, linewidth=1.0, zorder=2)
            ax.add_patch(rect)
            row.append(rect)
            if array is not None and fmt is not None:
                value = array[i, j]
                text = value if isinstance(value, str) else fmt.format(value)
                ink = color
                if colormap is not None and sum(face[:3]) < 1.2:
                    ink = "white"  # dark cells get light text
                texts.append(ax.text(x0 + (j + 0.5) * cell, y0 + (rows - 0.5 - i) * cell,
                                     text, ha="center", va="center", fontsize=fontsize,
                                     color=ink, zorder=3))
        patches.append(row)
    return Grid((x0, y0), (rows, cols), cell, patches, texts)


def highlight(ax, region, *, color=PALETTE[0], label=None, pad=0.05, fontsize=10,
              alpha=0.15) -> Rectangle:
    """A coloured, translucent rectangle around a region, e.g. a kernel's window.

    Parameters
    ----------
    ax : Axes
    region : Node or (x, y, width, height)
        A node, or a rectangle in data units (such as :meth:`Grid.region`).
    color : colour
    label : str, optional
        Text above the rectangle's top-left corner.
    pad : float
        Margin added around the region, in data units.
    fontsize : float
    alpha : float
        Opacity of the fill (the outline is opaque).

    Returns
    -------
    Rectangle

    Examples
    --------
    >>> ax = canvas(4, 3)
    >>> g = grid(ax, (0.5, 0.5), shape=(4, 4))
    >>> _ = highlight(ax, g.region((0, 2), (1, 3)), label="window")
    """
    owner = "highlight"
    _check_ax(ax, owner)
    if isinstance(region, Node):
        x, y = region.xy
        x, y, w, h = x - region.width / 2, y - region.height / 2, region.width, region.height
    else:
        if (not isinstance(region, (tuple, list)) or len(region) != 4
                or not all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                           and np.isfinite(v) for v in region)):
            raise ValueError(f"{owner}: region must be a Node or a finite "
                             f"(x, y, width, height) tuple, got {region!r}")
        x, y, w, h = map(float, region)
        if w <= 0 or h <= 0:
            raise ValueError(f"{owner}: region width and height must be positive, "
                             f"got {w!r} and {h!r}")
    if (not isinstance(pad, numbers.Real) or isinstance(pad, bool) or not np.isfinite(pad)
            or pad < 0):
        raise ValueError(f"{owner}: pad must be a finite number >= 0, got {pad!r}")
    if not isinstance(alpha, numbers.Real) or not 0 <= alpha <= 1:
        raise ValueError(f"{owner}: alpha must be in [0, 1], got {alpha!r}")
    from matplotlib.colors import to_rgba
    rect = Rectangle((x - pad, y - pad), w + 2 * pad, h + 2 * pad,
                     facecolor=to_rgba(color, alpha), edgecolor=color, linewidth=2.0,
                     zorder=4)
    ax.add_patch(rect)
    if label:
        ax.text(x - pad, y + h + pad + 0.05, label, ha="left", va="bottom",
                fontsize=fontsize, color=color, zorder=4)
    return rect


def legend(ax, entries=("forward", "backward"), *, loc="lower right", fontsize=9):
    """A legend for arrow kinds and coloured patches.

    Parameters
    ----------
    ax : Axes
    entries : sequence
        Each an arrow kind (``"forward"``: "forward pass (values)", ``"backward"``:
        "backward pass (gradients)", ``"plain"``), or a ``(label, kind)`` pair to name
        an arrow kind yourself, or a ``(label, colour)`` pair for a filled patch.
    loc : str
        Matplotlib legend location.
    fontsize : float

    Returns
    -------
    Legend

    Examples
    --------
    >>> ax = canvas(4, 2)
    >>> _ = legend(ax, ["forward", "backward", ("kernel", "#0072B2")])
    """
    owner = "legend"
    _check_ax(ax, owner)
    default_labels = {"forward": "forward pass (values)",
                      "backward": "backward pass (gradients)", "plain": "connection"}
    if isinstance(entries, str) or not hasattr(entries, "__iter__"):
        raise TypeError(f"{owner}: entries must be a sequence, got {entries!r}")
    handles = []
    for entry in entries:
        if isinstance(entry, str):
            _check_choice(entry, "entry", ARROW_KINDS, owner)
            label, what = default_labels[entry], entry
        elif isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[0], str):
            label, what = entry
        else:
            raise TypeError(f"{owner}: each entry must be an arrow kind or a "
                            f"(label, kind or colour) pair, got {entry!r}")
        if what in ARROW_KINDS:
            style = ARROW_STYLES[what]
            handles.append(Line2D([], [], color=style["color"], linestyle=style["linestyle"],
                                  linewidth=style["linewidth"], label=label))
        else:
            try:
                handles.append(Patch(facecolor=what, edgecolor=INK, label=label))
            except ValueError:
                raise ValueError(f"{owner}: {what!r} in entry {entry!r} is neither an "
                                 f"arrow kind {ARROW_KINDS} nor a colour") from None
    if not handles:
        raise ValueError(f"{owner}: entries is empty")
    return ax.legend(handles=handles, loc=loc, fontsize=fontsize, frameon=False)


__all__ = ["ARROW_KINDS", "ARROW_STYLES", "FILL", "GRADIENT", "INK", "SHAPES", "Grid",
           "Node", "arrow", "canvas", "grid", "highlight", "legend", "node"]
