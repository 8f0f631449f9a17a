"""Checks of the built site in _build/html, read as files.

They run after `make book` (which `make test` does first): every page of the table of
contents exists, no page shows an error, a traceback or anything written to stderr, every
image a page references exists, has alt text of its own and sits in a numbered, captioned
figure, every internal link and anchor resolves, each chapter offers its executed
notebook for download, and no page loads a script or stylesheet from another host —
MathJax in particular comes from the site's own _static folder. The site conventions of
issue 10 are checked too: one search field per page, bibliography labels in the
author-year form the text cites, an intro whose chapter map links exactly the chapters
that exist, a footer pointing to the appendix on how the book checks itself, and each
chapter's shape (objectives, summary, one solution toggle per exercise, no bold glued
number). `tests/test_browser.py` checks the same site in a real browser.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests.site import HTML, ROOT, require_build, toc_files

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


class _Links(HTMLParser):
    """Every href/src of one page, and every id (or name) anchors can point at."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append(attrs[key])
        for key in ("id", "name"):
            if attrs.get(key) and (key == "id" or tag == "a"):
                self.ids.add(attrs[key])


def _site_pages() -> list[Path]:
    """Every HTML page of the site (not the theme's or MathJax's own assets)."""
    skip = {"_static", "_sources", "_images", "_executed"}
    return sorted(
        p for p in HTML.rglob("*.html") if not skip & set(p.relative_to(HTML).parts)
    )


def test_every_internal_link_resolves():
    """Each local href/src of each page names a file of the site, and each #anchor into
    one of the site's pages names an element there."""
    require_build()
    parsed: dict[Path, _Links] = {}

    def links_of(page: Path) -> _Links:
        if page not in parsed:
            parsed[page] = _Links()
            parsed[page].feed(page.read_text(encoding="utf-8"))
        return parsed[page]

    pages = _site_pages()
    assert len(pages) >= len(toc_files())
    broken = []
    for page in pages:
        for link in links_of(page).links:
            url = urlparse(link)
            if url.scheme or link.startswith("//"):
                continue  # another host or mailto:/javascript:/data:; not ours to resolve
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            if target.is_dir():
                target = target / "index.html"
            name = page.relative_to(HTML)
            if not target.is_file():
                broken.append(f"{name}: {link} (no file)")
            elif url.fragment and target.suffix == ".html" and HTML in target.parents:
                if unquote(url.fragment) not in links_of(target).ids:
                    broken.append(f"{name}: {link} (no anchor)")
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken[:30])


@pytest.mark.parametrize("document", toc_files())
def test_every_image_has_alt_text(document):
    """Alt text is written for each figure in its cell's metadata (mystnb image alt);
    book/_ext/figure_alt.py fails the build on a figure without it."""
    require_build()
    path = HTML / f"{document}.html"
    text = path.read_text(encoding="utf-8")
    for tag in re.findall(r"<img\b[^>]*>", text):
        alt = re.search(r'\balt="([^"]*)"', tag)
        src = re.search(r'\bsrc="([^"]*)"', tag)
        assert alt and alt.group(1).strip(), f"{document}: image without alt text: {tag}"
        assert src is None or alt.group(1) != src.group(1), (
            f"{document}: image whose alt text is its file name: {tag}"
        )


@pytest.mark.parametrize("chapter", [f for f in toc_files() if (ROOT / f"{f}.ipynb").exists()])
def test_chapter_offers_executed_notebook(chapter):
    """Each chapter links to its executed notebook (with outputs) and to its source."""
    require_build()
    page = HTML / f"{chapter}.html"
    text = page.read_text(encoding="utf-8")
    executed = HTML / "_executed" / f"{chapter}.ipynb"
    assert executed.is_file(), f"{executed} was not copied into the site"
    href = os.path.relpath(executed, page.parent)
    assert f'href="{href}"' in text, f"{chapter} does not link to {href}"
    notebook = json.loads(executed.read_text(encoding="utf-8"))
    outputs = [c for c in notebook["cells"] if c["cell_type"] == "code" and c.get("outputs")]
    assert outputs, f"{executed} has no outputs"
    source = os.path.relpath(HTML / "_sources" / f"{chapter}.ipynb", page.parent)
    assert f'href="{source}"' in text, f"{chapter} does not offer its source {source}"


@pytest.mark.parametrize("document", toc_files())
def test_every_figure_is_numbered_and_captioned(document):
    """Each image of a page sits in a <figure> with an id (the target of {numref}) and a
    numbered caption, and its alt text is its own, not derived from the prose
    (book/_ext/figure_alt.py fails the build on a miss; this checks the result)."""
    require_build()
    text = (HTML / f"{document}.html").read_text(encoding="utf-8")
    figures = re.findall(r"<figure\b[^>]*>.*?</figure>", text, flags=re.S)
    images_in_figures = sum(len(re.findall(r"<img\b", f)) for f in figures)
    assert images_in_figures == len(re.findall(r"<img\b", text)), (
        f"{document}: an image outside a numbered figure")
    for figure in figures:
        assert re.search(r'<figure\b[^>]*\bid="[^"]+"', figure), (
            f"{document}: a figure without a name: {figure[:200]}")
        assert 'class="caption-number"' in figure, (
            f"{document}: a figure without a numbered caption: {figure[:200]}")
        for alt in re.findall(r'<img\b[^>]*\balt="([^"]*)"', figure):
            assert not alt.startswith("Figure: "), (
                f"{document}: alt text derived from the prose: {alt!r}")


