"""scratchdl.diagrams: the primitives draw what they say, and refuse bad input clearly."""

from __future__ import annotations

import doctest
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle  # noqa: E402

from scratchdl import diagrams as dg  # noqa: E402
from scratchdl.plot import PALETTE  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_canvas_has_data_units_and_no_axes():
    ax = dg.canvas(6, 2, scale=0.5)
    assert ax.get_xlim() == (0.0, 6.0) and ax.get_ylim() == (0.0, 2.0)
    assert not ax.axison
    assert tuple(ax.figure.get_size_inches()) == (3.0, 1.0)


def test_canvas_into_existing_axes():
    fig, (left, right) = plt.subplots(1, 2)
    assert dg.canvas(3, 3, ax=right) is right
    assert left.axison and not right.axison


@pytest.mark.parametrize("shape, patch_type", [("rect", Rectangle), ("round", FancyBboxPatch),
                                               ("circle", Circle)])
def test_node_draws_its_shape_and_label(shape, patch_type):
    ax = dg.canvas(4, 2)
    n = dg.node(ax, (2, 1), "$h^{(1)}$", shape=shape, width=1.0, height=0.5)
    assert isinstance(n.patch, patch_type) and n.patch in ax.patches
    assert n.text.get_text() == "$h^{(1)}$" and n.text in ax.texts
    assert n.text.get_position() == (2.0, 1.0)
    height = 1.0 if shape == "circle" else 0.5
    assert n.side("top") == (2.0, 1.0 + height / 2) and n.side("left") == (1.5, 1.0)


def test_arrow_kinds_follow_the_convention():
    ax = dg.canvas(4, 2)
    a, b = dg.node(ax, (1, 1), "a"), dg.node(ax, (3, 1), "b")
    forward = dg.arrow(ax, a, b)
    backward = dg.arrow(ax, b, a, kind="backward", curve=0.4, label="$\\delta$")
    plain = dg.arrow(ax, (0, 0), (1, 0), kind="plain")
    assert all(isinstance(p, FancyArrowPatch) and p in ax.patches
               for p in (forward, backward, plain))
    assert matplotlib.colors.to_hex(backward.get_edgecolor()) == PALETTE[3].lower()
    assert matplotlib.colors.to_hex(forward.get_edgecolor()) == dg.INK.lower()
    assert backward.get_linestyle() != forward.get_linestyle()
    assert any(t.get_text() == "$\\delta$" for t in ax.texts)
    # Between nodes the arrow is clipped at their edges.
    assert forward.patchA is a.patch and forward.patchB is b.patch


def test_arrow_label_sits_on_the_left_of_a_curved_arrow():
    ax = dg.canvas(4, 3)
    patch = dg.arrow(ax, (1, 1), (3, 1), curve=0.3, label="up")
    ax.figure.canvas.draw()
    # The Bezier's control point (data units) lies above: left of a rightward arrow.
    control = patch.get_path().vertices[1]
    assert control[0] == pytest.approx(2.0) and control[1] > 1.5
    (text,) = [t for t in ax.texts if t.get_text() == "up"]
    assert text.get_position()[1] > 1.3  # above the arc's apex (1 + 0.3 * 2 / 2)


def test_grid_values_cells_and_geometry():
    ax = dg.canvas(4, 3)
    g = dg.grid(ax, (0.5, 0.5), [[1, 2, 3], [4, 5, 6]], cell=0.8, cmap="viridis")
    assert g.shape == (2, 3) and len(g.patches) == 2 and len(g.patches[0]) == 3
    assert [t.get_text() for t in g.texts] == ["1", "2", "3", "4", "5", "6"]
    x, y = g.center(0, 0)
    assert np.isclose(x, 0.9) and np.isclose(y, 1.7)  # row 0 is on top
    assert g.region((0, 1), (1, 3)) == pytest.approx((1.3, 1.3, 1.6, 0.8))
    colours = {tuple(p.get_facecolor()) for row in g.patches for p in row}
    assert len(colours) == 6


def test_grid_of_strings_and_empty_grid():
    ax = dg.canvas(4, 3)
    g = dg.grid(ax, (0, 0), [["a", "b"]])
    assert [t.get_text() for t in g.texts] == ["a", "b"]
    empty = dg.grid(ax, (0, 1), shape=(2, 2))
    assert empty.texts == [] and empty.width == 1.0


