"""Execute one chapter and check its glued numbers, without building the whole book.

    .venv/bin/python -m tests.claims.check book/08_gnn.ipynb

Runs the notebook top to bottom with nbclient (from ``book/``, as the build does), reads
every value it glues, and checks them against ``tests/claims/chNN_topic.py`` exactly as
``tests/test_chapters.py`` does after ``make book``: a glued name without a claim, a claim
without a glued name, and a claim that does not hold are each reported. Prints the
execution time; exits 1 if anything failed.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tests.claims import all_claims, values_from_glue


def glue_outputs(notebook) -> dict:
    """``{name: output}`` of every ``myst_nb.glue`` call in an executed notebook."""
    found = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None:
                # In the notebook myst-nb's glue prefixes each MIME type; the build's
                # glue.json (what values_from_glue reads there) has the plain types.
                data = {key.removeprefix("application/papermill.record/"): value
                        for key, value in output.get("data", {}).items()}
                found[name] = {**output, "data": data}
    return found


def main(path: str) -> int:
    path = Path(path).resolve()
    chapter = path.stem
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    values = values_from_glue(glue_outputs(notebook))
    claims = all_claims().get(chapter, {})
    problems = [f"glued but not claimed: {name}" for name in sorted(set(values) - set(claims))]
    problems += [f"claimed but not glued: {name}" for name in sorted(set(claims) - set(values))]
    for name in sorted(set(values) & set(claims)):
        predicate, description = claims[name]
        value = values[name]
        ok = isinstance(value, (int, float)) and math.isfinite(value) and predicate(value)
        print(f"{'ok  ' if ok else 'FAIL'} {name} = {value!r} ({description})")
        if not ok:
            problems.append(f"{name} = {value!r}, expected {description}")
    print(f"{chapter}: executed in {seconds:.1f} s; {len(values)} glued values")
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
