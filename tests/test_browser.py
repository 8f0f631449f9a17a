"""The built site, opened in a real headless Chromium.

`tests/test_site.py` reads the HTML as files; this module checks what a reader actually
sees. The built site (`_build/html`, or `$SCRATCHDL_BUILD_DIR/html`) is served from a thread
on 127.0.0.1 at a free port, and every page of the table of contents, plus the search and
index pages, is opened in Debian's Chromium driven by Playwright (which uses the system
browser: it never downloads one). On each page:

- no console error and no uncaught exception;
- every ``<img>`` is decoded (``complete`` and ``naturalWidth > 0``) and has alt text;
- every math element was typeset by the site's own MathJax: the page waits for
  ``MathJax.startup.promise``, then each ``.math`` element must hold an ``mjx-container``
  and no raw TeX delimiters;
- no request leaves localhost: every request is recorded, and any to another host is
  aborted and fails the test (the browser is also told that no other host resolves);

and the search page, asked for "backpropagation", lists at least one result.

On a machine without Chromium (or Playwright) the tests skip with a reason saying how to
get it; in CI (strict mode) they fail instead. `.ci/run` installs Chromium with apt-get.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.site import HTML, require_build, strict, toc_files

pytestmark = pytest.mark.site

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Local schemes a page may use without touching the network.
LOCAL_SCHEMES = {"data", "blob", "about"}

# Without the background-networking flags Chromium tries to reach Google on start-up.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    # Belt and braces: no host but localhost resolves, whatever the page asks for.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]

# Page-load and MathJax budget per page, in milliseconds.
TIMEOUT_MS = 60_000


def _unavailable(message: str):
    if strict():
        pytest.fail(message)
    pytest.skip(message)


def _chromium() -> str | None:
    candidate = os.environ.get("SCRATCHDL_CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium"
    )
    return candidate if candidate and Path(candidate).is_file() else None


def browser_pages() -> list[str]:
    """Every page the browser test opens, relative to the site root."""
    pages = [f"{document}.html" for document in toc_files()]
    pages.append("search.html")
    pages.append("genindex.html")
    return pages


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def site_url():
    require_build()
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    chromium = _chromium()
    if chromium is None:
        _unavailable(
            "Chromium is not installed: `apt-get install chromium` (Debian/Ubuntu) or set "
            "SCRATCHDL_CHROMIUM to a Chromium/Chrome executable"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed: `pip install -r requirements.txt`")
    with sync_playwright() as playwright:
        # Playwright starts Chromium with a fresh temporary --user-data-dir of its own.
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            browser.close()


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in LOCAL_SCHEMES:
        return True
    return parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname in LOCAL_HOSTS


class _Visit:
    """Opens one page and records what happens on it."""

    def __init__(self, browser, url: str):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.remote: list[str] = []
        # A fresh context per page: empty storage and cache, as a first-time reader.
        self.context = browser.new_context(service_workers="block")
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.goto(url, wait_until="load")

    def _route(self, route):
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            self.remote.append(url)
            route.abort("blockedbyclient")

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def _failed(self, request):
        if _is_local(request.url):
            self.errors.append(f"request failed: {request.url}: {request.failure}")

    def _response(self, response):
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def close(self):
        self.context.close()


@pytest.fixture
def visit(site_url, browser):
    opened = []

    def _open(path: str) -> _Visit:
        page = _Visit(browser, f"{site_url}/{path}")
        opened.append(page)
        return page

    yield _open
    for page in opened:
        page.close()


# Runs in the page: typeset math, decoded images, raw TeX left over.
_INSPECT = """
async () => {
  const maths = Array.from(document.querySelectorAll('.math'));
  let mathjax = 'none';
  if (maths.length) {
    const start = Date.now();
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
      if (Date.now() - start > TIMEOUT_MS) break;
      await new Promise(r => setTimeout(r, 50));
    }
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      await MathJax.startup.promise;
      mathjax = MathJax.version || 'unknown';
    }
  }
  const untypeset = [];
  for (const el of maths) {
    const raw = Array.from(el.childNodes)
      .filter(n => n.nodeType === Node.TEXT_NODE)
      .map(n => n.textContent).join('');
    if (!el.querySelector('mjx-container') || /\\\\[(\\[]|\\$\\$/.test(raw)) {
      untypeset.push(el.textContent.slice(0, 80));
    }
  }
  const images = Array.from(document.images);
  for (const img of images) { img.loading = 'eager'; }
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  const broken = images
    .filter(img => !(img.complete && img.naturalWidth > 0))
    .map(img => img.getAttribute('src'));
  const noAlt = images
    .filter(img => !(img.getAttribute('alt') || '').trim())
    .map(img => img.getAttribute('src'));
  return {maths: maths.length, mathjax, untypeset, images: images.length, broken, noAlt};
}
""".replace("TIMEOUT_MS", str(TIMEOUT_MS))


@pytest.mark.parametrize("path", browser_pages())
def test_page_in_browser(visit, path):
    page = visit(path)
    report = page.page.evaluate(_INSPECT)
    assert not page.remote, f"{path} tried to reach other hosts: {page.remote}"
    assert not page.errors, f"{path}: " + "\n".join(page.errors)
    if report["maths"]:
        assert report["mathjax"] != "none", (
            f"{path} has {report['maths']} math elements but the site's MathJax never started"
        )
        assert report["mathjax"].startswith("3"), f"{path}: MathJax {report['mathjax']}"
    assert not report["untypeset"], (
        f"{path}: {len(report['untypeset'])} of {report['maths']} math elements not "
        f"typeset: {report['untypeset'][:5]}"
    )
    assert not report["broken"], f"{path}: images not decoded: {report['broken']}"
    assert not report["noAlt"], f"{path}: images without alt text: {report['noAlt']}"
    mathjax = [u for u in page.requests if "mathjax" in u.lower()]
    if report["maths"]:
        assert mathjax and all(_is_local(u) for u in mathjax), (
            f"{path}: MathJax not loaded from the site: {mathjax}"
        )


def test_search_finds_backpropagation(visit):
    page = visit("search.html?q=backpropagation")
    results = page.page.locator("#search-results ul.search li")
    try:
        results.first.wait_for(state="attached", timeout=TIMEOUT_MS)
    except Exception:  # noqa: BLE001 - report what the page shows instead
        summary = page.page.locator("#search-results").inner_text()
        pytest.fail(f"search for 'backpropagation' found nothing: {summary!r}")
    assert results.count() >= 1
    assert not page.remote, f"search tried to reach other hosts: {page.remote}"
    assert not page.errors, "search page: " + "\n".join(page.errors)


def test_one_visible_search_field(visit):
    """A wide window shows exactly one search field (the sidebar's)."""
    page = visit("book/intro.html")
    page.page.set_viewport_size({"width": 1400, "height": 900})
    fields = page.page.locator(".search-button-field")
    visible = [i for i in range(fields.count()) if fields.nth(i).is_visible()]
    assert len(visible) == 1, f"{len(visible)} visible search fields on the intro page"


def test_browser_visits_every_toc_page():
    """The browser test covers the whole table of contents (and search, index)."""
    pages = browser_pages()
    assert len(pages) == len(set(pages))
    assert all(f"{document}.html" in pages for document in toc_files())
