"""The intro's chapter map says what exists today, whoever adds a chapter.

``book/intro.md`` lists all eleven chapters in a table whose rows start with the chapter
number: ``| 8 | Graph neural network | message passing, ... |``. When the book is built,
this extension links each row's name to the chapter's page if the table of contents has a
page ``book/NN_*`` for that number, and marks the row *(in preparation)* if it has none.
A row whose name already links somewhere (``{doc}`...```) is left as written (chapter 1
names both of its pages). So adding a chapter to ``_toc.yml`` is all it takes for the
intro to link it, and a chapter not yet written is never presented as one.
"""

from __future__ import annotations

import re

INTRO = "book/intro"
_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*([^|]+?)\s*\|(.*)$")


def chapter_docs(found_docs) -> dict[int, list[str]]:
    """``{8: ["book/08_gnn"], 1: ["book/01_mlp", "book/01b_training"], ...}``."""
    chapters: dict[int, list[str]] = {}
    for doc in sorted(found_docs):
        name = doc.rsplit("/", 1)[-1]
        if doc.startswith("book/") and name[:2].isdigit():
            chapters.setdefault(int(name[:2]), []).append(doc)
    return chapters


def link_rows(text: str, chapters: dict[int, list[str]]) -> str:
    lines = []
    for line in text.splitlines():
        match = _ROW.match(line)
        if match and "{doc}" not in match.group(2):
            number, name, rest = int(match.group(1)), match.group(2), match.group(3)
            docs = chapters.get(number)
            if docs:
                target = docs[0].rsplit("/", 1)[-1]
                name = f"{{doc}}`{name} <{target}>`"
            else:
                name = f"{name} *(in preparation)*"
            line = f"| {number} | {name} |{rest}"
        lines.append(line)
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def _link_intro(app, docname, source):
    if docname == INTRO:
        source[0] = link_rows(source[0], chapter_docs(app.env.found_docs))


def _always_outdated(app, env, added, changed, removed):
    # The map depends on which chapters exist, not on intro.md alone: read it every time.
    return [INTRO] if INTRO in env.found_docs else []


def setup(app):
    app.connect("env-get-outdated", _always_outdated)
    app.connect("source-read", _link_intro)
    return {"version": "1.0", "env_version": 1, "parallel_read_safe": True,
            "parallel_write_safe": True}
