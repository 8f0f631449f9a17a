"""Shared facts about the book for the notebook and site tests: where the build is, which
chapters the table of contents lists, and how to react when the build is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.oracles import strict

ROOT = Path(__file__).resolve().parent.parent
# The build the site tests read: `_build` (what `make book` writes) unless
# SCRATCHDL_BUILD_DIR names another one, e.g. the `_build` inside a
# `jupyter-book build . --path-output DIR` (then SCRATCHDL_BUILD_DIR=DIR/_build).
BUILD = Path(os.environ.get("SCRATCHDL_BUILD_DIR") or ROOT / "_build").resolve()
HTML = BUILD / "html"


def toc_files() -> list[str]:
    """Every document of _toc.yml, in order, as paths without suffix (``book/01_mlp``)."""
    files = []
    for line in (ROOT / "_toc.yml").read_text().splitlines():
        stripped = line.strip().removeprefix("- ")
        for key in ("root:", "file:"):
            if stripped.startswith(key):
                files.append(stripped[len(key):].strip())
    return files


def chapter_names() -> list[str]:
    """The notebook chapters listed in the table of contents (``01_mlp``, ...)."""
    return [
        Path(f).name for f in toc_files() if (ROOT / f"{f}.ipynb").exists()
    ]


def require_build() -> None:
    if (HTML / "index.html").exists():
        return
    message = "the book is not built: run `make book` (make test builds it first)"
    if strict():
        pytest.fail(message)
    pytest.skip(message)
