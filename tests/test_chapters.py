"""Every number a chapter's prose states is asserted here.

Chapters never type a result into their text. A cell computes it and *glues* it
(``myst_nb.glue("name", value, display=False)``); the prose shows it with
``{glue:text}`name:.1%``` (an unknown name fails the ``-W`` build). When the book is
built, Jupyter Book writes every glued value to
``_build/jupyter_execute/book/<chapter>.glue.json``. This module reads those files and
checks each value against its claim in `tests/claims/chNN_topic.py`, so the text cannot
drift from the code, and it
fails if a chapter glues a number that no claim covers.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.claims import all_claims, values_from_glue
from tests.site import BUILD, chapter_names, require_build

CLAIMS = all_claims()


def glued_values(chapter: str) -> dict:
    path = BUILD / "jupyter_execute" / "book" / f"{chapter}.glue.json"
    if not path.exists():
        return {}
    return values_from_glue(json.loads(path.read_text()))


@pytest.mark.notebook
@pytest.mark.parametrize("chapter", chapter_names())
def test_every_glued_number_is_claimed(chapter):
    require_build()
    assert chapter in CLAIMS, f"{chapter} has no entry in CLAIMS"
    glued = glued_values(chapter)
    unclaimed = sorted(set(glued) - set(CLAIMS[chapter]))
    missing = sorted(set(CLAIMS[chapter]) - set(glued))
    assert not unclaimed, f"{chapter} glues numbers no test asserts: {unclaimed}"
    assert not missing, f"{chapter} no longer glues claimed numbers: {missing}"


def test_every_claims_module_belongs_to_a_chapter_of_the_book():
    orphans = sorted(set(CLAIMS) - set(chapter_names()))
    assert not orphans, f"claims for chapters not in _toc.yml: {orphans}"


@pytest.mark.notebook
@pytest.mark.parametrize(
    "chapter,name",
    [(chapter, name) for chapter in chapter_names() for name in CLAIMS.get(chapter, {})],
)
def test_claim_holds(chapter, name):
    require_build()
    glued = glued_values(chapter)
    assert name in glued, f"{chapter} does not glue {name!r}"
    value = glued[name]
    predicate, description = CLAIMS[chapter][name]
    assert isinstance(value, (int, float)) and math.isfinite(value), (
        f"{chapter}:{name} is not a finite number: {value!r}"
    )
    assert predicate(value), f"{chapter}:{name} = {value!r}, expected {description}"
