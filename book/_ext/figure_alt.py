"""Give every figure a notebook cell draws an alt text.

A figure a chapter draws with matplotlib becomes an image in the cell's output, and
without further help Sphinx uses the image's file name as its alt text. Where a cell sets
the alt text itself (cell metadata ``mystnb: image: alt: ...``, which myst-nb honours),
that text is kept. Otherwise the figure is described by the prose that introduces it:
the first sentence of the last paragraph before the cell, as "Figure: <sentence>". A
screen reader then says what the figure is about instead of reading a hash.
"""

from __future__ import annotations

import re

from docutils import nodes

MAX_LENGTH = 200
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s")


def _in_cell(node) -> bool:
    while node is not None:
        if isinstance(node, nodes.container) and "cell" in node.get("classes", []):
            return True
        node = node.parent
    return False


def _prose(paragraph) -> str:
    return " ".join(paragraph.astext().split())


def _first_sentences(text: str) -> str:
    """Whole sentences from the start of ``text``, as many as fit in MAX_LENGTH."""
    sentences = _SENTENCE_END.split(text)
    chosen = sentences[0]
    for sentence in sentences[1:]:
        if len(chosen) + 1 + len(sentence) > MAX_LENGTH:
            break
        chosen = f"{chosen} {sentence}"
    if len(chosen) > MAX_LENGTH:
        chosen = chosen[: MAX_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    return chosen


def describe(text: str) -> str:
    """The alt text for a figure introduced by the paragraph ``text``."""
    sentence = _first_sentences(" ".join(text.split()))
    return f"Figure: {sentence}" if sentence else "Figure drawn by the code cell above"


def add_alt_text(app, doctree, docname):
    last_paragraph = ""
    for node in doctree.findall(lambda n: isinstance(n, (nodes.paragraph, nodes.image))):
        if isinstance(node, nodes.paragraph):
            if not _in_cell(node):
                last_paragraph = _prose(node)
            continue
        alt = node.get("alt", "")
        if alt and alt != node.get("uri"):
            continue
        node["alt"] = describe(last_paragraph)


def setup(app):
    # After cross-references are resolved, so that the prose reads as on the page
    # (equation numbers, "Author (year)") rather than as reference targets.
    app.connect("doctree-resolved", add_alt_text)
    # env_version: bump it when the alt text changes, so that Sphinx re-reads every page.
    return {
        "version": "1.0",
        "env_version": 3,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
