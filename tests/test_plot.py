"""scratchdl.plot: the style and the figure helpers (checked by their artists, not pixels)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

from scratchdl.plot import (  # noqa: E402
    BOOK_STYLE,
    PALETTE,
    book_style,
    class_colors,
    plot_confusion_matrix,
    plot_decision_regions,
    plot_history,
    plot_images,
    use_style,
)
from scratchdl.train import History  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_style():
    """Each test gets the default style back and leaves no figure open."""
    with mpl.rc_context():
        yield
    plt.close("all")


def test_use_style_sets_the_book_style():
    use_style()
    assert not mpl.rcParams["axes.spines.top"] and not mpl.rcParams["axes.spines.right"]
    colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    assert [c.upper() for c in colors] == list(PALETTE)
    assert tuple(mpl.rcParams["figure.figsize"]) == BOOK_STYLE["figure.figsize"]


def test_book_style_is_a_context():
    with book_style():
        assert not mpl.rcParams["axes.spines.top"]
    assert mpl.rcParams["axes.spines.top"]


def test_class_colors():
    assert class_colors(3) == list(PALETTE[:3])
    many = class_colors(12)
    assert len(many) == 12 and len({tuple(c) for c in many}) == 12


def make_history():
    history = History()
    for loss, val in [(1.0, 1.1), (0.5, 0.7), (0.3, 0.8)]:
        history.append({"loss": loss, "val_loss": val, "accuracy": 1 - loss,
                        "val_accuracy": 1 - val})
    history.best_epoch = 2
    return history


def test_plot_history_draws_train_and_validation_curves():
    ax = plot_history(make_history())
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["loss", "val_loss", "best epoch (2)"]
    train, val, best = lines
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(val.get_ydata(), [1.1, 0.7, 0.8])
    assert train.get_color() == val.get_color() and val.get_linestyle() == "--"
    assert best.get_xdata()[0] == 2
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert ax.get_legend() is not None


def test_plot_history_on_given_axes_with_chosen_keys():
    fig, (left, right) = plt.subplots(1, 2)
    out = plot_history({"accuracy": [0.5, 0.9], "val_accuracy": [0.4, 0.8], "loss": [1, 0]},
                       keys=["accuracy", "val_accuracy"], ax=right, logy=True)
    assert out is right and not left.get_lines()
    assert len(right.get_lines()) == 2 and right.get_yscale() == "log"
    assert plot_history(make_history(), keys="accuracy").get_ylabel() == "accuracy"


def test_plot_history_rejects_bad_input():
    with pytest.raises(ValueError, match="val_f1"):
        plot_history(make_history(), keys=["val_f1"])
    with pytest.raises(TypeError, match="history"):
        plot_history([1, 2, 3])
    with pytest.raises(TypeError, match="ax"):
        plot_history(make_history(), ax="left")
    with pytest.raises(ValueError, match="no 'loss'"):
        plot_history({"accuracy": [1.0]})


def two_class_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    return X, y


def test_plot_decision_regions_from_labels():
    X, y = two_class_data()
    calls = []

    def predict_fn(points):
        calls.append(points)
        return (points[:, 0] > 0).astype(int)

    ax = plot_decision_regions(predict_fn, X, y, resolution=50)
    assert calls[0].shape == (2500, 2) and calls[0].dtype == X.dtype
    assert sum(isinstance(c, ContourSet) for c in ax.collections) == 1
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 2 and sum(len(s.get_offsets()) for s in scatters) == 60
    xmin, xmax = ax.get_xlim()
    assert xmin < X[:, 0].min() and xmax > X[:, 0].max()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]


def test_plot_decision_regions_from_scores_and_class_names():
    X, y = two_class_data()
    fig, ax = plt.subplots()
    out = plot_decision_regions(lambda P: np.column_stack([-P[:, 0], P[:, 0]]), X, y, ax=ax,
                                resolution=20, padding=0.0, class_names=["left", "right"])
    assert out is ax
    assert ax.get_xlim() == pytest.approx((X[:, 0].min(), X[:, 0].max()))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["left", "right"]


@pytest.mark.parametrize(
    "predict_fn, X, y, kwargs, message",
    [
        (lambda P: P[:, 0], None, None, {}, "predict_fn must return integer labels"),
        (lambda P: np.zeros((len(P), 1)), None, None, {}, "predict_fn must return"),
        (lambda P: np.zeros(3, dtype=int), None, None, {}, "predict_fn must return"),
        ("f", None, None, {}, "predict_fn must be callable"),
        (None, np.zeros((5, 3)), None, {}, r"shape \(N, 2\)"),
        (None, None, np.zeros(60), {}, "y must be non-negative integer labels"),
        (None, None, None, {"resolution": 1}, "resolution"),
        (None, None, None, {"padding": -1.0}, "padding"),
        (None, None, None, {"class_names": ["a"]}, "class_names has 1 entries"),
        (None, None, None, {"ax": "left"}, "ax must be a matplotlib Axes"),
    ],
)
def test_plot_decision_regions_rejects_bad_input(predict_fn, X, y, kwargs, message):
    X0, y0 = two_class_data()
    predict_fn = predict_fn or (lambda P: np.zeros(len(P), dtype=int))
    with pytest.raises((TypeError, ValueError), match=message):
        plot_decision_regions(predict_fn, X0 if X is None else X, y0 if y is None else y,
                              **kwargs)
    assert not plt.get_fignums(), "bad input must not leave a figure behind"


def test_plot_confusion_matrix_annotates_every_cell():
    cm = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    ax = plot_confusion_matrix(cm, labels=["a", "b", "c"])
    images = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    assert len(images) == 1
    np.testing.assert_array_equal(images[0].get_array(), cm)
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["5", "1", "0", "2", "7", "1", "0", "0", "9"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "predicted label" and ax.get_ylabel() == "true label"
    # Dark cells get white text.
    assert ax.texts[8].get_color() == "white" and ax.texts[1].get_color() == "black"


def test_plot_confusion_matrix_normalized_rows():
    ax = plot_confusion_matrix(np.array([[3, 1], [0, 0]]), normalize=True)
    assert [t.get_text() for t in ax.texts] == ["0.75", "0.25", "0.00", "0.00"]


def test_plot_confusion_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="labels has 1 entries"):
        plot_confusion_matrix(np.eye(2), labels=["a"])
    with pytest.raises(ValueError, match="NaN"):
        plot_confusion_matrix(np.array([[np.nan, 1], [0, 1]]))


def test_plot_images_grid_and_titles():
    images = np.arange(12 * 64, dtype=float).reshape(12, 64) % 17
    labels = np.arange(12) % 10
    fig = plot_images(images, labels=labels, ncols=5)
    axes = fig.get_axes()
    assert len(axes) == 15  # 3 rows of 5; the last three are empty and hidden
    drawn = [ax for ax in axes if ax.get_images()]
    assert len(drawn) == 12 and drawn[0].get_images()[0].get_array().shape == (8, 8)
    assert [ax.get_title() for ax in drawn] == [str(v) for v in labels]
    assert not any(ax.axison for ax in axes)
    # One shared colour scale for every image.
    assert {ax.get_images()[0].get_clim() for ax in drawn} == {(0.0, 16.0)}


def test_plot_images_marks_wrong_predictions():
    images = np.zeros((3, 4, 4))
    fig = plot_images(images, labels=[1, 2, 3], predictions=[1, 5, 3])
    titles = [ax.title for ax in fig.get_axes()]
    assert [t.get_text() for t in titles] == ["1", "5 (2)", "3"]
    assert titles[1].get_color() == PALETTE[3] and titles[0].get_color() == "black"


def test_plot_images_rejects_bad_input():
    with pytest.raises(ValueError, match="square number of pixels"):
        plot_images(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="labels has 1 entries for 2 images"):
        plot_images(np.zeros((2, 4)), labels=[1])
    with pytest.raises(ValueError, match="predictions need labels"):
        plot_images(np.zeros((2, 4)), predictions=[1, 2])
    with pytest.raises(ValueError, match="ncols"):
        plot_images(np.zeros((2, 4)), ncols=0)
    with pytest.raises(TypeError, match="images must be a numpy array"):
        plot_images([[0, 1, 2, 3]])


def render_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def test_figures_are_deterministic():
    with book_style():
        first = render_png(plot_history(make_history()).figure)
        second = render_png(plot_history(make_history()).figure)
    assert first == second
