"""scratchdl.display.show_source: the package's code as a chapter shows it."""

from __future__ import annotations

import functools
import inspect

import pytest

from scratchdl.data import StandardScaler, make_moons
from scratchdl.display import Source, show_source
from scratchdl.nn.container import Sequential
from scratchdl.nn.module import Module


def fenced_code(markdown: str) -> str:
    """The text between the opening and closing fence of a markdown block."""
    body = markdown.split("\n", 2)[2]  # skip the heading line and the blank line
    fence_line, rest = body.split("\n", 1)
    fence = fence_line.removesuffix("python")
    assert rest.endswith(f"\n{fence}\n")
    return rest[: -len(fence) - 2]


def test_function_source_as_markdown_and_plain_text():
    shown = show_source(make_moons)
    assert isinstance(shown, Source)
    markdown = shown._repr_markdown_()
    heading = markdown.splitlines()[0]
    assert "`make_moons`" in heading and "`scratchdl/data/synthetic.py`" in heading
    assert markdown.splitlines()[2] == "```python"
    assert fenced_code(markdown) == inspect.getsource(make_moons).rstrip("\n")
    assert repr(shown) == str(shown) == shown.code
    assert shown.code.startswith("def make_moons(")


def test_method_is_dedented_and_located():
    shown = show_source(Sequential.backward)
    assert shown.name == "Sequential.backward"
    assert shown.path == "scratchdl/nn/container.py"
    assert shown.code.startswith("def backward(self, dout):")
    lines, first = inspect.getsourcelines(Sequential.backward)
    assert (shown.first_line, shown.last_line) == (first, first + len(lines) - 1)
    assert f"lines {first}–{first + len(lines) - 1}" in shown._repr_markdown_()
    # A bound method shows the same code.
    assert show_source(Sequential().backward).code == shown.code


def test_class_property_and_decorated_function():
    assert show_source(StandardScaler).code.startswith("class StandardScaler:")
    params = show_source(Module.params)
    assert params.code.startswith("@property\ndef params(self)")
    assert params.name == "Module.params"

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            return fn(*args)

        return wrapper

    @decorator
    def decorated(x):
        return x + 1

    assert "return x + 1" in show_source(decorated).code
    assert show_source(decorated).path == "tests/test_display.py"


def test_lines_selects_part_of_the_object():
    full = show_source(Module.load_state_dict)
    part = show_source(Module.load_state_dict, lines=(2, 4))
    assert part.code.splitlines() == [
        line.removeprefix("    ") for line in full.code.splitlines()[1:4]
    ]
    assert part.first_line == full.first_line + 1 and part.last_line == full.first_line + 3
    assert not part.code.startswith(" "), "a slice of a body is dedented too"


def with_backticks():
    """Example with a fenced block inside the docstring.

    ```python
    x = 1
    ```
    """
    return "````"


def test_fence_is_longer_than_backticks_in_the_code():
    markdown = show_source(with_backticks)._repr_markdown_()
    assert markdown.splitlines()[2] == "`````python"
    assert markdown.endswith("\n`````\n")
    assert fenced_code(markdown) == show_source(with_backticks).code


@pytest.mark.parametrize("lines", [(0, 2), (3, 2), (1, 10_000), (1,), [1, 2], (1.0, 2)])
def test_bad_lines(lines):
    with pytest.raises(ValueError, match="lines must be a pair"):
        show_source(make_moons, lines=lines)


@pytest.mark.parametrize("obj", [len, 3, "make_moons"])
def test_objects_without_python_source(obj):
    with pytest.raises(TypeError, match="show_source needs a Python class"):
        show_source(obj)


def test_a_whole_module():
    import scratchdl.metrics

    shown = show_source(scratchdl.metrics)
    assert shown.path == "scratchdl/metrics.py" and shown.first_line == 1
    assert shown.name == "scratchdl.metrics"
    assert shown.code == inspect.getsource(scratchdl.metrics).rstrip("\n")


def test_a_layer_method_as_a_chapter_shows_it():
    from scratchdl.nn import Linear

    shown = show_source(Linear.backward)
    assert shown.name == "Linear.backward" and shown.path == "scratchdl/nn/linear.py"
    assert shown.code.startswith("def backward(self")
    assert "**`Linear.backward`** in `scratchdl/nn/linear.py`" in shown._repr_markdown_()


