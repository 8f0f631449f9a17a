"""Checks of the built site in _build/html, read as files.

They run after `make book` (which `make test` does first): every page of the table of
contents exists, no page shows an error, a traceback or anything written to stderr, every
image a page references exists, and no page loads a script or stylesheet from another
host — MathJax in particular comes from the site's own _static folder.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests.site import HTML, require_build, toc_files

pytestmark = pytest.mark.site


class _Page(HTMLParser):
    """Collects what the checks need from one HTML page."""

    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.images: list[str] = []
        self.classes: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        if tag == "link" and "stylesheet" in (attrs.get("rel") or ""):
            self.stylesheets.append(attrs.get("href", ""))
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if attrs.get("class"):
            self.classes.append(attrs["class"])


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _pages() -> list[Path]:
    return [HTML / f"{name}.html" for name in toc_files()]


def _is_remote(url: str) -> bool:
    parsed = urlparse(url)
    return bool(parsed.scheme in ("http", "https") or url.startswith("//"))


@pytest.mark.parametrize("document", toc_files())
def test_every_toc_page_is_built(document):
    require_build()
    page = HTML / f"{document}.html"
    assert page.is_file(), f"{document} is in _toc.yml but {page} was not built"


@pytest.mark.parametrize("document", toc_files())
def test_page_shows_no_error_or_stderr(document):
    require_build()
    page = _parse(HTML / f"{document}.html")
    bad = [c for c in page.classes if any(w in c.split() for w in ("traceback", "stderr", "error"))]
    assert not bad, f"{document} shows error/stderr output blocks: {bad[:5]}"
    text = (HTML / f"{document}.html").read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" not in text


@pytest.mark.parametrize("document", toc_files())
def test_every_image_exists(document):
    require_build()
    path = HTML / f"{document}.html"
    for src in _parse(path).images:
        if src.startswith("data:"):
            continue
        assert not _is_remote(src), f"{document} loads an image from another host: {src}"
        target = (path.parent / unquote(urlparse(src).path)).resolve()
        assert target.is_file(), f"{document} references a missing image {src}"


@pytest.mark.parametrize("document", toc_files())
def test_no_script_or_stylesheet_from_a_cdn(document):
    require_build()
    page = _parse(HTML / f"{document}.html")
    remote = [u for u in page.scripts + page.stylesheets if _is_remote(u)]
    assert not remote, f"{document} loads from another host: {remote}"


def test_mathjax_is_served_by_the_site():
    require_build()
    page = _parse(HTML / "book" / "notation.html")
    mathjax = [s for s in page.scripts if "mathjax" in s.lower()]
    assert mathjax, "the notation page (full of math) loads no MathJax script"
    for src in mathjax:
        target = (HTML / "book" / urlparse(src).path).resolve()
        assert target.is_file() and target.stat().st_size > 100_000, (
            f"MathJax script {src} is not a full local copy"
        )


def test_chapters_show_figures():
    require_build()
    for document in toc_files():
        if document.split("/")[-1][:2].isdigit():
            images = _parse(HTML / f"{document}.html").images
            assert images, f"chapter {document} shows no figure"


def test_bibliography_lists_cited_papers():
    require_build()
    text = (HTML / "book" / "bibliography.html").read_text(encoding="utf-8")
    assert "Learning representations by back-propagating errors" in text
