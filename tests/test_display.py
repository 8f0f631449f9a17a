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
}


def shown_in(chapter: str) -> list[str]:
    """The argument of every ``show_source(...)`` call in a chapter's code cells."""
    import json
    import re
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "book" / f"{chapter}.ipynb"
    cells = json.loads(path.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return re.findall(r"show_source\(([^)]*)\)", code)


@pytest.mark.parametrize("chapter", sorted(CHAPTER_DISPLAYS))
def test_each_chapter_displays_whole_objects_where_it_expects(chapter):
    import scratchdl.models as models
    from scratchdl.models import grnn, kmeans, som

    calls = shown_in(chapter)
    assert not [call for call in calls if "lines=" in call], f"{chapter} shows line ranges"
    assert sorted(calls) == sorted(CHAPTER_DISPLAYS[chapter]), chapter
    namespace = {**vars(models), **vars(som), **vars(kmeans), **vars(grnn)}
    for expression, first_line in CHAPTER_DISPLAYS[chapter].items():
        obj = eval(expression, namespace)  # a dotted name from the table above
        assert show_source(obj).code.startswith(first_line), expression
