"""Label bibliography entries "Author year", the way the text cites them.

The chapters cite with sphinxcontrib-bibtex's author-year style: ``{cite:t}`key``` reads
"Glorot and Bengio (2010)", ``{cite}`key``` reads "(Glorot and Bengio, 2010)". Its
default bibliography style labels the same entry "[GB10]", which a reader cannot match to
the citation. This extension registers a pybtex label style whose labels are the
citation's own words, "Glorot and Bengio 2010", with a letter added when two entries
would share a label ("Smith 2020a", "Smith 2020b"), and a formatting style
``author_year`` (pybtex's ``plain`` with those labels), which ``_config.yml`` selects
with ``bibtex_default_style: author_year``.
"""

from __future__ import annotations

from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


def _last_name(person) -> str:
    # Last names may hold LaTeX ({\"u}, braces protecting capitals): render as plain text.
    return Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")


def author_year(entry) -> str:
    """ "Rosenblatt 1958", "Glorot and Bengio 2010", "He et al. 2015"."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_last_name(person) for person in persons]
    if not names:
        who = Text.from_latex(entry.fields.get("title", entry.key)).render_as("text")
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who} {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        labels = [author_year(entry) for entry in sorted_entries]
        repeated = {label for label, count in Counter(labels).items() if count > 1}
        seen = Counter()
        for label in labels:
            if label in repeated:
                yield f"{label}{'abcdefghijklmnopqrstuvwxyz'[seen[label]]}"
                seen[label] += 1
            else:
                yield label


class AuthorYearStyle(PlainStyle):
    default_label_style = "author_year"


register_plugin("pybtex.style.labels", "author_year", AuthorYearLabelStyle)
register_plugin("pybtex.style.formatting", "author_year", AuthorYearStyle)


def setup(app):
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
