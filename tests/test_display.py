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
