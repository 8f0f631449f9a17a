"""The first code cell of every chapter: install ``scratchdl`` where it is missing.

A reader who opens a chapter in Colab, or downloads it into their own Jupyter, has no
``scratchdl``. Each chapter therefore starts with a cell that installs it from the book's
repository when (and only when) it cannot be imported; in the book's own environment
(``make book``, ``make lab``) and on Binder (``.binder/`` installs it) the cell does
nothing. The cell is tagged ``remove-cell``: it stays in the notebook but the site does
not show it.

The repository comes from one setting, ``repository.url`` in ``_config.yml`` (the one the
launch buttons use), or, when that is empty, from GitHub Actions' environment, exactly as
``book/_ext/repository_links.py`` resolves it. The cells are written from it by a command,
never by hand::

    .venv/bin/python book/_ext/install_cell.py          # write the cell into every chapter
    .venv/bin/python book/_ext/install_cell.py --check  # exit 1 if a chapter's cell differs

``tests/test_install_cell.py`` runs the check, and the Pages workflow writes the cells
before it builds, so a site deployed from a fork installs the fork's package. With no URL
at all the cell cannot know where the package lives: it then stops with a message saying
how to install it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from repository_links import repository_url  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TAG = "install-scratchdl"
TAGS = [TAG, "remove-cell"]


def configured_url(root: Path = ROOT) -> str:
    """``repository.url`` of ``_config.yml``, resolved as the launch buttons resolve it."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    return repository_url((config.get("repository") or {}).get("url"))


def cell_source(url: str) -> str:
    """The install cell's code for the repository ``url`` ('' when it is unknown)."""
    head = (
        "# Colab, or a chapter downloaded into another Jupyter: install scratchdl, the\n"
        "# book's package, if it is missing. In the book's own environment this does nothing.\n"
        "import importlib.util\n\n"
        'if importlib.util.find_spec("scratchdl") is None:\n'
    )
    if url:
        return head + f'    %pip install --quiet "scratchdl @ git+{url}"'
    return head + (
        "    raise ModuleNotFoundError(\n"
        '        "scratchdl is not installed, and this copy of the book does not know its "\n'
        '        "repository (repository.url in _config.yml is empty). Install it with "\n'
        "        \"pip install 'scratchdl @ git+<URL of the book's repository>'\"\n"
        "    )"
    )


def chapters(root: Path = ROOT) -> list[Path]:
    """Every chapter notebook (``book/NN_*.ipynb``, the pages of chapter 1 included)."""
    return sorted((root / "book").glob("[0-9][0-9]*.ipynb"))


def first_code_cell(notebook):
    return next((cell for cell in notebook.cells if cell.cell_type == "code"), None)


def is_install_cell(cell) -> bool:
    return cell is not None and TAG in cell.get("metadata", {}).get("tags", [])


def sync(path: Path, url: str) -> bool:
    """Make ``path``'s first code cell the install cell for ``url``; True if it changed."""
    notebook = nbformat.read(path, as_version=4)
    wanted = cell_source(url)
    first = first_code_cell(notebook)
    if is_install_cell(first):
        if first.source == wanted and first.metadata.get("tags") == TAGS:
            return False
        first.source = wanted
        first.metadata["tags"] = list(TAGS)
    else:
        cell = nbformat.v4.new_code_cell(wanted, metadata={"tags": list(TAGS)})
        index = notebook.cells.index(first) if first is not None else len(notebook.cells)
        notebook.cells.insert(index, cell)
    _write(notebook, path)
    return True


def _write(notebook, path: Path) -> None:
    # Jupyter's own layout (one-space indent), so that a sync changes only the cell.
    path.write_text(nbformat.writes(notebook) + "\n")


def check(url: str, root: Path = ROOT) -> list[str]:
    """The chapters whose first code cell is not the install cell for ``url``."""
    wrong = []
    for path in chapters(root):
        first = first_code_cell(nbformat.read(path, as_version=4))
        if not (is_install_cell(first) and first.source == cell_source(url)
                and first.metadata.get("tags") == TAGS):
            wrong.append(path.name)
    return wrong


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only check; exit 1 if a chapter's install cell differs")
    args = parser.parse_args(argv)
    url = configured_url()
    if args.check:
        wrong = check(url)
        for name in wrong:
            print(f"{name}: first code cell is not the install cell for {url or 'no URL'}; "
                  "run python book/_ext/install_cell.py")
        return 1 if wrong else 0
    for path in chapters():
        if sync(path, url):
            print(f"wrote the install cell of {path.name} ({url or 'no repository URL'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