def test_highlight_and_legend():
    ax = dg.canvas(4, 3)
    g = dg.grid(ax, (0.5, 0.5), shape=(4, 4))
    rect = dg.highlight(ax, g.region((0, 2), (1, 3)), label="window")
    assert rect in ax.patches and any(t.get_text() == "window" for t in ax.texts)
    leg = dg.legend(ax, ["forward", "backward", ("kernel", PALETTE[0])])
    assert [t.get_text() for t in leg.get_texts()] == [
        "forward pass (values)", "backward pass (gradients)", "kernel"]


def test_diagram_renders_to_png():
    ax = dg.canvas(4, 2)
    a = dg.node(ax, (1, 1), "$x$", shape="circle", width=0.6)
    b = dg.node(ax, (3, 1), r"$\sigma(z)$")
    dg.arrow(ax, a, b, label="$z$")
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")


def test_docstring_examples_run():
    result = doctest.testmod(dg, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 5 and result.failed == 0


@pytest.mark.parametrize("call, error, words", [
    (lambda ax: dg.canvas(0, 2), ValueError, "canvas: width"),
    (lambda ax: dg.canvas(2, 2, ax="x"), TypeError, "canvas: ax"),
    (lambda ax: dg.node(ax, (1, np.nan), "a"), ValueError, "node: xy must be finite"),
    (lambda ax: dg.node(ax, (1,), "a"), TypeError, "node: xy"),
    (lambda ax: dg.node(ax, (1, 1), "a", shape="hexagon"), ValueError, "node: shape"),
    (lambda ax: dg.node(ax, (1, 1), 3), TypeError, "node: text"),
    (lambda ax: dg.node(ax, (1, 1), "a", width=-1), ValueError, "node: width"),
    (lambda ax: dg.arrow(ax, (0, 0), (1, 1), kind="gradient"), ValueError, "arrow: kind"),
    (lambda ax: dg.arrow(ax, (0, 0), (0, 0)), ValueError, "arrow: start and end"),
    (lambda ax: dg.arrow(ax, (0, 0), (1, 1), label_pos=2), ValueError, "arrow: label_pos"),
    (lambda ax: dg.grid(ax, (0, 0)), ValueError, "grid: give exactly one"),
    (lambda ax: dg.grid(ax, (0, 0), [1, 2]), ValueError, "grid: values must be"),
    (lambda ax: dg.grid(ax, (0, 0), [[1, np.inf]]), ValueError, "grid: values contain"),
    (lambda ax: dg.grid(ax, (0, 0), [[1, "a"]]), TypeError, "grid: values must be all"),
    (lambda ax: dg.grid(ax, (0, 0), shape=(2, 0)), ValueError, "grid: shape"),
    (lambda ax: dg.grid(ax, (0, 0), [["a"]], cmap="viridis"), ValueError, "grid: cmap"),
    (lambda ax: dg.highlight(ax, (0, 0, -1, 1)), ValueError, "highlight: region width"),
    (lambda ax: dg.highlight(ax, (0, 0, 1)), ValueError, "highlight: region must"),
    (lambda ax: dg.legend(ax, ["sideways"]), ValueError, "legend: entry"),
    (lambda ax: dg.legend(ax, [("x", "notacolour")]), ValueError, "legend: 'notacolour'"),
    (lambda ax: dg.legend(ax, []), ValueError, "legend: entries is empty"),
])
def test_bad_input_is_refused_clearly_and_draws_nothing(call, error, words):
    ax = dg.canvas(4, 4)
    before = (len(ax.patches), len(ax.texts))
    with pytest.raises(error, match=words):
        call(ax)
    assert (len(ax.patches), len(ax.texts)) == before


def test_grid_lookups_refuse_bad_indices():
    ax = dg.canvas(4, 4)
    g = dg.grid(ax, (0, 0), shape=(2, 3))
    with pytest.raises(ValueError, match=r"Grid.center: j must be an integer in \[0, 3\)"):
        g.center(0, 3)
    with pytest.raises(ValueError, match="Grid.region: rows"):
        g.region((1, 1), (0, 1))
    n = dg.node(ax, (1, 1))
    with pytest.raises(ValueError, match="Node.side: where"):
        n.side("middle")
