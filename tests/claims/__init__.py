"""What each chapter's glued numbers must satisfy: one module per chapter, ``chNN_topic.py``,
holding ``CLAIMS = {glued name: check}``. ``tests/test_chapters.py`` collects them.

A check is built with :func:`at_least`, :func:`at_most` or :func:`between`; it returns the
predicate and the words the failure message uses.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil

from scratchdl.display import parse_number


def at_least(low):
    return lambda v: v >= low, f">= {low}"


def between(low, high):
    return lambda v: low <= v <= high, f"in [{low}, {high}]"


def at_most(high):
    return lambda v: v <= high, f"<= {high}"


def timing_names() -> dict[str, set[str]]:
    """``{"07_cnn": {...}, ...}``: glued names that are measured times (or ratios of times).

    A claims module lists them in ``TIMINGS``; their claims still hold them to a range, but
    ``tests/test_reproducible.py`` does not require them to repeat exactly between runs.
    """
    names = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("ch") and info.name[2:4].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            names[info.name[2:]] = set(getattr(module, "TIMINGS", ()))
    return names


def all_claims() -> dict[str, dict[str, tuple]]:
    """``{"01_mlp": {...}, ...}`` from every ``chNN_topic`` module of this package."""
    claims = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("ch") and info.name[2:4].isdigit():  # not check.py
            module = importlib.import_module(f"{__name__}.{info.name}")
            claims[info.name[2:]] = module.CLAIMS
    return claims


def values_from_glue(outputs: dict) -> dict:
    """``{name: value}`` from glue outputs ``{name: {"data": {"text/plain": ...}}}``.

    A value typeset for prose (``scratchdl.display.sci`` / ``number``) is read back as the
    number the reader sees; any other text stays text (and fails its claim).
    """
    values = {}
    for name, output in outputs.items():
        text = output["data"]["text/plain"]
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text
        if isinstance(value, str):
            try:
                value = parse_number(value)
            except ValueError:
                pass
        values[name] = value
    return values
