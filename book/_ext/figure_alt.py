"""Every figure is numbered, captioned and has alt text written for it; the build says
which one is not.

A chapter draws a figure in a code cell and describes it in that cell's metadata::

    "mystnb": {"figure": {"name": "fig-01-graph", "caption": "The computational graph ..."},
               "image": {"alt": "Five boxes in a row joined by solid arrows ..."}}

myst-nb then wraps the image in a numbered figure with that caption (referred to in the
prose as ``{numref}`fig-01-graph```) and gives the image that alt text. The alt text
describes the picture itself — what is drawn, what the axes show — for a reader who cannot
see it; it is never derived from the surrounding prose (a sentence such as "We measure
it." says nothing about a figure).

This extension checks, after the pages are read, that every image of the book has alt
text of its own (not empty, not its file name) and sits in a captioned, named figure.
Each miss is a Sphinx warning naming the page and the image, so the strict build
(``-W``) fails on it:

- ``figure_alt.missing``: an image without alt text;
- ``figure_alt.uncaptioned``: an image that is not in a numbered figure with a caption.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

HOW = ('set it in the metadata of the cell that draws it: "mystnb": {"figure": {"name": '
       '"fig-...", "caption": "..."}, "image": {"alt": "..."}}')


def _figure(node):
    while node is not None:
        if isinstance(node, nodes.figure):
            return node
        node = node.parent
    return None


def _describe(node) -> str:
    uri = node.get("uri", "")
    return uri.rsplit("/", 1)[-1] if uri else "an image"


def check_figures(app, doctree, docname):
    for image in doctree.findall(nodes.image):
        alt = " ".join(image.get("alt", "").split())
        uri = image.get("uri", "")
        if not alt or alt == uri or alt == uri.rsplit("/", 1)[-1]:
            logger.warning(f"figure without alt text ({_describe(image)}): {HOW}",
                           location=image, type="figure_alt", subtype="missing")
        figure = _figure(image)
        has_caption = figure is not None and any(
            isinstance(child, nodes.caption) and child.astext().strip()
            for child in figure.children)
        if not has_caption or not figure.get("ids"):
            logger.warning(f"figure without number and caption ({_describe(image)}): {HOW}",
                           location=image, type="figure_alt", subtype="uncaptioned")


def setup(app):
    app.connect("doctree-read", lambda app, doctree: check_figures(app, doctree, app.env.docname))
    # env_version: bump it when the checks change, so that Sphinx re-reads every page.
    return {
        "version": "2.0",
        "env_version": 4,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