def test_bibliography_labels_are_author_year():
    """Entries are labelled as the text cites them ("Glorot and Bengio 2010"), not with
    codes ("GB10") a reader cannot match to "Glorot and Bengio (2010)"."""
    require_build()
    text = (HTML / "book" / "bibliography.html").read_text(encoding="utf-8")
    labels = re.findall(r'class="label"><span class="fn-bracket">\[</span>'
                        r'(?:<a[^>]*>)?([^<]+)', text)
    assert labels, "the bibliography has no labelled entries"
    pattern = re.compile(r"^\S.* (\d{4}[a-z]?|n\.d\.)$")
    bad = [label for label in labels if not pattern.match(label)]
    assert not bad, f"bibliography labels not in author-year form: {bad[:10]}"
    assert len(set(labels)) == len(labels), "two bibliography entries share a label"


@pytest.mark.parametrize("document", toc_files())
def test_one_search_box(document):
    """One search field per page (the sidebar's); the page header keeps only the
    magnifier button that opens the same dialog on narrow screens."""
    require_build()
    text = (HTML / f"{document}.html").read_text(encoding="utf-8")
    fields = re.findall(r'<button[^>]*class="[^"]*\bsearch-button-field\b', text)
    assert len(fields) == 1, f"{document} has {len(fields)} search fields"


def test_intro_chapter_map_links_exactly_the_chapters_that_exist():
    """The built intro's chapter table links every chapter page of the table of contents
    and marks every other row "in preparation" (book/_ext/chapter_map.py)."""
    require_build()
    html = (HTML / "book" / "intro.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr[^>]*>\s*<td[^>]*><p>(\d+)</p></td>(.*?)</tr>", html, flags=re.S)
    assert len(rows) == 11, f"the intro's chapter table has {len(rows)} rows, expected 11"
    toc_chapters = {f.split("/")[-1] for f in toc_files() if f.split("/")[-1][:2].isdigit()}
    linked = set()
    for number, row in rows:
        targets = set(re.findall(r'href="(\d\d[^".#]*)\.html', row))
        linked |= targets
        assert bool(targets) != ("in preparation" in row), (
            f"intro row {number} must either link its chapter or say it is in preparation")
        assert all(t.startswith(f"{int(number):02d}") for t in targets), (number, targets)
    assert linked == toc_chapters, (
        f"intro links {sorted(linked)}, the table of contents has {sorted(toc_chapters)}")


def test_chapter_map_links_rows_of_existing_chapters():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "chapter_map", ROOT / "book" / "_ext" / "chapter_map.py")
    chapter_map = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(chapter_map)
    chapters = chapter_map.chapter_docs(["book/intro", "book/08_gnn", "book/01_mlp",
                                         "book/01b_training"])
    assert chapters == {1: ["book/01_mlp", "book/01b_training"], 8: ["book/08_gnn"]}
    table = ("| 1 | {doc}`MLP <01_mlp>` | a |\n| 8 | Graph neural network | b |\n"
             "| 9 | Deep belief network | c |\n")
    assert chapter_map.link_rows(table, chapters) == (
        "| 1 | {doc}`MLP <01_mlp>` | a |\n"
        "| 8 | {doc}`Graph neural network <08_gnn>` | b |\n"
        "| 9 | Deep belief network *(in preparation)* | c |\n")


def test_footer_points_to_how_the_book_checks_itself():
    require_build()
    text = (HTML / "book" / "intro.html").read_text(encoding="utf-8")
    assert 'href="build_report.html"' in text and "How this book checks itself" in text


def _chapter_markdown(chapter: str) -> str:
    cells = json.loads((ROOT / f"{chapter}.ipynb").read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


_CHAPTERS = [f for f in toc_files() if (ROOT / f"{f}.ipynb").exists()]


@pytest.mark.parametrize("chapter", _CHAPTERS)
def test_chapter_shape(chapter):
    """Learning objectives at the top, a summary at the end, glued numbers not bold, and
    one solution toggle per exercise (DESIGN.md, chapter standards)."""
    text = _chapter_markdown(chapter)
    objectives = re.search(r"(?i)you will be able to|after this (chapter|page) you|"
                           r"learning objectives", text[:6000])
    assert objectives, f"{chapter}: no learning objectives at the top"
    assert re.search(r"^## Summary", text, flags=re.M), f"{chapter}: no summary"
    bold = re.findall(r"\*\*[^*\n]*\{glue:text\}`[^`]+`[^*\n]*\*\*", text)
    assert not bold, f"{chapter}: glued numbers in bold: {bold[:3]}"
    if "## Exercises" in text:
        exercises = text.split("## Exercises", 1)[1].split("\n## ", 1)[0]
        questions = re.sub(r"^(:::+|```+)\{admonition\}.*?^\1\s*$", "", exercises,
                           flags=re.M | re.S)
        numbered = re.findall(r"^(?:\*\*)?\d+\. ?", questions, flags=re.M)
        toggles = re.findall(r"^:::\{admonition\}|^```\{admonition\}", exercises, flags=re.M)
        assert len(toggles) == len(numbered), (
            f"{chapter}: {len(numbered)} exercises but {len(toggles)} solution toggles")
