"""Show the package's own source code inside a chapter.

A chapter never keeps a second copy of the code it explains: it calls
``show_source(Linear.backward)`` and the cell's output is the very source the tests
check. In Jupyter and in the built book (myst-nb renders ``text/markdown`` outputs) it
appears as a highlighted Python block under a line naming the object and its file; in a
terminal ``repr`` gives the plain source.
"""

from __future__ import annotations

import inspect
import numbers
import re
import sys
import textwrap
from pathlib import Path


class Source:
    """The source code of one class, function or method, ready to display.

    Attributes
    ----------
    name : str
        Qualified name, e.g. ``"Linear.backward"``.
    path : str
        File relative to the directory holding its top-level package, e.g.
        ``"scratchdl/nn/linear.py"``.
    first_line, last_line : int
        Line numbers of the shown code within that file (1-based, inclusive).
    code : str
        The dedented source.
    """

    def __init__(self, name: str, path: str, first_line: int, last_line: int, code: str):
        self.name = name
        self.path = path
        self.first_line = first_line
        self.last_line = last_line
        self.code = code

    def _repr_markdown_(self) -> str:
        # The fence must be longer than any run of backticks inside the code.
        longest = max((len(run) for run in re.findall(r"`+", self.code)), default=0)
        fence = "`" * max(3, longest + 1)
        heading = (f"**`{self.name}`** in `{self.path}`, "
                   f"lines {self.first_line}–{self.last_line}")
        return f"{heading}\n\n{fence}python\n{self.code}\n{fence}\n"

    def __repr__(self) -> str:
        return self.code

    __str__ = __repr__


def show_source(obj, lines=None) -> Source:
    """The source of a class, function, method, property or module, for a notebook.

    Parameters
    ----------
    obj : class, function, method, property or module
        For example ``Linear``, ``scratchdl.functional.softmax`` or ``Linear.backward``.
    lines : (int, int), optional
        Show only lines ``start`` to ``stop`` (1-based, inclusive) counted from the
        object's first line (its ``def`` or ``class`` line, or its first decorator).

    Returns
    -------
    Source
        Renders as a fenced ``python`` block headed by the qualified name and the file.

    Examples
    --------
    >>> from scratchdl.nn import Linear
    >>> show_source(Linear.backward)               # doctest: +SKIP
    >>> show_source(Linear.forward, lines=(1, 5))  # doctest: +SKIP
    """
    target = obj.fget if isinstance(obj, property) else obj
    target = inspect.unwrap(target)
    try:
        source_lines, first_line = inspect.getsourcelines(target)
        filename = inspect.getsourcefile(target)
    except (TypeError, OSError) as error:
        raise TypeError(f"show_source needs a Python class, function, method or property "
                        f"whose source file is available, got {obj!r} ({error})") from None
    first_line = max(first_line, 1)  # a module's source starts at line 0

    if lines is not None:
        start, stop = _check_lines(lines, len(source_lines))
        source_lines = source_lines[start - 1:stop]
        first_line += start - 1
    code = textwrap.dedent("".join(source_lines)).rstrip("\n")
    name = getattr(target, "__qualname__", getattr(target, "__name__", repr(target)))
    return Source(name, _relative_path(filename, target), first_line,
                  first_line + len(source_lines) - 1, code)


def _check_lines(lines, n_lines: int) -> tuple[int, int]:
    ok = (isinstance(lines, tuple) and len(lines) == 2
          and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in lines))
    if not ok or not 1 <= lines[0] <= lines[1] <= n_lines:
        raise ValueError(f"show_source: lines must be a pair (start, stop) with "
                         f"1 <= start <= stop <= {n_lines} (the object's length), got {lines!r}")
    return int(lines[0]), int(lines[1])


def _relative_path(filename: str, obj) -> str:
    """``filename`` relative to the folder that holds ``obj``'s top-level package."""
    module = obj if inspect.ismodule(obj) else sys.modules.get(getattr(obj, "__module__", ""))
    top = sys.modules.get(module.__name__.split(".")[0]) if module else None
    if top is not None and getattr(top, "__path__", None):
        root = Path(next(iter(top.__path__))).resolve().parent  # the folder above a package
    elif getattr(top, "__file__", None):
        root = Path(top.__file__).resolve().parent  # a single-file module's own folder
    else:
        return Path(filename).name
    try:
        return Path(filename).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(filename).name
