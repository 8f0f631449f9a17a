"""A chapter run twice prints the same numbers.

Each chapter is executed again here (nbclient, in the notebook's own folder, as the build
does) and its outputs are compared with the executed notebook the build published
(``_build/html/_executed/<chapter>.ipynb``, which book/_ext/executed_download.py takes
from the build's execution cache): everything printed (stdout and stderr) and every
``text/plain`` result. Its glued values are compared with the ones the build recorded
(``_build/jupyter_execute/book/<chapter>.glue.json``, what the prose shows; the published
notebook holds no glue outputs). Ignored: images (their bytes are not numbers the text
quotes), timings and memory addresses, and the glued values a claims module lists in
``TIMINGS`` (measured times, held to a range by their claims). Identical means identical:
a chapter whose numbers move between runs has a randomness leak.
"""

from __future__ import annotations

import json
import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

from tests.claims import timing_names
from tests.site import BUILD, HTML, ROOT, chapter_names, require_build

_VOLATILE = [
    (re.compile(r"\b0x[0-9a-fA-F]+"), "0x…"),  # memory addresses in reprs
    # a duration, with the padding that aligns it in a column (its width varies with it)
    (re.compile(r" *\d+(\.\d+)?\s*(ns|µs|us|ms|s|sec|seconds|min)\b"), " <time>"),
    (re.compile(r"\d+(\.\d+)?\s*(it/s|s/it)\b"), "<rate>"),
]


def _normalise(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _plain_text(output) -> str | None:
    """An output's text/plain; glue stores it under papermill's prefixed MIME type."""
    data = output.get("data", {})
    for key in ("text/plain", "application/papermill.record/text/plain"):
        if key in data:
            return "".join(data[key])
    return None


def numeric_outputs(notebook) -> list[tuple[int, str, str]]:
    """(cell index, kind, normalised text) of every printed and ``text/plain`` output, in
    order; glued values are not among them (see :func:`glued_text`)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                # How a stream is split into outputs depends on timing: join the pieces.
                name, text = output.get("name", "stream"), "".join(output["text"])
                if found and found[-1][:2] == (index, name):
                    text = found.pop()[2] + text
                found.append((index, name, text))
            elif kind in ("execute_result", "display_data"):
                text = _plain_text(output)
                if text is not None and "scrapbook" not in output.get("metadata", {}):
                    found.append((index, "text/plain", text))
            elif kind == "error":
                found.append((index, "error", output.get("ename", "")))
    return [(index, kind, _normalise(text)) for index, kind, text in found]


def glued_text(notebook, skip=frozenset()) -> dict[str, str]:
    """``{name: text}`` of every value an executed notebook glues, but those in ``skip``."""
    glued = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None and name not in skip:
                glued[name] = _plain_text(output)
    return glued


def _kernel_env() -> dict[str, str]:
    """The kernel's environment as in the build: conftest.py sets MPLBACKEND=Agg for the
    tests, which would stop the kernel from displaying figures (and their outputs)."""
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    return env


@pytest.mark.notebook
@pytest.mark.parametrize("chapter", chapter_names())
def test_chapter_reproduces_the_built_numbers(chapter):
    require_build()
    published = HTML / "_executed" / "book" / f"{chapter}.ipynb"
    assert published.is_file(), f"the build did not publish {published}"
    timings = frozenset(timing_names().get(chapter, ()))
    built = numeric_outputs(nbformat.read(published, as_version=4))
    assert built, f"{published} has no outputs to compare"

    source = ROOT / "book" / f"{chapter}.ipynb"
    notebook = nbformat.read(source, as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(source.parent)}},
    ).execute(env=_kernel_env())
    again = numeric_outputs(notebook)

    differences = [
        f"output {n}:\n  built: {b!r}\n  again: {a!r}"
        for n, (b, a) in enumerate(zip(built, again, strict=False))
        if b != a
    ]
    assert not differences, f"{chapter} printed other output when run again:\n" + "\n".join(
        differences[:5]
    )
    assert len(again) == len(built), (
        f"{chapter}: {len(built)} outputs when built, {len(again)} when run again"
    )
    recorded = json.loads((BUILD / "jupyter_execute" / "book" / f"{chapter}.glue.json")
                          .read_text())
    built_glue = {name: _plain_text(output) for name, output in recorded.items()
                  if name not in timings}
    again_glue = glued_text(notebook, timings)
    moved = [f"{name}: built {built_glue.get(name)!r}, again {again_glue.get(name)!r}"
             for name in sorted(set(built_glue) | set(again_glue))
             if built_glue.get(name) != again_glue.get(name)]
    assert not moved, f"{chapter} glued other values when run again:\n" + "\n".join(moved[:5])


def test_glued_values_are_read_and_listed_timings_are_not():
    """Glue keeps its value under papermill's MIME type in a notebook: it must be read."""
    glue = {"output_type": "display_data", "metadata": {"scrapbook": {"name": "acc"}},
            "data": {"application/papermill.record/text/plain": "0.97"}}
    timing = {"output_type": "display_data", "metadata": {"scrapbook": {"name": "t"}},
              "data": {"application/papermill.record/text/plain": "4.05"}}
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.from_dict(glue), nbformat.from_dict(timing)])])
    assert glued_text(notebook, frozenset({"t"})) == {"acc": "0.97"}
    assert numeric_outputs(notebook) == []
