"""Let the API reference show the docstrings' parameter types as written.

scratchdl's docstrings state types the way a reader needs them — ``(N, D) array``,
``float >= 0``, ``numpy.random.Generator`` — and Sphinx turns each into a cross-reference
to a class. Most are not classes (shapes, words) or are classes documented elsewhere
(NumPy, matplotlib) that an offline build cannot link to. This extension renders exactly
those as plain text, and leaves every other unresolved reference to the nitpicky build,
so a broken ``:func:`` or ``:class:`` to a scratchdl object still fails it.
"""

from __future__ import annotations

import re

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXTERNAL = ("numpy.", "np.", "matplotlib.", "collections.", "typing.")
_BUILTIN_WORDS = {
    "array", "arrays", "ndarray", "scalar", "optional", "sequence", "iterable", "callable",
    "mapping", "generator", "any", "Axes", "Figure", "Module", "Modules",
}


def _is_prose_type(target: str) -> bool:
    if target.startswith(_EXTERNAL):
        return True
    if not _IDENTIFIER.fullmatch(target):
        return True  # "(N, D) array", "float >= 0", "weight_ih_l{k}", ...
    if target in _BUILTIN_WORDS:
        return True
    # single symbols and lower-case words stand for shapes and sizes: N, C, n_features
    return len(target) <= 2 or target.islower()


def _plain_text_for_prose_types(app, env, node, contnode):
    if node.get("refdomain") != "py" or node.get("reftype") not in ("class", "obj"):
        return None
    if not node.get("refspecific"):
        return None  # a :class:`...` written in the text, not a type field: must resolve
    if _is_prose_type(node.get("reftarget", "")):
        return contnode
    return None


def setup(app):
    app.connect("missing-reference", _plain_text_for_prose_types)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