# ---------------------------------------------------------- what the chapters display
# Each chapter's show_source calls, pinned: the object each one displays and the line its
# source must begin with, so a moved or renamed function cannot silently change what the
# reader sees. No chapter selects lines by offset.
CHAPTER_DISPLAYS = {
    "01_mlp": {
        "nn.Linear.forward": "def forward(self, x):",
        "nn.Linear.backward": "def backward(self, dout):",
        "nn.Tanh.backward": "def backward(self, dout):",
        "nn.ReLU.backward": "def backward(self, dout):",
        "CrossEntropyLoss.forward": "def forward(self, logits, target) -> float:",
        "CrossEntropyLoss.backward": "def backward(self):",
        "nn.Sequential.backward": "def backward(self, dout):",
        "train_step": "def train_step(model, loss_fn, optimizer, x, y):",
    },
    "01b_training": {
        "nn.BatchNorm1d.backward": "def backward(self, dout):",
        "optim.Adam._adam_update": "def _adam_update(self, param, grad, state):",
    },
    "02_som": {
        "SOM._train_online": "def _train_online(self, X, weights, order, positions, sigmas,",
        "neighborhood": 'def neighborhood(squared_distance, sigma, function="gaussian")',
        "SOM._train_batch": "def _train_batch(self, X, weights, positions, sigmas, rates)",
        "lloyd_step": "def lloyd_step(X, centers):",
    },
    "03_semi_supervised": {
        "LabelPropagation._step": "def _step(self, T, F, Y0, labeled):",
        "LabelPropagation._closed_form": "def _closed_form(self, T, Y0, labeled):",
        "LabelSpreading._graph": "def _graph(self, X):",
        "LabelSpreading._step": "def _step(self, S, F, Y0, labeled):",
        "SelfTrainingClassifier._pseudo_label": "def _pseudo_label(self, model, X, target):",
    },
    "04_grnn": {
        "pattern_layer": "def pattern_layer(X_query, X_train, sigma, exclude_self=False):",
        "GRNN.predict": "def predict(self, X):",
        "loo_squared_errors": "def loo_squared_errors(X, Y, held_out, sigmas):",
    },
    "05_rnn": {
        "nn.RNN._scan": "def _scan(self, x_proj, h0, w_hh, b_hh):",
        "nn.RNN._scan_backward": "def _scan_backward(self, dh_out, dh_T, hs, w_hh):",
        "RNNBase._backward": "def _backward(self, dout, final_grads):",
        "nn.clip_grad_norm_": "def clip_grad_norm_(module, max_norm, norm_type=2.0) -> float:",
    },
    "06_lstm": {
        "nn.LSTM._scan": "def _scan(self, x_proj, h0, c0, w_hh, b_hh):",
        "nn.LSTM._scan_backward": "def _scan_backward(self, dh_out, dh_T, dc_T, hs, cs, gates, c0,",
    },
    "07_cnn": {
        "sliding_windows": "def sliding_windows(x, kernel_size, stride, dilation):",
        "im2col": "def im2col(x, kernel_size, stride, padding, dilation):",
        "fold": "def fold(piece, shape, kernel_size, stride, padding, dilation, dtype):",
        "col2im": "def col2im(cols, x_shape, kernel_size, stride, padding, dilation):",
        "_ConvNd.forward": "def forward(self, x):",
        "_ConvNd.backward": "def backward(self, dout):",
        "_MaxPoolNd.backward": "def backward(self, dout):",
    },
    "08_gnn": {
        "graph.gcn_norm": "def gcn_norm(edge_index, edge_weight=None, num_nodes=None,",
        "graph.spmm": "def spmm(edge_index, edge_weight, x, num_nodes: int):",
        "GCNConv.forward": "def forward(self, x, edge_index, edge_weight=None):",
        "GCNConv.propagate": "def propagate(self, h, edge_index, edge_weight=None):",
        "GCNConv.propagate_backward": "def propagate_backward(self, dout):",
        "GCNConv.backward": "def backward(self, dout):",
        "graph.edge_softmax_backward": "def edge_softmax_backward(alpha, dalpha, index,",
        "GATConv.attend_backward": "def attend_backward(self, dout):",
        "train_node_classifier": "def train_node_classifier(model, x, edge_index, y,",
    },
    "09_dbn": {
        "BernoulliRBM.free_energy": "def free_energy(self, V):",
        "BernoulliRBM._gradient_estimate": "def _gradient_estimate(self, v_pos, rng):",
        "BernoulliRBM._ais": "@staticmethod",
        "DBN.to_network": "def to_network(self, n_outputs=None, *, rng=None):",
    },
    "10_gan": {
        "discriminator_loss": "def discriminator_loss(real_scores, fake_scores):",
        "GAN.generator_step": "def generator_step(self, n: int):",
    },
    "11_transformer": {
        "scaled_dot_product_attention": "def scaled_dot_product_attention(Q, K, V, mask=None):",
        "scaled_dot_product_attention_backward":
            "def scaled_dot_product_attention_backward(dO, Q, K, V, A, keep=None):",
        "nn.MultiheadAttention._project": "def _project(self, query, key, value):",
        "nn.MultiheadAttention._split": "def _split(self, x):",
        "nn.LayerNorm.backward": "def backward(self, dout):",
        "_TransformerLayer._residual_forward": "def _residual_forward(self, norm, f, x):",
        "_TransformerLayer._residual_backward":
            "def _residual_backward(self, norm, f_backward, dy):",
    },
}


def _chapter(chapter: str):
    """The code of a chapter's code cells, and a namespace holding what they import."""
    import ast
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "book" / f"{chapter}.ipynb"
    cells = json.loads(path.read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    namespace = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:  # the install cell's %pip line is IPython, not Python
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                exec(compile(ast.Module([node], []), chapter, "exec"), namespace)
    return "\n".join(sources), namespace


def test_every_chapter_is_pinned():
    from tests.site import chapter_names

    assert sorted(CHAPTER_DISPLAYS) == sorted(chapter_names())


@pytest.mark.parametrize("chapter", sorted(CHAPTER_DISPLAYS))
def test_each_chapter_displays_whole_objects_where_it_expects(chapter):
    import re

    code, namespace = _chapter(chapter)
    calls = re.findall(r"show_source\(([^)]*)\)", code)
    assert not [call for call in calls if "lines=" in call], f"{chapter} shows line ranges"
    assert sorted(calls) == sorted(CHAPTER_DISPLAYS[chapter]), chapter
    for expression, first_line in CHAPTER_DISPLAYS[chapter].items():
        obj = eval(expression, namespace)  # a dotted name the chapter imports
        assert show_source(obj).code.startswith(first_line), expression
