"""One spelling variety in the book's prose: Oxford spelling (British English with -ize).

The chapters mostly wrote "initialization", "normalize" and "optimizer" (-ize, as PyTorch's
and scikit-learn's names do) alongside "neighbour", "colour" and "labelling": that is Oxford
spelling (en-GB-oxendict), and this checker holds the book to it. It reads the prose a
reader sees — the markdown cells of the chapters and the book's ``.md`` pages — with code,
inline code, roles, mathematics and links removed, and reports every word of the other
varieties: American (color, neighbor, center, labeling, gray, analyze, defense) or
British -ise (initialise, normalisation). The word lists are explicit, so no correct word
is flagged by a pattern.

Run ``python -m tests.spelling`` (``make lint`` does); it prints each miss as
``file:cell:line: word -> replacement`` and exits 1 if there is one. It needs no network.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"

# Stems written -ize in Oxford spelling (and by the book): the -ise forms are wrong here.
IZE_STEMS = [
    "initial", "normal", "regular", "general", "organ", "minim", "maxim", "standard",
    "recogn", "optim", "summar", "memor", "visual", "parametr", "parameter", "character",
    "random", "vector", "symmetr", "penal", "real", "emphas", "special", "categor", "util",
    "stabil", "discret", "linear", "token", "binar", "serial", "final", "formal",
    "central", "local", "critic", "apolog", "synchron", "custom", "prior", "author",
]
IZE_SUFFIXES = {"ise": "ize", "ised": "ized", "ises": "izes", "ising": "izing",
                "isation": "ization", "isations": "izations", "iser": "izer",
                "isers": "izers"}

# American spellings and their Oxford forms (each listed with its inflections).
AMERICAN = {
    "color": "colour", "colors": "colours", "colored": "coloured", "coloring": "colouring",
    "colorful": "colourful", "neighbor": "neighbour", "neighbors": "neighbours",
    "neighboring": "neighbouring", "neighborhood": "neighbourhood",
    "neighborhoods": "neighbourhoods", "behavior": "behaviour", "behaviors": "behaviours",
    "favor": "favour", "favors": "favours", "favored": "favoured", "favorable": "favourable",
    "labor": "labour", "flavor": "flavour", "honor": "honour", "rumor": "rumour",
    "center": "centre", "centers": "centres", "centered": "centred", "centering": "centring",
    "fiber": "fibre", "meter": "metre", "liter": "litre",
    "labeling": "labelling", "labeled": "labelled", "unlabeled": "unlabelled",
    "modeling": "modelling",
    "modeled": "modelled", "modeler": "modeller", "traveling": "travelling",
    "traveled": "travelled", "signaling": "signalling", "canceling": "cancelling",
    "canceled": "cancelled", "tunneling": "tunnelling", "leveling": "levelling",
    "gray": "grey", "grayscale": "greyscale", "analyze": "analyse", "analyzed": "analysed",
    "analyzes": "analyses", "analyzing": "analysing", "paralyze": "paralyse",
    "defense": "defence", "offense": "offence", "catalog": "catalogue",
    "artifact": "artefact", "artifacts": "artefacts",
}
# British -ise and -yze in the other direction (Oxford keeps -yse).
BRITISH_ISE = {f"{stem}{suffix}": f"{stem}{right}"
               for stem in IZE_STEMS for suffix, right in IZE_SUFFIXES.items()}
WRONG = {**AMERICAN, **BRITISH_ISE}

# Fenced blocks whose content is not prose: code, maths, bibliography, raw markup.
# Admonitions (``:::{admonition}``, exercise solutions) are prose and stay.
_CODE_FENCE = re.compile(
    r"^(```+|~~~+)[ \t]*(\{(code|code-block|code-cell|math|bibliography|eval-rst|raw)"
    r"\}|[^{\n]*)$.*?^\1[ \t]*$", re.S | re.M)
_STRIP = [
    _CODE_FENCE,
    re.compile(r"\$\$.*?\$\$", re.S),       # display maths
    re.compile(r"(?<!\\)\$[^$\n]+\$"),     # inline maths
    re.compile(r"\{[a-z:-]+\}`[^`]*`"),      # roles: {cite}`key`, {glue:text}`name`
    re.compile(r"`[^`\n]*`"),                # inline code
    re.compile(r"\]\([^)]*\)"),              # link targets
    re.compile(r"https?://\S+"),             # bare URLs
    re.compile(r"<[^>\n]+>"),                # HTML tags
    re.compile(r"^:[a-z-]+:.*$", re.M),      # directive options (":class: dropdown")
]


def prose(markdown: str) -> str:
    """``markdown`` with code, maths, roles and links blanked out (line breaks kept)."""
    for pattern in _STRIP:
        markdown = pattern.sub(lambda m: "\n" * m.group(0).count("\n"), markdown)
    return markdown


def misspellings(markdown: str):
    """``(line number, word, replacement)`` for each word of another variety."""
    for number, line in enumerate(prose(markdown).splitlines(), start=1):
        for word in re.findall(r"[A-Za-z]+", line):
            right = WRONG.get(word.lower())
            if right is not None:
                yield number, word, right if word.islower() else right.capitalize()


def documents():
    """``(label, markdown)`` for every prose block of the book."""
    for path in sorted(BOOK.glob("*.md")):
        yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")
    for path in sorted(BOOK.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] == "markdown":
                yield f"{path.relative_to(ROOT).as_posix()}:cell {index}", "".join(cell["source"])


def check() -> list[str]:
    return [f"{label}:{line}: {word} -> {right}"
            for label, text in documents() for line, word, right in misspellings(text)]


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} word(s) not in Oxford spelling (see tests/spelling.py)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
