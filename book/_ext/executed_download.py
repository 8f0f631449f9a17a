"""Offer each chapter's executed notebook, with its outputs, for download.

The chapters are committed without outputs; the theme's download menu offers that source
(``.ipynb``). The build executes every chapter; this extension writes the executed
notebook into the site as ``_executed/<doc>.ipynb`` and adds it to the download menu of
the page, so a reader can open the chapter with every figure and number in it without
running it.

Where the executed notebook comes from: myst-nb writes ``_build/jupyter_execute/<doc>.ipynb``,
but when the notebook comes from the execution cache (every rebuild) myst-nb 1.4 writes
the notebook *without* outputs there. So the outputs are taken from the jupyter-cache
(``_build/.jupyter_cache``), exactly as myst-nb merges them to render the page.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from sphinx.util import logging

logger = logging.getLogger(__name__)

FOLDER = "_executed"
LABEL = "download-executed-notebook-button"


def _has_outputs(notebook) -> bool:
    return any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def cache_path(app) -> Path:
    """The jupyter-cache myst-nb uses (its default: ``<build>/.jupyter_cache``)."""
    configured = getattr(app.config, "nb_execution_cache_path", "")
    return Path(configured) if configured else Path(app.outdir).parent / ".jupyter_cache"


def executed_notebook(app, docname: str):
    """The executed notebook of ``docname``, or None if it is not an executed notebook."""
    source = Path(app.env.doc2path(docname))
    if source.suffix != ".ipynb":
        return None
    written = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"
    if written.is_file():
        notebook = nbformat.read(written, as_version=4)
        if _has_outputs(notebook):
            return notebook
    if cache_path(app).is_dir():
        from jupyter_cache import get_cache

        try:
            _, notebook = get_cache(cache_path(app)).merge_match_into_notebook(
                nbformat.read(source, as_version=4)
            )
        except KeyError:
            notebook = None
        if notebook is not None and _has_outputs(notebook):
            return notebook
    logger.warning(f"{docname}: no executed notebook with outputs to offer for download")
    return None


def add_download(app, pagename, templatename, context, doctree):
    if app.builder.format != "html" or doctree is None:
        return
    if Path(app.env.doc2path(pagename)).suffix != ".ipynb":
        return
    button = {
        "type": "link",
        "url": f"{context['pathto'](FOLDER, 1)}/{pagename}.ipynb",
        "text": ".ipynb (executed)",
        "tooltip": "Download the notebook with its outputs",
        "icon": "fas fa-book-open",
        "label": LABEL,
    }
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].insert(1, button)
            break
    else:
        context.setdefault("header_buttons", []).append(button)


def write_notebooks(app, exception):
    """Write every chapter's executed notebook into the site (also on a rebuild that
    writes no page: the files must be there whatever changed)."""
    if exception is not None or app.builder.format != "html":
        return
    for docname in sorted(app.env.found_docs):
        if Path(app.env.doc2path(docname)).suffix != ".ipynb":
            continue
        notebook = executed_notebook(app, docname)
        if notebook is None:
            continue
        target = Path(app.outdir) / FOLDER / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)


def setup(app):
    app.connect("build-finished", write_notebooks)
    # After sphinx-book-theme builds the download menu (priority 501).
    app.connect("html-page-context", add_download, priority=600)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
