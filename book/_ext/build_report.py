"""The build report: the appendix "How this book checks itself", completed at build time.

``book/build_report.md`` holds the page's introduction (what is verified, and how); this
extension appends, every time the book is built, a table of each chapter's execution time
and the numbers its prose quotes, each with the claim ``tests/claims/`` holds it to:

* execution times come from the jupyter-cache that myst-nb executes into
  (``_build/.jupyter_cache``): the time of the run whose outputs the site shows, so a
  cached rebuild reports the run that produced the page, not zero;
* the numbers are the chapter's glued values, which myst-nb writes to
  ``_build/jupyter_execute/<doc>.glue.json`` whenever it renders the chapter, from the
  cache or from a fresh run.

Sphinx reads documents in sorted order, so ``book/NN_*`` chapters are read (and executed)
before ``book/build_report``; the page is marked outdated on every build so it never shows
the numbers of an earlier one.
"""

from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path

import nbformat

REPORT = "book/build_report"


def _cache_path(app) -> Path:
    configured = getattr(app.config, "nb_execution_cache_path", "")
    return Path(configured) if configured else Path(app.outdir).parent / ".jupyter_cache"


def _execution_seconds(app, source: Path):
    """Seconds the cached run of ``source`` took, or None if it has no cached run."""
    if not _cache_path(app).is_dir():
        return None
    from jupyter_cache import get_cache

    try:
        record = get_cache(_cache_path(app)).match_cache_notebook(
            nbformat.read(source, as_version=4)
        )
    except KeyError:
        return None
    return (record.data or {}).get("execution_seconds")


def _glued(app, docname: str) -> dict:
    path = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.glue.json"
    if not path.is_file():
        return {}
    values = {}
    for name, output in json.loads(path.read_text()).items():
        text = output.get("data", {}).get("text/plain", "")
        try:
            values[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            values[name] = text
    return values


def _claims(app, docname: str) -> dict:
    """The chapter's ``CLAIMS`` (name -> (predicate, description)), or {} if it has none."""
    root = Path(app.srcdir)
    path = root / "tests" / "claims" / f"ch{Path(docname).name}.py"
    if not path.is_file():
        return {}
    import sys

    if str(root) not in sys.path:  # the claims modules import tests.claims
        sys.path.insert(0, str(root))
    spec = importlib.util.spec_from_file_location(f"_build_report_claims_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:  # a broken claims module fails the tests, not the build
        return {}
    return getattr(module, "CLAIMS", {})


def _format(value) -> str:
    if isinstance(value, str):
        return value  # already typeset for reading by the chapter (scratchdl.display)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"`{value}`"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4g}"


def _chapters(app) -> list[str]:
    return sorted(
        doc for doc in app.env.found_docs
        if doc.startswith("book/") and doc[5:7].isdigit()
        and Path(app.env.doc2path(doc)).suffix == ".ipynb"
    )


def _report(app) -> str:
    lines = [
        "",
        "## Execution",
        "",
        "| chapter | execution time | numbers quoted in the text |",
        "|---------|---------------:|---------------------------:|",
    ]
    details = []
    total = 0.0
    for doc in _chapters(app):
        seconds = _execution_seconds(app, Path(app.env.doc2path(doc)))
        glued = _glued(app, doc)
        total += seconds or 0.0
        time = f"{seconds:.1f} s" if seconds is not None else "not executed"
        lines.append(f"| {{doc}}`/{doc}` | {time} | {len(glued)} |")
        if glued:
            claims = _claims(app, doc)
            rows = "\n".join(
                f"| `{name}` | {_format(value)} | "
                f"{claims[name][1] if name in claims else '**no claim**'} |"
                for name, value in glued.items())
            details.append(
                f"\n:::{{dropdown}} {Path(doc).name}: the {len(glued)} numbers\n\n"
                f"| glued name | value | claim |\n|---|---:|---|\n{rows}\n:::\n"
            )
    lines.append(f"| **all chapters** | **{total:.1f} s** | |")
    lines += ["", "## The numbers, chapter by chapter", "", *details]
    return "\n".join(lines) + "\n"


def _append_report(app, docname, source):
    if docname == REPORT:
        source[0] += _report(app)


def _always_outdated(app, env, added, changed, removed):
    return [REPORT] if REPORT in env.found_docs else []


def _footer_link(app, pagename, templatename, context, doctree):
    """Point the footer's link to this appendix at it from every page, at any depth.

    ``_config.yml``'s footer is fixed HTML written as seen from ``book/``; the index, search
    and module pages sit one level up and need ``book/build_report.html``.
    """
    footer = context.get("theme_extra_footer")
    if footer and 'href="build_report.html"' in footer:
        target = context["pathto"](REPORT)
        context["theme_extra_footer"] = footer.replace('href="build_report.html"',
                                                       f'href="{target}"')


def setup(app):
    app.connect("env-get-outdated", _always_outdated)
    app.connect("source-read", _append_report)
    app.connect("html-page-context", _footer_link)
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
