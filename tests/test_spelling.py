"""tests/spelling.py, the book's one-variety spelling checker (run on the book by make lint)."""

from __future__ import annotations

from tests.spelling import misspellings, prose


def test_flags_other_varieties_with_their_replacement():
    text = "We initialise the colour map.\nThe neighbor of a labeled node is grey."
    assert list(misspellings(text)) == [(1, "initialise", "initialize"),
                                        (2, "neighbor", "neighbour"),
                                        (2, "labeled", "labelled")]


def test_capitalised_words_keep_their_capital():
    assert list(misspellings("Normalisation first.")) == [(1, "Normalisation",
                                                            "Normalization")]


def test_oxford_spelling_passes():
    text = ("Initialization and normalization centre the colours; the neighbourhood "
            "function is analysed, labelling is modelled; we advise, revise, exercise.")
    assert list(misspellings(text)) == []


def test_code_maths_roles_and_links_are_not_prose():
    text = ("Use `color=` and $\\text{center}$ here, {glue:text}`gray_level`, "
            "[the docs](https://example.org/color) and\n```python\nneighbor = 1\n```\nok")
    assert list(misspellings(text)) == []
    assert prose("a\n```\nb\n```\nc").count("\n") == 4  # line numbers survive


def test_admonitions_are_prose_and_code_fences_are_not():
    text = (":::{admonition} Solution\n:class: dropdown\nWe normalise.\n:::\n"
            "```{math}\n\\text{color}\n```\n```{note}\nA gray area.\n```\n")
    assert [word for _, word, _ in misspellings(text)] == ["normalise", "gray"]
